// Makes max_memory_bytes a real bound on a WebAssembly module's linear memory: the memory section's
// limits are rewritten to min(declared maximum, cap) and an imported memory is planned with that maximum.
import { ToolError } from './contract';

export const PAGE_BYTES = 65536;

/** The memory a module imports, to be created by the host with a capped maximum. */
export interface ImportedMemory {
  module: string;
  name: string;
  initial: number;
  maximum: number;
  shared: boolean;
}

export interface CappedModule {
  bytes: Uint8Array;
  imported?: ImportedMemory;
  capPages: number;
}

const invalid = (message: string) => new ToolError('runtime_policy_invalid', `spec.wasm.module: ${message}`);

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {}

  byte(): number {
    if (this.pos >= this.end) throw invalid('is not a valid WebAssembly binary (unexpected end)');
    return this.bytes[this.pos++];
  }

  /** Unsigned LEB128 (up to 64 bits, returned as a number; page counts stay far below 2^53). */
  uleb(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (!(b & 0x80)) return result;
      scale *= 128;
    }
    throw invalid('is not a valid WebAssembly binary (LEB128 too long)');
  }

  /** Signed LEB128, only skipped (heap types). */
  skipSleb(): void {
    while (this.byte() & 0x80);
  }

  name(): string {
    const len = this.uleb();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw invalid('is not a valid WebAssembly binary (name past the end)');
    return new TextDecoder().decode(this.bytes.subarray(start, this.pos));
  }
}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

interface Limits {
  flags: number;
  initial: number;
  maximum?: number;
}

function readLimits(r: Reader): Limits {
  const flags = r.byte();
  if (flags & 0x04) throw invalid('64-bit memories are not supported');
  if (flags > 0x03) throw invalid(`unknown memory limits flag ${flags}`);
  const initial = r.uleb();
  return { flags, initial, ...(flags & 0x01 ? { maximum: r.uleb() } : {}) };
}

function capped(l: Limits, capPages: number): Limits {
  if (l.initial > capPages) {
    throw invalid(
      `declares ${l.initial * PAGE_BYTES} bytes of initial memory, more than spec.wasm.max_memory_bytes allows (${capPages * PAGE_BYTES} bytes in whole 64 KiB pages)`,
    );
  }
  return { flags: l.flags | 0x01, initial: l.initial, maximum: Math.min(l.maximum ?? capPages, capPages) };
}

/** Skips a value type or reference type (0x63/0x64 carry a heap type). */
function skipType(r: Reader): void {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.skipSleb();
}

/** Reads the import section; returns the imported memory (if any), refusing more than one memory. */
function readImports(r: Reader): ImportedMemory | undefined {
  let memory: ImportedMemory | undefined;
  for (let n = r.uleb(); n > 0; n--) {
    const module = r.name();
    const name = r.name();
    const kind = r.byte();
    if (kind === 0x00) r.uleb();
    else if (kind === 0x01) {
      skipType(r);
      readLimits(r);
    } else if (kind === 0x02) {
      if (memory) throw invalid('imports more than one memory (multiple memories are not supported)');
      const l = readLimits(r);
      memory = { module, name, initial: l.initial, maximum: l.maximum ?? Number.POSITIVE_INFINITY, shared: !!(l.flags & 0x02) };
    } else if (kind === 0x03) {
      skipType(r);
      r.byte();
    } else if (kind === 0x04) {
      r.byte();
      r.uleb();
    } else throw invalid(`has an import of unknown kind ${kind}`);
  }
  return memory;
}

/**
 * Returns the module bytes with every defined memory's maximum capped at `capBytes` (rounded down
 * to whole pages), and the plan for an imported memory; refuses a module whose initial memory
 * already exceeds the cap, 64-bit memories and multiple memories.
 */
export function capMemory(bytes: Uint8Array, capBytes: number): CappedModule {
  const capPages = Math.floor(capBytes / PAGE_BYTES);
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw invalid('is not a WebAssembly binary (missing \\0asm header)');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw invalid('is not a core WebAssembly module of version 1 (components are not supported)');
  }
  const r = new Reader(bytes);
  r.pos = 8;
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let imported: ImportedMemory | undefined;
  while (r.pos < bytes.length) {
    const sectionStart = r.pos;
    const id = r.byte();
    const size = r.uleb();
    const bodyStart = r.pos;
    const end = bodyStart + size;
    if (end > bytes.length) throw invalid('is not a valid WebAssembly binary (section past the end)');
    const body = new Reader(bytes, end);
    body.pos = bodyStart;
    if (id === 2) {
      imported = readImports(body);
      if (imported) {
        const l = capped({ flags: 0x01, initial: imported.initial, maximum: Number.isFinite(imported.maximum) ? imported.maximum : undefined }, capPages);
        imported = { ...imported, maximum: l.maximum! };
      }
      parts.push(bytes.subarray(sectionStart, end));
    } else if (id === 5) {
      const count = body.uleb();
      if (count + (imported ? 1 : 0) > 1) throw invalid('has more than one memory (multiple memories are not supported)');
      const out: number[] = [...uleb(count)];
      for (let i = 0; i < count; i++) {
        const l = capped(readLimits(body), capPages);
        out.push(l.flags, ...uleb(l.initial), ...uleb(l.maximum!));
      }
      parts.push(Uint8Array.of(5, ...uleb(out.length), ...out));
    } else {
      parts.push(bytes.subarray(sectionStart, end));
    }
    r.pos = end;
  }
  return { bytes: Buffer.concat(parts), ...(imported ? { imported } : {}), capPages };
}
