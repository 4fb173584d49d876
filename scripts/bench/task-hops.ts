// Cost of one hop of a long task: the status write the lease holder makes at each hop, measured
// early (hops 1–10) and late (hops 191–200) in the same run, as CPU time and bytes written to the
// database (WAL growth, with checkpoints off). Runs in-process over a real database file, through
// the same registry and lease code the engine uses. Run: npx bun scripts/bench/task-hops.ts [--help]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import { TaskLeases } from '../../src/runtime/leases';
import { DB_FILE, openStore } from '../../src/store/open-store';

const DEFAULTS: Record<string, string> = { tasks: '20', hops: '200', 'trace-rows': '3' };
const HELP = `Usage: npx bun scripts/bench/task-hops.ts [--flag value]…
Flags (defaults): ${Object.entries(DEFAULTS).map(([k, v]) => `--${k} ${v}`).join(', ')}
--tasks tasks are under way at once, spread over the hops (a finished one is replaced by a new
one), for --hops warm-up rounds and 2 × --hops measured rounds; a hop finishes the running message,
adds the next one (400 characters of content), appends --trace-rows trace rows (~250 bytes each)
and one idempotency record, and updates the output. Prints hops 1–10 vs the last 10 hops.`;

const opts = { ...DEFAULTS };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--help' || argv[i] === '-h') (console.log(HELP), process.exit(0));
  const key = argv[i].replace(/^--/, '');
  if (!(key in DEFAULTS) || argv[i + 1] === undefined) (console.error(`unknown or incomplete argument ${argv[i]}\n${HELP}`), process.exit(1));
  opts[key] = argv[++i];
}
const [TASKS, HOPS, ROWS] = [Number(opts.tasks), Number(opts.hops), Number(opts['trace-rows'])];
if (![TASKS, HOPS, ROWS].every((n) => Number.isInteger(n) && n > 0) || HOPS < 20) (console.error(`--tasks, --trace-rows must be whole numbers > 0 and --hops ≥ 20\n${HELP}`), process.exit(1));

const dir = mkdtempSync(join(tmpdir(), 'orrery-hops-'));
const clock = { now: () => new Date() };
const p = openStore(dir, undefined);
p.handle.sqlite.run('PRAGMA wal_autocheckpoint=0');
const registry = new Registry(kinds, p, clock);
const leases = new TaskLeases(registry, clock, 3_600_000);
const tasks = registry.byPlural.get('tasks')!;
const wal = join(dir, `${DB_FILE}-wal`);
const walSize = () => statSync(wal, { throwIfNoEntry: false })?.size ?? 0;
const filler = (n: number) => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(n / 27)).slice(0, n);

function hop(s: Record<string, any>, task: number, n: number, now: Date): Record<string, any> {
  const ts = now.toISOString();
  const running = s.messages.find((m: any) => m.phase === 'Running');
  if (running) Object.assign(running, { phase: 'Succeeded', processed_at: ts });
  if (running) s.message_idempotency.push({ key: running.idempotency_key, message_id: running.message_id, state: 'completed', updated_at: ts, worker: 'bench' });
  const id = `t${task}-m${String(n).padStart(4, '0')}`;
  s.messages.push({ message_id: id, idempotency_key: `k-${id}`, from_agent: `agent-${n - 1}`, to_agent: `agent-${n}`, phase: 'Running', attempts: 1, max_attempts: 3, worker: 'bench', timestamp: ts, content: filler(400) });
  for (let r = 0; r < ROWS; r++) s.trace.push({ step_id: `a001.s${String(n * ROWS + r).padStart(4, '0')}`, attempt: 1, type: 'model_call', agent: `agent-${n}`, model: 'bench-model', tokens: 42, latency_ms: 3, timestamp: ts, message: filler(150) });
  s.output = { ...s.output, last_agent: `agent-${n}`, last_output: filler(200), last_tokens_used: '42' };
  return s;
}

const early = { cpu: 0, bytes: 0, n: 0 };
const middle = { cpu: 0, bytes: 0, n: 0 };
const late = { cpu: 0, bytes: 0, n: 0 };
const MID = Math.floor(HOPS / 2);
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// TASKS tasks are under way at once, spread evenly over the hops (one starts every HOPS/TASKS
// rounds; a finished one is replaced), so early and late hops alternate in the same database:
// what is compared is the length of the task's own records, not the size of the database.
type Live = { name: string; holder: { id: string; token: string }; n: number; index: number };
let started = 0;
const begin = async (): Promise<Live> => {
  const index = started++;
  const name = `hops-${index}`;
  await registry.apply(tasks, { metadata: { name }, spec: { system: 'bench' } }, {});
  const [claimed] = await leases.claimDue({ id: 'bench' }, 1);
  if (claimed?.metadata.name !== name) throw new Error(`task ${name} was not claimed`);
  return { name, holder: { id: 'bench', token: claimed.status!.leaseToken as string }, n: 0, index };
};
const check = async (t: Live) => {
  const last = (await registry.get(tasks, 'default', t.name)).status!;
  if (last.trace.length !== Math.min(1000, HOPS * ROWS) || last.messages.length !== Math.min(500, HOPS)) throw new Error(`task ${t.name} holds ${last.trace.length} trace rows and ${last.messages.length} messages`);
};
const every = Math.max(1, Math.floor(HOPS / TASKS));
const warmRounds = HOPS;
const rounds = warmRounds + 2 * HOPS;
const live: Live[] = [];
for (let round = 0; round < rounds; round++) {
  if (round % every === 0 && live.length < TASKS) live.push(await begin());
  for (let i = 0; i < live.length; i++) {
    const t = live[i];
    t.n++;
    const [c0, b0] = [cpu(), walSize()];
    const out = await leases.fenced('default', t.name, t.holder, (s, now) => hop(s, t.index, t.n, now));
    const [c1, b1] = [cpu(), walSize()];
    if (!out) throw new Error(`hop ${t.n} of task ${t.name} was fenced out`);
    const bucket = round < warmRounds ? undefined : t.n <= 10 ? early : t.n > HOPS - 10 ? late : t.n > MID && t.n <= MID + 10 ? middle : undefined;
    if (bucket) (bucket.cpu += c1 - c0, bucket.bytes += b1 - b0, bucket.n++);
    if (t.n === HOPS) {
      await check(t);
      live[i] = await begin();
    }
  }
  if (round % 100 === 99) process.stderr.write(`round ${round + 1}/${rounds}: ${started} tasks started\n`);
}
p.handle.close();
rmSync(dir, { recursive: true, force: true });

const per = (b: typeof early) => ({ cpu: b.cpu / b.n, bytes: b.bytes / b.n });
const [e, m, l] = [per(early), per(middle), per(late)];
const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
const f = (n: number) => n.toFixed(n >= 100 ? 0 : 1);
console.log(
  [
    `Task hops: ${TASKS} tasks under way, ${HOPS} hops each, ${ROWS} trace rows per hop, ${started} tasks started, hops ${early.n} early and ${late.n} late measured; command: \`bun scripts/bench/task-hops.ts ${argv.join(' ')}\`.`,
    '',
    '| hops | CPU µs / hop | bytes written / hop (WAL) |',
    '|---|---|---|',
    `| 1–10 | ${f(e.cpu)} | ${f(e.bytes)} |`,
    `| ${MID + 1}–${MID + 10} | ${f(m.cpu)} | ${f(m.bytes)} |`,
    `| ${HOPS - 9}–${HOPS} | ${f(l.cpu)} | ${f(l.bytes)} |`,
    `| last ÷ first | ${(l.cpu / e.cpu).toFixed(2)}× | ${(l.bytes / e.bytes).toFixed(2)}× |`,
    `| last ÷ middle | ${(l.cpu / m.cpu).toFixed(2)}× | ${(l.bytes / m.bytes).toFixed(2)}× |`,
    '',
    '| target | measured | result |',
    '|---|---|---|',
    `| hop ${HOPS} vs hop 5: CPU within 1.2× | ${(l.cpu / e.cpu).toFixed(2)}× | ${met(l.cpu <= 1.2 * e.cpu)} |`,
    `| hop ${HOPS} vs hop 5: bytes written within 1.2× | ${(l.bytes / e.bytes).toFixed(2)}× | ${met(l.bytes <= 1.2 * e.bytes)} |`,
  ].join('\n'),
);
