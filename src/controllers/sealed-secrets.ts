// Unseals each SealedSecret into a Secret of the same name that carries an owner annotation;
// refuses to touch Secrets it does not own and deletes its Secret when the SealedSecret goes.
import { safeAnnotations } from '../sealing/unsafe-annotations';
import { ApiError, Conflict } from '../errors';
import type { Logger } from '../log';
import type { KindDefinition, Status, StoredObject } from '../registry/kind';
import type { Registry } from '../registry/registry';
import { isStdBase64 } from '../resources/secret';
import { SealError, type SealedValue } from '../sealing/crypto';
import type { SealingKeys } from '../sealing/keys';
import { WorkQueue, type ReconcileResult, type WorkQueueOptions } from './work-queue';

export const OWNER_ANNOTATION = 'orloj.dev/sealedsecret-owner';

type QueueOptions = Partial<Omit<WorkQueueOptions, 'name' | 'log'>>;

/** What the controller reads and writes through (the process's core satisfies it). */
export interface SealedSecretDeps {
  registry: Registry;
}

export class SealedSecretController {
  private readonly queue: WorkQueue;
  private readonly sealedDef: KindDefinition;
  private readonly secretDef: KindDefinition;
  private unsubscribe?: () => void;

  constructor(
    private readonly deps: SealedSecretDeps,
    private readonly keys: SealingKeys,
    private readonly log: Logger,
    queue: QueueOptions = {},
  ) {
    this.sealedDef = deps.registry.byKind.get('sealedsecret')!;
    this.secretDef = deps.registry.byKind.get('secret')!;
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: 'sealed-secrets', log, ...queue });
  }

  /** Watches commits, then enqueues every existing SealedSecret so nothing is missed. */
  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.deps.registry.onCommit((c) => {
      // A Secret change matters too: an edited or deleted generated Secret is put back.
      if (c.def === this.sealedDef || c.def === this.secretDef) this.queue.add(keyOf(c.object.metadata.namespace, c.object.metadata.name));
    });
    let after: string | undefined;
    do {
      const page = await this.deps.registry.list(this.sealedDef, { after, limit: '1000' });
      for (const o of page.items) this.queue.add(keyOf(o.metadata.namespace, o.metadata.name));
      after = page.continue;
    } while (after);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue.stop();
  }

  get healthy(): boolean {
    return this.unsubscribe !== undefined && !this.queue.isStopped;
  }

  /** Resolves once every queued reconcile has run (for tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Enqueues one SealedSecret by hand. */
  enqueue(namespace: string, name: string): void {
    this.queue.add(keyOf(namespace, name));
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    // On first start the keypair may still be generating; every reconcile waits for it once.
    await this.keys.ensure();
    if (this.queue.isStopped) return;
    const { namespace, name } = parseKey(key);
    const owner = `${namespace}/${name}`;
    const sealed = await this.find(this.sealedDef, namespace, name);
    const secret = await this.find(this.secretDef, namespace, name);
    if (!sealed) {
      if (secret && secret.metadata.annotations?.[OWNER_ANNOTATION] === owner) {
        await this.deps.registry.delete(this.secretDef, namespace, name);
        this.log.info('deleted Secret of a removed SealedSecret', { namespace, name });
      }
      return;
    }
    try {
      const data = this.unsealAll(sealed);
      if (secret && secret.metadata.annotations?.[OWNER_ANNOTATION] !== owner) {
        return await this.setStatus(sealed, 'Error', `refusing to overwrite Secret "${name}" in namespace "${namespace}": it was not created from this SealedSecret (annotation ${OWNER_ANNOTATION} is not "${owner}")`);
      }
      await this.applySecret(sealed, secret, data);
      return await this.setStatus(sealed, 'Ready');
    } catch (e) {
      // Another process changed the object between read and write: retry with backoff.
      if (e instanceof Conflict) throw e;
      if (e instanceof SealError || e instanceof ApiError) return this.setStatus(sealed, 'Error', e.message);
      throw e;
    }
  }

  private unsealAll(sealed: StoredObject): Record<string, string> {
    const { namespace, name } = sealed.metadata;
    if (this.keys.state !== 'ready') throw new SealError(this.keys.unavailableReason());
    const data: Record<string, string> = {};
    const entries = Object.entries<SealedValue>(sealed.spec.encryptedData ?? {});
    for (const [entryKey, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      let plain: string;
      try {
        plain = this.keys.unseal(namespace, name, entryKey, value);
      } catch (e) {
        if (e instanceof SealError) throw new SealError(`cannot unseal entry "${entryKey}": ${e.message}`);
        throw e;
      }
      if (!isStdBase64(plain)) throw new SealError(`entry "${entryKey}" unsealed to a value that is not valid standard base64 (seal the base64 form of the value)`);
      data[entryKey] = plain;
    }
    return data;
  }

  private async applySecret(sealed: StoredObject, existing: StoredObject | undefined, data: Record<string, string>): Promise<void> {
    const { namespace, name } = sealed.metadata;
    const template = sealed.spec.template ?? {};
    const manifest = {
      apiVersion: 'orloj.dev/v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace,
        labels: { ...(template.labels ?? {}) },
        annotations: { ...(safeAnnotations(template.annotations).kept ?? {}), [OWNER_ANNOTATION]: `${namespace}/${name}` },
        // Create only when absent ("0"), update only the version we checked the owner of.
        resourceVersion: existing ? existing.metadata.resourceVersion : '0',
      },
      spec: { data },
    };
    const result = await this.deps.registry.apply(this.secretDef, manifest, { queryNamespace: namespace });
    if (result.created) this.log.info('created Secret from SealedSecret', { namespace, name });
  }

  /** Writes phase/lastError/observedGeneration only when one of them changes. */
  private async setStatus(sealed: StoredObject, phase: 'Ready' | 'Error', lastError?: string): Promise<ReconcileResult> {
    const current: Status = sealed.status ?? {};
    const generation = sealed.metadata.generation;
    if (current.phase === phase && current.lastError === lastError && current.observedGeneration === generation) return;
    const status: Status = { ...current, phase, observedGeneration: generation };
    if (lastError === undefined) delete status.lastError;
    else status.lastError = lastError;
    const { namespace, name } = sealed.metadata;
    if (phase === 'Error') this.log.warn('SealedSecret not unsealed', { namespace, name, error: lastError });
    // Version-checked: a concurrent change from another process fails here and is retried.
    await this.deps.registry.replaceStatus(this.sealedDef, namespace, name, { status }, sealed.metadata.resourceVersion);
  }

  private find(def: KindDefinition, namespace: string, name: string): Promise<StoredObject | undefined> {
    return this.deps.registry.findDecoded(def, namespace, name);
  }
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/** Namespaces cannot contain "/", so the first slash splits the key. */
function parseKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
