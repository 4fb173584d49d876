// A real server process: entries written through the API to a sqlite Memory survive stopping and
// starting the server on the same data directory, and the Memory reports Ready after each start.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_WORKER, startServer, type ServerProcess } from '../support/server-process';

const dir = mkdtempSync(join(tmpdir(), 'orrery-memory-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function call(srv: ServerProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${srv.url}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, json: (await res.json()) as any };
}

async function readyPhase(srv: ServerProcess): Promise<string | undefined> {
  for (let i = 0; i < 200; i++) {
    // Pending until the memory controller has opened the backend.
    const phase = (await call(srv, 'GET', '/v1/memories/notes')).json.status?.phase;
    if (phase && phase !== 'Pending') return phase;
    await Bun.sleep(25);
  }
  return undefined;
}

async function stop(srv: ServerProcess) {
  srv.proc.kill('SIGTERM');
  expect(await srv.proc.exited).toBe(0);
}

test('entries outlive a restart of the server process', async () => {
  const first = await startServer(dir, NO_WORKER);
  try {
    expect((await call(first, 'POST', '/v1/memories', { metadata: { name: 'notes' }, spec: {} })).status).toBe(201);
    expect(await readyPhase(first)).toBe('Ready');
    expect((await call(first, 'PUT', '/v1/memories/notes/entries/handbook%2Fchunk-0000', { value: 'Refunds over 500 EUR need a manager.' })).status).toBe(200);
    expect((await call(first, 'PUT', '/v1/memories/notes/entries/faq', { value: 'Shipping takes three days.' })).status).toBe(200);
  } finally {
    await stop(first);
  }
  const second = await startServer(dir, NO_WORKER);
  try {
    expect(await readyPhase(second)).toBe('Ready');
    expect((await call(second, 'GET', '/v1/memories/notes/entries')).json).toEqual({
      entries: [
        { key: 'faq', value: 'Shipping takes three days.' },
        { key: 'handbook/chunk-0000', value: 'Refunds over 500 EUR need a manager.' },
      ],
      count: 2,
    });
    expect((await call(second, 'GET', '/v1/memories/notes/entries?q=refunds')).json).toEqual({
      entries: [{ key: 'handbook/chunk-0000', value: 'Refunds over 500 EUR need a manager.', score: 1 }],
      count: 1,
    });
    // Deleting the Memory takes its entries: re-created, it starts empty.
    expect((await call(second, 'DELETE', '/v1/memories/notes')).status).toBe(200);
    expect((await call(second, 'POST', '/v1/memories', { metadata: { name: 'notes' }, spec: {} })).status).toBe(201);
    expect((await call(second, 'GET', '/v1/memories/notes/entries')).json).toEqual({ entries: [], count: 0 });
  } finally {
    await stop(second);
  }
}, 60_000);
