// The edge-tools blueprint on the real server process (from source, in the repository's directory
// so the manifests' relative paths resolve): an MCP tool, a host cli tool, a wasm tool and memory
// in one task on the mock provider; the memory it wrote survives a restart on the same data dir.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EDGE_TOOLS_CALLED, edgeToolsFlow } from '../../scripts/edge-tools-flow';
import { startServer } from '../support/server-process';

const work = mkdtempSync(join(tmpdir(), 'orrery-edge-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const opts = { cwd: resolve(import.meta.dir, '../..'), env: { ORLOJ_TOOL_CLI_ALLOW: 'uname' } };

test('one task uses an MCP tool, a cli tool, a wasm tool and memory; the memory outlives a restart', async () => {
  let srv = await startServer(join(work, 'data'), opts);
  let entries: any;
  try {
    const lines: string[] = [];
    const task = await edgeToolsFlow(srv.url, (l) => lines.push(l));
    expect(task.status.phase).toBe('Succeeded');
    const rows = (task.status.trace as any[]).filter((r) => r.type === 'tool_call');
    expect(EDGE_TOOLS_CALLED.every((t) => rows.some((r) => r.tool === t))).toBe(true);
    // What each tool answered reached the next agent: uname's line and the word count.
    const uname = Bun.spawnSync(['uname', '-s', '-m']).stdout.toString().trim();
    expect(JSON.stringify(task.status.messages)).toContain(uname);
    expect(JSON.stringify(task.status.messages)).toMatch(/\d+ words, \d+ lines, \d+ characters/);
    entries = await (await fetch(`${srv.url}/v1/memories/edge-notes/entries`)).json();
    expect(entries.count).toBeGreaterThan(0);
    // The librarian's memory.search found what the archivist's memory.write stored.
    expect(task.status.output.result).toContain(`"key":"${entries.entries[0].key}"`);
    srv.proc.kill('SIGTERM');
    expect(await srv.proc.exited).toBe(0);
    srv = await startServer(join(work, 'data'), opts);
    const again: any = await (await fetch(`${srv.url}/v1/memories/edge-notes/entries`)).json();
    expect(again).toEqual(entries);
  } finally {
    srv.proc.kill('SIGTERM');
    await srv.proc.exited;
  }
}, 120_000);

test('the blueprint\'s echo.wasm is what its echo.wat compiles to', async () => {
  const { watToWasm } = await import('../fixtures/wasm/build');
  const dir = resolve(import.meta.dir, '../../examples/blueprints/edge-tools');
  const built = await watToWasm('echo.wat', await Bun.file(join(dir, 'echo.wat')).text());
  expect(Buffer.from(await Bun.file(join(dir, 'echo.wasm')).arrayBuffer()).equals(Buffer.from(built))).toBe(true);
});
