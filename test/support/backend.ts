// The backend the tests run on: SQLite in memory (the default), or PostgreSQL when
// ORRERY_TEST_STORE=postgres (`npm run test:postgres`): the same registry, watch, API and engine
// tests then run against a fresh database each, on the server test/support/pg-preload.ts started.
import { SQL } from 'bun';
import { randomBytes } from 'node:crypto';
import { AuthStore, type Users } from '../../src/auth/store';
import { PgAuthStore } from '../../src/auth/pg-store';
import type { Backend } from '../../src/cli/store-config';
import { openDatabase } from '../../src/store/database';
import { pgBackend, type PgBackend } from '../../src/store/pg/backend';
import { applyPgMigrations } from '../../src/store/pg/migrate';
import { PgResourceStore } from '../../src/store/pg/resource-store';
import { SecretCipher } from '../../src/store/secret-cipher';
import { sqliteBackend } from '../../src/store/sqlite-backend';
import { withDatabase } from './postgres';

export const TEST_STORE: 'sqlite' | 'postgres' = process.env.ORRERY_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

const readiness = new WeakMap<object, Promise<void>>();

/** The user store of a test backend (the auth layer keeps its own per dialect). */
export function testUsers(b: Backend): Users {
  return b.dialect === 'sqlite' ? new AuthStore(b.handle) : deferred(new PgAuthStore(b.pg), readiness.get(b) ?? Promise.resolve());
}

export function testBackend(cipher: SecretCipher = SecretCipher.random()): Backend {
  return TEST_STORE === 'postgres' ? lazyPgBackend(cipher) : sqliteBackend(openDatabase(':memory:'), cipher);
}

/**
 * A PostgreSQL backend on a new database, returned at once: every call waits until the database
 * is created and migrated, so tests written against the synchronous SQLite set-up run unchanged.
 */
function lazyPgBackend(cipher: SecretCipher): PgBackend {
  const base = process.env.ORRERY_TEST_DATABASE_URL;
  if (!base) throw new Error('ORRERY_TEST_STORE=postgres needs the preload test/support/pg-preload.ts (npm run test:postgres)');
  const name = `t_${randomBytes(6).toString('hex')}`;
  // Idle connections close quickly: a test file builds many backends and seldom closes them.
  const pool = new SQL({ url: withDatabase(base, name), max: 4, idleTimeout: 1 });
  const ready = (async () => {
    const admin = new SQL({ url: base, max: 1 });
    try {
      await admin.unsafe(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.close();
    }
    await applyPgMigrations(pool);
  })();
  ready.catch(() => {});
  const backend = deferred(pgBackend(new PgResourceStore(pool), cipher, name, () => pool.close()), ready);
  readiness.set(backend, ready);
  return backend;
}

/** `target` whose methods (and those of the parts its factories return) first wait for `ready`. */
function deferred<T extends object>(target: T, ready: Promise<void>): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      const v = Reflect.get(t, key, receiver);
      if (typeof v !== 'function') return v && typeof v === 'object' && !(v instanceof SQL) && ['resources', 'changes', 'events', 'meta'].includes(String(key)) ? deferred(v, ready) : v;
      if (key === 'withEmbeddings') {
        return async function* (...args: unknown[]) {
          await ready;
          yield* v.apply(t, args);
        };
      }
      // Factories (records, journal, logs, dedupe, memory, lease) return parts to defer as well.
      if (['records', 'journal', 'logs', 'dedupe', 'memory', 'lease'].includes(String(key))) return (...args: unknown[]) => deferred(v.apply(t, args), ready);
      return (...args: unknown[]) => ready.then(() => v.apply(t, args));
    },
  });
}
