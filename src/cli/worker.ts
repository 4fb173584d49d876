// `orrery worker --data-dir DIR`: a worker-only process on the same database as a server (SQLite
// lets several processes on one machine share it). It claims and runs tasks; no HTTP listener.
import { ApiError } from '../errors';
import { engineConfig, engineFlags, workerDefaultId } from './engine-config';
import { flagHelp, LOG_LEVEL_FLAG, parseFlags, type FlagSpec } from './flags';
import { createCore } from '../core';
import { createLogger, type LogLevel } from '../log';
import { startEngine } from '../runtime/engine';
import { ObjectLogs } from '../store/object-logs';
import { openStore } from '../store/open-store';
import { lockWorkerId } from '../store/process-locks';
import { mkdirSync } from 'node:fs';
import { KeyError } from '../store/secret-cipher';
import { processMemoryBackends } from './memory-backends';
import { systemClock } from '../util/time';

export const WORKER_FLAGS: FlagSpec[] = [
  { name: 'data-dir', description: 'Data directory of the server whose tasks to run', default: './data' },
  LOG_LEVEL_FLAG,
  ...engineFlags(workerDefaultId()),
];

export function workerHelp(): string {
  const flags = flagHelp(WORKER_FLAGS);
  return `Usage: orrery worker [flags]

Runs tasks from a data directory shared with \`orrery serve\` (same machine). Start the server with
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
  let persistent;
  let lock;
  try {
    mkdirSync(values['data-dir'], { recursive: true, mode: 0o700 });
    lock = lockWorkerId(values['data-dir'], engine.config.workerId);
    persistent = openStore(values['data-dir'], env.ORLOJ_SECRET_ENCRYPTION_KEY);
  } catch (e) {
    lock?.release();
    log.error(e instanceof KeyError ? e.message : `cannot start: ${(e as Error).message}`);
    return 1;
  }
  const core = createCore({ handle: persistent.handle, store: persistent.store, cipher: persistent.cipher, clock: systemClock });
  // createCore registered the journal cleanup: the tasks this worker ends leave no journal behind.
  // Memory entries on the sqlite provider are the server's: both open the same database file.
  const memory = processMemoryBackends({ handle: persistent.handle, registry: core.registry, clock: systemClock, log, egressPrivate: engine.config.egressPrivate, env });
  const running = await startEngine({
    core,
    clock: systemClock,
    log,
    config: engine.config,
    logs: new ObjectLogs(persistent.handle, systemClock),
    env,
    memory,
  });
  log.info('worker running', { dataDir: values['data-dir'], worker: engine.config.workerId });
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      log.info(`received ${sig}: handing tasks back`);
      void running.stop().then(resolve);
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
  core.stop();
  memory.close();
  persistent.handle.close();
  lock.release();
  log.info('stopped');
  return 0;
}
