// Builds the real HTTP app on an in-memory database or a real data directory, with a small
// request helper that returns status, headers, text and parsed JSON.
import { createApp, type App } from '../../src/api/app';
import { silentLogger } from '../../src/log';
import { AuthService, type AuthConfig } from '../../src/auth/service';
import { AuthStore } from '../../src/auth/store';
import { createCore, dropLogsOnDelete, type Core } from '../../src/core';
import type { Logs } from '../../src/store/backend';
import { ObjectLogs } from '../../src/store/object-logs';
import type { CallbackBroker } from '../../src/runtime/tools';
import type { MemoryBackends } from '../../src/runtime/memory/types';
import { storeChecks } from '../../src/store/health';
import { openStore } from '../../src/store/open-store';
import { systemClock, type Clock } from '../../src/util/time';
import type { WatchConfig } from '../../src/watch/service';
import { testRegistry } from './registry';
import { testUsers } from './backend';

export function caller(app: App) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (typeof body !== 'string' && !headers['content-type']) (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await app.handle(new Request(`http://localhost${path}`, init));
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
}

export function testApp(
  opts: { clock?: Clock; watch?: Partial<WatchConfig>; auth?: Partial<AuthConfig>; cors?: string[]; callbacks?: CallbackBroker; memory?: (r: ReturnType<typeof testRegistry>) => MemoryBackends } = {},
) {
  const r = testRegistry(opts.clock, opts.watch);
  const clock = opts.clock ?? systemClock;
  const b = r.backend;
  const auth = new AuthService(testUsers(b), { ...OPEN_AUTH, ...opts.auth }, clock);
  const logs = objectLogs(r.core, b.logs(clock));
  const memory = opts.memory?.(r);
  const app = createApp({ registry: r.registry, watch: r.core.watch, auth, storeChecks: () => b.checks(), log: silentLogger, clock, events: r.core.events, logs, corsOrigins: opts.cors, callbacks: opts.callbacks, memory });
  return { ...r, app, auth, logs, memory, call: caller(app) };
}

/** The ObjectLogs the app and the engine share, dropping lines of deleted owners as the server does. */
export function objectLogs<L extends Logs>(core: Core, logs: L): L {
  dropLogsOnDelete(core.registry, logs);
  return logs;
}

export const OPEN_AUTH: AuthConfig = { mode: 'off', envTokens: [], sessionTtlMs: 86_400_000, trustedProxies: [] };

/** The real app over a real data directory (database file and generated key file). */
export function fileApp(dataDir: string) {
  const p = openStore(dataDir, undefined);
  const core = createCore({ backend: p, clock: systemClock });
  const auth = new AuthService(new AuthStore(p.handle), OPEN_AUTH, systemClock);
  const logs = objectLogs(core, new ObjectLogs(p.handle, systemClock));
  const app = createApp({ registry: core.registry, watch: core.watch, auth, storeChecks: storeChecks(p.handle), log: silentLogger, clock: systemClock, events: core.events, logs });
  return { registry: core.registry, core, app, logs, call: caller(app), handle: p.handle, close: () => (core.stop(), p.handle.close()) };
}
