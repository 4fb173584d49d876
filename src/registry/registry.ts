// The generic registry: apply/replace/get/list/status/delete for every kind, with preconditions,
// generation, the global revision, at-rest encoding, redaction and after-commit publishing.
import { ApiError, Conflict, Invalid, NotFound, PreconditionRequired, type Cause } from '../errors';
import { VersionConflict, type ChangeType, type ResourceRow, type ResourceStore } from '../store/resource-store';
import type { SecretCipher } from '../store/secret-cipher';
import { deepEqual } from '../util/equal';
import { rfc3339, type Clock } from '../util/time';
import { present, rowToJson, rowToObject } from './codec';
import type { KindDefinition, Spec, Status, StoredObject, WriteContext } from './kind';
import { readManifest, type Manifest, type RequestScope } from './manifest';
import { isObj } from './normalize';
import { listObjects, type ListOptions, type ListResult } from './list';
import { recordResourceEvent, type WriteAction } from './resource-events';
import type { EventLog } from '../store/event-log';
import type { OrreryEvent } from '../events/event';
import { buildSpec, schemaCauses } from './validation';
import { loneSurrogateCauses } from './well-formed';

export interface CommittedChange {
  type: ChangeType;
  revision: number;
  def: KindDefinition;
  /** Decoded object; publishers must redact before anything leaves the process. */
  object: StoredObject;
  /** The resource.* event committed with the change, when an event log is attached. */
  event?: OrreryEvent;
}

type TxResult = WriteResult & { revision?: number; type?: ChangeType; event?: OrreryEvent };

export type CommitListener = (change: CommittedChange) => void;

const STATUS_BODY_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/**
 * The largest object a spec write may store, counted as a reader receives it (metadata and the
 * normalized spec with its defaults). It is the API's 4 MiB request limit less 64 KiB kept for
 * the status and server-owned metadata, so whatever was stored can be read and sent back.
 */
export const MAX_OBJECT_BYTES = 4 * 1024 * 1024 - 64 * 1024;

export interface WriteResult {
  object: StoredObject;
  created: boolean;
}

/**
 * The unit of work of one registry write. `sideWrite` runs inside the write's IMMEDIATE transaction,
 * after the object is written (or found unchanged) and before commit: rows it writes (a webhook
 * dedupe row, task records) commit with the object or not at all, and a throw rolls both back.
 * It must stay synchronous. Commit listeners still fire only after the commit.
 */
export interface WriteOptions {
  sideWrite?: (result: WriteResult) => void;
}

export class Registry {
  readonly byPlural = new Map<string, KindDefinition>();
  readonly byKind = new Map<string, KindDefinition>();
  private readonly listeners: CommitListener[] = [];

  constructor(
    readonly kinds: KindDefinition[],
    private readonly store: ResourceStore,
    private readonly cipher: SecretCipher,
    private readonly clock: Clock,
    private readonly events?: EventLog,
  ) {
    for (const k of kinds) {
      this.byPlural.set(k.plural, k);
      this.byKind.set(k.kind.toLowerCase(), k);
    }
  }

  onCommit(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /**
   * POST: create, or replace the spec of an existing object (its status is kept). A status in the
   * body is ignored, on create too (as Kubernetes does): only replaceStatus writes status, so a
   * writer cannot forge one.
   */
  apply(def: KindDefinition, body: unknown, scope: RequestScope, opts: WriteOptions = {}): WriteResult {
    const { manifest, causes } = readManifest(def, body, scope);
    const result = this.write(def, 'apply', () => {
      const row = this.store.get(def.kind, manifest.namespace, manifest.name);
      const existing = row ? this.decode(def, row) : undefined;
      const ctx = this.context(manifest, existing);
      const spec = this.buildSpec(def, manifest, ctx, causes);
      if (!row || !existing) {
        const status = this.finishStatus(def, {}, spec, ctx);
        this.failIfInvalid(def, manifest.name, causes);
        this.checkSize(def, manifest, spec);
        if (manifest.resourceVersion && manifest.resourceVersion !== '0') {
          throw new Conflict(`${def.kind} "${manifest.name}" does not exist, so resourceVersion ${manifest.resourceVersion} cannot match`, { kind: def.plural, name: manifest.name });
        }
        return this.insert(def, manifest, spec, status, ctx);
      }
      this.failIfInvalid(def, manifest.name, causes);
      if (manifest.resourceVersion && manifest.resourceVersion !== existing.metadata.resourceVersion) {
        throw stale(def, manifest.name, manifest.resourceVersion, existing.metadata.resourceVersion);
      }
      this.checkSize(def, manifest, spec);
      return this.update(def, row, existing, manifest, spec, existing.status, ctx);
    }, opts);
    return { object: present(def, result.object), created: result.created };
  }

  /** PUT: replace spec and metadata of an existing object; needs a precondition. */
  replace(def: KindDefinition, name: string, body: unknown, scope: RequestScope, ifMatch?: string): StoredObject {
    const { manifest, causes } = readManifest(def, body, { ...scope, urlName: name });
    const result = this.write(def, 'replace', () => {
      const row = this.store.get(def.kind, manifest.namespace, name);
      if (!row) throw new NotFound(def.plural, name);
      const existing = this.decode(def, row);
      const ctx = this.context(manifest, existing);
      const spec = this.buildSpec(def, manifest, ctx, causes);
      this.failIfInvalid(def, name, causes);
      this.checkPrecondition(def, name, ifMatch, manifest.resourceVersion, existing);
      this.checkSize(def, manifest, spec);
      return this.update(def, row, existing, manifest, spec, existing.status, ctx);
    });
    return present(def, result.object);
  }

  /** PUT …/status: replace the whole status; generation is kept. */
  replaceStatus(def: KindDefinition, namespace: string, name: string, body: unknown, ifMatch?: string): StoredObject {
    const causes: Cause[] = loneSurrogateCauses(body);
    const b = isObj(body) ? body : {};
    if (!isObj(body)) causes.push({ field: '(body)', message: 'must be an object with status' });
    // A whole object read with GET may be sent back: spec is accepted and ignored here.
    for (const k of Object.keys(b)) if (!STATUS_BODY_FIELDS.has(k)) causes.push({ field: k, message: 'unknown field' });
    if (!isObj(b.status)) causes.push({ field: 'status', message: 'is required and must be an object' });
    let rv: string | undefined;
    const sent = isObj(b.metadata) ? b.metadata.resourceVersion : undefined;
    if (typeof sent === 'string' || typeof sent === 'number') rv = String(sent).trim() || undefined;
    else if (sent !== undefined && sent !== null) causes.push({ field: 'metadata.resourceVersion', message: 'must be a string' });
    const result = this.write(def, 'status', () => {
      const row = this.store.get(def.kind, namespace, name);
      if (!row) throw new NotFound(def.plural, name);
      const existing = this.decode(def, row);
      const status: Status = isObj(b.status) ? structuredClone(b.status) : {};
      causes.push(...this.statusCauses(def, status));
      this.failIfInvalid(def, name, causes);
      this.checkPrecondition(def, name, ifMatch, rv, existing);
      return this.writeStatus(def, row, existing, status);
    });
    return present(def, result.object);
  }

  /**
   * Read-modify-write of a status in one IMMEDIATE transaction: `next` gets the stored object
   * (decoded) and returns its new status, or throws to refuse. No other write can come between
   * the read and the write, so two callers deciding on the same state cannot both succeed.
   */
  updateStatus(def: KindDefinition, namespace: string, name: string, next: (current: StoredObject) => Status, opts: WriteOptions = {}): StoredObject {
    const result = this.write(def, 'status', () => {
      const row = this.store.get(def.kind, namespace, name);
      if (!row) throw new NotFound(def.plural, name);
      const existing = this.decode(def, row);
      const status = structuredClone(next(existing));
      this.failIfInvalid(def, name, this.statusCauses(def, status));
      return this.writeStatus(def, row, existing, status);
    }, opts);
    return present(def, result.object);
  }

  get(def: KindDefinition, namespace: string, name: string): StoredObject {
    return present(def, this.getDecoded(def, namespace, name));
  }

  /** The stored object with Secret values readable: for the runtime, never for responses. */
  getDecoded(def: KindDefinition, namespace: string, name: string): StoredObject {
    const row = this.store.get(def.kind, namespace, name);
    if (!row) throw new NotFound(def.plural, name);
    return this.decode(def, row);
  }

  /** Like getDecoded, but undefined when the object does not exist (other failures still throw). */
  findDecoded(def: KindDefinition, namespace: string, name: string): StoredObject | undefined {
    const row = this.store.get(def.kind, namespace, name);
    return row ? this.decode(def, row) : undefined;
  }

  list(def: KindDefinition, opts: ListOptions): ListResult {
    return listObjects(this.store, def, opts, (row) => present(def, this.decode(def, row)));
  }

  /** Decoded objects of a kind in the given status phases (an empty phase counts as ''), oldest first. */
  listByPhase(def: KindDefinition, phases: string[]): StoredObject[] {
    return this.store.listByPhase(def.kind, phases).map((row) => this.decode(def, row));
  }

  /** A page as JSON texts of the redacted objects, for responses. */
  listJson(def: KindDefinition, opts: ListOptions): ListResult<string> {
    return listObjects(this.store, def, opts, (row) => rowToJson(def, row, this.cipher));
  }

  /** One redacted object as JSON text with its version, for responses. */
  getJson(def: KindDefinition, namespace: string, name: string): { json: string; resourceVersion: string } {
    const row = this.store.get(def.kind, namespace, name);
    if (!row) throw new NotFound(def.plural, name);
    return { json: rowToJson(def, row, this.cipher), resourceVersion: String(row.resourceVersion) };
  }

  delete(def: KindDefinition, namespace: string, name: string): StoredObject {
    const result = this.write(def, 'delete', () => {
      const row = this.store.get(def.kind, namespace, name);
      if (!row) throw new NotFound(def.plural, name);
      const object = this.decode(def, row);
      const change = this.store.delete(row, rfc3339(this.clock.now()));
      return { object, created: false, revision: change.revision, type: 'deleted' as const };
    });
    return present(def, result.object);
  }

  namespaces(): string[] {
    const ns = this.store.namespaces();
    return ns.length ? ns : ['default'];
  }

  currentRevision(): number {
    return this.store.currentRevision();
  }

  countByKind(): Record<string, number> {
    return this.store.countByKind();
  }

  countByPhase(): { kind: string; phase: string; count: number }[] {
    return this.store.countByPhase();
  }

  // ---- internals -------------------------------------------------------------------------

  private write(def: KindDefinition, action: WriteAction, fn: () => TxResult, opts: WriteOptions = {}): WriteResult {
    let result: TxResult;
    try {
      result = this.store.transaction(() => {
        const r = fn();
        opts.sideWrite?.({ object: r.object, created: r.created });
        if (r.type && this.events) r.event = recordResourceEvent(this.events, this.clock.now(), def, action, r.type, r.object);
        return r;
      });
    } catch (e) {
      if (e instanceof VersionConflict) throw new Conflict('the object was modified concurrently; read it again and retry');
      throw e;
    }
    if (result.revision !== undefined && result.type) {
      const change: CommittedChange = { type: result.type, revision: result.revision, def, object: result.object, event: result.event };
      for (const l of [...this.listeners]) l(change);
    }
    return result;
  }

  /** A stored row as readers see it; used to render logged changes for watchers. */
  present(def: KindDefinition, row: ResourceRow): StoredObject {
    return present(def, this.decode(def, row));
  }

  private decode(def: KindDefinition, row: ResourceRow): StoredObject {
    return rowToObject(def, row, this.cipher);
  }

  private context(m: Manifest, existing?: StoredObject): WriteContext {
    return { namespace: m.namespace, name: m.name, now: this.clock.now(), existing };
  }

  private buildSpec(def: KindDefinition, m: Manifest, ctx: WriteContext, causes: Cause[]): Spec {
    return buildSpec(def, m.spec, ctx, causes);
  }


  private statusCauses(def: KindDefinition, status: Status): Cause[] {
    const causes = schemaCauses(def.status, status, 'status');
    if (status.phase !== undefined && status.phase !== '' && !def.phases.includes(status.phase)) {
      causes.push({ field: 'status.phase', message: `must be one of: ${def.phases.join(', ')}` });
    }
    return causes;
  }

  /** 413 when the object a reader would get back (without status) is over MAX_OBJECT_BYTES. */
  private checkSize(def: KindDefinition, m: Manifest, spec: Spec): void {
    const read = { metadata: { name: m.name, namespace: m.namespace, labels: m.labels, annotations: m.annotations }, spec: def.redact ? def.redact(spec) : spec };
    const size = Buffer.byteLength(JSON.stringify(read));
    if (size > MAX_OBJECT_BYTES) {
      throw new ApiError(413, 'RequestEntityTooLarge', `${def.kind} "${m.name}" would be ${size} bytes as stored (with defaults); the limit is ${MAX_OBJECT_BYTES}, so that it can be read and sent back within the 4 MiB request limit`, { kind: def.plural, name: m.name });
    }
  }

  private finishStatus(def: KindDefinition, status: Status, spec: Spec, ctx: WriteContext): Status {
    let s = { ...status };
    if (!s.phase) s.phase = def.initialPhase ?? 'Pending';
    if (def.alwaysReady && (s.phase === 'Pending' || !s.phase)) s.phase = 'Ready';
    if (def.prepareStatus) s = def.prepareStatus(s, spec, ctx);
    return s;
  }

  private failIfInvalid(def: KindDefinition, name: string, causes: Cause[]): void {
    if (causes.length) throw new Invalid(def.kind, name, causes);
  }

  private checkPrecondition(def: KindDefinition, name: string, header: string | undefined, body: string | undefined, existing: StoredObject): void {
    if (header === undefined && body === undefined) throw new PreconditionRequired(def.plural, name);
    if (header !== undefined && body !== undefined && header !== '*' && header !== body) {
      throw new Conflict(`If-Match "${header}" and metadata.resourceVersion "${body}" disagree`, { kind: def.plural, name });
    }
    const expected = header !== undefined && header !== '*' ? header : body ?? existing.metadata.resourceVersion;
    if (expected !== existing.metadata.resourceVersion) throw stale(def, name, expected, existing.metadata.resourceVersion);
  }

  private insert(def: KindDefinition, m: Manifest, spec: Spec, status: Status, ctx: WriteContext) {
    const now = rfc3339(ctx.now);
    const change = this.store.insert({
      kind: def.kind,
      namespace: m.namespace,
      name: m.name,
      uid: crypto.randomUUID(),
      generation: 1,
      labels: JSON.stringify(m.labels),
      annotations: JSON.stringify(m.annotations),
      spec: JSON.stringify(def.encode ? def.encode(spec, this.cipher) : spec),
      status: JSON.stringify(status),
      createdAt: now,
      updatedAt: now,
    });
    return { object: this.decode(def, change.row), created: true, revision: change.revision, type: change.type };
  }

  /** A status write keeps spec, labels and annotations; observedGeneration defaults to the current one. */
  private writeStatus(def: KindDefinition, row: ResourceRow, existing: StoredObject, status: Status) {
    if (!status.observedGeneration) status.observedGeneration = existing.metadata.generation;
    const { name, namespace } = existing.metadata;
    const manifest: Manifest = { name, namespace, labels: existing.metadata.labels ?? {}, annotations: existing.metadata.annotations ?? {}, spec: existing.spec };
    return this.update(def, row, existing, manifest, existing.spec, status, this.context(manifest, existing));
  }

  private update(def: KindDefinition, row: ResourceRow, existing: StoredObject, m: Manifest, spec: Spec, baseStatus: Status, ctx: WriteContext) {
    const specChanged = !deepEqual(spec, existing.spec);
    const locked = specChanged ? def.specLocked?.(existing) : undefined;
    if (locked) throw new Conflict(locked, { kind: def.plural, name: m.name });
    const status = this.finishStatus(def, baseStatus, spec, ctx);
    const unchanged =
      !specChanged &&
      deepEqual(m.labels, existing.metadata.labels ?? {}) &&
      deepEqual(m.annotations, existing.metadata.annotations ?? {}) &&
      deepEqual(status, existing.status);
    if (unchanged) return { object: existing, created: false };
    const change = this.store.update(
      {
        ...row,
        generation: specChanged ? row.generation + 1 : row.generation,
        labels: JSON.stringify(m.labels),
        annotations: JSON.stringify(m.annotations),
        spec: specChanged ? JSON.stringify(def.encode ? def.encode(spec, this.cipher) : spec) : row.spec,
        status: JSON.stringify(status),
        updatedAt: rfc3339(ctx.now),
      },
      row.resourceVersion,
    );
    return { object: this.decode(def, change!.row), created: false, revision: change!.revision, type: change!.type };
  }
}

function stale(def: KindDefinition, name: string, expected: string, actual: string): Conflict {
  return new Conflict(
    `${def.kind} "${name}" has resourceVersion ${actual}, not ${expected}: it was changed since you read it`,
    { kind: def.plural, name },
  );
}
