// Builds the real HTTP app on an in-memory database or a real data directory, with a small
// request helper that returns status, headers, text and parsed JSON.
import { createApp, type App } from '../../src/api/app';
import { silentLogger } from '../../src/log';
import { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import { openStore } from '../../src/store/open-store';
import { testRegistry } from './registry';

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

export function testApp() {
  const r = testRegistry();
  const app = createApp({ registry: r.registry, sqlite: r.handle.sqlite, log: silentLogger });
  return { ...r, app, call: caller(app) };
}

/** The real app over a real data directory (database file and generated key file). */
export function fileApp(dataDir: string) {
  const p = openStore(dataDir, undefined);
  const registry = new Registry(kinds, p.store, p.cipher, { now: () => new Date() });
  const app = createApp({ registry, sqlite: p.handle.sqlite, log: silentLogger });
  return { registry, app, call: caller(app), handle: p.handle, close: () => p.handle.close() };
}
