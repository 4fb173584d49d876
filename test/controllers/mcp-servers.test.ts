// The McpServer controller over a real registry and real MCP servers (the SDK fixture over
// streamable HTTP, and as a stdio process): discovery, generated Tools, the include filter, removal
// of tools that disappear, list_changed, deletion of the server, errors and spec changes.
import { afterEach, describe, expect, test } from 'bun:test';
import { McpServerController } from '../../src/controllers/mcp-servers';
import type { Schedule } from '../../src/controllers/work-queue';
import type { NewEvent } from '../../src/events/event';
import type { EventPublisher } from '../../src/events/publisher';
import { silentLogger } from '../../src/log';
import { createMcpSessions } from '../../src/runtime/engine/mcp-sessions';
import { CATALOG, FIXTURE_SCRIPT, startHttpFixture, type HttpFixture } from '../fixtures/mcp/server';
import { testRegistry } from '../support/registry';

const never: Schedule = () => ({ cancel() {} });

function world() {
  const clock = { now: () => new Date('2026-03-04T05:06:07Z') };
  const r = testRegistry(clock);
  const events: NewEvent[] = [];
  const publisher = { publish: (e: NewEvent) => (events.push(e), r.core.events.publish(e)) } as unknown as EventPublisher;
  const sessions = createMcpSessions(r.registry, { egressPrivate: 'allow' }, silentLogger);
  const controller = new McpServerController({ registry: r.registry, events: publisher, clock, sessions }, silentLogger, { queue: { schedule: never }, resyncMs: 3_600_000 });
  const apply = async (plural: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
    (await r.registry.apply(r.kind(plural), { metadata: { name, labels }, spec }, {})).object;
  const server = (name = 'fx') => r.registry.getDecoded(r.kind('mcp-servers'), 'default', name);
  const tools = async (selector = 'orloj.dev/mcp-generated=true') =>
    (await r.registry.list(r.kind('tools'), { labelSelector: selector })).items.map((t) => t.metadata.name).sort();
  const tool = (name: string) => r.registry.getDecoded(r.kind('tools'), 'default', name);
  /** One full pass, as the periodic timer runs it. */
  const pass = async () => {
    await controller.resync();
    await controller.idle();
  };
  const close = async () => {
    controller.stop();
    await sessions.close();
    r.close();
  };
  return { r, events, sessions, controller, apply, server, tools, tool, pass, close };
}

let current: ReturnType<typeof world> | undefined;
const fixtures: HttpFixture[] = [];
afterEach(async () => {
  await current?.close();
  current = undefined;
  await Promise.all(fixtures.splice(0).map((f) => f.stop()));
});
const setup = () => (current = world());
const http = (opts: Parameters<typeof startHttpFixture>[0] = {}) => {
  const f = startHttpFixture(opts);
  fixtures.push(f);
  return f;
};
const ALL = CATALOG.map((t) => t.name);
const generatedNames = (names: string[], server = 'fx') => names.map((n) => `${server}--${n.replace(/[_.]/g, '-')}`).sort();

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe('discovery', () => {
  test('every tool becomes a Tool with labels, description, input_schema and the default runtime', async () => {
    const w = setup();
    const f = http();
    await w.apply('mcp-servers', 'fx', { transport: 'http', endpoint: f.url, default_tool_runtime: { timeout: '5s' } });
    await w.controller.start();
    await w.controller.idle();
    expect((await w.server()).status).toEqual({
      phase: 'Ready',
      observedGeneration: 1,
      discoveredTools: ALL,
      generatedTools: generatedNames(ALL).sort((a, b) => ALL.indexOf(a.slice(4)) - ALL.indexOf(b.slice(4))),
      lastSyncedAt: '2026-03-04T05:06:07Z',
    });
    expect(await w.tools()).toEqual(generatedNames(ALL));
    const echo = await w.tool('fx--echo');
    expect(echo.metadata.labels).toEqual({ 'orloj.dev/mcp-server': 'fx', 'orloj.dev/mcp-generated': 'true' });
    expect(echo.spec).toMatchObject({
      type: 'mcp',
      mcp_server_ref: 'fx',
      mcp_tool_name: 'echo',
      description: 'Echoes its text.',
      input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      runtime: { timeout: '5s' },
    });
    expect(w.events.map((e) => e.type)).toEqual(['mcpserver.synced']);
    // A pass finds it synced; a forced re-sync of the same list rewrites no Tool and says nothing.
    const rv = echo.metadata.resourceVersion;
    await w.pass();
    w.controller.toolsChanged('default/fx');
    await w.controller.idle();
    expect((await w.server()).status?.phase).toBe('Ready');
    expect((await w.tool('fx--echo')).metadata.resourceVersion).toBe(rv);
    expect(w.events).toHaveLength(1);
  });

  test('tool_filter.include imports only the listed tools; names with _ and . become -', async () => {
    const w = setup();
    const f = http();
    f.state.tools.push({ name: 'read_file.v2', description: 'x'.repeat(5000), inputSchema: { type: 'object' } });
    await w.apply('mcp-servers', 'fx', { transport: 'http', endpoint: f.url, tool_filter: { include: ['add', 'read_file.v2', 'not-there'] } });
    await w.controller.start();
    await w.controller.idle();
    expect(await w.tools()).toEqual(['fx--add', 'fx--read-file-v2']);
    expect((await w.server()).status?.discoveredTools).toEqual([...ALL, 'read_file.v2']);
    expect((await w.server()).status?.generatedTools).toEqual(['fx--add', 'fx--read-file-v2']);
    expect((await w.tool('fx--read-file-v2')).spec.description).toHaveLength(4096);
  });

  test('a tool that disappears is deleted; list_changed re-syncs; a Tool of the same name not generated is left alone', async () => {
    const w = setup();
    const f = http();
    await w.apply('tools', 'fx--pid', { type: 'http', endpoint: 'http://127.0.0.1:1/x' });
    await w.apply('mcp-servers', 'fx', { transport: 'http', endpoint: f.url });
    await w.controller.start();
    await w.controller.idle();
    expect(await w.tools()).toEqual(generatedNames(ALL.filter((n) => n !== 'pid')));
    expect((await w.server()).status?.lastError).toContain('Tool fx--pid exists and was not generated from this server');
    expect((await w.tool('fx--pid')).spec.type).toBe('http');
    f.state.tools = f.state.tools.filter((t) => t.name !== 'slow');
    f.state.tools.push({ name: 'fresh', description: 'new', inputSchema: { type: 'object' } });
    await f.notifyChanged();
    await until(async () => (await w.tools()).includes('fx--fresh'), 'the re-sync after list_changed');
    await w.controller.idle();
    expect(await w.tools()).not.toContain('fx--slow');
    expect(w.events.map((e) => e.type)).toEqual(['mcpserver.synced', 'mcpserver.synced']);
    expect(w.events[1].data).toMatchObject({ created: ['fx--fresh'], deleted: ['fx--slow'], updated: [] });
  });

  test('a stdio server: grow announces a new tool, which appears as a Tool', async () => {
    const w = setup();
    await w.apply('mcp-servers', 'fx', { transport: 'stdio', command: process.execPath, args: [FIXTURE_SCRIPT], env: [{ name: 'MCP_FIXTURE_TOOLS', value: 'echo,grow' }] });
    await w.controller.start();
    await w.controller.idle();
    expect(await w.tools()).toEqual(['fx--echo', 'fx--grow']);
    expect(await w.sessions.callTool('default', 'fx', 'grow', {})).toBe('grown');
    await until(async () => (await w.tools()).includes('fx--extra-new-tool'), 'the generated tool of the announced one');
    expect((await w.tool('fx--extra-new-tool')).spec.mcp_tool_name).toBe('extra.new_tool');
  });
});

describe('lifecycle', () => {
  test('deleting the server deletes its generated Tools and closes its session', async () => {
    const w = setup();
    const f = http();
    await w.apply('mcp-servers', 'fx', { transport: 'http', endpoint: f.url, tool_filter: { include: ['echo', 'add'] } });
    await w.apply('mcp-servers', 'other', { transport: 'http', endpoint: f.url, tool_filter: { include: ['echo'] } });
    await w.controller.start();
    await w.controller.idle();
    expect(await w.tools()).toEqual(['fx--add', 'fx--echo', 'other--echo']);
    const before = f.requests.filter((r) => r.method === 'DELETE').length;
    await w.r.registry.delete(w.r.kind('mcp-servers'), 'default', 'fx');
    await until(async () => (await w.tools()).length === 1, 'the generated tools to go');
    await w.controller.idle();
    expect(await w.tools()).toEqual(['other--echo']);
    expect(w.events.at(-1)).toMatchObject({ type: 'mcpserver.tools_deleted', name: 'fx', data: { deleted: ['fx--add', 'fx--echo'] } });
    // The session was closed: the streamable HTTP client ends it with a DELETE.
    await until(() => f.requests.filter((r) => r.method === 'DELETE').length > before, 'the session to be closed');
  });

  test('an unreachable server is Error with lastError and is retried on the next pass; a spec change re-syncs', async () => {
    const w = setup();
    const dead = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('down', { status: 503 }) });
    const deadUrl = `http://127.0.0.1:${dead.port}/mcp`;
    await w.apply('mcp-servers', 'fx', { transport: 'http', endpoint: deadUrl, reconnect: { max_attempts: 1 } });
    await w.controller.start();
    await w.controller.idle();
    const failed = (await w.server()).status!;
    expect(failed.phase).toBe('Error');
    expect(failed.lastError).toStartWith('tools/list: MCP server default/fx: initialize failed on the transport');
    expect(failed.observedGeneration).toBe(1);
    expect(w.events.map((e) => e.type)).toEqual(['mcpserver.sync_failed']);
    await w.pass();
    expect(w.events.map((e) => e.type)).toEqual(['mcpserver.sync_failed', 'mcpserver.sync_failed']);
    await dead.stop(true);
    const f = http();
    await w.apply('mcp-servers', 'fx', { transport: 'http', endpoint: f.url, tool_filter: { include: ['echo'] } });
    await until(async () => (await w.server()).status?.phase === 'Ready', 'the re-sync after the spec change');
    await w.controller.idle();
    expect((await w.server()).status).toMatchObject({ phase: 'Ready', observedGeneration: 2, generatedTools: ['fx--echo'] });
    expect((await w.server()).status?.lastError).toBeUndefined();
    await w.apply('mcp-servers', 'fx', { transport: 'http', endpoint: f.url, tool_filter: { include: ['add'] } });
    await until(async () => (await w.server()).status?.observedGeneration === 3 && (await w.server()).status?.phase === 'Ready', 'the third generation');
    await w.controller.idle();
    expect(await w.tools()).toEqual(['fx--add']);
  });

  test('a command refused by --mcp-command-allow is an Error naming the flag', async () => {
    const w = setup();
    const sessions = createMcpSessions(w.r.registry, { egressPrivate: 'allow', mcpCommandAllow: ['node'] }, silentLogger);
    const c = new McpServerController({ registry: w.r.registry, events: { publish: () => ({}) } as unknown as EventPublisher, clock: { now: () => new Date() }, sessions }, silentLogger, { queue: { schedule: never } });
    await w.apply('mcp-servers', 'fx', { transport: 'stdio', command: process.execPath, args: [FIXTURE_SCRIPT] });
    await c.start();
    await c.idle();
    c.stop();
    await sessions.close();
    expect((await w.server()).status?.phase).toBe('Error');
    expect((await w.server()).status?.lastError).toContain('is not allowed by --mcp-command-allow');
    expect(await w.tools()).toEqual([]);
  });
});
