// Starts the server: listens first (so a busy address touches nothing on disk), locks and opens
// the data directory, builds the registry and app, and stops gracefully (in-flight requests
// finish, then the database closes).
import { createApp } from './api/app';
import { isLoopback, parseAddr, type ServeConfig } from './cli/config';
import type { Logger } from './log';
import { LogRetention } from './controllers/log-retention';
import { createCore, dropLogsOnDelete } from './core';
import { SealedSecretController } from './controllers/sealed-secrets';
import { ApprovalController } from './controllers/approvals';
import { ScheduleController } from './controllers/schedules';
import { MemoryController } from './controllers/memories';
import { processMemoryBackends } from './cli/memory-backends';
import { McpServerController } from './controllers/mcp-servers';
import { createMcpSessions } from './runtime/engine/mcp-sessions';
import { hostname as machineName } from 'node:os';
import { TASK_APPROVALS } from './runtime/engine/reviews';
import { SealingKeys } from './sealing/keys';
import { AuthService } from './auth/service';
import { AuthStore } from './auth/store';
import { kinds } from './resources';
import { join } from 'node:path';
import { Checkpointer } from './store/checkpointer';
import { startEngine } from './runtime/engine';
import { startWorkerHealth } from './runtime/workers';
import { CallbackBroker } from './runtime/tools';
import { WebhookDeliveries } from './runtime/webhooks';
import { DB_FILE } from './store/open-store';
import type { Logs } from './store/backend';
import type { SqliteBackend } from './store/sqlite-backend';
import { PgAuthStore } from './auth/pg-store';
import { LeaderGate, type LedController } from './controllers/leader';
import { openConfiguredStore, storeLocation, type Backend } from './cli/store-config';
import { lockDataDir, lockWorkerId, type ProcessLock } from './store/process-locks';
import { mkdirSync } from 'node:fs';
import { systemClock } from './util/time';

export interface RunningServer {
  url: string;
  port: number;
  /** Task and agent log lines, shared by the API and the engine. */
  logs: Logs;
  stop(): Promise<void>;
}

export async function startServer(config: ServeConfig, log: Logger): Promise<RunningServer> {
  const { hostname, port } = parseAddr(config.addr)!;
  // Until the app exists (the rest of this function) nothing is served: a request that arrives
  // while the store is read waits for the app.
  let handle: ((request: Request, ip?: string) => Response | Promise<Response>) | undefined;
  let appBuilt!: () => void;
  const built = new Promise<void>((resolve) => (appBuilt = resolve));
  const server = listen(config.addr, hostname, port, async (request, ip) => {
    if (!handle) await built;
    return handle?.(request, ip) ?? new Response(null, { status: 503 });
  });
  const locks: ProcessLock[] = [];
  const sqliteStore = !config.store.databaseUrl;
  let backend: Backend;
  try {
    // One server per SQLite data directory; on PostgreSQL any number of them form one control plane.
    if (sqliteStore) {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      locks.push(lockDataDir(config.dataDir));
      if (config.embeddedWorker) locks.push(lockWorkerId(config.dataDir, config.engine.workerId));
    }
    backend = await openConfiguredStore(config.store, `orrery serve ${machineName()}:${process.pid}`);
  } catch (e) {
    for (const lock of locks) lock.release();
    void server.stop(true);
    throw e;
  }
  const checkpointer = backend.dialect === 'sqlite' ? sqliteUpkeep(backend, config.dataDir, log) : undefined;
  log.info('store opened', { ...storeLocation(config.store), revision: await backend.resources.currentRevision(), secretKey: backend.keySource });
  const core = createCore({ backend, clock: systemClock, watch: config.watch });
  core.watch.log = log;
  // Changes committed by the other servers and workers of a shared database reach this server's
  // watchers and workers as soon as NOTIFY says so (the poll remains the safety net).
  const stopWaking = backend.dialect === 'postgres' ? await backend.onCommitAnywhere(() => void core.watch.poll().catch(() => {})) : undefined;
  // A watcher cut off for not reading gets its connection closed, which frees the kernel's buffers;
  // ending the response alone would leave it open until the idle timeout.
  core.watch.closeConnection = (request) => server.timeout(request, 1);
  const holder = `${machineName()}:${process.pid}`;
  const sealing = new SealingKeys(backend.meta, backend.cipher, { log });
  void sealing.ensure(); // never rejects; RSA-4096 is generated off the event loop
  // One MCP session pool per process: the controller discovers tools through it and the embedded
  // worker calls them through it, so a stdio server runs once.
  const mcp = createMcpSessions(core.registry, config.engine, log);
  // One set of memory backends for the engine, the entries API and the Memory controller.
  const memory = processMemoryBackends({ entries: backend.memory(), registry: core.registry, clock: systemClock, log, egressPrivate: config.engine.egressPrivate, env: process.env });
  // The controllers that must run once per control plane. The server decides approvals over HTTP
  // and sees workers' writes on its change feed, so it alone turns decisions and expiries into
  // task transitions. On a shared database they run on the server holding the leader lease.
  const startControllers = async (): Promise<Record<string, LedController>> => {
    const retention = new LogRetention(backend.resources, core.changeLog, core.eventLog, config.retention, systemClock, log);
    retention.start();
    const sealedSecrets = new SealedSecretController({ registry: core.registry }, sealing, log);
    await sealedSecrets.start();
    const approvalDeps = { registry: core.registry, events: core.events, clock: systemClock };
    const toolApprovals = new ApprovalController(approvalDeps, log);
    const taskApprovals = new ApprovalController(approvalDeps, log, TASK_APPROVALS);
    await toolApprovals.start();
    await taskApprovals.start();
    const mcpServers = new McpServerController({ registry: core.registry, events: core.events, clock: systemClock, sessions: mcp }, log);
    await mcpServers.start();
    const memories = new MemoryController({ registry: core.registry, backends: memory, storedScopes: memory.storedScopes }, log);
    await memories.start();
    // Worker phases are the control plane's to keep, whether servers run tasks or leave them to workers.
    const stopHealth = startWorkerHealth(core.registry, core.events, systemClock, log);
    return {
      'log-retention': retention,
      'sealed-secrets': sealedSecrets,
      'tool-approvals': toolApprovals,
      'task-approvals': taskApprovals,
      'mcp-servers': mcpServers,
      memories,
      'worker-health': { healthy: true, stop: stopHealth },
    };
  };
  const gate = backend.dialect === 'postgres' ? new LeaderGate(backend.lease('controllers', holder, 15_000, systemClock), startControllers, log) : undefined;
  const local = gate ? undefined : await startControllers();
  await gate?.begin();
  const ledHealth = (): Record<string, boolean> => {
    const names = ['log-retention', 'sealed-secrets', 'tool-approvals', 'task-approvals', 'mcp-servers', 'memories'];
    return gate ? gate.health(names) : Object.fromEntries(names.map((n) => [n, local![n].healthy]));
  };
  // Only the process holding the lease fires schedules, so a slot fires once however many servers run.
  const scheduleLease = backend.lease('task-schedules', holder, 30_000, systemClock);
  const schedules = new ScheduleController({ registry: core.registry, events: core.events, clock: systemClock, lease: scheduleLease }, log);
  await schedules.start();
  const auth = new AuthService(backend.dialect === 'sqlite' ? new AuthStore(backend.handle) : new PgAuthStore(backend.pg), config.auth, systemClock);
  const logs = backend.logs(systemClock);
  const callbacks = new CallbackBroker();
  dropLogsOnDelete(core.registry, logs);
  const webhooks = new WebhookDeliveries({ registry: core.registry, dedupe: backend.dedupe(), events: core.events, clock: systemClock, log, ratePerMinute: config.webhookRateLimit });
  const stopWebhookPruning = webhooks.startPruning();
  const app = createApp({
    registry: core.registry,
    watch: core.watch,
    auth,
    sealing,
    storeChecks: () => backend.checks(),
    log,
    clock: systemClock,
    events: core.events,
    logs,
    callbacks,
    corsOrigins: config.corsOrigins,
    webhooks,
    memory,
    controllers: () => ({ ...ledHealth(), 'task-schedules': schedules.healthy }),
  });
  handle = (request, ip) => app.handle(request, ip);
  appBuilt();
  const url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${server.port}`;
  const callbackBaseUrl = config.publicUrl || url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  const engine = config.embeddedWorker
    ? await startEngine({ core, clock: systemClock, log, config: config.engine, logs, callbacks: { broker: callbacks, callbackBaseUrl }, env: process.env, mcp, memory })
    : undefined;
  if (!engine) log.info('embedded worker off: tasks wait for an `orrery worker` process');
  log.info('listening', { url, kinds: kinds.length, swagger: `${url}/swagger` });
  if (!isLoopback(hostname) && !(await auth.enforced())) {
    log.warn('listening beyond loopback with authentication off and no API token: anyone who can reach this address can read and change everything (use --auth-mode native or set ORLOJ_API_TOKEN)');
  }
  log.info('authentication', { mode: config.auth.mode, envTokens: config.auth.envTokens.length, enforced: await auth.enforced() });
  let stopping: Promise<void> | undefined;
  return {
    url,
    port: server.port ?? port,
    logs,
    stop() {
      stopping ??= (async () => {
        log.info('shutting down: finishing in-flight requests');
        // Open watch streams never finish on their own: close them, then wait for the rest.
        // Running tasks hand their leases back, so the next start (or another worker) resumes them.
        await engine?.stop();
        stopWebhookPruning();
        await stopWaking?.();
        core.stop();
        if (gate) await gate.stop();
        else for (const c of Object.values(local!)) await c.stop();
        await schedules.stop();
        // MCP server processes end with this one (after the worker, which may still have been calling them).
        await mcp.close();
        // A client that stopped reading can hold its stream open: after a grace period, close
        // whatever is left.
        let grace: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([server.stop(false), new Promise((resolve) => (grace = setTimeout(resolve, 5_000)))]);
        clearTimeout(grace);
        await server.stop(true);
        await checkpointer?.stop();
        memory.close();
        await backend.close();
        for (const lock of locks) lock.release();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

/**
 * What only a SQLite data directory needs: WAL pages copied into the database by a worker thread,
 * and the disk watched (with its reserve file) so a full disk answers 507 and recovers.
 */
function sqliteUpkeep(backend: SqliteBackend, dataDir: string, log: Logger): Checkpointer {
  const sqlite = backend.handle.sqlite;
  // The worker thread copies WAL pages into the database as they come; this connection only
  // finishes the job every 16,384 pages (64 MiB), which lets the next write start the WAL over.
  // Without that, a WAL under constant writes never restarts and grows without bound.
  sqlite.exec('PRAGMA wal_autocheckpoint = 16384');
  const checkpointer = new Checkpointer(join(dataDir, DB_FILE), log, () => sqlite.exec('PRAGMA wal_autocheckpoint = 1000'), 250, () => backend.handle.disk.isFull);
  // Keeps <data-dir>/reserve, released when the disk fills so deletes can commit; logs full/recovered.
  backend.handle.disk.start(log);
  return checkpointer;
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another orrery server, or another program): pick another port with --addr',
  EADDRNOTAVAIL: 'no network interface of this machine has that address: use 127.0.0.1, 0.0.0.0 or one of its own addresses',
  EACCES: 'permission denied (ports below 1024 need privileges): pick a port from 1024 up',
};

/** Binds the listener, or throws an error that names the address and what to do. */
function listen(addr: string, hostname: string, port: number, handle: (request: Request, ip?: string) => Response | Promise<Response>) {
  try {
    return Bun.serve({
      hostname,
      port,
      // Bodies are limited (and answered 413 in the Status shape) by the API itself.
      maxRequestBodySize: 1024 * 1024 * 1024,
      // Bun's default closes a connection after 10 s without bytes; watch streams send a heartbeat
      // every --watch-heartbeat-interval (default 15 s), so allow the most Bun does.
      idleTimeout: 255,
      fetch: (request, srv) => handle(request, srv.requestIP(request)?.address),
    });
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    throw new Error(`cannot listen on ${addr} (--addr): ${LISTEN_ERRORS[code] ?? (e as Error).message}`);
  }
}
