// The memory port: one interface every backend implements (a file per provider beside this one),
// and the per-process registry that hands agents, the entries API and the Memory controller the
// backend of a Memory resource.

/** One stored entry; `score` (0–1, higher is closer) is set by search only. */
export interface MemoryEntry {
  key: string;
  value: string;
  score?: number;
}

export interface MemoryBackend {
  /** Inserts or replaces the value under `key`. */
  put(key: string, value: string, signal?: AbortSignal): Promise<void>;
  get(key: string, signal?: AbortSignal): Promise<MemoryEntry | undefined>;
  /** Entries whose key starts with `prefix` ('' = all), sorted by key, at most `limit`. */
  list(prefix: string, limit: number, signal?: AbortSignal): Promise<MemoryEntry[]>;
  /** Best matches first, each with a score in 0–1, at most `topK`. */
  search(query: string, topK: number, signal?: AbortSignal): Promise<MemoryEntry[]>;
  /** True when the key existed. */
  delete(key: string, signal?: AbortSignal): Promise<boolean>;
  /** Resolves when the backend is reachable; rejects with an error naming what is wrong. */
  ping(signal?: AbortSignal): Promise<void>;
  /** Releases connections; the backend is not used afterwards. */
  close?(): void;
}

/** A Memory resource as the registry stores it (only what backends read). */
export interface MemoryObject {
  metadata: { name: string; namespace?: string; uid?: string; generation?: number };
  spec: Record<string, any>;
}

/**
 * The backends of one process, built lazily on first use from the Memory's current spec and
 * rebuilt when its generation changes. Errors name the field at fault (e.g. spec.provider).
 */
export interface MemoryBackends {
  /** The backend of a stored Memory (throws MemoryError when it cannot be built). */
  backendFor(memory: MemoryObject): Promise<MemoryBackend>;
  /** Drops a Memory's backend and every entry it stored (the Memory was deleted). */
  forget(namespace: string, name: string): Promise<void>;
  /** Closes every backend. */
  close(): void;
}

/**
 * A backend that cannot be built or answered with a failure; `retryable` for transient causes,
 * `field` when the Memory's spec is at fault, `status` the HTTP status a remote backend answered.
 */
export class MemoryError extends Error {
  constructor(
    message: string,
    readonly retryable = false,
    readonly field?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MemoryError';
  }
}

/** Limits every writer of entries applies (the entries API and the memory tools). */
export const MEMORY_KEY_MAX_BYTES = 1024;
export const MEMORY_VALUE_MAX_BYTES = 1024 * 1024;

/** Why a key cannot be stored, or undefined when it can. */
export function memoryKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (key.isWellFormed && !key.isWellFormed()) return 'must be valid UTF-8 (it contains a lone surrogate)';
  if (Buffer.byteLength(key, 'utf8') > MEMORY_KEY_MAX_BYTES) return `must be at most ${MEMORY_KEY_MAX_BYTES} bytes of UTF-8`;
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'must not contain control characters';
  return undefined;
}

/** Why a value cannot be stored, or undefined when it can. */
export function memoryValueProblem(value: string): string | undefined {
  if (value.isWellFormed && !value.isWellFormed()) return 'must be valid UTF-8 (it contains a lone surrogate)';
  if (Buffer.byteLength(value, 'utf8') > MEMORY_VALUE_MAX_BYTES) return `must be at most ${MEMORY_VALUE_MAX_BYTES} bytes of UTF-8`;
  return undefined;
}
