// wasm tools through the runtime: real modules compiled from WAT, run in worker threads with WASI
// stdin/stdout; traps, exit codes, timeouts and cancel, the memory cap, URL modules and bad specs.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { relative } from 'node:path';
import { createToolRuntime, type ToolRuntimeOptions } from '../../../src/runtime/tools/runtime';
import type { ToolRef } from '../../../src/runtime/tools/types';
import { wasmTransport, type WasmTransport } from '../../../src/runtime/tools/wasm';
import { buildFixtures } from '../../fixtures/wasm/build';
import { noSecrets } from './helpers';

const MiB = 1024 * 1024;
let fx: Awaited<ReturnType<typeof buildFixtures>>;
const runtimes: { close(): Promise<void> }[] = [];

function runtime(opts: ToolRuntimeOptions = {}): { rt: ReturnType<typeof createToolRuntime>; wasm: WasmTransport } {
  const rt = createToolRuntime(opts);
  const wasm = wasmTransport();
  rt.register('wasm', wasm);
  runtimes.push(rt);
  return { rt, wasm };
}

function wasmTool(module: string, wasm: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, name = 'echo'): ToolRef {
  return { name, namespace: 'team', spec: { type: 'wasm', wasm: { module, ...wasm }, ...extra } };
}

const call = (rt: ReturnType<typeof createToolRuntime>, tool: ToolRef, input: unknown = {}, signal?: AbortSignal) =>
  rt.invoke(tool, { requestId: 'req-1', input: input as Record<string, unknown> }, { secrets: noSecrets, signal });

beforeAll(async () => {
  fx = await buildFixtures();
});
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  fx.remove();
});

describe('wasm tools', () => {
  test('the echo module gets the module request on stdin and its response envelope is the output (high risk, sandboxed)', async () => {
    const { rt, wasm } = runtime();
    const tool = wasmTool(fx.path('echo'), { max_memory_bytes: MiB, fuel: 500 }, { capabilities: ['read'], risk_level: 'high', runtime: { isolation_mode: 'sandboxed' } });
    const res = await call(rt, tool, '{"text":"hi"}');
    const request = {
      contract_version: 'v1',
      namespace: 'team',
      tool: 'echo',
      input: { text: 'hi' },
      capabilities: ['read'],
      risk_level: 'high',
      runtime: { entrypoint: 'run', max_memory_bytes: MiB, fuel: 500, enable_wasi: true },
    };
    expect([res.status, res.error, res.attempts]).toEqual(['ok', undefined, 1]);
    expect(res.output).toEqual({ request });
    expect(JSON.parse(res.text)).toEqual({ request });
    expect(wasm.running()).toBe(0);
  });

  test('a relative module path is resolved against the working directory; defaults fill the runtime block', async () => {
    const { rt } = runtime();
    const res = await call(rt, wasmTool(relative(process.cwd(), fx.path('echo'))), { n: 1 });
    expect(res.status).toBe('ok');
    expect((res.output as any).request.runtime).toEqual({ entrypoint: 'run', max_memory_bytes: 64 * MiB, fuel: 1_000_000, enable_wasi: true });
    expect((res.output as any).request.input).toEqual({ n: 1 });
  });

  test('a trap is execution_failed with the trap message and the stderr tail; a WASI command runs _start', async () => {
    const { rt } = runtime();
    const res = await call(rt, wasmTool(fx.path('trap'), {}, {}, 'trapper'));
    expect([res.status, res.error?.code, res.error?.retryable, res.error?.details]).toEqual(['error', 'execution_failed', true, { cause: 'trap' }]);
    expect(res.error?.message).toStartWith('wasm module trapped: ');
    expect(res.error?.message).toContain('nreachable');
    expect(res.error?.message).toEndWith('; stderr: about to fail');
  });

  test('a non-zero exit code is execution_failed with the exit code and stderr', async () => {
    const { rt } = runtime();
    const res = await call(rt, wasmTool(fx.path('grow'), { entrypoint: 'exit' }));
    expect(res.error).toEqual({
      code: 'execution_failed',
      reason: 'tool_backend_failure',
      retryable: true,
      message: 'wasm module exited with code 3; stderr: exiting with 3',
      details: { exit_code: 3 },
    });
  });

  test('a module that never returns is stopped by the timeout (retryable) and its worker is gone', async () => {
    const { rt, wasm } = runtime();
    const res = await call(rt, wasmTool(fx.path('loop'), {}, { runtime: { timeout: '300ms' } }, 'spin'));
    expect([res.error?.code, res.error?.reason, res.error?.retryable, res.attempts]).toEqual(['timeout', 'tool_execution_timeout', true, 1]);
    expect(wasm.running()).toBe(0);
  });

  test('while a module spins, another call completes; cancelling ends the spinning one as canceled', async () => {
    const { rt, wasm } = runtime();
    const ctl = new AbortController();
    let settled = false;
    const spinning = call(rt, wasmTool(fx.path('loop'), {}, {}, 'spin'), {}, ctl.signal).finally(() => (settled = true));
    await waitFor(() => wasm.running() === 1);
    const echo = await call(rt, wasmTool(fx.path('echo')), { ping: true });
    expect([echo.status, (echo.output as any).request.input]).toEqual(['ok', { ping: true }]);
    expect(settled).toBe(false);
    ctl.abort();
    const res = await spinning;
    expect([res.error?.code, res.error?.retryable]).toEqual(['canceled', false]);
    expect(wasm.running()).toBe(0);
  });

  test('max_memory_bytes bounds memory.grow: refused under a 1 MiB cap, granted under 64 MiB', async () => {
    const { rt } = runtime();
    const capped = await call(rt, wasmTool(fx.path('grow'), { max_memory_bytes: MiB }));
    expect(capped.error).toEqual({ code: 'execution_failed', reason: 'tool_backend_failure', retryable: false, message: 'memory.grow returned -1', details: {} });
    const roomy = await call(rt, wasmTool(fx.path('grow'), { max_memory_bytes: 64 * MiB }));
    expect([roomy.status, roomy.text]).toEqual(['ok', 'grew']);
  });

  test('a module that traps after filling its capped memory is reported with the memory cap', async () => {
    const { rt } = runtime();
    const res = await call(rt, wasmTool(fx.path('grow'), { entrypoint: 'crash', max_memory_bytes: MiB + 1000 }));
    expect([res.error?.code, res.error?.details]).toEqual(['execution_failed', { cause: 'memory_cap' }]);
    expect(res.error?.message).toContain('linear memory is at its cap, spec.wasm.max_memory_bytes = 1048576 bytes in whole pages');
  });

  test('an imported memory is created with the capped maximum', async () => {
    const { rt } = runtime();
    const path = await fx.write(
      'imported',
      `(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (import "env" "memory" (memory 1))
        (func (export "run")
          (if (i32.eq (memory.grow (i32.const 32)) (i32.const -1)) (then (call $exit (i32.const 7))))
          unreachable))`,
    );
    const capped = await call(rt, wasmTool(path, { max_memory_bytes: MiB }));
    expect([capped.error?.code, capped.error?.details]).toEqual(['execution_failed', { exit_code: 7 }]);
    const roomy = await call(rt, wasmTool(path, { max_memory_bytes: 4 * MiB }));
    expect([roomy.error?.code, roomy.error?.details]).toEqual(['execution_failed', { cause: 'trap' }]);
  });

  test('a module whose initial memory exceeds the cap is refused, not run', async () => {
    const { rt } = runtime();
    const path = await fx.write('big', '(module (memory (export "memory") 64) (func (export "run")))');
    const res = await call(rt, wasmTool(path, { max_memory_bytes: MiB }));
    expect(res.error).toEqual({
      code: 'runtime_policy_invalid',
      reason: 'tool_runtime_policy_invalid',
      retryable: false,
      message: 'spec.wasm.module: declares 4194304 bytes of initial memory, more than spec.wasm.max_memory_bytes allows (1048576 bytes in whole 64 KiB pages)',
      details: {},
    });
  });

  test('a module importing what the host does not provide is refused naming the import', async () => {
    const { rt } = runtime();
    const path = await fx.write('needs-env', '(module (import "env" "now" (func $now (result i32))) (func (export "run") (drop (call $now))))');
    const res = await call(rt, wasmTool(path));
    expect([res.error?.code, res.error?.retryable]).toEqual(['runtime_policy_invalid', false]);
    expect(res.error?.message).toBe('spec.wasm.module cannot be instantiated (only wasi_snapshot_preview1 imports are provided): import env:now must be an object');
  });

  test('stdout that is not a response envelope is the plain result text', async () => {
    const { rt } = runtime();
    const path = await fx.write(
      'plain',
      `(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "42 degrees")
        (func (export "run")
          (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 10))
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`,
    );
    const res = await call(rt, wasmTool(path));
    expect([res.status, res.output, res.text]).toEqual(['ok', { result: '42 degrees' }, '42 degrees']);
  });

  test('spec problems are refused before any attempt, naming the field', async () => {
    const { rt } = runtime();
    const cases: [ToolRef, string][] = [
      [{ name: 't', spec: { type: 'wasm' } }, 'spec.wasm.module is required for tool type wasm'],
      [wasmTool(fx.path('echo'), { enable_wasi: false }), 'spec.wasm.enable_wasi: modules without WASI are not supported; set enable_wasi: true'],
      [wasmTool('oci://registry.example/tools/echo:1'), 'spec.wasm.module: oci:// modules are not supported; use a file path or an https:// URL'],
    ];
    for (const [tool, message] of cases) {
      const res = await call(rt, tool);
      expect([res.error?.code, res.error?.retryable, res.error?.message, res.attempts]).toEqual(['runtime_policy_invalid', false, message, 0]);
    }
  });

  test('a missing module file, an unknown entrypoint and container isolation are clear errors', async () => {
    const { rt } = runtime();
    const missing = `${fx.dir}/missing.wasm`;
    const res = await call(rt, wasmTool(missing));
    expect([res.error?.code, res.error?.retryable, res.error?.message]).toEqual(['runtime_policy_invalid', false, `spec.wasm.module: cannot read ${missing}: no such file`]);
    const entry = await call(rt, wasmTool(fx.path('echo'), { entrypoint: 'main' }));
    expect(entry.error?.message).toBe('spec.wasm.entrypoint: the module exports no function "main" (exported functions: run)');
    const boxed = await call(rt, wasmTool(fx.path('echo'), {}, { runtime: { isolation_mode: 'container' } }));
    expect(boxed.error?.code).toBe('isolation_unavailable');
  });
});

describe('wasm modules from a URL', () => {
  let server: ReturnType<typeof Bun.serve>;
  const paths: string[] = [];
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req) {
        const path = new URL(req.url).pathname;
        paths.push(path);
        return path === '/echo.wasm' ? new Response(Bun.file(fx.path('echo'))) : new Response('nope', { status: 404 });
      },
    });
  });
  afterAll(() => server.stop(true));

  test('is fetched once and then served from the cache', async () => {
    const { rt } = runtime();
    const tool = wasmTool(`http://127.0.0.1:${server.port}/echo.wasm`);
    const first = await call(rt, tool, { n: 1 });
    const second = await call(rt, tool, { n: 2 });
    expect([first.status, second.status, (second.output as any).request.input]).toEqual(['ok', 'ok', { n: 2 }]);
    expect(paths.filter((p) => p === '/echo.wasm')).toEqual(['/echo.wasm']);
  });

  test('a 404 is a non-retryable failure naming the URL', async () => {
    const { rt } = runtime();
    const url = `http://127.0.0.1:${server.port}/gone.wasm`;
    const res = await call(rt, wasmTool(url));
    expect(res.error).toEqual({ code: 'execution_failed', reason: 'tool_backend_failure', retryable: false, message: `fetching wasm module ${url} answered HTTP 404`, details: { http_status: 404 } });
  });

  test('is refused by the egress guard without a request', async () => {
    const before = paths.length;
    const { rt } = runtime({ egress: { denyPrivate: true } });
    const res = await call(rt, wasmTool(`http://127.0.0.1:${server.port}/echo.wasm`));
    expect([res.error?.code, res.error?.retryable, res.error?.details]).toEqual(['runtime_policy_invalid', false, { cause: 'egress_denied', host: '127.0.0.1' }]);
    expect(paths.length).toBe(before);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await Bun.sleep(5);
  expect(cond()).toBe(true);
}
