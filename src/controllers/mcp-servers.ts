// Syncs McpServers into Tools: for each server whose generation is not synced yet (or that sent
// tools/list_changed) it lists the server's tools, upserts one generated Tool per imported MCP tool
// (`<server>--<tool>`, labelled with its server) and deletes generated Tools no longer imported.
// A deleted server takes its generated Tools and its session with it.
import { ApiError, NotFound } from '../errors';
import type { EventPublisher } from '../events/publisher';
import type { Logger } from '../log';
import type { KindDefinition, Status, StoredObject } from '../registry/kind';
import { nameProblems } from '../registry/names';
import type { Registry } from '../registry/registry';
import type { McpSessions, McpToolInfo } from '../runtime/tools/mcp/sessions';
import { rfc3339, type Clock } from '../util/time';
import { WorkQueue, type ReconcileResult, type WorkQueueOptions } from './work-queue';

export const MCP_SERVER_LABEL = 'orloj.dev/mcp-server';
export const MCP_GENERATED_LABEL = 'orloj.dev/mcp-generated';
const SOURCE = 'mcp-server-controller';
/** Orloj's cap on the description a generated Tool carries. */
export const MAX_DESCRIPTION = 4096;
const LIST_TIMEOUT_MS = 60_000;
const CONFLICT_RETRY_MS = 500;

export interface McpServerDeps {
  registry: Registry;
  events: EventPublisher;
  clock: Clock;
  sessions: Pick<McpSessions, 'listTools' | 'closeServer' | 'onToolsChanged'>;
}

export interface McpServerOptions {
  queue?: Partial<Omit<WorkQueueOptions, 'name' | 'log'>>;
  /** The periodic pass: servers not synced (Error, new) are retried, orphaned Tools collected. */
  resyncMs?: number;
}

/** `<server>--<MCP tool name with _ and . as ->`, Orloj's rule. */
export function generatedToolName(server: string, tool: string): string {
  return `${server}--${tool.trim().replace(/[_.]/g, '-')}`;
}

const synced = (o: StoredObject) => o.status?.phase === 'Ready' && o.status?.observedGeneration === o.metadata.generation;

export class McpServerController {
  private readonly queue: WorkQueue;
  private readonly def: KindDefinition;
  private readonly tools: KindDefinition;
  /** Servers that announced a changed tool list: synced again even when Ready. */
  private readonly forced = new Set<string>();
  private unsubscribe: (() => void)[] = [];
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly deps: McpServerDeps,
    private readonly log: Logger,
    private readonly opts: McpServerOptions = {},
  ) {
    this.def = deps.registry.byPlural.get('mcp-servers')!;
    this.tools = deps.registry.byPlural.get('tools')!;
    // A slow or unreachable server must not hold up the others.
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: 'mcp-servers', log, concurrency: 4, ...opts.queue });
  }

  async start(): Promise<void> {
    if (this.unsubscribe.length) return;
    this.unsubscribe.push(
      this.deps.registry.onCommit((c) => {
        if (c.def !== this.def) return;
        const o = c.object;
        // Our own status writes carry the generation they describe and do not come back here.
        if (c.type === 'deleted' || o.status?.observedGeneration !== o.metadata.generation || !o.status?.phase || o.status.phase === 'Pending') {
          this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
        }
      }),
      this.deps.sessions.onToolsChanged((namespace, name) => this.toolsChanged(`${namespace}/${name}`)),
    );
    await this.resync();
    // Stopped while the first pass ran: no timer to leave behind.
    if (this.queue.isStopped) return;
    this.timer = setInterval(() => {
      void this.resync().catch((e) => this.log.error('mcp-servers: resync failed', { error: (e as Error)?.message ?? String(e) }));
    }, this.opts.resyncMs ?? 30_000);
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    clearInterval(this.timer);
    this.queue.stop();
  }

  get healthy(): boolean {
    return this.unsubscribe.length > 0 && !this.queue.isStopped;
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  toolsChanged(key: string): void {
    this.forced.add(key);
    this.queue.add(key);
  }

  /** Queues every server not synced at its generation, and the servers of orphaned generated Tools. */
  async resync(): Promise<void> {
    for (const o of await this.every(this.def, {})) if (!synced(o)) this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
    for (const t of await this.every(this.tools, { labelSelector: `${MCP_GENERATED_LABEL}=true` })) {
      const server = t.metadata.labels?.[MCP_SERVER_LABEL];
      if (server && !(await this.deps.registry.findDecoded(this.def, t.metadata.namespace, server))) this.queue.add(`${t.metadata.namespace}/${server}`);
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const i = key.indexOf('/');
    const namespace = key.slice(0, i);
    const name = key.slice(i + 1);
    let server = await this.deps.registry.findDecoded(this.def, namespace, name);
    if (!server) return this.removed(namespace, name);
    const forced = this.forced.delete(key);
    if (!forced && synced(server)) return;
    const wasReady = server.status?.phase === 'Ready';
    const generation = server.metadata.generation;
    const base: Status = { ...(server.status ?? {}), observedGeneration: generation };
    delete base.lastError;
    const connecting = await this.writeStatus(server, { ...base, phase: 'Connecting' });
    if (!connecting) return this.retryLater(key, forced);
    server = connecting;
    let listed: McpToolInfo[];
    try {
      listed = await this.deps.sessions.listTools(namespace, name, AbortSignal.timeout(LIST_TIMEOUT_MS));
    } catch (e) {
      const message = `tools/list: ${e instanceof Error ? e.message : String(e)}`;
      await this.writeStatus(server, { ...base, phase: 'Error', lastError: message });
      await this.event(server, 'mcpserver.sync_failed', `McpServer ${key} could not be synced: ${message}`, { error: message });
      this.log.warn('mcp server sync failed', { server: key, error: message });
      return;
    }
    const sync = await this.syncTools(server, listed);
    const status: Status = {
      ...base,
      phase: 'Ready',
      discoveredTools: listed.map((t) => t.name),
      generatedTools: sync.generated,
      lastSyncedAt: rfc3339(this.deps.clock.now()),
      ...(sync.notes.length ? { lastError: sync.notes.join('; ') } : {}),
    };
    if (!(await this.writeStatus(server, status))) return this.retryLater(key, forced);
    const changed = sync.created.length + sync.updated.length + sync.deleted.length > 0;
    if (changed || !wasReady || sync.notes.length) {
      const summary = `McpServer ${key} synced: ${listed.length} discovered, ${sync.generated.length} generated (${sync.created.length} created, ${sync.updated.length} updated, ${sync.deleted.length} deleted)`;
      await this.event(server, 'mcpserver.synced', sync.notes.length ? `${summary}; ${sync.notes.join('; ')}` : summary, {
        discovered: status.discoveredTools,
        generated: sync.generated,
        created: sync.created,
        updated: sync.updated,
        deleted: sync.deleted,
        ...(sync.notes.length ? { skipped: sync.notes } : {}),
      });
    }
  }

  /** Upserts the imported tools and deletes the generated ones no longer imported. */
  private async syncTools(server: StoredObject, listed: McpToolInfo[]) {
    const { namespace, name } = server.metadata;
    const include: string[] = server.spec.tool_filter?.include ?? [];
    const imported = include.length ? listed.filter((t) => include.includes(t.name)) : listed;
    const out = { generated: [] as string[], created: [] as string[], updated: [] as string[], deleted: [] as string[], notes: [] as string[] };
    for (const t of imported) {
      const toolName = generatedToolName(name, t.name);
      const problem = nameProblems(toolName, 'metadata.name')[0];
      if (problem) {
        out.notes.push(`tool ${JSON.stringify(t.name)} skipped: generated name ${JSON.stringify(toolName)} ${problem.message}`);
        continue;
      }
      if (out.generated.includes(toolName)) {
        out.notes.push(`tool ${JSON.stringify(t.name)} skipped: another tool of the server also maps to ${toolName}`);
        continue;
      }
      const existing = await this.deps.registry.findDecoded(this.tools, namespace, toolName);
      if (existing && existing.metadata.labels?.[MCP_SERVER_LABEL] !== name) {
        out.notes.push(`tool ${JSON.stringify(t.name)} skipped: Tool ${toolName} exists and was not generated from this server`);
        continue;
      }
      const spec = {
        type: 'mcp',
        mcp_server_ref: name,
        mcp_tool_name: t.name,
        ...(t.description ? { description: t.description.slice(0, MAX_DESCRIPTION) } : {}),
        ...(t.inputSchema ? { input_schema: t.inputSchema } : {}),
        ...(server.spec.default_tool_runtime ? { runtime: structuredClone(server.spec.default_tool_runtime) } : {}),
      };
      const labels = { ...(existing?.metadata.labels ?? {}), [MCP_SERVER_LABEL]: name, [MCP_GENERATED_LABEL]: 'true' };
      try {
        const r = await this.deps.registry.apply(this.tools, { apiVersion: 'orloj.dev/v1', kind: 'Tool', metadata: { name: toolName, namespace, labels }, spec }, { queryNamespace: namespace });
        out.generated.push(toolName);
        if (r.created) out.created.push(toolName);
        else if (r.object.metadata.resourceVersion !== existing?.metadata.resourceVersion) out.updated.push(toolName);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        out.notes.push(`tool ${JSON.stringify(t.name)} skipped: ${e.message}`);
      }
    }
    out.deleted = await this.deleteGenerated(namespace, name, new Set(out.generated));
    return out;
  }

  private async deleteGenerated(namespace: string, server: string, keep: Set<string>): Promise<string[]> {
    const deleted: string[] = [];
    for (const t of await this.every(this.tools, { namespace, labelSelector: `${MCP_SERVER_LABEL}=${server},${MCP_GENERATED_LABEL}=true` })) {
      if (keep.has(t.metadata.name)) continue;
      try {
        await this.deps.registry.delete(this.tools, namespace, t.metadata.name);
        deleted.push(t.metadata.name);
      } catch (e) {
        if (!(e instanceof NotFound)) throw e;
      }
    }
    return deleted;
  }

  /** The server is gone: its generated Tools and its session go too. */
  private async removed(namespace: string, name: string): Promise<ReconcileResult> {
    this.forced.delete(`${namespace}/${name}`);
    const deleted = await this.deleteGenerated(namespace, name, new Set());
    await this.deps.sessions.closeServer(namespace, name);
    if (deleted.length) {
      await this.deps.events.publish({ source: SOURCE, type: 'mcpserver.tools_deleted', kind: 'McpServer', name, namespace, message: `McpServer ${namespace}/${name} was deleted: deleted ${deleted.length} generated Tool(s)`, data: { deleted } });
    }
  }

  private retryLater(key: string, forced: boolean): ReconcileResult {
    if (forced) this.forced.add(key);
    return { requeueAfterMs: CONFLICT_RETRY_MS };
  }

  /** Status write with a version check; undefined when the server changed or went meanwhile. */
  private async writeStatus(server: StoredObject, status: Status): Promise<StoredObject | undefined> {
    const { namespace, name } = server.metadata;
    try {
      return await this.deps.registry.replaceStatus(this.def, namespace, name, { status }, server.metadata.resourceVersion);
    } catch (e) {
      if (e instanceof ApiError && (e.code === 409 || e.code === 404)) return undefined;
      throw e;
    }
  }

  private async event(server: StoredObject, type: string, message: string, data: Record<string, unknown>): Promise<void> {
    const { namespace, name } = server.metadata;
    await this.deps.events.publish({ source: SOURCE, type, kind: 'McpServer', name, namespace, message, data });
  }

  private async every(def: KindDefinition, opts: { namespace?: string; labelSelector?: string }): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let after: string | undefined;
    do {
      const page = await this.deps.registry.list(def, { ...opts, after, limit: '1000' });
      out.push(...page.items);
      after = page.continue;
    } while (after);
    return out;
  }
}
