// The contract a resource kind fulfils: its TypeBox spec/status schemas plus a strategy of pure
// hooks (normalize, validate, status preparation, at-rest encoding, redaction). The generic
// registry does everything else, so adding a kind is one file plus one line in resources/index.ts.
import type { TObject } from '@sinclair/typebox';
import type { Cause } from '../errors';
import type { SecretCipher } from '../store/secret-cipher';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Spec = Record<string, any>;
export type Status = Record<string, any>;

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  createdAt: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status: Status;
}

export interface WriteContext {
  namespace: string;
  name: string;
  now: Date;
  /** The stored object being replaced (decoded, not redacted), if any. */
  existing?: StoredObject;
}

export interface KindStrategy {
  /**
   * Runs before normalization on the raw spec of a write, with the stored object at hand
   * (Secrets: fold stringData, keep "***" values). Must tolerate malformed input.
   */
  prepare?(spec: Spec, ctx: WriteContext): { spec: Spec; causes?: Cause[] };
  /** Defaults and canonical forms (trim, lower-case, dedupe). Must tolerate malformed input. */
  normalize?(spec: Spec, ctx: WriteContext): Spec;
  /**
   * Cross-field rules the schema cannot say. Field paths are absolute ("spec.x.y"). Runs on a
   * normalized spec whose types and shapes match the schema; a formatted string may still be bad.
   */
  validate?(spec: Spec, ctx: WriteContext): Cause[];
  /** Server-computed status fields, applied on every write (e.g. webhook endpoint ids). */
  prepareStatus?(status: Status, spec: Spec, ctx: WriteContext): Status;
  /** At-rest encoding of the spec (Secrets encrypt their values). */
  encode?(spec: Spec, cipher: SecretCipher): Spec;
  decode?(spec: Spec, cipher: SecretCipher): Spec;
  /** What readers see (Secrets: every value becomes "***"). */
  redact?(spec: Spec): Spec;
  /**
   * The status a resource.status event carries, when the whole status is too large to repeat on
   * every write (Tasks: their trace and message records stay in the object and its watch frames).
   */
  eventStatus?(status: Status): Status;
  /** True when writing this (raw, submitted) spec needs the admin role, e.g. host CLI tools. */
  requiresAdmin?(spec: Spec): boolean;
  /**
   * Why the stored object's spec may no longer change (an approval once decided), or undefined.
   * An apply or PUT that would change such a spec answers 409 with this reason; an identical one
   * stays a no-op, and status writes are not affected.
   */
  specLocked?(existing: StoredObject): string | undefined;
}

export interface KindDefinition extends KindStrategy {
  /** Kind name as in manifests, e.g. "Agent". */
  kind: string;
  /** Path segment under /v1, e.g. "agents". */
  plural: string;
  description: string;
  spec: TObject;
  status: TObject;
  /** Phase given to new objects with no phase (default "Pending"). */
  initialPhase?: string;
  /** Governance kinds: an empty or Pending phase becomes Ready on every write. */
  alwaysReady?: boolean;
  /** Phases a status write may set; any other value is rejected. */
  phases: string[];
  /** False when spec changes go only through dedicated verbs: PUT answers 405 (no kind uses it today). */
  allowPut?: boolean;
  /** Role needed for spec writes and deletes (issue: auth); default writer. */
  writeRole?: 'writer' | 'admin';
  /**
   * Status fields kept as record streams outside the object's row (store/task-records.ts), each
   * mapped to the field of a record that is its key ('' when records are only appended). Single
   * reads show them in the status; lists and watch frames carry the rest of the status (the summary).
   */
  records?: Readonly<Record<string, string>>;
}

export function defineKind<const D extends KindDefinition>(def: D): D {
  return def;
}
