// LangGraph JS dev server for scripts/bench/engine.ts: installs this folder's package.json into a
// cache dir under os.tmpdir() (never the repo), starts `langgraphjs dev`, runs the graph, stops it.
import type { Subprocess } from 'bun';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const SRC = import.meta.dir;
/** Copied on every run (so edits apply); package.json also decides the cache directory. */
const PROJECT_FILES = ['package.json', 'langgraph.json', 'graph.mjs'];
const STAMP = '.orrery-bench-installed';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface LangGraphInstall {
  dir: string;
  /** "@langchain/langgraph 1.7.3, …, node v20…" for the report. */
  versions: string;
}

/** Copies the project into the cache dir and runs `npm install` there the first time. */
export async function prepareLangGraph(log: (line: string) => void): Promise<LangGraphInstall> {
  const pkg = readFileSync(join(SRC, 'package.json'));
  const dir = join(tmpdir(), `orrery-bench-langgraph-${createHash('sha256').update(pkg).digest('hex').slice(0, 12)}`);
  mkdirSync(dir, { recursive: true });
  for (const f of PROJECT_FILES) copyFileSync(join(SRC, f), join(dir, f));
  const node = Bun.spawnSync(['node', '--version']);
  if (node.exitCode !== 0) throw new Error('LangGraph side needs `node` (>= 20.16) on PATH: the dev server runs on Node, not Bun');
  if (!existsSync(join(dir, 'node_modules', STAMP))) {
    log(`installing LangGraph JS into ${dir} (npm install, first run only) …`);
    const p = Bun.spawn(['npm', 'install', '--no-audit', '--no-fund'], { cwd: dir, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, npm_config_update_notifier: 'false' } });
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    const code = await p.exited;
    if (code !== 0) throw new Error(`npm install failed with exit code ${code} in ${dir}:\n${(out + err).slice(-4000)}`);
    writeFileSync(join(dir, 'node_modules', STAMP), pkg);
  }
  const version = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version as string;
    } catch {
      return '?';
    }
  };
  const versions = ['@langchain/langgraph', '@langchain/langgraph-api', '@langchain/langgraph-cli', '@langchain/core']
    .map((n) => `${n} ${version(n)}`)
    .join(', ');
  return { dir, versions: `${versions}, node ${node.stdout.toString().trim()}` };
}

export interface RunOutcome {
  ok: boolean;
  error?: string;
  /** From the Content-Location of the answer; serverTimes() looks the run up in the server's log. */
  runId?: string;
}

export interface LangGraphServer {
  url: string;
  pid: number;
  /** One stateless run of the pipeline graph through `POST /runs/wait`. */
  run(topic: string, timeoutMs: number): Promise<RunOutcome>;
  /** run_queue_ms / run_exec_ms the server logged for a run (read after the phase: logs lag a little). */
  serverTimes(runId: string | undefined): { queueMs?: number; execMs?: number };
  stop(): Promise<void>;
  logTail(): string;
}

/**
 * Starts `langgraphjs dev` in its own process group (the CLI spawns tsx, which spawns the server)
 * with `--n-jobs-per-worker <jobs>`, and waits for `GET /ok`. Logs are JSON (LOG_JSON) at info, so
 * the per-run `run_queue_ms` / `run_exec_ms` the server logs can be read back.
 */
export async function startLangGraph(o: { dir: string; port: number; jobs: number; modelUrl: string; startTimeoutMs?: number }): Promise<LangGraphServer> {
  rmSync(join(o.dir, '.langgraph_api'), { recursive: true, force: true }); // fresh in-memory state, like a fresh data dir
  const url = `http://127.0.0.1:${o.port}`;
  const proc: Subprocess<'ignore', 'pipe', 'pipe'> = Bun.spawn(
    [join(o.dir, 'node_modules', '.bin', 'langgraphjs'), 'dev', '--host', '127.0.0.1', '--port', String(o.port), '--no-browser', '--no-reload', '--n-jobs-per-worker', String(o.jobs), '--studio-url', url],
    {
      cwd: o.dir,
      detached: true,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        ...process.env,
        LANGGRAPH_CLI_NO_ANALYTICS: '1',
        LANGSMITH_TRACING: 'false',
        LANGCHAIN_TRACING_V2: 'false',
        BROWSER: 'none',
        LOG_JSON: 'true',
        LOG_LEVEL: 'info',
        BENCH_MODEL_URL: `${o.modelUrl}/v1`,
        BENCH_MODEL: 'bench-model',
      },
    },
  );
  let tail = '';
  const queue = new Map<string, number>();
  const exec = new Map<string, number>();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const d = new TextDecoder();
    let buf = '';
    for await (const chunk of stream) {
      buf += d.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        tail = (tail + line + '\n').slice(-8000);
        if (line[0] !== '{') continue;
        try {
          const e = JSON.parse(line) as { run_id?: string; run_queue_ms?: number; run_exec_ms?: number };
          if (e.run_id && typeof e.run_queue_ms === 'number') queue.set(e.run_id, e.run_queue_ms);
          if (e.run_id && typeof e.run_exec_ms === 'number') exec.set(e.run_id, e.run_exec_ms);
        } catch {
          // not a log record
        }
      }
    }
  };
  void drain(proc.stdout);
  void drain(proc.stderr);

  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-proc.pid, sig);
      } catch {
        // already gone
      }
    };
    group('SIGTERM');
    if (!(await Promise.race([proc.exited.then(() => true), sleep(5000).then(() => false)]))) group('SIGKILL');
    await Promise.race([proc.exited, sleep(2000)]);
    group('SIGKILL'); // tsx and the server child, should they outlive the CLI
  };

  const t0 = performance.now();
  const limit = o.startTimeoutMs ?? 90_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`langgraphjs dev exited with code ${proc.exitCode}:\n${tail}`);
    if (performance.now() - t0 > limit) {
      await stop();
      throw new Error(`langgraphjs dev did not answer GET /ok within ${limit / 1000} s:\n${tail}`);
    }
    try {
      const res = await fetch(`${url}/ok`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }

  const run = async (topic: string, timeoutMs: number): Promise<RunOutcome> => {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${url}/runs/wait`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ assistant_id: 'pipeline', input: { topic } }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      return { ok: false, error: `POST /runs/wait: ${(e as Error).message}` };
    }
    const outcome: RunOutcome = { ok: false, runId: /\/runs\/([0-9a-f-]+)/.exec(res.headers.get('content-location') ?? '')?.[1] };
    if (res.status !== 200) return { ...outcome, error: `POST /runs/wait: ${res.status} ${text.slice(0, 200)}` };
    let state: { summary?: unknown; __error__?: unknown };
    try {
      state = JSON.parse(text) as typeof state; // the body may start with keep-alive newlines
    } catch {
      return { ...outcome, error: `POST /runs/wait: body is not JSON: ${text.slice(0, 200)}` };
    }
    if (state.__error__) return { ...outcome, error: `run failed: ${JSON.stringify(state.__error__).slice(0, 300)}` };
    if (typeof state.summary !== 'string') return { ...outcome, error: `run ended without a summary: ${text.slice(0, 200)}` };
    return { ...outcome, ok: true };
  };

  const serverTimes = (runId: string | undefined) => (runId ? { queueMs: queue.get(runId), execMs: exec.get(runId) } : {});
  return { url, pid: proc.pid, run, serverTimes, stop, logTail: () => tail };
}
