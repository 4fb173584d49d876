// Passes every error of a bun:sqlite connection through one translation, so a driver error that
// means something to the API (a full disk) leaves the store as a typed error, whoever wrote:
// the registry, auth, sealing, logs or the task journal.
import type { Database } from 'bun:sqlite';

const STATEMENT_METHODS = ['run', 'get', 'all', 'values'] as const;
const TRANSACTION_MODES = ['deferred', 'immediate', 'exclusive'] as const;

type AnyFn = (...args: any[]) => any;

function translated<F extends AnyFn>(fn: F, translate: (e: unknown) => unknown): F {
  return function (this: unknown, ...args: unknown[]) {
    try {
      return fn.apply(this, args);
    } catch (e) {
      throw translate(e);
    }
  } as F;
}

/**
 * Wraps the connection's statements (prepared or cached), exec/run and transactions (whose COMMIT,
 * where a WAL write usually fails, runs inside bun:sqlite) so every thrown error goes through
 * `translate` first.
 */
export function guardConnection(sqlite: Database, translate: (e: unknown) => unknown): void {
  const guarded = new WeakSet<object>();
  const guard = <S extends object>(stmt: S): S => {
    if (guarded.has(stmt)) return stmt;
    guarded.add(stmt);
    const s = stmt as unknown as Record<string, AnyFn>;
    for (const m of STATEMENT_METHODS) if (typeof s[m] === 'function') s[m] = translated(s[m].bind(stmt), translate);
    return stmt;
  };
  const db = sqlite as unknown as Record<string, AnyFn>;
  for (const m of ['prepare', 'query'] as const) {
    const original = db[m].bind(sqlite);
    db[m] = (...args: unknown[]) => guard(original(...args));
  }
  for (const m of ['exec', 'run'] as const) db[m] = translated(db[m].bind(sqlite), translate);
  const transaction = db.transaction.bind(sqlite);
  db.transaction = (fn: AnyFn) => {
    const tx = transaction(fn) as AnyFn & Record<string, AnyFn>;
    const out = translated(tx, translate) as AnyFn & Record<string, AnyFn>;
    for (const mode of TRANSACTION_MODES) out[mode] = translated(tx[mode], translate);
    return out;
  };
}
