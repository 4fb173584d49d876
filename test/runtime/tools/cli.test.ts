// cli tools on the host, with real processes: argv templating without a shell, stdin, an environment
// built only from the spec, output modes and cap, exit codes, the allow-list, and timeouts and
// cancels that kill the whole process group.
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliTransport, type CliTransportOptions } from '../../../src/runtime/tools/cli';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import type { InvokeOptions, ToolRef } from '../../../src/runtime/tools/types';
import { noSecrets, secretsFrom } from './helpers';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orrery-cli-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const argvScript = script('argv.sh', `printf '%s' "$#"; for a in "$@"; do printf '<%s>' "$a"; done`);
const marker = join(dir, 'ran');
const touchScript = script('touch.sh', `echo yes > '${marker}'`);
const outErrScript = script('out-err.sh', `echo out; echo err >&2`);
const leakScript = script('leak.sh', `echo "out $TOKEN"; echo "err $TOKEN" >&2`);
const failScript = script('fail.sh', `echo "token was $API_TOKEN, giving up" >&2; exit 3`);
// Starts a grandchild, records both pids, then waits: a timeout or cancel must end both.
const treeScript = script('tree.sh', `sleep 300 & echo $! > "$OUT/grandchild.pid"; echo $$ > "$OUT/child.pid"; wait`);

const ALLOW = [argvScript, touchScript, outErrScript, leakScript, failScript, treeScript, '/usr/bin/env', '/usr/bin/yes', 'cat', 'pwd', 'printf'];

function runtime(opts: Partial<CliTransportOptions> = {}) {
  const rt = createToolRuntime();
  rt.register('cli', cliTransport({ allow: ALLOW, ...opts }));
  return rt;
}

const cliTool = (cli: Record<string, unknown>, runtimeSpec: Record<string, unknown> = {}): ToolRef => ({
  name: 'run',
  namespace: 'default',
  spec: { type: 'cli', cli, runtime: { isolation_mode: 'none', ...runtimeSpec } },
});

const rt = runtime();
const invoke = (tool: ToolRef, input: Record<string, unknown> | string = {}, opts: Partial<InvokeOptions> = {}) =>
  rt.invoke(tool, { requestId: 'r1', input }, { secrets: noSecrets, ...opts });

/** True once the process is gone or only a zombie waiting to be reaped. */
function dead(pid: number): boolean {
  const state = Bun.spawnSync(['ps', '-o', 'stat=', '-p', String(pid)]).stdout.toString().trim();
  return state === '' || state.startsWith('Z');
}

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

const pidIn = (name: string) => Number(readFileSync(join(dir, name), 'utf8').trim());
// The script's `echo $$ > file` creates the file before it writes the number: wait for the number.
const pidWritten = (name: string) => existsSync(join(dir, name)) && /^\d+$/.test(readFileSync(join(dir, name), 'utf8').trim());

describe('argument templates', () => {
  test('shell syntax, quotes and newlines reach the program verbatim, one argument per template', async () => {
    const input = {
      a: '; rm -rf /',
      b: `$(touch ${marker})`,
      c: '`id`',
      d: 'line1\nline2',
      e: `it's "quoted" * | cat`,
      n: 42,
      obj: { k: true, s: 'x y' },
      nil: null,
    };
    const args = ['--flag', '{{ .a }}', '{{.b}}', 'pre-{{ .c }}-post', '{{ .d }}', '{{ .e }}', '{{ .missing }}', '{{ .nil }}', '{{ .n }}', '{{ .obj.k }}', '{{ .obj }}', '{{.obj.s}}', '', '{{ .a }}{{ .n }}'];
    const res = await invoke(cliTool({ command: argvScript, args }), input);
    expect(res.status).toBe('ok');
    expect(res.text).toBe(
      '11<--flag><; rm -rf /><$(touch ' + marker + ')><pre-`id`-post><line1\nline2>' + `<it's "quoted" * | cat>` + '<42><true><{"k":true,"s":"x y"}><x y><; rm -rf /42>',
    );
    expect(existsSync(marker)).toBe(false);
  });

  test('the model\'s arguments as a JSON string are templated the same way', async () => {
    const res = await invoke(cliTool({ command: argvScript, args: ['{{ .city }}'] }), '{"city":"Lyon; ls"}');
    expect(res.text).toBe('1<Lyon; ls>');
  });

  test('unsupported template syntax is refused before anything runs, naming the argument', async () => {
    for (const [bad, why] of [
      ['{{ .a | printf "%s" }}', 'unsupported template action {{ .a | printf "%s" }}'],
      ['{{ if .a }}x{{ end }}', 'unsupported template action {{ if .a }}'],
      ['x {{ .a', 'unclosed "{{"'],
      ['{{}}', 'unsupported template action {{}}'],
    ]) {
      const res = await invoke(cliTool({ command: touchScript, args: ['ok', bad] }), { a: 'v' });
      expect(res.error).toEqual({
        code: 'runtime_policy_invalid',
        reason: 'tool_runtime_policy_invalid',
        retryable: false,
        message: `spec.cli.args[1]: ${why}; only {{ .field }} and {{ .a.b }} are supported`,
        details: { field: 'spec.cli.args[1]' },
      });
      expect(res.attempts).toBe(0);
    }
    expect(existsSync(marker)).toBe(false);
  });

  test('a path through a value that is not an object is invalid input', async () => {
    const res = await invoke(cliTool({ command: touchScript, args: ['{{ .a.b }}'] }), { a: 'text' });
    expect([res.error?.code, res.error?.retryable, res.error?.message]).toEqual(['invalid_input', false, 'spec.cli.args[0]: cannot read .a.b: .a is a string, not an object']);
    const nul = await invoke(cliTool({ command: touchScript, args: ['{{ .a }}'] }), { a: 'x\u0000y' });
    expect([nul.error?.code, nul.error?.message]).toEqual(['invalid_input', 'spec.cli.args[0] renders a NUL byte, which a command argument cannot carry']);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('stdin, environment, working directory and output', () => {
  test('stdin_from_input pipes the input JSON; otherwise stdin is empty', async () => {
    const input = { q: 'a "b"', n: [1, 2] };
    expect((await invoke(cliTool({ command: 'cat', stdin_from_input: true }), input)).text).toBe(JSON.stringify(input));
    expect(await invoke(cliTool({ command: 'cat' }), input)).toMatchObject({ status: 'ok', text: '' });
  });

  test('the environment is PATH, spec.cli.env and env_from only', async () => {
    process.env.ORRERY_SERVER_ONLY = 'server-secret';
    try {
      const secrets = secretsFrom({ gh: { token: 'tok-123' }, 'other/aws': { access_key: 'AK', secret_key: 'SK' } });
      const tool = cliTool({
        command: '/usr/bin/env',
        env: { MODE: 'test' },
        env_from: [
          { name: 'GH_TOKEN', secretRef: 'gh' },
          { name: 'AWS_KEY', secretRef: 'other/aws', key: 'access_key' },
        ],
      });
      const res = await invoke(tool, {}, { secrets });
      expect(res.status).toBe('ok');
      const env = Object.fromEntries(res.text.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      // Secret values never reach the result: they are redacted like in errors.
      expect(env).toEqual({ PATH: process.env.PATH!, MODE: 'test', GH_TOKEN: '***', AWS_KEY: '***' });
    } finally {
      delete process.env.ORRERY_SERVER_ONLY;
    }
  });

  test('a missing Secret or key is secret_resolution_failed naming the ref, and nothing runs', async () => {
    const secrets = secretsFrom({ gh: { token: 'tok-123' } });
    const missing = await invoke(cliTool({ command: touchScript, env_from: [{ name: 'A', secretRef: 'nope' }] }), {}, { secrets });
    expect(missing.error).toEqual({
      code: 'secret_resolution_failed',
      reason: 'tool_secret_resolution_failed',
      retryable: false,
      message: 'spec.cli.env_from[0] (A): Secret "nope" was not found',
      details: { field: 'spec.cli.env_from[0]', secret_ref: 'nope' },
    });
    const noKey = await invoke(cliTool({ command: touchScript, env_from: [{ name: 'A', secretRef: 'gh', key: 'password' }] }), {}, { secrets });
    expect([noKey.error?.code, noKey.error?.message]).toEqual(['secret_resolution_failed', 'spec.cli.env_from[0] (A): Secret "gh" has no key "password"']);
    expect(existsSync(marker)).toBe(false);
  });

  test('a bare command is looked up in the server\'s PATH, not in a PATH the spec sets', async () => {
    script('printf', 'echo impostor');
    const res = await invoke(cliTool({ command: 'printf', args: ['%s-%s', 'a', 'b'], env: { PATH: dir } }));
    expect([res.status, res.text]).toEqual(['ok', 'a-b']);
  });

  test('working_dir is the current directory; it must be an existing absolute directory', async () => {
    expect((await invoke(cliTool({ command: 'pwd', working_dir: dir }))).text).toBe(dir);
    const gone = await invoke(cliTool({ command: 'pwd', working_dir: join(dir, 'nope') }));
    expect(gone.error).toMatchObject({ code: 'runtime_policy_invalid', retryable: false, message: `spec.cli.working_dir "${join(dir, 'nope')}" is not an existing directory on this server` });
    const relative = await invoke(cliTool({ command: 'pwd', working_dir: 'tmp' }));
    expect([relative.error?.message, relative.attempts]).toEqual(['spec.cli.working_dir must be an absolute path', 0]);
  });

  test('output stdout (default), stderr or both', async () => {
    expect((await invoke(cliTool({ command: outErrScript }))).text).toBe('out');
    expect((await invoke(cliTool({ command: outErrScript, output: 'stdout' }))).text).toBe('out');
    expect((await invoke(cliTool({ command: outErrScript, output: 'stderr' }))).text).toBe('err');
    const both = await invoke(cliTool({ command: outErrScript, output: 'both' }));
    expect([both.text, both.output]).toEqual(['{"stdout":"out","stderr":"err"}', { result: '{"stdout":"out","stderr":"err"}' }]);
  });

  test('Secret values are redacted from every output mode, JSON-escaped ones included', async () => {
    const secrets = secretsFrom({ pw: { value: 'p"w\\d' } });
    const tool = (output: string) => cliTool({ command: leakScript, output, env_from: [{ name: 'TOKEN', secretRef: 'pw' }] });
    expect((await invoke(tool('stdout'), {}, { secrets })).text).toBe('out ***');
    expect((await invoke(tool('stderr'), {}, { secrets })).text).toBe('err ***');
    expect((await invoke(tool('both'), {}, { secrets })).text).toBe('{"stdout":"out ***","stderr":"err ***"}');
  });

  test('output past the cap kills the process: a non-retryable execution_failed', async () => {
    const capped = runtime({ maxOutputBytes: 1024 });
    const res = await capped.invoke(cliTool({ command: '/usr/bin/yes' }, { timeout: '60s' }), { requestId: 'r' }, { secrets: noSecrets });
    expect(res.error).toEqual({
      code: 'execution_failed',
      reason: 'tool_backend_failure',
      retryable: false,
      message: 'cli command "/usr/bin/yes" wrote more than 1024 bytes of output and was killed',
      details: { cause: 'output_too_large', limit_bytes: 1024 },
    });
  });
});

describe('failures', () => {
  test('a non-zero exit is execution_failed with the exit code and the redacted stderr tail', async () => {
    const secrets = secretsFrom({ api: { value: 's3cr3t-v4lue' } });
    const res = await invoke(cliTool({ command: failScript, env_from: [{ name: 'API_TOKEN', secretRef: 'api' }] }, { retry: { max_attempts: 3 } }), {}, { secrets });
    expect(res.error).toEqual({
      code: 'execution_failed',
      reason: 'tool_backend_failure',
      retryable: false,
      message: `cli command "${failScript}" exited with code 3: token was ***, giving up`,
      details: { exit_code: 3 },
    });
    expect(res.attempts).toBe(1);
    expect(res.text).not.toContain('s3cr3t');
  });

  test('a command missing from PATH is a non-retryable execution_failed', async () => {
    const res = await runtime({ allow: ['no-such-command-here'] }).invoke(cliTool({ command: 'no-such-command-here' }), { requestId: 'r' }, { secrets: noSecrets });
    expect([res.error?.code, res.error?.retryable, res.error?.message]).toEqual(['execution_failed', false, 'cli command "no-such-command-here" was not found in the server\'s PATH']);
  });

  test('isolation modes other than none fail closed', async () => {
    const res = await invoke(cliTool({ command: touchScript }, { isolation_mode: 'container' }));
    expect([res.error?.code, res.attempts]).toEqual(['isolation_unavailable', 0]);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('allow-list', () => {
  test('a command not on --tool-cli-allow is refused and nothing runs', async () => {
    const strict = runtime({ allow: ['/bin/true', 'cat'] });
    const res = await strict.invoke(cliTool({ command: touchScript }), { requestId: 'r' }, { secrets: noSecrets });
    expect(res.error).toEqual({
      code: 'runtime_policy_invalid',
      reason: 'tool_runtime_policy_invalid',
      retryable: false,
      message: `cli command "${touchScript}" is not in --tool-cli-allow (/bin/true, cat); entries match a bare command name or an exact absolute path`,
      details: { field: 'spec.cli.command', cause: 'command_not_allowed', command: touchScript },
    });
    expect(res.attempts).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  test('a bare entry matches only the bare name, an absolute entry only that path', async () => {
    const bare = runtime({ allow: ['cat'] });
    const byPath = runtime({ allow: ['/bin/cat'] });
    const run = (r: typeof rt, command: string) => r.invoke(cliTool({ command }), { requestId: 'r' }, { secrets: noSecrets });
    expect((await run(bare, 'cat')).status).toBe('ok');
    expect((await run(bare, '/bin/cat')).error?.details?.cause).toBe('command_not_allowed');
    expect((await run(byPath, '/bin/cat')).status).toBe('ok');
    expect((await run(byPath, 'cat')).error?.details?.cause).toBe('command_not_allowed');
    const relative = await run(runtime({ allow: ['./cat'] }), './cat');
    expect(relative.error?.message).toBe('spec.cli.command "./cat" must be a bare name (looked up in the server\'s PATH) or an absolute path');
  });

  test('the default empty list refuses every cli tool, naming the flag', async () => {
    const res = await runtime({ allow: [] }).invoke(cliTool({ command: 'cat' }), { requestId: 'r' }, { secrets: noSecrets });
    expect(res.error?.message).toBe('cli tools are disabled on this server: --tool-cli-allow is empty; an administrator must add "cat" to --tool-cli-allow to run this tool');
    expect([res.error?.code, res.error?.retryable, res.attempts]).toEqual(['runtime_policy_invalid', false, 0]);
  });
});

describe('timeouts and cancels end the whole process group', () => {
  const treeTool = (timeout: string) => cliTool({ command: treeScript, env: { OUT: dir } }, { timeout });

  test('a timeout kills the child and its grandchild: a retryable timeout', async () => {
    rmSync(join(dir, 'child.pid'), { force: true });
    const res = await invoke(treeTool('2s'));
    expect([res.error?.code, res.error?.reason, res.error?.retryable]).toEqual(['timeout', 'tool_execution_timeout', true]);
    const [child, grandchild] = [pidIn('child.pid'), pidIn('grandchild.pid')];
    await waitUntil(() => dead(child) && dead(grandchild), 'the child and grandchild to end');
  }, 30_000);

  test('a cancel kills them too: a non-retryable canceled', async () => {
    rmSync(join(dir, 'child.pid'), { force: true });
    const ctl = new AbortController();
    const pending = invoke(treeTool('60s'), {}, { signal: ctl.signal });
    await waitUntil(() => pidWritten('child.pid'), 'the tool to start');
    const [child, grandchild] = [pidIn('child.pid'), pidIn('grandchild.pid')];
    expect([dead(child), dead(grandchild)]).toEqual([false, false]);
    ctl.abort();
    const res = await pending;
    expect([res.error?.code, res.error?.retryable]).toEqual(['canceled', false]);
    await waitUntil(() => dead(child) && dead(grandchild), 'the child and grandchild to end');
  }, 30_000);

  test('close() kills the processes still running', async () => {
    rmSync(join(dir, 'child.pid'), { force: true });
    const own = runtime();
    const pending = own.invoke(treeTool('60s'), { requestId: 'r' }, { secrets: noSecrets });
    await waitUntil(() => pidWritten('child.pid'), 'the tool to start');
    const [child, grandchild] = [pidIn('child.pid'), pidIn('grandchild.pid')];
    await own.close();
    const res = await pending;
    expect(res.error?.message).toContain('was killed by signal SIGKILL');
    await waitUntil(() => dead(child) && dead(grandchild), 'the child and grandchild to end');
  }, 30_000);
});
