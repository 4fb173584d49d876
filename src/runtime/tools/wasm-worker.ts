// Worker-thread entry of wasm tools: instantiates one compiled module with a WASI preview1 shim
// (stdin/stdout/stderr are in-memory buffers; no files, no environment), runs its entrypoint once
// and posts back what it wrote. Killing the thread is how a timeout stops a runaway module.
import { ConsoleStdout, File, OpenFile, WASI, WASIProcExit } from '@bjorn3/browser_wasi_shim';
import type { ImportedMemory } from './wasm-limits';

declare const self: Worker;

export interface WasmRunRequest {
  module: WebAssembly.Module;
  /** The exported function to call; `_initialize` runs first when the module exports it (WASI reactors). */
  entrypoint: string;
  args: string[];
  stdin: Uint8Array;
  imported?: ImportedMemory;
  stdoutLimit: number;
  stderrLimit: number;
}

export type WasmRunResult =
  | { kind: 'exit'; code: number; stdout: Uint8Array; stderr: string; stdoutOverflow: boolean }
  | { kind: 'trap'; message: string; stderr: string; memoryBytes?: number }
  | { kind: 'link'; message: string };

/** Keeps the first `limit` bytes of everything written and notes whether more came. */
function sink(limit: number) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let overflow = false;
  const fd = new ConsoleStdout((data: Uint8Array) => {
    const room = limit - size;
    if (data.length > room) overflow = true;
    const part = data.length > room ? data.subarray(0, Math.max(0, room)) : data;
    if (part.length) {
      chunks.push(part.slice());
      size += part.length;
    }
  });
  // A copy with its own buffer: a pooled Buffer would carry its whole pool across threads.
  return { fd, bytes: () => new Uint8Array(Buffer.concat(chunks)), overflow: () => overflow };
}

/** The last `limit` bytes written: stderr tails are what explain a failure. */
function tail(limit: number) {
  let buf = Buffer.alloc(0);
  const fd = new ConsoleStdout((data: Uint8Array) => {
    buf = Buffer.concat([buf, data]);
    if (buf.length > limit) buf = buf.subarray(buf.length - limit);
  });
  return { fd, text: () => buf.toString('utf8') };
}

/** An error's message without the engine's "(evaluating '…')" suffix, which quotes host code. */
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e)).replace(/\s*\(evaluating '[\s\S]*'\)$/, '');

export function runModule(req: WasmRunRequest): WasmRunResult {
  const stdout = sink(req.stdoutLimit);
  const stderr = tail(req.stderrLimit);
  const wasi = new WASI(req.args, [], [new OpenFile(new File(req.stdin, { readonly: true })), stdout.fd, stderr.fd]);
  const memory = req.imported
    ? new WebAssembly.Memory({ initial: req.imported.initial, maximum: req.imported.maximum, shared: req.imported.shared })
    : undefined;
  const imports: Record<string, Record<string, unknown>> = { wasi_snapshot_preview1: wasi.wasiImport };
  if (req.imported && memory) imports[req.imported.module] = { ...(imports[req.imported.module] ?? {}), [req.imported.name]: memory };
  let exports: Record<string, unknown> | undefined;
  const linear = () => (exports?.memory instanceof WebAssembly.Memory ? exports.memory : memory);
  try {
    exports = new WebAssembly.Instance(req.module, imports as never).exports as Record<string, unknown>;
    // The shim reads guest memory through inst.exports.memory, which an imported memory lacks.
    wasi.inst = { exports: { ...exports, memory: linear() } } as unknown as typeof wasi.inst;
    if (req.entrypoint !== '_start' && typeof exports._initialize === 'function') (exports._initialize as () => void)();
    (exports[req.entrypoint] as () => unknown)();
    return { kind: 'exit', code: 0, stdout: stdout.bytes(), stderr: stderr.text(), stdoutOverflow: stdout.overflow() };
  } catch (e) {
    // Imports the host does not provide (anything outside WASI preview 1 and the planned memory)
    // fail the instantiation with a LinkError, or a TypeError for a whole missing import module.
    if (!exports && (e instanceof WebAssembly.LinkError || e instanceof TypeError)) return { kind: 'link', message: messageOf(e) };
    if (e instanceof WASIProcExit) return { kind: 'exit', code: e.code, stdout: stdout.bytes(), stderr: stderr.text(), stdoutOverflow: stdout.overflow() };
    const bytes = linear()?.buffer.byteLength;
    return { kind: 'trap', message: messageOf(e), stderr: stderr.text(), ...(bytes !== undefined ? { memoryBytes: bytes } : {}) };
  }
}

// Only as a worker thread: one request in, one result out, then the parent terminates the thread.
if (!Bun.isMainThread) {
  self.onmessage = (event: MessageEvent<WasmRunRequest>) => self.postMessage(runModule(event.data));
}
