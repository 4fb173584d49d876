// Transport for `type: cli` with isolation_mode none: runs an allow-listed executable on the host,
// never through a shell, in its own process group, with an environment built only from the spec.
import { readUpTo } from '../../util/streams';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { Subprocess } from 'bun';
import { isObj } from '../../registry/normalize';
import { pickValue, splitSecretRef } from './auth';
import { checkArgs, renderArgs } from './cli-template';
import { ToolError, type ToolOutput } from './contract';
import type { AttemptContext, SecretLookup, ToolRef, Transport } from './types';
import { MAX_RESPONSE_BYTES } from './wire';

export interface CliTransportOptions {
  /** --tool-cli-allow: bare names (run through the server's PATH) or absolute paths; empty refuses all. */
  allow: readonly string[];
  /** The server's environment; only PATH is read from it. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Cap on each of stdout and stderr; past it the process is killed. Default 4 MiB. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL of the process group after a timeout or cancel. Default 500 ms. */
  killGraceMs?: number;
}

const FLAG = '--tool-cli-allow';
const STDERR_TAIL = 400;
const ENV_NAME = /^[^=\0]+$/;

const policy = (message: string, details: Record<string, unknown>) => new ToolError('runtime_policy_invalid', message, { details });
const failed = (message: string, details: Record<string, unknown>) => new ToolError('execution_failed', message, { retryable: false, details });

function commandOf(tool: ToolRef): string {
  const command = tool.spec.cli?.command;
  return typeof command === 'string' ? command.trim() : '';
}

/** Allow-list rule: a bare entry matches only that bare command; an absolute entry only that exact path. */
function notAllowed(command: string, allow: readonly string[]): ToolError | undefined {
  if (allow.includes(command)) return undefined;
  const details = { field: 'spec.cli.command', cause: 'command_not_allowed', command };
  if (!allow.length) {
    return policy(`cli tools are disabled on this server: ${FLAG} is empty; an administrator must add ${JSON.stringify(command)} to ${FLAG} to run this tool`, details);
  }
  return policy(`cli command ${JSON.stringify(command)} is not in ${FLAG} (${allow.join(', ')}); entries match a bare command name or an exact absolute path`, details);
}

function checkEnv(cli: Record<string, any>): void {
  if (cli.env !== undefined && !isObj(cli.env)) throw policy('spec.cli.env must be a map of names to strings', { field: 'spec.cli.env' });
  for (const [name, value] of Object.entries(cli.env ?? {})) {
    const field = `spec.cli.env.${name}`;
    if (!ENV_NAME.test(name)) throw policy(`${field}: an environment variable name cannot be empty or contain "=" or a NUL byte`, { field });
    if (typeof value !== 'string' || value.includes('\0')) throw policy(`${field} must be a string without NUL bytes`, { field });
  }
  const refs = cli.env_from ?? [];
  if (!Array.isArray(refs)) throw policy('spec.cli.env_from must be a list', { field: 'spec.cli.env_from' });
  refs.forEach((ref, i) => {
    const field = `spec.cli.env_from[${i}]`;
    if (!isObj(ref) || typeof ref.name !== 'string' || !ENV_NAME.test(ref.name)) throw policy(`${field}.name must be an environment variable name (no "=" or NUL byte)`, { field: `${field}.name` });
    if (typeof ref.secretRef !== 'string' || !ref.secretRef.trim()) throw policy(`${field}.secretRef is required`, { field: `${field}.secretRef` });
  });
}

/** Spec problems found before any attempt; the allow-list comes first so a refused tool learns nothing more. */
function checkTool(tool: ToolRef, allow: readonly string[]): void {
  const command = commandOf(tool);
  if (!command) throw policy('spec.cli.command is required for tool type cli', { field: 'spec.cli.command' });
  if (command.includes('/') && !isAbsolute(command)) {
    throw policy(`spec.cli.command ${JSON.stringify(command)} must be a bare name (looked up in the server's PATH) or an absolute path`, { field: 'spec.cli.command' });
  }
  const refused = notAllowed(command, allow);
  if (refused) throw refused;
  const cli = tool.spec.cli as Record<string, any>;
  checkArgs(cli.args);
  checkEnv(cli);
  if (cli.working_dir !== undefined && (typeof cli.working_dir !== 'string' || !isAbsolute(cli.working_dir))) {
    throw policy('spec.cli.working_dir must be an absolute path', { field: 'spec.cli.working_dir' });
  }
  if (cli.output !== undefined && !['stdout', 'stderr', 'both'].includes(cli.output)) {
    throw policy(`spec.cli.output ${JSON.stringify(cli.output)} must be stdout, stderr or both`, { field: 'spec.cli.output' });
  }
}

/** The child's whole environment: spec.cli.env, then env_from Secrets, plus the server's PATH unless the spec sets one. */
async function buildEnv(cli: Record<string, any>, secrets: SecretLookup, serverPath: string | undefined) {
  const env: Record<string, string> = serverPath === undefined ? {} : { PATH: serverPath };
  Object.assign(env, cli.env ?? {});
  const values: string[] = [];
  for (const [i, ref] of (cli.env_from ?? []).entries()) {
    const split = splitSecretRef(ref.secretRef.trim());
    const key = ref.key || split.key;
    const where = `spec.cli.env_from[${i}] (${ref.name})`;
    const fail = (why: string) => new ToolError('secret_resolution_failed', `${where}: Secret ${JSON.stringify(split.ref)} ${why}`, { details: { field: `spec.cli.env_from[${i}]`, secret_ref: split.ref } });
    const data = await secrets(split.ref);
    if (!data) throw fail('was not found');
    const value = pickValue(data, key);
    if (value === undefined) throw fail(key ? `has no key ${JSON.stringify(key)}` : 'has no keys');
    if (value === '') throw fail(key ? `key ${JSON.stringify(key)} is empty` : 'has an empty value');
    if (value.includes('\0')) throw fail('holds a NUL byte, which an environment variable cannot carry');
    env[ref.name] = value;
    values.push(value);
  }
  return { env, values };
}

function redact(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) if (v) out = out.split(v).join('***');
  return out;
}

async function workingDir(dir: string | undefined): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw policy(`spec.cli.working_dir ${JSON.stringify(dir)} is not an existing directory on this server`, { field: 'spec.cli.working_dir' });
  return dir;
}

/** Sends a signal to the whole process group (the child and everything it started). */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Reads one stream whole, or calls `over` once it passes the cap (and keeps draining nothing more). */
async function readCapped(stream: ReadableStream<Uint8Array>, cap: number, over: () => void): Promise<string> {
  const read = await readUpTo(stream, cap);
  if (read.over) over();
  return Buffer.from(read.bytes).toString('utf8');
}

function resultOf(mode: string | undefined, stdout: string, stderr: string): string {
  if (mode === 'stderr') return stderr.trim();
  if (mode === 'both') return JSON.stringify({ stdout: stdout.trim(), stderr: stderr.trim() });
  return stdout.trim();
}

export function cliTransport(o: CliTransportOptions): Transport {
  const allow = o.allow.map((a) => a.trim()).filter(Boolean);
  const serverPath = (o.env ?? process.env).PATH;
  const cap = o.maxOutputBytes ?? MAX_RESPONSE_BYTES;
  const grace = o.killGraceMs ?? 500;
  const running = new Set<Subprocess>();

  function spawn(ctx: AttemptContext, command: string, argv: string[], env: Record<string, string>, cwd: string | undefined): Subprocess<'ignore' | Blob, 'pipe', 'pipe'> {
    // A bare name is looked up in the server's PATH, never in a PATH the tool spec sets.
    const executable = isAbsolute(command) ? command : Bun.which(command, { PATH: serverPath ?? '' });
    if (!executable) throw failed(`cli command ${JSON.stringify(command)} was not found in the server's PATH`, { cause: 'command_not_found', command });
    const stdin = ctx.tool.spec.cli?.stdin_from_input ? new Blob([ctx.inputJson]) : 'ignore';
    try {
      return Bun.spawn([executable, ...argv], { argv0: command, cwd, env, stdin, stdout: 'pipe', stderr: 'pipe', detached: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw failed(`cli command ${JSON.stringify(command)} could not be started (${code})`, { cause: 'spawn_failed', command, errno: code });
    }
  }

  async function call(ctx: AttemptContext): Promise<ToolOutput> {
    const cli = ctx.tool.spec.cli as Record<string, any>;
    const command = commandOf(ctx.tool);
    const argv = renderArgs(cli.args, ctx.input);
    const { env, values } = await buildEnv(cli, ctx.secrets, serverPath);
    const cwd = await workingDir(cli.working_dir);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const child = spawn(ctx, command, argv, env, cwd);
    running.add(child);
    let overflow = false;
    let killer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      signalGroup(child.pid, 'SIGTERM');
      killer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), grace);
    };
    ctx.signal.addEventListener('abort', stop, { once: true });
    const over = () => {
      overflow = true;
      signalGroup(child.pid, 'SIGKILL');
    };
    const reads = Promise.all([readCapped(child.stdout, cap, over), readCapped(child.stderr, cap, over)]);
    try {
      await child.exited;
      // Anything the command left running in its group ends with it (and its pipes close).
      signalGroup(child.pid, 'SIGKILL');
      const [stdout, stderr] = await reads;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (overflow) throw failed(`cli command ${JSON.stringify(command)} wrote more than ${cap} bytes of output and was killed`, { cause: 'output_too_large', limit_bytes: cap });
      if (child.exitCode !== 0) {
        const tail = redact(stderr, values).trim().slice(-STDERR_TAIL) || '(no stderr)';
        const how = child.exitCode === null ? `was killed by signal ${child.signalCode}` : `exited with code ${child.exitCode}`;
        throw failed(`cli command ${JSON.stringify(command)} ${how}: ${tail}`, child.exitCode === null ? { signal: child.signalCode } : { exit_code: child.exitCode });
      }
      const text = resultOf(cli.output, redact(stdout, values), redact(stderr, values));
      return { output: { result: text }, text };
    } finally {
      clearTimeout(killer);
      ctx.signal.removeEventListener('abort', stop);
      running.delete(child);
    }
  }

  return {
    check(tool) {
      try {
        checkTool(tool, allow);
        return undefined;
      } catch (e) {
        return e as ToolError;
      }
    },
    call,
    close() {
      for (const child of running) signalGroup(child.pid, 'SIGKILL');
    },
  };
}
