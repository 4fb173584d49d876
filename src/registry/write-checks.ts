// The checks a registry write makes before it stores anything: status shape and phase, the
// stored-size limit, preconditions, and the status a new object starts with.
import { ApiError, Conflict, Invalid, PreconditionRequired, type Cause } from '../errors';
import type { KindDefinition, Spec, Status, StoredObject, WriteContext } from './kind';
import type { Manifest } from './manifest';
import { schemaCauses } from './validation';

/**
 * The largest object a spec write may store, counted as a reader receives it (metadata and the
 * normalized spec with its defaults). It is the API's 4 MiB request limit less 64 KiB kept for
 * the status and server-owned metadata, so whatever was stored can be read and sent back.
 */
export const MAX_OBJECT_BYTES = 4 * 1024 * 1024 - 64 * 1024;

export function statusCauses(def: KindDefinition, status: Status): Cause[] {
  const causes = schemaCauses(def.status, status, 'status');
  if (status.phase !== undefined && status.phase !== '' && !def.phases.includes(status.phase)) {
    causes.push({ field: 'status.phase', message: `must be one of: ${def.phases.join(', ')}` });
  }
  return causes;
}

/** 413 when the object a reader would get back (without status) is over MAX_OBJECT_BYTES. */
export function checkSize(def: KindDefinition, m: Manifest, spec: Spec): void {
  const read = { metadata: { name: m.name, namespace: m.namespace, labels: m.labels, annotations: m.annotations }, spec: def.redact ? def.redact(spec) : spec };
  const size = Buffer.byteLength(JSON.stringify(read));
  if (size > MAX_OBJECT_BYTES) {
    throw new ApiError(413, 'RequestEntityTooLarge', `${def.kind} "${m.name}" would be ${size} bytes as stored (with defaults); the limit is ${MAX_OBJECT_BYTES}, so that it can be read and sent back within the 4 MiB request limit`, { kind: def.plural, name: m.name });
  }
}

/** The status a new object is stored with: its phase, then the kind's own defaults. */
export function finishStatus(def: KindDefinition, status: Status, spec: Spec, ctx: WriteContext): Status {
  let s = { ...status };
  if (!s.phase) s.phase = def.initialPhase ?? 'Pending';
  if (def.alwaysReady && (s.phase === 'Pending' || !s.phase)) s.phase = 'Ready';
  if (def.prepareStatus) s = def.prepareStatus(s, spec, ctx);
  return s;
}

export function failIfInvalid(def: KindDefinition, name: string, causes: Cause[]): void {
  if (causes.length) throw new Invalid(def.kind, name, causes);
}

/** PUT needs If-Match or metadata.resourceVersion; both must agree and match the stored version. */
export function checkPrecondition(def: KindDefinition, name: string, header: string | undefined, body: string | undefined, existing: StoredObject): void {
  if (header === undefined && body === undefined) throw new PreconditionRequired(def.plural, name);
  if (header !== undefined && body !== undefined && header !== '*' && header !== body) {
    throw new Conflict(`If-Match "${header}" and metadata.resourceVersion "${body}" disagree`, { kind: def.plural, name });
  }
  const expected = header !== undefined && header !== '*' ? header : body ?? existing.metadata.resourceVersion;
  if (expected !== existing.metadata.resourceVersion) throw stale(def, name, expected, existing.metadata.resourceVersion);
}

export function stale(def: KindDefinition, name: string, expected: string, actual: string): Conflict {
  return new Conflict(
    `${def.kind} "${name}" has resourceVersion ${actual}, not ${expected}: it was changed since you read it`,
    { kind: def.plural, name },
  );
}
