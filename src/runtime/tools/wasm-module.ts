// Loads the module of a wasm tool (a file path or an http(s) URL fetched through the egress
// guard), caps its memory and compiles it; compiled modules are kept in a small LRU cache.
import { readUpTo } from '../../util/streams';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ToolError } from './contract';
import type { AttemptContext } from './types';
import { capMemory, type ImportedMemory } from './wasm-limits';

export const DEFAULT_MAX_MODULE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CACHED_MODULES = 32;

export interface LoadedModule {
  module: WebAssembly.Module;
  imported?: ImportedMemory;
  capPages: number;
  /** Names of the exported functions. */
  functions: string[];
}

export interface ModuleCacheOptions {
  /** Largest module file or download accepted (default 64 MiB). */
  maxModuleBytes?: number;
  /** Compiled modules kept (default 32); the least recently used one goes first. */
  maxEntries?: number;
}

type Source = { kind: 'url'; url: URL } | { kind: 'file'; path: string };

/** spec.wasm.module as a source: http(s) URLs are fetched, anything without a scheme is a file path. */
export function sourceOf(module: string): Source {
  const scheme = module.match(/^([a-z][a-z0-9+.-]*):\/\//i)?.[1]?.toLowerCase();
  if (!scheme) return { kind: 'file', path: resolve(process.cwd(), module) };
  if (scheme === 'oci') throw new ToolError('runtime_policy_invalid', 'spec.wasm.module: oci:// modules are not supported; use a file path or an https:// URL');
  if (scheme !== 'http' && scheme !== 'https') throw new ToolError('runtime_policy_invalid', `spec.wasm.module: scheme ${scheme}:// is not supported; use a file path or an https:// URL`);
  try {
    return { kind: 'url', url: new URL(module) };
  } catch {
    throw new ToolError('runtime_policy_invalid', `spec.wasm.module ${JSON.stringify(module)} is not a valid URL`);
  }
}

async function readCapped(body: ReadableStream<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const { bytes, over } = await readUpTo(body, limit);
  if (over) throw new ToolError('runtime_policy_invalid', `spec.wasm.module: ${what} is larger than ${limit} bytes`);
  return bytes;
}

async function download(ctx: AttemptContext, url: URL, limit: number): Promise<Uint8Array> {
  await ctx.guard(url);
  let res: Response;
  try {
    res = await ctx.fetch(url, { signal: ctx.signal, redirect: 'manual' });
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw new ToolError('execution_failed', `fetching wasm module ${url.href} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (res.status < 200 || res.status > 299) {
    await res.body?.cancel().catch(() => {});
    throw new ToolError('execution_failed', `fetching wasm module ${url.href} answered HTTP ${res.status}`, {
      retryable: res.status === 429 || res.status >= 500,
      details: { http_status: res.status },
    });
  }
  return res.body ? readCapped(res.body, limit, `the module at ${url.href}`) : new Uint8Array();
}

async function readModuleFile(path: string, size: number, limit: number): Promise<Uint8Array> {
  if (size > limit) throw new ToolError('runtime_policy_invalid', `spec.wasm.module: ${path} is larger than ${limit} bytes`);
  return new Uint8Array(await Bun.file(path).arrayBuffer());
}

async function compile(bytes: Uint8Array, capBytes: number): Promise<LoadedModule> {
  const capped = capMemory(bytes, capBytes);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(capped.bytes);
  } catch (e) {
    throw new ToolError('runtime_policy_invalid', `spec.wasm.module does not compile: ${e instanceof Error ? e.message : String(e)}`);
  }
  const functions = WebAssembly.Module.exports(module).filter((x) => x.kind === 'function').map((x) => x.name);
  return { module, capPages: capped.capPages, functions, ...(capped.imported ? { imported: capped.imported } : {}) };
}

/**
 * Compiled modules by source and memory cap: a file is keyed by its path, mtime and size (an
 * edited file is recompiled), a URL by its address (fetched once while it stays cached).
 */
export class ModuleCache {
  private readonly entries = new Map<string, Promise<LoadedModule>>();
  private readonly maxBytes: number;
  private readonly maxEntries: number;

  constructor(opts: ModuleCacheOptions = {}) {
    this.maxBytes = opts.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES;
    this.maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_CACHED_MODULES);
  }

  async load(ctx: AttemptContext, module: string, capBytes: number): Promise<LoadedModule> {
    const source = sourceOf(module);
    let key: string;
    let read: () => Promise<Uint8Array>;
    if (source.kind === 'file') {
      const info = await stat(source.path).catch((e: NodeJS.ErrnoException) => {
        const why = e.code === 'ENOENT' ? 'no such file' : e.message;
        throw new ToolError('runtime_policy_invalid', `spec.wasm.module: cannot read ${source.path}: ${why}`, { details: { module: source.path } });
      });
      if (!info.isFile()) throw new ToolError('runtime_policy_invalid', `spec.wasm.module: ${source.path} is not a file`);
      key = `file:${source.path}:${info.mtimeMs}:${info.size}:${capBytes}`;
      read = () => readModuleFile(source.path, info.size, this.maxBytes);
    } else {
      key = `url:${source.url.href}:${capBytes}`;
      read = () => download(ctx, source.url, this.maxBytes);
    }
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used goes to the back of the map's insertion order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = read().then((bytes) => compile(bytes, capBytes));
    this.entries.set(key, pending);
    // A failure (missing file, refused URL, bad module) is not cached: the next call tries again.
    void pending.catch(() => this.entries.get(key) === pending && this.entries.delete(key));
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return pending;
  }

  clear(): void {
    this.entries.clear();
  }
}
