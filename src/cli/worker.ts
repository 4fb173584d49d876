// `orrery worker`: a worker-only process on the same database as the servers: a SQLite data
// directory on the same machine (--data-dir), or a PostgreSQL database from any machine
// (--database-url). It claims and runs tasks; no HTTP listener.
import { ApiError } from '../errors';
import { engineConfig, engineFlags, workerDefaultId } from './engine-config';
import { flagHelp, LOG_LEVEL_FLAG, parseFlags, type FlagSpec } from './flags';
import { createCore } from '../core';
import { createLogger, type LogLevel } from '../log';
import { startEngine } from '../runtime/engine';
import { lockWorkerId, type ProcessLock } from '../store/process-locks';
import { DATA_DIR_FLAG, DATABASE_FLAGS, openConfiguredStore, storeConfig, storeLocation, type Backend } from './store-config';
import { mkdirSync } from 'node:fs';
import { KeyError } from '../store/secret-cipher';
import { processMemoryBackends } from './memory-backends';
import { systemClock } from '../util/time';

export const WORKER_FLAGS: FlagSpec[] = [
  { ...DATA_DIR_FLAG, description: 'Data directory of the server whose tasks to run (same machine; unused with --database-url)' },
  ...DATABASE_FLAGS,
  LOG_LEVEL_FLAG,
  ...engineFlags(workerDefaultId()),
];

export function workerHelp(): string {
  const flags = flagHelp(WORKER_FLAGS);
  return `Usage: orrery worker [flags]

Runs tasks from a data directory shared with \`orrery serve\` (same machine), or from the
PostgreSQL database of the servers (--database-url, any machine). Start the servers with
--embedded-worker=false to leave all tasks to workers, or keep both.

Flags:
${flags}
`;
}

export async function workerCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(workerHelp());
    return 0;
  }
  let values: Record<string, string>;
  let engine;
  try {
    values = parseFlags(args, WORKER_FLAGS, env);
    engine = engineConfig(values);
    if (engine.problems.length) throw new Error(engine.problems.join('; '));
  } catch (e) {
    process.stderr.write(`orrery worker: ${e instanceof ApiError ? e.message : (e as Error).message}\nRun \`orrery worker --help\` for the flags and their environment variables.\n`);
    return 2;
  }
  const log = createLogger(values['log-level'] as LogLevel);
  const store = storeConfig(values, env);
  let persistent: Backend;
  let lock: ProcessLock | undefined;
  try {
    // Two workers with one id on one data directory would steal each other's leases.
    if (!store.databaseUrl) {
      mkdirSync(store.dataDir, { recursive: true, mode: 0o700 });
      lock = lockWorkerId(store.dataDir, engine.config.workerId);
    }
    persistent = await openConfiguredStore(store, `orrery worker ${engine.config.workerId}`);
  } catch (e) {
    lock?.release();
    log.error(e instanceof KeyError ? e.message : `cannot start: ${(e as Error).message}`);
    return 1;
  }
  const core = createCore({ backend: persistent, clock: systemClock });
  core.watch.log = log;
  const stopWaking = persistent.dialect === 'postgres' ? await persistent.onCommitAnywhere(() => void core.watch.poll().catch(() => {})) : undefined;
  // createCore registered the journal cleanup: the tasks this worker ends leave no journal behind.
  // Memory entries on the sqlite provider are the server's: both open the same database file.
  const memory = processMemoryBackends({ entries: persistent.memory(), registry: core.registry, clock: systemClock, log, egressPrivate: engine.config.egressPrivate, env });
  const running = await startEngine({
    core,
    clock: systemClock,
    log,
    config: engine.config,
    logs: persistent.logs(systemClock),
    env,
    memory,
  });
  log.info('worker running', { ...storeLocation(store), worker: engine.config.workerId });
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      log.info(`received ${sig}: handing tasks back`);
      void running.stop().then(resolve);
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
  await stopWaking?.();
  core.stop();
  memory.close();
  await persistent.close();
  lock?.release();
  log.info('stopped');
  return 0;
}
