// The server as a real process: nothing committed is lost on SIGKILL, and SIGTERM lets an
// in-flight request finish before the database closes.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_WORKER, startServer } from './support/server-process';

const work = mkdtempSync(join(tmpdir(), 'orrery-process-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const agent = (name: string) => JSON.stringify({ metadata: { name }, spec: { model_ref: 'm', prompt: name } });
const post = (url: string, body: string) => fetch(`${url}/v1/agents`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

test('every acknowledged write survives SIGKILL', async () => {
  const dir = join(work, 'kill');
  const first = await startServer(dir, NO_WORKER);
  const acked: string[] = [];
  for (let i = 0; i < 50; i++) {
    const r = await post(first.url, agent(`a${String(i).padStart(2, '0')}`));
    if (r.status === 201) acked.push(`a${String(i).padStart(2, '0')}`);
  }
  first.proc.kill('SIGKILL');
  await first.proc.exited;
  const second = await startServer(dir, NO_WORKER);
  const list: any = await (await fetch(`${second.url}/v1/agents`)).json();
  expect(list.items.map((o: any) => o.metadata.name)).toEqual(acked);
  expect(list.metadata.resourceVersion).toBe('50');
  second.proc.kill('SIGTERM');
  expect(await second.proc.exited).toBe(0);
});

test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
  const srv = await startServer(join(work, 'term'), NO_WORKER);
  let push!: (chunk: string | null) => void;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      push = (chunk) => (chunk === null ? c.close() : c.enqueue(new TextEncoder().encode(chunk)));
    },
  });
  const text = agent('late');
  const pending = fetch(`${srv.url}/v1/agents`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
  push(text.slice(0, 10));
  await Bun.sleep(200); // let the request reach the handler before the signal
  srv.proc.kill('SIGTERM');
  while (!srv.log().includes('shutting down')) await Bun.sleep(10);
  push(text.slice(10));
  push(null);
  const res = await pending;
  expect(res.status).toBe(201);
  expect(await srv.proc.exited).toBe(0);
  expect(srv.log()).toContain('shutting down');
  const again = await startServer(join(work, 'term'), NO_WORKER);
  expect((await fetch(`${again.url}/v1/agents/late`)).status).toBe(200);
  again.proc.kill('SIGTERM');
  await again.proc.exited;
});
