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

/** A backend that cannot be built or answered with a failure; `retryable` for transient causes. */
export class MemoryError extends Error {
  constructor(
    message: string,
    readonly retryable = false,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'MemoryError';
  }
}
