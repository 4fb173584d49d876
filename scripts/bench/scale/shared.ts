// What scripts/bench/scale.ts and its modules share: the flags the runs read, the run's state (bench
// directory, processes, PostgreSQL server, fake model) and small formatting helpers.
import type { Subprocess } from 'bun';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PgConnection } from '../../../src/store/pg/connect';
import type { PostgresServer } from '../../../test/support/postgres';

export const ROOT = join(import.meta.dir, '..', '..', '..');
export const BUN = process.execPath;

/** The flags the runs read (scale.ts parses them). The CRUD ones stay as given: crud() reads them when it starts. */
export interface Config {
  tasks: number; concurrency: number; warmup: number; taskTimeoutMs: number; poolSize: number; probeTasks: number;
  connections: string; crudDuration: string; crudWarmup: string;
}

/**
 * Set by scale.ts as the run goes: the bench directory, every process to stop at the end, the
 * PostgreSQL server, its admin connection and postmaster pid, and the fake model.
 */
export const state = {
  tmpRoot: '',
  procs: [] as Subprocess[],
  pg: undefined as PostgresServer | undefined,
  admin: undefined as PgConnection | undefined,
  fakeUrl: '',
  fakePid: 0,
  pgPid: 0,
};

export function ms(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new Error(`bad duration "${v}" (use e.g. 500ms, 10s, 2m)`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}

export const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2));
export const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
export const log = (line: string) => console.error(line);
export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
