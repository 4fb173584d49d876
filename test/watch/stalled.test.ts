// Watchers whose sockets stop reading, over real TCP against a real server process: each is cut
// off once it holds its byte budget (or the global one is spent), it gets the SlowConsumer frame
// and a closed connection when it reads again, and a watcher that reads receives every change.
// Everything here is measured in bytes, never in time.
import { afterAll, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAGE_BYTES } from '../../src/watch/pages';
import { startServer, type ServerProcess } from '../support/server-process';
import { json, SseReader, type Frame } from '../support/sse';

const work = mkdtempSync(join(tmpdir(), 'orrery-watch-stalled-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KiB = 1024;
const PROMPT = 'p'.repeat(100 * KiB);

/**
 * What the kernel may hold for a connection whose reader never reads: the sender's socket buffer
 * at its largest and the receiver's at its start (it grows only while the application reads).
 */
function kernelAllowance(): number {
  try {
    const field = (file: string, i: number) => Number(readFileSync(`/proc/sys/net/ipv4/${file}`, 'utf8').trim().split(/\s+/)[i]);
    return field('tcp_wmem', 2) + 2 * field('tcp_rmem', 1);
  } catch {
    return 8 * 1024 * KiB;
  }
}

/** A raw HTTP watch request whose socket reads nothing until `drain()`. */
class StalledWatcher {
  private readonly socket: net.Socket;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<'end' | string>;

  constructor(url: string, path: string) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect(Number(port), hostname);
    this.socket.pause();
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
    this.done = new Promise((resolve) => {
      this.socket.on('end', () => resolve('end'));
      this.socket.on('error', (e) => resolve(e.message));
    });
  }

  get localPort(): number {
    return this.socket.localPort!;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Reads everything the server sent until it closes the connection. */
  async drain(): Promise<{ how: string; bytes: number; text: string }> {
    // A 'data' listener starts the flow, so it is attached only now.
    this.socket.on('data', (c: Buffer) => this.chunks.push(c));
    this.socket.resume();
    const how = await this.done;
    const all = Buffer.concat(this.chunks);
    return { how, bytes: all.length, text: all.toString('latin1') };
  }
}

const post = async (url: string, name: string) => {
  const res = await fetch(`${url}/v1/agents`, { method: 'POST', body: JSON.stringify({ metadata: { name }, spec: { model_ref: 'm', prompt: PROMPT } }), headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(201);
  await res.arrayBuffer();
};

async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
}

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await Bun.sleep(20);
  }
}

/**
 * `existing` objects, then stalled watchers and one reading watcher from resourceVersion=0, then
 * enough 100 KiB objects that everything together far exceeds what the budgets and the kernel
 * buffers can hold. Returns the server, the reader's frames and what each stalled socket got.
 */
async function run(srv: ServerProcess, stalledCount: number, existing: number, posted: number) {
  for (let i = 0; i < existing; i++) await post(srv.url, `old-${i}`);
  const stalled = Array.from({ length: stalledCount }, () => new StalledWatcher(srv.url, '/v1/agents/watch?resourceVersion=0'));
  const reader = new SseReader(await fetch(`${srv.url}/v1/agents/watch?resourceVersion=0`));
  await until(async () => (await gauge(srv.url, 'orrery_watch_streams')) === stalledCount + 1, 'all watchers open');
  // Live changes wait behind a watcher's initial objects and count on its budget: the reader
  // takes its initial objects first, so only the stalled watchers fall behind.
  await reader.waitFor(existing);
  for (let i = 0; i < posted; i++) await post(srv.url, `new-${i}`);
  const frames = await reader.waitFor(existing + posted, 60_000);
  // Cut off: only the reader keeps a subscription.
  await until(async () => (await gauge(srv.url, 'orrery_watch_subscribers')) === 1, 'the stalled watchers were cut off');
  const got = await Promise.all(stalled.map((s) => s.drain()));
  // Their streams are over on the server too: only the reader's remains.
  await until(async () => (await gauge(srv.url, 'orrery_watch_streams')) === 1, 'the stalled streams closed');
  await reader.close();
  return { frames, got };
}

const ENDS_SLOW = /\n\n\r\n[0-9a-f]+\r\nevent: error\ndata: \{"reason":"SlowConsumer","message":"[^"\n]+"\}\n\n\r\n0\r\n\r\n$/;

function expectEveryChange(frames: Frame[], existing: number, posted: number) {
  const resources = frames.filter((f) => f.event === 'resource');
  expect(resources.map((f) => json(f).resource.metadata.name)).toEqual([...Array.from({ length: existing }, (_, i) => `old-${i}`), ...Array.from({ length: posted }, (_, i) => `new-${i}`)]);
  expect(resources.map((f) => json(f).type)).toEqual(Array(existing + posted).fill('added'));
  expect(frames.some((f) => f.event === 'error')).toBe(false);
}

/**
 * Runs `run` on a fresh server with `env`, where a stalled watcher may hold `held` bytes, and checks
 * everything: the reader got every change; each stalled socket, reading at last, got at most what
 * it may hold, one page and the kernel's buffers, then the SlowConsumer frame and the end.
 */
async function expectStalledCut(dir: string, env: Record<string, string>, held: number, stalledCount: number, existing: number) {
  const bound = held + PAGE_BYTES + kernelAllowance();
  // Far more than a stalled socket could take in without the budgets.
  const posted = Math.ceil((3 * bound) / (100 * KiB));
  const srv = await startServer(join(work, dir), { env: { ORLOJ_EMBEDDED_WORKER: 'false', ORLOJ_WATCH_HEARTBEAT_INTERVAL: '120s', ...env } });
  try {
    const { frames, got } = await run(srv, stalledCount, existing, posted);
    expectEveryChange(frames, existing, posted);
    for (const g of got) {
      expect(g.how).toBe('end');
      expect(g.bytes).toBeLessThanOrEqual(bound);
      // The last chunk of the body is the SlowConsumer frame, then the body ends.
      expect(g.text.slice(-300)).toMatch(ENDS_SLOW);
    }
  } catch (e) {
    const m = await fetch(`${srv.url}/metrics`).then((r) => r.text()).catch((x) => String(x));
    throw new Error(`${(e as Error).message}\n${m.split('\n').filter((l) => l.startsWith('orrery_watch')).join(' ')}\nserver log:\n${srv.log().slice(-3000)}`);
  } finally {
    srv.proc.kill('SIGTERM');
    await srv.proc.exited;
  }
}

test('a stalled watcher is cut at its byte budget: SlowConsumer, connection closed; a reading watcher gets every change', async () => {
  await expectStalledCut('per-watcher', { ORLOJ_WATCH_BUFFER_BYTES: String(256 * KiB) }, 256 * KiB, 3, 12);
}, 120_000);

test('over the global budget the watchers holding most are cut; the reading watcher is spared', async () => {
  await expectStalledCut('global', { ORLOJ_WATCH_BUFFER_BYTES: '64MiB', ORLOJ_WATCH_TOTAL_BUFFER_BYTES: String(512 * KiB) }, 512 * KiB, 2, 0);
}, 120_000);

/** The TCP state (Linux /proc/net/tcp code, '01' established) of one loopback connection, if listed. */
function tcpState(localPort: number, remotePort: number): string | undefined {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const row = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[1]?.endsWith(`:${hex(localPort)}`) && f[2]?.endsWith(`:${hex(remotePort)}`));
    if (row) return row[3];
  }
  return undefined;
}

test.skipIf(!existsSync('/proc/net/tcp'))('a cut watcher that never reads again has its connection closed one heartbeat interval later', async () => {
  const budget = 256 * KiB;
  const srv = await startServer(join(work, 'never-reads'), { env: { ORLOJ_EMBEDDED_WORKER: 'false', ORLOJ_WATCH_HEARTBEAT_INTERVAL: '1s', ORLOJ_WATCH_BUFFER_BYTES: String(budget) } });
  const stalled = new StalledWatcher(srv.url, '/v1/agents/watch?resourceVersion=0');
  try {
    await until(async () => (await gauge(srv.url, 'orrery_watch_streams')) === 1, 'the watcher open');
    const posted = Math.ceil((3 * (budget + PAGE_BYTES + kernelAllowance())) / (100 * KiB));
    for (let i = 0; i < posted; i++) await post(srv.url, `new-${i}`);
    // Cut off, then, with nothing accepted for one heartbeat interval, its stream is ended.
    await until(async () => (await gauge(srv.url, 'orrery_watch_streams')) === 0, 'the stalled stream ended');
    // And the server closes its end of the connection, freeing the kernel's buffers, instead of
    // keeping it established until the idle timeout (255 s).
    const serverPort = Number(new URL(srv.url).port);
    await until(async () => tcpState(serverPort, stalled.localPort) !== '01', 'the server closed the stalled connection');
  } finally {
    stalled.destroy();
    srv.proc.kill('SIGTERM');
    await srv.proc.exited;
  }
}, 120_000);
