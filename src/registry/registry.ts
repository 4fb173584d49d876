// The generic registry: apply/replace/get/list/status/delete for every kind, with preconditions,
// generation, the global revision, at-rest encoding, redaction and after-commit publishing.
import { Conflict, NotFound, type Cause } from '../errors';
import { VersionConflict, type ChangeType, type ResourceRow } from '../store/resource-store';
import type { SecretCipher } from '../store/secret-cipher';
import type { RecordDelta } from '../store/task-records';
import { deepEqual } from '../util/equal';
import { rfc3339, type Clock } from '../util/time';
import { present, rowToJson, rowToObject } from './codec';
import type { KindDefinition, Spec, Status, StoredObject, WriteContext } from './kind';
import { readManifest, type Manifest, type RequestScope } from './manifest';
import { isObj } from './normalize';
import { RecordStreams } from './record-streams';
import { listObjects, type ListOptions, type ListResult } from './list';
import type { WriteAction } from './resource-events';
import { Commits, type CommitListener, type TxResult, type WriteOptions, type WriteResult } from './commits';
import { buildSpec } from './validation';
import { checkPrecondition, checkSize, failIfInvalid, finishStatus, stale, statusCauses } from './write-checks';

export { MAX_OBJECT_BYTES } from './write-checks';
import { loneSurrogateCauses } from './well-formed';
import type { Resources, StoreBackend } from '../store/backend';

export type { CommitListener, CommittedChange, WriteOptions, WriteResult } from './commits';

const STATUS_BODY_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

export class Registry {
  readonly byPlural = new Map<string, KindDefinition>();
  readonly byKind = new Map<string, KindDefinition>();
  private readonly commits: Commits;
  /** Record streams of kinds that keep some status fields outside their row (Task). */
  private readonly records: RecordStreams;
  private readonly store: Resources;
  private readonly cipher: SecretCipher;

  constructor(
    readonly kinds: KindDefinition[],
    backend: Pick<StoreBackend, 'resources' | 'cipher' | 'events' | 'records'>,
    private readonly clock: Clock,
  ) {
    this.store = backend.resources;
    this.cipher = backend.cipher;
    for (const k of kinds) {
      this.byPlural.set(k.plural, k);
      this.byKind.set(k.kind.toLowerCase(), k);
    }
    this.records = new RecordStreams(kinds, backend.records);
    this.commits = new Commits(this.store, clock, backend.events);
  }

  onCommit(listener: CommitListener): () => void {
    return this.commits.onCommit(listener);
  }

  /**
   * POST: create, or replace the spec of an existing object (its status is kept). A status in the
   * body is ignored, on create too (as Kubernetes does): only replaceStatus writes status, so a
   * writer cannot forge one.
   */
  async apply(def: KindDefinition, body: unknown, scope: RequestScope, opts: WriteOptions = {}): Promise<WriteResult> {
    const { manifest, causes } = readManifest(def, body, scope);
    let shown: StoredObject | undefined;
    const result = await this.write(
      def,
      'apply',
      async () => {
        const r = await this.applyTx(def, manifest, causes);
        // Records read in the write's own savepoint: a later write in the batch cannot show through.
        shown = await this.records.show(def, r.object);
        return r;
      },
      opts,
    );
    return { object: present(def, shown ?? result.object), created: result.created };
  }

  private async applyTx(def: KindDefinition, manifest: Manifest, causes: Cause[]): Promise<TxResult> {
    const row = await this.store.get(def.kind, manifest.namespace, manifest.name);
    const existing = row ? this.decode(def, row) : undefined;
    const ctx = this.context(manifest, existing);
    const spec = this.buildSpec(def, manifest, ctx, causes);
    if (!row || !existing) {
      const status = finishStatus(def, {}, spec, ctx);
      failIfInvalid(def, manifest.name, causes);
      checkSize(def, manifest, spec);
      if (manifest.resourceVersion && manifest.resourceVersion !== '0') {
        throw new Conflict(`${def.kind} "${manifest.name}" does not exist, so resourceVersion ${manifest.resourceVersion} cannot match`, { kind: def.plural, name: manifest.name });
      }
      return await this.insert(def, manifest, spec, status, ctx);
    }
    failIfInvalid(def, manifest.name, causes);
    if (manifest.resourceVersion && manifest.resourceVersion !== existing.metadata.resourceVersion) {
      throw stale(def, manifest.name, manifest.resourceVersion, existing.metadata.resourceVersion);
    }
    checkSize(def, manifest, spec);
    return await this.update(def, row, existing, manifest, spec, existing.status, ctx);
  }

  /** PUT: replace spec and metadata of an existing object; needs a precondition. */
  async replace(def: KindDefinition, name: string, body: unknown, scope: RequestScope, ifMatch?: string): Promise<StoredObject> {
    const { manifest, causes } = readManifest(def, body, { ...scope, urlName: name });
    let shown: StoredObject | undefined;
    const result = await this.write(def, 'replace', async () => {
      const r = await this.replaceTx(def, name, manifest, causes, ifMatch);
      shown = await this.records.show(def, r.object);
      return r;
    });
    return present(def, shown ?? result.object);
  }

  private async replaceTx(def: KindDefinition, name: string, manifest: Manifest, causes: Cause[], ifMatch: string | undefined): Promise<TxResult> {
    const row = await this.store.get(def.kind, manifest.namespace, name);
    if (!row) throw new NotFound(def.plural, name);
    const existing = this.decode(def, row);
    const ctx = this.context(manifest, existing);
    const spec = this.buildSpec(def, manifest, ctx, causes);
    failIfInvalid(def, name, causes);
    checkPrecondition(def, name, ifMatch, manifest.resourceVersion, existing);
    checkSize(def, manifest, spec);
    return await this.update(def, row, existing, manifest, spec, existing.status, ctx);
  }

  /** PUT …/status: replace the whole status; generation is kept. */
  async replaceStatus(def: KindDefinition, namespace: string, name: string, body: unknown, ifMatch?: string): Promise<StoredObject> {
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
    let shown: StoredObject | undefined;
    const result = await this.write(def, 'status', async () => {
      const row = await this.store.get(def.kind, namespace, name);
      if (!row) throw new NotFound(def.plural, name);
      const existing = this.decode(def, row);
      const status: Status = isObj(b.status) ? structuredClone(b.status) : {};
      causes.push(...statusCauses(def, status));
      failIfInvalid(def, name, causes);
      checkPrecondition(def, name, ifMatch, rv, existing);
      const r = await this.writeStatus(def, row, existing, status);
      shown = await this.records.show(def, r.object);
      return r;
    });
    return present(def, shown ?? result.object);
  }

  /**
   * Read-modify-write of a status in one IMMEDIATE transaction: `next` gets the stored object
   * (decoded) and returns its new status, or throws to refuse. No other write can come between
   * the read and the write, so two callers deciding on the same state cannot both succeed.
   */
  async updateStatus(def: KindDefinition, namespace: string, name: string, next: (current: StoredObject) => Status, opts: WriteOptions = {}): Promise<StoredObject> {
    let shown: StoredObject | undefined;
    const result = await this.write(
      def,
      'status',
      async () => {
        const row = await this.store.get(def.kind, namespace, name);
        if (!row) throw new NotFound(def.plural, name);
        const existing = this.decode(def, row);
        const status = structuredClone(next(await this.records.show(def, existing)));
        failIfInvalid(def, name, statusCauses(def, status));
        const r = await this.writeStatus(def, row, existing, status);
        shown = await this.records.show(def, r.object);
        return r;
      },
      opts,
    );
    return present(def, shown ?? result.object);
  }

  /**
   * A status write by the runtime that holds the object (a task's lease), version-checked against
   * `resourceVersion`. `status` is the summary (no record fields, `record_counts` set by the
   * caller) and `records` what changed in the record streams, written in the same transaction:
   * the cost follows the change, not the length of the streams. Returns the stored object without
   * its records, or undefined when the version no longer matches or the object is gone.
   */
  async writeStatusDelta(def: KindDefinition, namespace: string, name: string, resourceVersion: string, status: Status, records: RecordDelta[]): Promise<StoredObject | undefined> {
    try {
      const result = await this.write(def, 'status', async () => {
        const row = await this.store.get(def.kind, namespace, name);
        if (!row || String(row.resourceVersion) !== resourceVersion) throw new VersionConflict();
        const summary = { ...status };
        failIfInvalid(def, name, statusCauses(def, summary));
        return await this.writeStatus(def, row, this.decode(def, row), summary, records);
      });
      return present(def, result.object);
    } catch (e) {
      if (e instanceof Conflict) return undefined;
      throw e;
    }
  }

  /** The stored object without its record streams (a Task's summary), undefined when absent. */
  async findSummary(def: KindDefinition, namespace: string, name: string): Promise<StoredObject | undefined> {
    const row = await this.store.get(def.kind, namespace, name);
    return row ? this.decode(def, row) : undefined;
  }

  async get(def: KindDefinition, namespace: string, name: string): Promise<StoredObject> {
    return present(def, await this.getDecoded(def, namespace, name));
  }

  /** The stored object with Secret values readable: for the runtime, never for responses. */
  async getDecoded(def: KindDefinition, namespace: string, name: string): Promise<StoredObject> {
    const row = await this.store.get(def.kind, namespace, name);
    if (!row) throw new NotFound(def.plural, name);
    return this.records.show(def, this.decode(def, row));
  }

  /** Like getDecoded, but undefined when the object does not exist (other failures still throw). */
  async findDecoded(def: KindDefinition, namespace: string, name: string): Promise<StoredObject | undefined> {
    const row = await this.store.get(def.kind, namespace, name);
    return row ? this.records.show(def, this.decode(def, row)) : undefined;
  }

  list(def: KindDefinition, opts: ListOptions): Promise<ListResult> {
    return listObjects(this.store, def, opts, (row) => present(def, this.decode(def, row)));
  }

  /** Decoded objects of a kind in the given status phases (an empty phase counts as ''), oldest first. */
  async listByPhase(def: KindDefinition, phases: string[]): Promise<StoredObject[]> {
    return (await this.store.listByPhase(def.kind, phases)).map((row) => this.decode(def, row));
  }

  /** A page as JSON texts of the redacted objects, for responses. */
  listJson(def: KindDefinition, opts: ListOptions): Promise<ListResult<string>> {
    return listObjects(this.store, def, opts, (row) => rowToJson(def, row, this.cipher));
  }

  /** One redacted object as JSON text with its version, for responses. */
  async getJson(def: KindDefinition, namespace: string, name: string): Promise<{ json: string; resourceVersion: string }> {
    const row = await this.store.get(def.kind, namespace, name);
    if (!row) throw new NotFound(def.plural, name);
    const json = def.records ? JSON.stringify(await this.shown(def, this.decode(def, row))) : rowToJson(def, row, this.cipher);
    return { json, resourceVersion: String(row.resourceVersion) };
  }

  /** Deletes the object; the answer shows it as it was, records included (watchers get the summary). */
  async delete(def: KindDefinition, namespace: string, name: string): Promise<StoredObject> {
    let shown: StoredObject | undefined;
    await this.write(def, 'delete', async () => {
      const row = await this.store.get(def.kind, namespace, name);
      if (!row) throw new NotFound(def.plural, name);
      const object = this.decode(def, row);
      shown = await this.records.show(def, object);
      const change = await this.store.delete(row, rfc3339(this.clock.now()));
      if (def.records) await this.records.drop(row.uid);
      return { object, created: false, revision: change.revision, type: 'deleted' as const };
    });
    return present(def, shown!);
  }

  async namespaces(): Promise<string[]> {
    const ns = await this.store.namespaces();
    return ns.length ? ns : ['default'];
  }

  currentRevision(): Promise<number> {
    return this.store.currentRevision();
  }

  countByKind(): Promise<Record<string, number>> {
    return this.store.countByKind();
  }

  countByPhase(): Promise<{ kind: string; phase: string; count: number }[]> {
    return this.store.countByPhase();
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * Every write is a unit of work of the store, group-committed with the other writes of the same
   * event-loop turn (see Resources.write), each with its own revision and error.
   */
  private write(def: KindDefinition, action: WriteAction, fn: () => Promise<TxResult>, opts: WriteOptions = {}): Promise<TxResult> {
    return this.commits.write(def, action, fn, opts);
  }

  /** An object as a single read shows it: redacted, with its record streams. */
  private async shown(def: KindDefinition, object: StoredObject): Promise<StoredObject> {
    return present(def, await this.records.show(def, object));
  }

  /**
   * A change committed by another process (a worker, another server of a shared database), read
   * from the change log: commit listeners hear of it as of a local one, after it.
   */
  committedElsewhere(def: KindDefinition, type: ChangeType, revision: number, row: ResourceRow): void {
    this.commits.committedElsewhere({ type, revision, def, object: this.decode(def, row) });
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


  private async insert(def: KindDefinition, m: Manifest, spec: Spec, status: Status, ctx: WriteContext): Promise<TxResult> {
    const now = rfc3339(ctx.now);
    const change = await this.store.insert({
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
  private async writeStatus(def: KindDefinition, row: ResourceRow, existing: StoredObject, status: Status, delta?: RecordDelta[]): Promise<TxResult> {
    if (!status.observedGeneration) status.observedGeneration = existing.metadata.generation;
    const { name, namespace } = existing.metadata;
    const manifest: Manifest = { name, namespace, labels: existing.metadata.labels ?? {}, annotations: existing.metadata.annotations ?? {}, spec: existing.spec };
    const records = def.records ? (delta ?? (await this.records.moveOut(def, row.uid, status))) : [];
    await this.records.apply(row.uid, records);
    return this.update(def, row, existing, manifest, existing.spec, status, this.context(manifest, existing), records.length > 0);
  }

  private async update(def: KindDefinition, row: ResourceRow, existing: StoredObject, m: Manifest, spec: Spec, baseStatus: Status, ctx: WriteContext, force = false): Promise<TxResult> {
    const specChanged = !deepEqual(spec, existing.spec);
    const locked = specChanged ? def.specLocked?.(existing) : undefined;
    if (locked) throw new Conflict(locked, { kind: def.plural, name: m.name });
    const status = finishStatus(def, baseStatus, spec, ctx);
    const unchanged =
      !specChanged &&
      deepEqual(m.labels, existing.metadata.labels ?? {}) &&
      deepEqual(m.annotations, existing.metadata.annotations ?? {}) &&
      deepEqual(status, existing.status);
    if (unchanged && !force) return { object: existing, created: false };
    const change = await this.store.update(
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

