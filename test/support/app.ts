// Builds the real HTTP app on an in-memory database and offers small request helpers.
import { createApp } from '../../src/api/app';
import { silentLogger } from '../../src/log';
import { testRegistry } from './registry';

export function testApp() {
  const r = testRegistry();
  const app = createApp({ registry: r.registry, sqlite: r.handle.sqlite, log: silentLogger });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
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
  return { ...r, app, call };
}

/** The real app over a real data directory (database file and generated key file). */
export function fileApp(dataDir: string) {
  const { openStore } = require('../../src/store/open-store') as typeof import('../../src/store/open-store');
  const { Registry } = require('../../src/registry/registry') as typeof import('../../src/registry/registry');
  const { kinds } = require('../../src/resources') as typeof import('../../src/resources');
  const p = openStore(dataDir, undefined);
  const registry = new Registry(kinds, p.store, p.cipher, { now: () => new Date() });
  const app = createApp({ registry, sqlite: p.handle.sqlite, log: silentLogger });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.handle(
      new Request(`http://localhost${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  };
  return { registry, app, call, handle: p.handle, close: () => p.handle.close() };
}
