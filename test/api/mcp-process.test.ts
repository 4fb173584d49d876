// The real server process with a stdio McpServer: the controller starts the server process and
// turns the McpServer Ready with its generated Tools, and SIGTERM stops the MCP process too, also
// with the embedded worker off (the pool belongs to the server, not to the worker).
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_SCRIPT } from '../fixtures/mcp/server';
import { NO_WORKER, startServer } from '../support/server-process';
import { alive } from '../support/processes';

const work = mkdtempSync(join(tmpdir(), 'orrery-mcp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('stdio McpServer: Ready with generated Tools; SIGTERM leaves no MCP process behind', async () => {
  const srv = await startServer(work, NO_WORKER);
  try {
    const body = { apiVersion: 'orloj.dev/v1', kind: 'McpServer', metadata: { name: 'fx' }, spec: { transport: 'stdio', command: process.execPath, args: [FIXTURE_SCRIPT], env: [{ name: 'MCP_FIXTURE_TOOLS', value: 'echo,add' }, { name: 'MCP_FIXTURE_STAY', value: '1' }] } };
    const created = await fetch(`${srv.url}/v1/mcp-servers`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(created.status).toBe(201);
    let status: any;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(50)) {
      status = ((await (await fetch(`${srv.url}/v1/mcp-servers/fx`)).json()) as any).status;
      if (status?.phase === 'Ready' || status?.phase === 'Error') break;
    }
    expect(status).toMatchObject({ phase: 'Ready', discoveredTools: ['echo', 'add'], generatedTools: ['fx--echo', 'fx--add'] });
    const tools = (await (await fetch(`${srv.url}/v1/tools?labelSelector=orloj.dev/mcp-server=fx`)).json()) as any;
    expect(tools.items.map((t: any) => t.metadata.name).sort()).toEqual(['fx--add', 'fx--echo']);
    // The fixture says its pid on stderr, which the server logs with the server's name.
    const line = srv.log().split('\n').find((l) => l.includes('mcp server stderr') && l.includes('fixture started'))!;
    expect(line).toContain('server="default/fx"');
    const pid = Number(/pid=(\d+)/.exec(line)![1]);
    expect(alive(pid)).toBe(true);
    srv.proc.kill('SIGTERM');
    expect(await srv.proc.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  } finally {
    srv.proc.kill('SIGKILL');
  }
}, 60_000);
