// Test helpers for the tool runtime: real Bun.serve tool servers on port 0 that record what they
// receive, a recording sleep, a settable clock and an in-memory secrets lookup.
import { afterEach } from 'bun:test';
import type { Clock } from '../../../src/util/time';
import type { SecretLookup, ToolRef } from '../../../src/runtime/tools/types';

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
}

export type Handler = (req: Received, n: number) => Response | Promise<Response>;

export function toolServer(handler: Handler) {
  const received: Received[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url);
      const body = await req.text();
      let json: any;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const rec = { method: req.method, path: url.pathname + url.search, headers: Object.fromEntries(req.headers), body, json };
      received.push(rec);
      return handler(rec, received.length);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, port: server.port, received, stop: () => server.stop(true) };
}

export const json = (body: unknown, status = 200) => Response.json(body, { status });

export const okEnvelope = (requestId: string, output: Record<string, unknown>) => ({ tool_contract_version: 'v1', request_id: requestId, status: 'ok', output });

/** A sleep that returns at once and remembers every wait. */
export function recordingSleep() {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { waits, sleep };
}

export function settableClock(start = 0): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

export const fixedClock: Clock = { now: () => new Date(0) };

export function secretsFrom(map: Record<string, Record<string, string>>): SecretLookup {
  return async (ref) => map[ref];
}

export const noSecrets: SecretLookup = async () => undefined;

export function httpTool(endpoint: string, extra: Record<string, any> = {}, name = 'echo'): ToolRef {
  return { name, namespace: 'default', spec: { type: 'http', endpoint, ...extra } };
}

/** A promise to hold a server reply open until the test releases it. */
export function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A toolServer starter whose servers are all stopped after each test of the calling file. */
export function serverPool(): (...a: Parameters<typeof toolServer>) => ReturnType<typeof toolServer> {
  const servers: { stop(): void }[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.stop();
  });
  return (...a) => {
    const s = toolServer(...a);
    servers.push(s);
    return s;
  };
}
