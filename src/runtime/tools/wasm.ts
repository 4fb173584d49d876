// Transport for `type: wasm`: runs the tool's WebAssembly module (WASI preview1) in its own worker
// thread per call: the module request JSON on stdin, the response envelope read from stdout.
// WebAssembly is the sandbox, so the transport provides the `wasm` and `sandboxed` isolation modes.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONTRACT_VERSION, ToolError, isResponseEnvelope, readResponse, type ToolOutput } from './contract';
import type { AttemptContext, ToolRef, Transport } from './types';
import { ModuleCache, sourceOf, type LoadedModule, type ModuleCacheOptions } from './wasm-module';
import { PAGE_BYTES } from './wasm-limits';
import type { WasmRunRequest, WasmRunResult } from './wasm-worker';
import { MAX_RESPONSE_BYTES } from './wire';

export const DEFAULT_WASM_ENTRYPOINT = 'run';
export const DEFAULT_WASM_MEMORY_BYTES = 64 * 1024 * 1024;
export const DEFAULT_WASM_FUEL = 1_000_000;
const STDERR_TAIL_BYTES = 2048;
const STDERR_SHOWN = 500;

export interface WasmTransportOptions extends ModuleCacheOptions {
  /** Most bytes a module may write to stdout (default 4 MiB, as for HTTP replies). */
  maxStdoutBytes?: number;
}

export interface WasmTransport extends Transport {
  /** Worker threads running a module right now. */
  running(): number;
}

/**
 * The worker entry. From sources it sits next to this file; in the compiled executable every
 * module shares the bundle's URL and the entry keeps its path under src/ (the build's --root).
 */
function workerUrl(): URL {
  const source = new URL('./wasm-worker.ts', import.meta.url);
  return existsSync(fileURLToPath(source)) ? source : new URL('./runtime/tools/wasm-worker.ts', import.meta.url);
}

interface Settings {
  module: string;
  entrypoint: string;
  maxMemoryBytes: number;
  fuel: number;
}

function settingsOf(tool: ToolRef): Settings {
  const w = tool.spec.wasm ?? {};
  return {
    module: typeof w.module === 'string' ? w.module.trim() : '',
    entrypoint: typeof w.entrypoint === 'string' && w.entrypoint.trim() ? w.entrypoint.trim() : DEFAULT_WASM_ENTRYPOINT,
    maxMemoryBytes: Number.isInteger(w.max_memory_bytes) && w.max_memory_bytes > 0 ? w.max_memory_bytes : DEFAULT_WASM_MEMORY_BYTES,
    fuel: Number.isInteger(w.fuel) && w.fuel > 0 ? w.fuel : DEFAULT_WASM_FUEL,
  };
}

function check(tool: ToolRef): ToolError | undefined {
  const w = tool.spec.wasm ?? {};
  if (!settingsOf(tool).module) return new ToolError('runtime_policy_invalid', 'spec.wasm.module is required for tool type wasm');
  if (w.enable_wasi === false) {
    return new ToolError('runtime_policy_invalid', 'spec.wasm.enable_wasi: modules without WASI are not supported; set enable_wasi: true');
  }
  try {
    sourceOf(w.module.trim());
    return undefined;
  } catch (e) {
    return e as ToolError;
  }
}

/** The configured entrypoint; a WASI command (`_start`) runs when the default `run` is not exported. */
function entrypointOf(loaded: LoadedModule, s: Settings): string {
  if (loaded.functions.includes(s.entrypoint)) return s.entrypoint;
  if (s.entrypoint === DEFAULT_WASM_ENTRYPOINT && loaded.functions.includes('_start')) return '_start';
  const names = loaded.functions.length ? loaded.functions.join(', ') : 'none';
  throw new ToolError('runtime_policy_invalid', `spec.wasm.entrypoint: the module exports no function ${JSON.stringify(s.entrypoint)} (exported functions: ${names})`);
}

function stderrNote(stderr: string): string {
  const text = stderr.trim();
  if (!text) return '';
  return `; stderr: ${text.length > STDERR_SHOWN ? `…${text.slice(-STDERR_SHOWN)}` : text}`;
}

/** Reads what the module wrote: a response envelope, or any other text as the plain result. */
function outputOf(result: WasmRunResult, loaded: LoadedModule, maxStdout: number): ToolOutput {
  if (result.kind === 'link') {
    throw new ToolError('runtime_policy_invalid', `spec.wasm.module cannot be instantiated (only wasi_snapshot_preview1 imports are provided): ${result.message}`);
  }
  if (result.kind === 'trap') {
    const cap = loaded.capPages * PAGE_BYTES;
    const atCap = result.memoryBytes !== undefined && result.memoryBytes + PAGE_BYTES > cap;
    const memory = atCap ? ` (linear memory is at its cap, spec.wasm.max_memory_bytes = ${cap} bytes in whole pages; memory.grow fails beyond it)` : '';
    throw new ToolError('execution_failed', `wasm module trapped: ${result.message}${memory}${stderrNote(result.stderr)}`, {
      details: { cause: atCap ? 'memory_cap' : 'trap' },
    });
  }
  if (result.code !== 0) {
    throw new ToolError('execution_failed', `wasm module exited with code ${result.code}${stderrNote(result.stderr)}`, { details: { exit_code: result.code } });
  }
  if (result.stdoutOverflow) throw new ToolError('execution_failed', `wasm module wrote more than ${maxStdout} bytes to stdout`, { retryable: false });
  const text = Buffer.from(result.stdout).toString('utf8');
  if (!text.trim()) throw new ToolError('execution_failed', `wasm module wrote nothing to stdout${stderrNote(result.stderr)}`, { retryable: false });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { output: { result: text }, text };
  }
  if (!isResponseEnvelope(body) || !['contract_version', 'tool_contract_version', 'output', 'error'].some((k) => k in body)) {
    return { output: { result: text }, text };
  }
  const version = (body as { contract_version?: unknown }).contract_version;
  if (version !== undefined && version !== CONTRACT_VERSION) {
    throw new ToolError('execution_failed', `wasm module replied with unsupported contract version ${JSON.stringify(version)}`, {
      retryable: false,
      details: { cause: 'invalid_response' },
    });
  }
  return readResponse(body);
}

/** Runs one request in a fresh worker; the attempt's signal (timeout or cancel) terminates it. */
function runInWorker(url: URL, req: WasmRunRequest, signal: AbortSignal, live: Set<Worker>): Promise<WasmRunResult> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const worker = new Worker(url, { smol: true });
    live.add(worker);
    const finish = () => {
      signal.removeEventListener('abort', onAbort);
      live.delete(worker);
      void worker.terminate();
    };
    const onAbort = () => {
      finish();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<WasmRunResult>) => {
      finish();
      resolve(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      finish();
      reject(new ToolError('execution_failed', `wasm worker failed: ${event.message}`));
    };
    worker.postMessage(req);
  });
}

export function wasmTransport(opts: WasmTransportOptions = {}): WasmTransport {
  const cache = new ModuleCache(opts);
  const live = new Set<Worker>();
  const maxStdout = opts.maxStdoutBytes ?? MAX_RESPONSE_BYTES;
  let url: URL | undefined;

  async function call(ctx: AttemptContext): Promise<ToolOutput> {
    const s = settingsOf(ctx.tool);
    const loaded = await cache.load(ctx, s.module, s.maxMemoryBytes);
    const entrypoint = entrypointOf(loaded, s);
    const request = {
      contract_version: CONTRACT_VERSION,
      namespace: ctx.namespace,
      tool: ctx.tool.name,
      input: ctx.input,
      capabilities: ctx.tool.spec.capabilities ?? [],
      risk_level: ctx.tool.spec.risk_level ?? 'low',
      runtime: { entrypoint: s.entrypoint, max_memory_bytes: s.maxMemoryBytes, fuel: s.fuel, enable_wasi: true },
    };
    url ??= workerUrl();
    const result = await runInWorker(
      url,
      {
        module: loaded.module,
        entrypoint,
        args: [ctx.tool.name],
        stdin: new TextEncoder().encode(JSON.stringify(request)),
        ...(loaded.imported ? { imported: loaded.imported } : {}),
        stdoutLimit: maxStdout,
        stderrLimit: STDERR_TAIL_BYTES,
      },
      ctx.signal,
      live,
    );
    return outputOf(result, loaded, maxStdout);
  }

  return {
    call,
    check,
    isolation: ['wasm', 'sandboxed'],
    running: () => live.size,
    async close() {
      for (const worker of live) void worker.terminate();
      live.clear();
      cache.clear();
    },
  };
}
