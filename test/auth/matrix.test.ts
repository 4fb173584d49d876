// The role matrix: every served route × every kind of caller → 401, 403 or let through. The
// expected role per route is restated here from the reference (§3.2), independently of
// src/auth/policy.ts, so a wrong rule there fails this test.
import { expect, test } from 'bun:test';
import { parseEnvTokens } from '../../src/auth/env-tokens';
import type { Requirement, Role } from '../../src/auth/roles';
import { testApp } from '../support/app';

const TOKENS = { admin: 'tok-admin-0123456789', writer: 'tok-writer-0123456789', controller: 'tok-controller-0123456789', reader: 'tok-reader-0123456789' };
const env = { ORLOJ_API_TOKENS: Object.entries(TOKENS).map(([role, tok]) => `${role}:${tok}:${role}`).join(',') };

function expected(method: string, path: string): Requirement {
  if (['/healthz', '/readyz'].includes(path) || path.startsWith('/swagger') || path.startsWith('/v1/auth/') || path.startsWith('/v1/webhook-deliveries/') || path === '/v1/tool-callbacks') {
    // Bootstrap routes are public; user administration checks admin itself.
    if (path.startsWith('/v1/auth/users') || path === '/v1/auth/admin/reset-password') return 'admin';
    return 'none';
  }
  if (path.startsWith('/v1/tokens')) return 'admin';
  if (method !== 'GET' && path.startsWith('/v1/mcp-servers') && !path.endsWith('/status')) return 'admin';
  if (method !== 'GET' && path.startsWith('/v1/mcp-servers')) return 'admin';
  if (method === 'GET') return 'reader';
  if (path.endsWith('/status')) return 'controller';
  return 'writer';
}

const ALLOWED: Record<Role, Requirement[]> = {
  admin: ['none', 'reader', 'writer', 'controller', 'admin'],
  writer: ['none', 'reader', 'writer'],
  controller: ['none', 'reader', 'controller'],
  reader: ['none', 'reader'],
};

test('every route × every caller gets exactly the expected 401 / 403 / pass', async () => {
  const { app } = testApp({ auth: { envTokens: parseEnvTokens(env).tokens } });
  const table = app.routes.routes;
  // No served route may be missing from the table (and so from this matrix). Swagger UI and the
  // web console's shell and assets are public pages outside /v1 that carry no data.
  const known = new Set(table.map((r) => `${r.method} ${r.path}`));
  const page = (path: string) => path.startsWith('/swagger') || path === '/' || path === '/ui' || path.startsWith('/ui/');
  const missing = app.served().filter((r) => !page(r.path) && !known.has(`${r.method} ${r.path}`));
  expect(missing).toEqual([]);
  expect(table.length).toBeGreaterThan(150);

  const failures: string[] = [];
  const callers: [string, Record<string, string>, Role | 'anonymous' | 'bad'][] = [
    ['anonymous', {}, 'anonymous'],
    ['bad token', { authorization: 'Bearer not-a-token' }, 'bad'],
    ...(Object.keys(TOKENS) as Role[]).map((r) => [r, { authorization: `Bearer ${TOKENS[r]}` }, r] as [string, Record<string, string>, Role]),
  ];
  for (const r of table) {
    const need = expected(r.method, r.path);
    expect(r.required, `${r.method} ${r.path}`).toBe(need);
    const path = r.path.replace(/:(\w+)/g, 'matrix-x');
    for (const [label, headers, who] of callers) {
      const init: RequestInit = { method: r.method, headers: { ...headers } };
      if (r.method === 'POST' || r.method === 'PUT') {
        init.body = '{}';
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
      const res = await app.handle(new Request(`http://localhost${path}`, init));
      if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel();
      else await res.arrayBuffer();
      let want: string;
      if (need === 'none') want = 'pass';
      else if (who === 'anonymous' || who === 'bad') want = '401';
      else want = ALLOWED[who].includes(need) ? 'pass' : '403';
      const got = res.status === 401 ? '401' : res.status === 403 ? '403' : 'pass';
      if (got !== want) failures.push(`${r.method} ${r.path} as ${label}: want ${want}, got ${res.status}`);
    }
  }
  expect(failures).toEqual([]);
}, 60_000);

test('the task observability and cancel endpoints are in the matrix: reads need reader, cancel needs writer', () => {
  const { app } = testApp();
  const rows = app.routes.routes.filter((r) => /\/:name\/(messages|metrics|logs|cancel)$/.test(r.path)).map((r) => [r.method, r.path, r.required, expected(r.method, r.path)]);
  expect(rows.sort()).toEqual([
    ['GET', '/v1/agents/:name/logs', 'reader', 'reader'],
    ['GET', '/v1/tasks/:name/logs', 'reader', 'reader'],
    ['GET', '/v1/tasks/:name/messages', 'reader', 'reader'],
    ['GET', '/v1/tasks/:name/metrics', 'reader', 'reader'],
    ['POST', '/v1/tasks/:name/cancel', 'writer', 'writer'],
  ]);
});

test('the approval decision verbs are in the matrix and need writer', () => {
  const { app } = testApp();
  const rows = app.routes.routes.filter((r) => /\/:name\/(approve|deny|request-changes)$/.test(r.path)).map((r) => [r.method, r.path, r.required, expected(r.method, r.path)]);
  expect(rows.sort()).toEqual([
    ['POST', '/v1/task-approvals/:name/approve', 'writer', 'writer'],
    ['POST', '/v1/task-approvals/:name/deny', 'writer', 'writer'],
    ['POST', '/v1/task-approvals/:name/request-changes', 'writer', 'writer'],
    ['POST', '/v1/tool-approvals/:name/approve', 'writer', 'writer'],
    ['POST', '/v1/tool-approvals/:name/deny', 'writer', 'writer'],
  ]);
});

test('unknown paths and wrong methods: 401 without a valid credential, 404 / 405 for every role; public paths keep their 405', async () => {
  const { app } = testApp({ auth: { envTokens: parseEnvTokens(env).tokens } });
  const probes: [string, string, number][] = [
    ['GET', '/v1/nope', 404],
    ['GET', '/v1/agents/x/y/z', 404],
    ['GET', '/v1/auth/nope', 404],
    ['DELETE', '/v1/agents', 405],
    ['PATCH', '/v1/agents/a', 405],
    ['DELETE', '/v1/auth/users', 405],
  ];
  const callers: [string, Record<string, string>, boolean][] = [
    ['anonymous', {}, false],
    ['bad token', { authorization: 'Bearer not-a-token' }, false],
    ...(Object.keys(TOKENS) as Role[]).map((r) => [r, { authorization: `Bearer ${TOKENS[r]}` }, true] as [string, Record<string, string>, boolean]),
  ];
  const got: string[] = [];
  const want: string[] = [];
  for (const [method, path, routed] of probes) {
    for (const [label, headers, valid] of callers) {
      const res = await app.handle(new Request(`http://localhost${path}`, { method, headers }));
      await res.arrayBuffer();
      got.push(`${method} ${path} as ${label}: ${res.status}`);
      want.push(`${method} ${path} as ${label}: ${valid ? routed : 401}`);
    }
  }
  // Wrong methods on paths whose every method is public name only public methods: no credential needed.
  for (const [method, path] of [['GET', '/v1/auth/login'], ['DELETE', '/v1/auth/config'], ['GET', '/v1/tool-callbacks']]) {
    const res = await app.handle(new Request(`http://localhost${path}`, { method }));
    await res.arrayBuffer();
    got.push(`${method} ${path} as anonymous: ${res.status}`);
    want.push(`${method} ${path} as anonymous: 405`);
  }
  expect(got).toEqual(want);
});
