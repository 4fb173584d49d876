// Webhook delivery benchmark: signed GitHub-style deliveries to Orrery (unique event ids, so each
// creates a run task; then one event id repeated, so each is a duplicate) against a bare Bun.serve
// that verifies the same HMAC and answers 202, measured in the same run. Loopback only, bounded.
// Run: npx bun scripts/bench/webhooks.ts [--duration 5s] [--connections 16]
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { describeMachine, runLoad, spawnServer, startWatchdog, stopProcess, type LoadResult } from './load';

const SECRET = 'bench-webhook-secret';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

// The baseline: this file started with --baseline-server.
if (process.argv.includes('--baseline-server')) {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = new Uint8Array(await req.arrayBuffer());
      const given = Buffer.from((req.headers.get('x-hub-signature-256') ?? '').replace(/^sha256=/i, ''), 'hex');
      const want = createHmac('sha256', SECRET).update(body).digest();
      if (given.length !== want.length || !timingSafeEqual(given, want)) return new Response('{"message":"bad signature"}', { status: 401 });
      return Response.json({ accepted: true, duplicate: false, event_id: req.headers.get('x-github-delivery'), task: 'none' }, { status: 202 });
    },
  });
  console.error(`listening url="http://127.0.0.1:${server.port}"`);
} else {
  await main();
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

async function main() {
  const durationMs = Number(arg('duration', '5s').replace(/s$/, '')) * 1000;
  const connections = Number(arg('connections', '16'));
  const work = mkdtempSync(join(tmpdir(), 'orrery-bench-webhooks-'));
  const procs: Subprocess[] = [];
  const cleanup = async () => {
    await Promise.all(procs.map((p) => stopProcess(p)));
    rmSync(work, { recursive: true, force: true });
  };
  const watchdog = startWatchdog(10 * 60_000, 'webhooks bench', cleanup);
  try {
    const root = join(import.meta.dir, '..', '..');
    const orrery = await spawnServer([process.execPath, join(root, 'src/main.ts'), 'serve', '--addr', '127.0.0.1:0', '--data-dir', work, '--embedded-worker=false', '--webhook-rate-limit', '0']);
    procs.push(orrery.proc);
    const baseline = await spawnServer([process.execPath, import.meta.path, '--baseline-server']);
    procs.push(baseline.proc);
    const post = (kind: string, body: object) =>
      fetch(`${orrery.url}/v1/${kind}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'orloj.dev/v1', ...body }) }).then((r) => r.json() as Promise<any>);
    await post('secrets', { kind: 'Secret', metadata: { name: 'gh' }, spec: { stringData: { key: SECRET } } });
    await post('tasks', { kind: 'Task', metadata: { name: 'tpl' }, spec: { system: 'sys', mode: 'template' } });
    const hook = await post('task-webhooks', { kind: 'TaskWebhook', metadata: { name: 'bench' }, spec: { task_ref: 'tpl', auth: { profile: 'github', secret_ref: 'gh' } } });
    const path: string = hook.status.endpointPath;

    const unique = (i: number) => {
      const body = JSON.stringify({ action: 'opened', number: i, repository: { full_name: 'acme/widgets' } });
      return { method: 'POST', path, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body), 'x-github-delivery': `d-${i}` } };
    };
    const dupBody = JSON.stringify({ action: 'opened', number: -1 });
    const dup = { method: 'POST', path, body: dupBody, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(dupBody), 'x-github-delivery': 'the-same' } };
    const run = (base: string, request: (c: number, i: number) => any, pid?: number) => runLoad(base, { request }, { connections, durationMs, pid });
    const rows: [string, LoadResult][] = [];
    rows.push(['baseline (Bun.serve + HMAC)', await run(baseline.url, (_c, i) => unique(i), baseline.proc.pid)]);
    rows.push(['orrery accepted (unique ids)', await run(orrery.url, (_c, i) => unique(i), orrery.proc.pid)]);
    rows.push(['orrery duplicates', await run(orrery.url, () => dup, orrery.proc.pid)]);
    const base = rows[0]![1].rps;
    console.log(`# Webhook deliveries — ${new Date().toISOString().slice(0, 10)}\n\n${await describeMachine()}; ${connections} connections, ${durationMs / 1000} s per phase\n`);
    console.log('| phase | deliveries/s | × baseline | p50 ms | p99 ms | errors | server CPU µs/req |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [name, r] of rows) {
      console.log(`| ${name} | ${r.rps.toFixed(0)} | ${(r.rps / base).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} ${r.firstError ? `(${r.firstError.slice(0, 60)})` : ''} | ${r.serverCpuUsPerReq?.toFixed(0) ?? '–'} |`);
    }
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}
