// The per-process pool of MCP sessions: one per McpServer (namespace/name) and spec generation,
// opened lazily with reconnect attempts, shared by concurrent callers, replaced when the spec
// changes or the transport breaks, closed after idle_timeout and when the process stops.
import { CallToolResultSchema, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../../log';
import type { StoredObject } from '../../../registry/kind';
import { parseDuration } from '../../../util/duration';
import { systemClock, type Clock } from '../../../util/time';
import { OAuth2TokenCache } from '../auth';
import { ToolError } from '../contract';
import { realSleep, type Sleep } from '../retry';
import { checkEgress, type Lookup } from '../ssrf';
import type { SecretLookup } from '../types';
import { connect, type Connection, type ConnectDeps } from './connect';
import { hiddenError, hideSecrets, requestError, resultText, toolReportedError } from './results';

/** tools/list pages read at most (Orloj's bound), so a server cannot loop us forever. */
export const MAX_LIST_PAGES = 100;
const LIST_TIMEOUT_MS = 30_000;
const DEFAULT_RECONNECT_ATTEMPTS = 3;
const DEFAULT_RECONNECT_BACKOFF_MS = 2000;

export interface McpSessionsDeps {
  /** The stored McpServer, read on every use so that a new generation replaces the session. */
  server(namespace: string, name: string): Promise<StoredObject | undefined>;
  /** Secret lookup in a namespace (env secretRefs and auth of that namespace's servers). */
  secrets(namespace: string): SecretLookup;
  /** The process's egress rule (--egress-private); each server's allowPrivate is added per server. */
  egress?: { denyPrivate?: boolean; lookup?: Lookup };
  /** --mcp-command-allow; empty or unset allows any command. */
  commandAllow?: string[];
  log: Logger;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Waits between reconnect attempts; tests pass one that does not wait. */
  sleep?: Sleep;
}

export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
}

interface Session {
  key: string;
  generation: number;
  conn: Connection;
  idleMs: number;
  inflight: number;
  /** Replaced or broken: no new calls; it closes when the last running one ends. */
  retired: boolean;
  closing?: Promise<void>;
  timer?: ReturnType<typeof setTimeout>;
}

interface Entry {
  generation: number;
  opening: Promise<Session>;
  session?: Session;
}

type ToolsChanged = (namespace: string, name: string) => void;

const closedError = () => new ToolError('execution_failed', 'MCP sessions are closed: the process is stopping', { retryable: false });

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class McpSessions {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<ToolsChanged>();
  /** Servers (key@generation) this pool had a session with: a new session after one is a reconnect. */
  private readonly opened = new Set<string>();
  private readonly connectDeps: (namespace: string) => ConnectDeps;
  private readonly sleep: Sleep;
  private readonly stopping = new AbortController();
  private closed = false;

  constructor(private readonly deps: McpSessionsDeps) {
    const fetchFn = deps.fetch ?? fetch;
    const tokens = new OAuth2TokenCache({ fetch: fetchFn, clock: deps.clock ?? systemClock, guard: (url) => checkEgress(url, deps.egress) });
    this.sleep = deps.sleep ?? realSleep;
    this.connectDeps = (namespace) => ({
      secrets: deps.secrets(namespace),
      egress: deps.egress ?? {},
      commandAllow: deps.commandAllow ?? [],
      log: deps.log,
      fetch: fetchFn,
      tokens,
      stop: this.stopping.signal,
    });
  }

  /** Called with the server's namespace and name when it sends notifications/tools/list_changed. */
  onToolsChanged(cb: ToolsChanged): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** The stdio process id of the open session, if there is one (for status and tests). */
  pid(namespace: string, name: string): number | undefined {
    const s = this.entries.get(keyOf(namespace, name))?.session;
    return s && !s.retired ? s.conn.pid : undefined;
  }

  /** Every tool the server lists, following cursors for at most MAX_LIST_PAGES pages. */
  async listTools(namespace: string, name: string, signal?: AbortSignal): Promise<McpToolInfo[]> {
    return this.use(namespace, name, 'tools/list', signal, async (s) => {
      const out: McpToolInfo[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const r = await s.conn.client.listTools(cursor ? { cursor } : undefined, { signal, timeout: LIST_TIMEOUT_MS });
        for (const t of r.tools) out.push({ name: t.name, description: t.description, inputSchema: t.inputSchema as Record<string, unknown> });
        cursor = r.nextCursor;
        if (!cursor) return out;
      }
      this.deps.log.warn('mcp tools/list stopped after the page limit', { server: keyOf(namespace, name), pages: MAX_LIST_PAGES });
      return out;
    });
  }

  /** tools/call: the result text; isError and transport failures are retryable execution_failed. */
  async callTool(namespace: string, name: string, tool: string, args: Record<string, unknown>, signal?: AbortSignal, timeoutMs?: number): Promise<string> {
    const id = keyOf(namespace, name);
    return this.use(namespace, name, 'tools/call', signal, async (s) => {
      const result = (await s.conn.client.callTool({ name: tool, arguments: args }, CallToolResultSchema, { signal, ...(timeoutMs ? { timeout: timeoutMs } : {}) })) as CallToolResult;
      if (result.isError) throw toolReportedError(id, tool, result);
      return hideSecrets(resultText(result), s.conn.secrets);
    });
  }

  /** Closes the server's session (the server was deleted). */
  async closeServer(namespace: string, name: string): Promise<void> {
    const key = keyOf(namespace, name);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    await entry.opening.then((s) => this.retire(s), () => undefined);
  }

  /** Closes every session and stops every stdio server; later uses fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort(closedError());
    this.listeners.clear();
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.allSettled(all.map((e) => e.opening.then((s) => this.retire(s, true))));
  }

  private async use<T>(namespace: string, name: string, method: string, signal: AbortSignal | undefined, fn: (s: Session) => Promise<T>): Promise<T> {
    const s = await abortable(this.session(namespace, name), signal);
    s.inflight++;
    if (s.timer) clearTimeout(s.timer);
    try {
      return await fn(s);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const mapped = requestError(keyOf(namespace, name), method, e);
      if (mapped.transport) this.drop(s);
      throw hiddenError(mapped.error, s.conn.secrets);
    } finally {
      s.inflight--;
      if (s.retired) {
        if (!s.inflight) void this.shut(s);
      } else this.touch(s);
    }
  }

  private async session(namespace: string, name: string): Promise<Session> {
    if (this.closed) throw closedError();
    const key = keyOf(namespace, name);
    const obj = await this.deps.server(namespace, name);
    // From here on nothing waits, so concurrent callers share one entry per key and generation.
    if (this.closed) throw closedError();
    if (!obj) {
      // Deleted: a session still open here goes too (a worker process has no controller to close it).
      void this.closeServer(namespace, name);
      throw new ToolError('unsupported_tool', `McpServer ${key} not found`, { details: { mcp_server: key } });
    }
    const generation = Number(obj.metadata.generation ?? 1);
    const current = this.entries.get(key);
    if (current?.generation === generation) return current.opening;
    if (current) {
      this.entries.delete(key);
      void current.opening.then((s) => this.retire(s), () => undefined);
    }
    const entry: Entry = { generation, opening: this.open(key, namespace, obj, generation) };
    void entry.opening.then(
      (s) => (entry.session = s),
      () => this.entries.get(key) === entry && this.entries.delete(key),
    );
    this.entries.set(key, entry);
    return entry.opening;
  }

  /** Connects, trying reconnect.max_attempts times reconnect.backoff apart for retryable failures. */
  private async open(key: string, namespace: string, obj: StoredObject, generation: number): Promise<Session> {
    const spec = obj.spec;
    const attempts = Number(spec.reconnect?.max_attempts) > 0 ? Number(spec.reconnect.max_attempts) : DEFAULT_RECONNECT_ATTEMPTS;
    const backoff = parseDuration(String(spec.reconnect?.backoff ?? '')) ?? DEFAULT_RECONNECT_BACKOFF_MS;
    const holder: { session?: Session } = {};
    let conn: Connection | undefined;
    for (let attempt = 1; !conn; attempt++) {
      try {
        conn = await connect(key, spec, this.connectDeps(namespace), () => holder.session && this.drop(holder.session));
      } catch (e) {
        const err = requestError(key, 'initialize', e).error;
        if (this.closed) throw closedError();
        if (!err.retryable || attempt >= attempts) throw err;
        this.deps.log.warn('mcp connect failed, retrying', { server: key, attempt, of: attempts, error: err.message });
        await this.sleep(backoff, this.stopping.signal);
      }
    }
    const session: Session = { key, generation, conn, idleMs: parseDuration(String(spec.idle_timeout ?? '0')) ?? 0, inflight: 0, retired: false };
    holder.session = session;
    if (this.closed) {
      await conn.close().catch(() => undefined);
      throw closedError();
    }
    conn.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      for (const cb of this.listeners) cb(namespace, String(obj.metadata.name));
    });
    this.deps.log.info('mcp session opened', { server: key, generation, ...(conn.pid ? { pid: conn.pid } : {}) });
    this.touch(session);
    // No session listened for tools/list_changed while this one was closed (idle, crash): the
    // tool list may have changed meanwhile, so listeners re-list as if the server had said so.
    if (this.opened.has(`${key}@${generation}`)) for (const cb of this.listeners) cb(namespace, String(obj.metadata.name));
    this.opened.add(`${key}@${generation}`);
    return session;
  }

  /** The transport broke: the next use opens a new session. */
  private drop(s: Session): void {
    const entry = this.entries.get(s.key);
    if (entry?.session === s) this.entries.delete(s.key);
    // retire() never rejects: closing a connection swallows its own failure.
    void this.retire(s);
  }

  private retire(s: Session, now = false): Promise<void> {
    if (s.retired && !now) return Promise.resolve();
    s.retired = true;
    if (s.timer) clearTimeout(s.timer);
    return s.inflight && !now ? Promise.resolve() : this.shut(s);
  }

  private shut(s: Session): Promise<void> {
    s.closing ??= s.conn.close().catch(() => undefined);
    return s.closing;
  }

  /** Restarts the idle timer; idle_timeout "0" keeps the session open. */
  private touch(s: Session): void {
    if (s.timer) clearTimeout(s.timer);
    if (s.idleMs <= 0 || s.retired) return;
    s.timer = setTimeout(() => {
      if (s.inflight) return;
      this.deps.log.info('mcp session idle, closing', { server: s.key, idle_timeout_ms: s.idleMs });
      this.drop(s);
    }, s.idleMs);
    (s.timer as { unref?: () => void }).unref?.();
  }
}
