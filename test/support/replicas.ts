// Several `orrery serve` replicas and `orrery worker` processes on one real PostgreSQL database, as
// real processes, for the scale tests in test/scale. Every process is tracked by pid and killed by
// the file's afterAll; the PostgreSQL support removes the database server and its data when the
// test process ends.
import { afterAll } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { connectPg } from '../../src/store/pg/connect';
import { freshDatabase } from './postgres';
import { startServer, startWorker, type ServerProcess } from './server-process';

export interface Proc {
  name: string;
  pid: number;
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
  log(): string;
}

export interface Replica extends Proc {
  url: string;
}

export interface Cluster {
  db: string;
  /** `orrery serve` replicas started so far, by name (killed ones too). */
  servers: Map<string, Replica>;
  workers: Map<string, Proc>;
  serve(name: string, extraArgs?: string[]): Promise<Replica>;
  worker(name: string, extraArgs?: string[]): Promise<Proc>;
  /** SIGKILL, then waits for the exit. */
  kill(p: Proc): Promise<void>;
  /** Runs SQL against the shared database (ground truth for the assertions). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Every log line of every process started so far, for evidence in failures. */
  logs(): string;
}

/**
 * A cluster on a fresh database of the test PostgreSQL, made on the first call of the returned
 * function (in beforeAll or the first test). `serverArgs`/`workerArgs` are given to every process of
 * that role (engine flags such as --task-lease-duration). Servers run with their embedded worker
 * off: the `orrery worker` processes do the work. The file's afterAll stops every process started
 * through it, by pid.
 */
export function clusterForFile(prefix: string, opts: { serverArgs?: string[]; workerArgs?: string[] } = {}): () => Promise<Cluster> {
  const work = mkdtempSync(join(tmpdir(), `orrery-${prefix}-`));
  const env = { ORLOJ_SECRET_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
  const all: Proc[] = [];
  let pool: Awaited<ReturnType<typeof connectPg>> | undefined;
  let made: Promise<Cluster> | undefined;
  const make = async (): Promise<Cluster> => {
    const db = await freshDatabase(prefix.replace(/[^a-z0-9_]/g, '_'));
    pool = await connectPg(db, { max: 2 });
    const cluster: Cluster = {
      db,
      servers: new Map(),
      workers: new Map(),
      async serve(name, extraArgs = []) {
        const args = ['--database-url', db, '--embedded-worker=false', '--database-pool-size', '8', ...(opts.serverArgs ?? []), ...extraArgs];
        const srv: ServerProcess = await startServer(join(work, name), { env, args });
        const p: Replica = { name, pid: srv.proc.pid, url: srv.url, exited: srv.proc.exited, kill: (s = 'SIGTERM') => srv.proc.kill(s), log: srv.log };
        all.push(p);
        cluster.servers.set(name, p);
        return p;
      },
      async worker(name, extraArgs = []) {
        const w = startWorker(join(work, name), name, env, ['--database-url', db, '--database-pool-size', '8', ...(opts.workerArgs ?? []), ...extraArgs]);
        const p: Proc = { name, pid: w.proc.pid, exited: w.proc.exited, kill: (s = 'SIGTERM') => w.proc.kill(s), log: w.log };
        all.push(p);
        cluster.workers.set(name, p);
        const deadline = Date.now() + 30_000;
        while (!w.log().includes('worker running')) {
          if (w.proc.exitCode !== null) throw new Error(`worker ${name} exited early:\n${w.log()}`);
          if (Date.now() > deadline) throw new Error(`worker ${name} did not start:\n${w.log()}`);
          await Bun.sleep(20);
        }
        return p;
      },
      async kill(p) {
        p.kill('SIGKILL');
        await p.exited;
      },
      async query<T>(text: string, params: unknown[] = []) {
        return (await pool!.sql.unsafe(text, params as never[])) as unknown as T[];
      },
      logs: () => all.map((p) => `===== ${p.name} (pid ${p.pid}) =====\n${p.log()}`).join('\n'),
    };
    return cluster;
  };
  afterAll(async () => {
    // ORRERY_SCALE_LOGS=<dir> keeps every process's log there, for evidence.
    if (process.env.ORRERY_SCALE_LOGS) {
      mkdirSync(process.env.ORRERY_SCALE_LOGS, { recursive: true });
      for (const p of all) writeFileSync(join(process.env.ORRERY_SCALE_LOGS, `${prefix}-${p.name}.log`), p.log());
    }
    // Every process this file started, by pid; SIGKILL for whatever does not stop in time.
    for (const p of all) p.kill('SIGTERM');
    await Promise.all(all.map((p) => Promise.race([p.exited, Bun.sleep(10_000).then(() => p.kill('SIGKILL'))])));
    await Promise.all(all.map((p) => p.exited));
    await pool?.close();
    rmSync(work, { recursive: true, force: true });
  });
  return () => (made ??= make());
}

// ---- HTTP helpers ------------------------------------------------------------------------------

export async function api(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${url}${path}`, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return json;
}

const PLURAL: Record<string, string> = { ModelEndpoint: 'model-endpoints', Agent: 'agents', AgentSystem: 'agent-systems', Task: 'tasks' };
const BLUEPRINT = join(import.meta.dir, '../../examples/blueprints/pipeline');

/** The pipeline blueprint's manifests, in file order. */
export function blueprint(): Record<string, any>[] {
  return readdirSync(BLUEPRINT)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(BLUEPRINT, f), 'utf8')));
}

/** Applies the blueprint's endpoint, agents and system (not its Task) through `url`; returns the answers' revisions. */
export async function applyBlueprint(url: string): Promise<{ kind: string; name: string; rv: number }[]> {
  const out: { kind: string; name: string; rv: number }[] = [];
  for (const m of blueprint()) {
    if (m.kind === 'Task') continue;
    const r = await api(url, 'POST', `/v1/${PLURAL[m.kind]}`, m);
    out.push({ kind: m.kind, name: m.metadata.name, rv: Number(r.metadata.resourceVersion) });
  }
  return out;
}

/** A run Task of the blueprint's spec under another name and topic. */
export function pipelineTask(name: string, labels: Record<string, string> = {}): Record<string, any> {
  const task = blueprint().find((m) => m.kind === 'Task')!;
  return { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name, labels }, spec: { ...task.spec, input: { topic: `topic of ${name}` } } };
}

/** Task summaries (no record streams) matching a label selector, all pages. */
export async function listTasks(url: string, selector?: string): Promise<any[]> {
  const out: any[] = [];
  let after: string | undefined;
  do {
    const q = new URLSearchParams({ limit: '500' });
    if (selector) q.set('labelSelector', selector);
    if (after) q.set('continue', after);
    const page = await api(url, 'GET', `/v1/tasks?${q}`);
    out.push(...page.items);
    after = page.metadata?.continue || undefined;
  } while (after);
  return out;
}

/** Each task read whole (status with messages, trace, history), a few at a time. */
export async function fullTasks(url: string, names: string[]): Promise<any[]> {
  const out: any[] = new Array(names.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < names.length) {
        const i = next++;
        out[i] = await api(url, 'GET', `/v1/tasks/${names[i]}`);
      }
    }),
  );
  return out;
}

export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000, evidence?: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${evidence ? `\n${await evidence()}` : ''}`);
    await Bun.sleep(100);
  }
}

const count = <T>(xs: T[], f: (x: T) => boolean) => xs.filter(f).length;

/**
 * What makes a pipeline task "run to completion exactly once", as a list of problems (empty when
 * none): phase Succeeded after one attempt; one `succeeded` history row, no failure or retry;
 * three messages (planner, researcher, writer), each Succeeded in its first message attempt;
 * for each message exactly one model_call trace row (the mock's output, recorded once per step),
 * one agent_end and one agent_message_processed; each model call's output is what the next
 * message carries (and the writer's is the result); three completed idempotency rows; a task
 * summary row once. `takeovers` says whether `takeover` history rows are allowed (after a kill).
 */
export function ranOnce(t: any, takeovers = false): string[] {
  const s = t.status ?? {};
  const name = t.metadata.name;
  const problems: string[] = [];
  const p = (m: string) => problems.push(`${name}: ${m}`);
  if (s.phase !== 'Succeeded') p(`phase ${s.phase} (${s.lastError ?? ''})`);
  if (s.attempts !== 1) p(`attempts ${s.attempts}`);
  const history: any[] = s.history ?? [];
  const types = history.map((h) => h.type);
  // For the failure message: each row with its worker, time and message.
  const shown = history.map((h) => `${h.type} ${h.worker} ${h.timestamp} ${h.message}`);
  if (count(types, (x) => x === 'succeeded') !== 1) p(`history ${JSON.stringify(shown)}: not exactly one succeeded`);
  if (count(types, (x) => x === 'claim') !== 1) p(`history ${JSON.stringify(shown)}: not exactly one claim`);
  if (!takeovers && types.includes('takeover')) p(`history ${JSON.stringify(shown)}: unexpected takeover`);
  for (const bad of ['failed', 'deadletter', 'retry_scheduled', 'cancelled']) if (types.includes(bad)) p(`history has ${bad}: ${JSON.stringify(history)}`);
  const messages: any[] = s.messages ?? [];
  const agents = messages.map((m) => m.to_agent);
  if (JSON.stringify(agents) !== JSON.stringify(['pipeline-planner', 'pipeline-researcher', 'pipeline-writer'])) p(`messages to ${JSON.stringify(agents)}`);
  if (new Set(messages.map((m) => m.message_id)).size !== messages.length) p('duplicate message ids');
  for (const m of messages) if (m.phase !== 'Succeeded' || m.attempts !== 1) p(`message ${m.message_id} ${m.phase} attempts ${m.attempts}`);
  const trace: any[] = s.trace ?? [];
  const stepIds = trace.map((r) => r.step_id);
  if (new Set(stepIds).size !== stepIds.length) p('duplicate trace step ids');
  for (const [i, m] of messages.entries()) {
    const rows = trace.filter((r) => r.message_id === m.message_id);
    const calls = rows.filter((r) => r.type === 'model_call');
    if (calls.length !== 1) p(`message ${m.message_id}: ${calls.length} model_call rows`);
    for (const type of ['agent_end', 'agent_message_processed']) if (count(rows, (r) => r.type === type) !== 1) p(`message ${m.message_id}: ${count(rows, (r) => r.type === type)} ${type} rows`);
    const out = calls[0]?.message;
    if (typeof out !== 'string' || !out.startsWith('[mock:mock-1]')) p(`message ${m.message_id}: model output ${JSON.stringify(out)}`);
    else if (i + 1 < messages.length) {
      if (messages[i + 1].content !== out) p(`hand-off ${messages[i + 1].message_id} does not carry the model output once`);
    } else if (s.output?.result !== out) p('output.result is not the writer\'s model output');
  }
  if (count(trace, (r) => r.type === 'task_summary') !== 1) p(`${count(trace, (r) => r.type === 'task_summary')} task_summary rows`);
  const idem: any[] = s.message_idempotency ?? [];
  if (idem.length !== 3 || idem.some((r) => r.state !== 'completed') || new Set(idem.map((r) => r.key)).size !== 3) p(`message_idempotency ${JSON.stringify(idem)}`);
  return problems;
}
