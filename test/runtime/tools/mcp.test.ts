// The mcp tool type and the MCP session pool against real MCP servers written with the SDK: a stdio
// process (the fixture script) and a streamable HTTP endpoint on port 0.
import { afterEach, describe, expect, test } from 'bun:test';
import { createLogger } from '../../../src/log';
import type { StoredObject } from '../../../src/registry/kind';
import { McpSessions, type McpSessionsDeps } from '../../../src/runtime/tools/mcp/sessions';
import { mcpTransport } from '../../../src/runtime/tools/mcp';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import type { ToolRef } from '../../../src/runtime/tools/types';
import { FIXTURE_SCRIPT, startHttpFixture, type HttpFixture } from '../../fixtures/mcp/server';
import { fixedClock, secretsFrom } from './helpers';
import { alive } from '../../support/processes';

async function until(check: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

interface World {
  pool: McpSessions;
  servers: Map<string, StoredObject>;
  put(name: string, spec: Record<string, unknown>, generation?: number): void;
  lines: string[];
  invoke(tool: string, input: unknown, extra?: Record<string, unknown>, signal?: AbortSignal): ReturnType<ReturnType<typeof createToolRuntime>['invoke']>;
}

const pools: McpSessions[] = [];
const fixtures: HttpFixture[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await Promise.all(fixtures.splice(0).map((f) => f.stop()));
});

function world(deps: Partial<McpSessionsDeps> = {}, secrets: Record<string, Record<string, string>> = {}): World {
  const servers = new Map<string, StoredObject>();
  const lines: string[] = [];
  const pool = new McpSessions({
    server: async (ns, name) => servers.get(`${ns}/${name}`),
    secrets: () => secretsFrom(secrets),
    log: createLogger('debug', (l) => lines.push(l)),
    sleep: async () => undefined,
    ...deps,
  });
  pools.push(pool);
  const rt = createToolRuntime({ clock: fixedClock });
  rt.register('mcp', mcpTransport(pool));
  const put = (name: string, spec: Record<string, unknown>, generation = 1) =>
    void servers.set(`default/${name}`, { metadata: { name, namespace: 'default', generation }, spec } as unknown as StoredObject);
  const invoke = (tool: string, input: unknown, extra: Record<string, unknown> = {}, signal?: AbortSignal) => {
    const ref: ToolRef = { name: `fx--${tool}`, namespace: 'default', spec: { type: 'mcp', mcp_server_ref: 'fx', mcp_tool_name: tool, ...extra } };
    return rt.invoke(ref, { requestId: 'r1', input: input as string }, { secrets: secretsFrom(secrets), signal });
  };
  return { pool, servers, put, lines, invoke };
}

const stdio = (extra: Record<string, unknown> = {}) => ({ transport: 'stdio', command: process.execPath, args: [FIXTURE_SCRIPT], ...extra });

describe('stdio servers', () => {
  test('calls tools: text items joined by newlines, input parsed from the model JSON, one process for many calls', async () => {
    const w = world();
    w.put('fx', stdio());
    const echo = await w.invoke('echo', '{"text":"hi there"}');
    expect(echo).toMatchObject({ status: 'ok', text: 'hi there', output: { result: 'hi there' }, attempts: 1 });
    const add = await w.invoke('add', JSON.stringify({ a: 2, b: 40 }));
    expect(add.text).toBe('42\nsum computed');
    // Not a JSON object: passed on as {"input": …}, which echo does not read.
    const plain = await w.invoke('echo', 'just words');
    expect(plain).toMatchObject({ status: 'ok', text: '' });
    const pid = w.pool.pid('default', 'fx')!;
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(true);
    expect((await w.invoke('pid', '{}')).text).toBe(String(pid));
    expect(w.lines.filter((l) => l.includes('mcp session opened'))).toHaveLength(1);
  });

  test('isError is a retryable execution_failed; a missing server or spec field is not retryable', async () => {
    const w = world();
    w.put('fx', stdio());
    const r = await w.invoke('fail', '{}', { runtime: { retry: { max_attempts: 2 } } });
    expect(r.status).toBe('error');
    expect(r.attempts).toBe(2);
    expect(r.error).toMatchObject({ code: 'execution_failed', retryable: true });
    expect(r.error!.message).toContain('it broke');
    w.servers.delete('default/fx');
    const missing = await w.invoke('echo', '{}', { runtime: { retry: { max_attempts: 3 } } });
    expect(missing.error).toMatchObject({ code: 'unsupported_tool', retryable: false, message: 'McpServer default/fx not found' });
    expect(missing.attempts).toBe(1);
    const noName = await w.invoke('echo', '{}', { mcp_tool_name: '' });
    expect(noName.error).toMatchObject({ code: 'runtime_policy_invalid', message: 'spec.mcp_tool_name is required for mcp tools' });
  });

  test('a timeout or a cancel aborts the request and tells the server; the session stays usable', async () => {
    const w = world();
    w.put('fx', stdio());
    const r = await w.invoke('slow', '{"ms":60000}', { runtime: { timeout: '300ms' } });
    expect(r.error).toMatchObject({ code: 'timeout', retryable: true });
    // The server was told (notifications/cancelled) and stopped the call.
    await until(() => w.lines.some((l) => l.includes('slow call cancelled by the client')), 'the cancellation to reach the server');
    expect((await w.invoke('echo', '{"text":"after"}')).text).toBe('after');
    // Cancelling the task's call aborts it too: a non-retryable canceled, and the server is told.
    const ctl = new AbortController();
    const call = w.invoke('slow', '{"ms":60000}', {}, ctl.signal);
    await until(() => w.lines.filter((l) => l.includes('slow call started')).length === 2, 'the server to start the second slow call');
    ctl.abort();
    expect((await call).error).toMatchObject({ code: 'canceled', retryable: false });
    await until(() => w.lines.filter((l) => l.includes('slow call cancelled by the client')).length === 2, 'the second cancellation to reach the server');  });

  test('a killed server is reconnected on the next call; idle_timeout closes the session; close() leaves no process', async () => {
    const w = world();
    const told: string[] = [];
    w.pool.onToolsChanged((ns, name) => told.push(`${ns}/${name}`));
    w.put('fx', stdio({ idle_timeout: '200ms' }));
    await w.invoke('echo', '{"text":"a"}');
    expect(told).toEqual([]);
    const first = w.pool.pid('default', 'fx')!;
    process.kill(first, 'SIGKILL');
    await until(() => w.pool.pid('default', 'fx') === undefined, 'the session to notice the crash');
    expect((await w.invoke('echo', '{"text":"b"}')).text).toBe('b');
    const second = w.pool.pid('default', 'fx')!;
    expect(second).not.toBe(first);
    // Nothing watched the tool list while no session was open: the reconnect tells the listeners.
    expect(told).toEqual(['default/fx']);
    await until(() => !alive(second) && w.pool.pid('default', 'fx') === undefined, 'the idle session to close');
    expect(w.lines.some((l) => l.includes('mcp session idle, closing'))).toBe(true);
    // A server that does not exit when stdin closes: close() signals its process group.
    w.put('fx', stdio({ env: [{ name: 'MCP_FIXTURE_STAY', value: '1' }] }));
    const grandchild = Number((await w.invoke('spawn', '{}')).text);
    const third = w.pool.pid('default', 'fx')!;
    expect(alive(grandchild)).toBe(true);
    await w.pool.close();
    expect(alive(third)).toBe(false);
    await until(() => !alive(grandchild), 'the server child process to stop');
    expect((await w.invoke('echo', '{"text":"c"}')).error?.message).toContain('MCP sessions are closed');
  });

  test('close() during a connect that gets no answer ends it at once (stdio and HTTP)', async () => {
    let asked = 0;
    const silent = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => (asked++, new Promise<Response>(() => undefined)) });
    try {
      const w = world();
      w.put('fx', { transport: 'stdio', command: 'sleep', args: ['1000'] });
      w.put('web', { transport: 'http', endpoint: `http://127.0.0.1:${silent.port}/mcp` });
      const failure = (p: Promise<unknown>) => p.then(() => 'answered', (e: Error) => e.message);
      const stdioCall = failure(w.pool.callTool('default', 'fx', 'echo', {}));
      const httpCall = failure(w.pool.callTool('default', 'web', 'echo', {}));
      await until(() => asked === 1, 'the HTTP initialize request');
      await w.pool.close();
      expect(await Promise.all([stdioCall, httpCall])).toEqual(['MCP sessions are closed: the process is stopping', 'MCP sessions are closed: the process is stopping']);
    } finally {
      await silent.stop(true);
    }
  });

  test('a new spec generation replaces the session', async () => {
    const w = world();
    w.put('fx', stdio());
    await w.invoke('echo', '{"text":"a"}');
    const first = w.pool.pid('default', 'fx')!;
    w.put('fx', stdio({ args: [FIXTURE_SCRIPT, 'v2'] }), 2);
    await w.invoke('echo', '{"text":"b"}');
    expect(w.pool.pid('default', 'fx')).not.toBe(first);
    await until(() => !alive(first), 'the old process to stop');
  });

  test('a deleted McpServer\'s session closes on the next use, also in a process without the controller', async () => {
    const w = world();
    w.put('fx', stdio());
    await w.invoke('echo', '{"text":"a"}');
    const pid = w.pool.pid('default', 'fx')!;
    w.servers.delete('default/fx');
    expect((await w.invoke('echo', '{}')).error?.message).toContain('McpServer default/fx not found');
    expect(w.pool.pid('default', 'fx')).toBeUndefined();
    await until(() => !alive(pid), 'the deleted server\'s process to stop');
  });

  test('environment: values and Secrets reach the child, this process environment does not; stderr goes to the log', async () => {
    process.env.ORRERY_MCP_TEST_LEAK = 'leaked-value';
    const w = world({}, { 'mcp-creds': { value: 's3cret-token', other: 'o-value' } });
    w.put('fx', stdio({ env: [{ name: 'PLAIN', value: 'v1' }, { name: 'FROM_SECRET', secretRef: 'mcp-creds' }, { name: 'FROM_KEY', secretRef: 'mcp-creds:other' }] }));
    const r = await w.invoke('env', JSON.stringify({ names: ['PLAIN', 'FROM_SECRET', 'FROM_KEY', 'ORRERY_MCP_TEST_LEAK', 'HOME', 'PATH'] }));
    // The Secret values reach the child exactly (only an exact match is replaced) and never the result.
    expect(JSON.parse(r.text)).toEqual({ PLAIN: 'v1', FROM_SECRET: '***', FROM_KEY: '***', ORRERY_MCP_TEST_LEAK: null, HOME: null, PATH: process.env.PATH ?? null });
    delete process.env.ORRERY_MCP_TEST_LEAK;
    const logged = await w.invoke('stderr', '{"text":"diagnostic line 42"}');
    expect(logged.text).toBe('logged');
    await until(() => w.lines.some((l) => l.includes('diagnostic line 42')), 'the stderr line in the log');
    const line = w.lines.find((l) => l.includes('diagnostic line 42'))!;
    expect(line).toContain('mcp server stderr');
    expect(line).toContain('server="default/fx"');
    await w.invoke('stderr', '{"text":"token is s3cret-token"}');
    await until(() => w.lines.some((l) => l.includes('token is ')), 'the second stderr line in the log');
    expect(w.lines.find((l) => l.includes('token is '))).toContain('token is ***');
    // An error text the server sends back is scrubbed too (here it quotes the tool name it was asked for).
    const failed = await w.invoke('s3cret-token', '{}');
    expect(failed.error?.message).toBe('MCP tool *** on default/fx reported an error: unknown tool ***');
    expect(w.lines.join('\n')).not.toContain('s3cret-token');
  });

  test('mcp_server_ref is read in the Tool\'s namespace, or as namespace/name', async () => {
    const w = world();
    w.servers.set('shared/fx', { metadata: { name: 'fx', namespace: 'shared', generation: 1 }, spec: stdio() } as unknown as StoredObject);
    const rt = createToolRuntime({ clock: fixedClock });
    rt.register('mcp', mcpTransport(w.pool));
    const call = (namespace: string, ref: string) =>
      rt.invoke({ name: 't', namespace, spec: { type: 'mcp', mcp_server_ref: ref, mcp_tool_name: 'echo' } }, { requestId: 'r', input: '{"text":"ns"}', context: { namespace: 'team-a' } }, { secrets: secretsFrom({}) });
    expect((await call('shared', 'fx')).text).toBe('ns');
    expect((await call('team-a', 'shared/fx')).text).toBe('ns');
    expect((await call('team-a', 'fx')).error?.message).toContain('McpServer team-a/fx not found');
  });

  test('a missing Secret is a non-retryable secret_resolution_failed', async () => {
    const w = world();
    w.put('fx', stdio({ env: [{ name: 'X', secretRef: 'nope' }] }));
    const r = await w.invoke('echo', '{}');
    expect(r.error).toMatchObject({ code: 'secret_resolution_failed', retryable: false });
    expect(r.error!.message).toContain('spec.env[0] (X): secret nope was not found');
  });

  test('--mcp-command-allow refuses commands not listed; an image fails closed', async () => {
    const w = world({ commandAllow: ['node', '/usr/bin/python3'] });
    w.put('fx', stdio());
    const r = await w.invoke('echo', '{}');
    expect(r.error).toMatchObject({ code: 'runtime_policy_invalid', retryable: false });
    expect(r.error!.message).toContain('is not allowed by --mcp-command-allow');
    const allowed = world({ commandAllow: [process.execPath] });
    allowed.put('fx', stdio());
    expect((await allowed.invoke('echo', '{"text":"ok"}')).text).toBe('ok');
    w.put('fx', { transport: 'stdio', image: 'ghcr.io/example/mcp:1' });
    const img = await w.invoke('echo', '{}');
    expect(img.error).toMatchObject({ code: 'isolation_unavailable', retryable: false });
  });

  test('a command that does not exist is a non-retryable failure naming it, tried once', async () => {
    const w = world();
    w.put('fx', { transport: 'stdio', command: '/nonexistent/mcp-server' });
    const r = await w.invoke('echo', '{}', { runtime: { retry: { max_attempts: 3 } } });
    expect(r.error).toMatchObject({ code: 'execution_failed', retryable: false, message: 'McpServer default/fx: cannot start "/nonexistent/mcp-server": not found (ENOENT)' });
    expect(r.attempts).toBe(1);
    expect(w.lines.filter((l) => l.includes('mcp connect failed, retrying'))).toHaveLength(0);
  });

  test('concurrent first calls share one connection', async () => {
    const w = world();
    w.put('fx', stdio());
    const results = await Promise.all([1, 2, 3, 4].map((n) => w.invoke('echo', JSON.stringify({ text: `n${n}` }))));
    expect(results.map((r) => r.text)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(w.lines.filter((l) => l.includes('mcp session opened'))).toHaveLength(1);
  });

  test('listTools follows cursors across pages', async () => {
    const w = world();
    w.put('fx', stdio({ env: [{ name: 'MCP_FIXTURE_PAGE_SIZE', value: '2' }] }));
    const tools = await w.pool.listTools('default', 'fx');
    expect(tools.map((t) => t.name)).toEqual(['echo', 'add', 'fail', 'slow', 'env', 'stderr', 'grow', 'spawn', 'pid']);
    expect(tools[0]).toEqual({ name: 'echo', description: 'Echoes its text.', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } });
  });
});

describe('streamable HTTP servers', () => {
  const http = (opts: Parameters<typeof startHttpFixture>[0] = {}) => {
    const f = startHttpFixture(opts);
    fixtures.push(f);
    return f;
  };

  test('SSE and JSON replies; one session for several calls', async () => {
    for (const json of [false, true]) {
      const f = http({ json });
      const w = world();
      w.put('fx', { transport: 'http', endpoint: f.url });
      expect((await w.invoke('echo', '{"text":"over http"}')).text).toBe('over http');
      expect((await w.invoke('add', '{"a":1,"b":2}')).text).toBe('3\nsum computed');
      const fail = await w.invoke('fail', '{}');
      expect(fail.error).toMatchObject({ code: 'execution_failed', retryable: true });
      expect(f.requests.filter((r) => r.method === 'POST').length).toBe(5); // initialize, initialized, three calls
    }
  });

  test('opening a session is tried reconnect.max_attempts times, reconnect.backoff apart', async () => {
    const f = http();
    let refuse = 2;
    const flaky = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => (refuse-- > 0 ? new Response('starting', { status: 503 }) : fetch(new Request(f.url, req))) });
    try {
      const waits: number[] = [];
      const w = world({ sleep: async (ms) => void waits.push(ms) });
      w.put('fx', { transport: 'http', endpoint: `http://127.0.0.1:${flaky.port}/mcp`, reconnect: { max_attempts: 3, backoff: '1500ms' } });
      expect((await w.invoke('echo', '{"text":"third time"}')).text).toBe('third time');
      expect(waits).toEqual([1500, 1500]);
      refuse = 5;
      const w2 = world({ sleep: async (ms) => void waits.push(ms) });
      w2.put('fx', { transport: 'http', endpoint: `http://127.0.0.1:${flaky.port}/mcp`, reconnect: { max_attempts: 2, backoff: '1s' } });
      const r = await w2.invoke('echo', '{}');
      expect(r.error).toMatchObject({ code: 'execution_failed', retryable: true });
      expect(r.error!.message).toContain('MCP server default/fx: initialize failed on the transport');
      expect(waits).toEqual([1500, 1500, 1000]);
      expect(refuse).toBe(3);
    } finally {
      await flaky.stop(true);
    }
  });

  test('bearer auth from a Secret, and a 401 without it', async () => {
    const f = http({ token: 'tok-123456' });
    const w = world({}, { 'mcp-auth': { value: 'tok-123456' } });
    w.put('fx', { transport: 'http', endpoint: f.url, auth: { secretRef: 'mcp-auth' } });
    expect((await w.invoke('echo', '{"text":"authorized"}')).text).toBe('authorized');
    expect(f.requests.every((r) => r.authorization === 'Bearer tok-123456')).toBe(true);
    const anon = world();
    anon.put('fx', { transport: 'http', endpoint: f.url });
    const r = await anon.invoke('echo', '{}');
    expect(r.error).toMatchObject({ code: 'auth_invalid', retryable: false });
    expect(r.text).not.toContain('tok-123456');
  });

  test('--egress-private=deny refuses a loopback endpoint unless the server sets allowPrivate', async () => {
    const f = http();
    const w = world({ egress: { denyPrivate: true } });
    w.put('fx', { transport: 'http', endpoint: f.url });
    const r = await w.invoke('echo', '{}');
    expect(r.error).toMatchObject({ code: 'runtime_policy_invalid', retryable: false, details: { cause: 'egress_denied', host: '127.0.0.1' } });
    expect(f.requests).toHaveLength(0);
    w.put('fx', { transport: 'http', endpoint: f.url, allowPrivate: true }, 2);
    expect((await w.invoke('echo', '{"text":"allowed"}')).text).toBe('allowed');
  });

  test('tools/list_changed reaches onToolsChanged', async () => {
    const f = http();
    const w = world();
    w.put('fx', { transport: 'http', endpoint: f.url });
    const seen: string[] = [];
    w.pool.onToolsChanged((ns, name) => seen.push(`${ns}/${name}`));
    expect((await w.pool.listTools('default', 'fx')).map((t) => t.name)).not.toContain('extra.new_tool');
    expect((await w.invoke('grow', '{}')).text).toBe('grown');
    await until(() => seen.length > 0, 'the list_changed notification');
    expect(seen[0]).toBe('default/fx');
    expect((await w.pool.listTools('default', 'fx')).map((t) => t.name)).toContain('extra.new_tool');
  });
});
