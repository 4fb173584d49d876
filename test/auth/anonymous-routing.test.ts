// With auth on, a caller without a valid credential cannot map the route table: every /v1/ path
// that is not public answers the same 401 before routing (unknown paths, wrong methods and real
// routes alike); public routes, non-/v1/ paths and callers with a token behave as before.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from '../support/server-process';
import { testApp } from '../support/app';

const TOKEN = 'some-token-123';
const work = mkdtempSync(join(tmpdir(), 'orrery-anon-routing-'));
let locked: ServerProcess;
let open: ServerProcess;

beforeAll(async () => {
  [locked, open] = await Promise.all([
    startServer(join(work, 'locked'), { env: { ORLOJ_API_TOKENS: `ops:${TOKEN}:writer`, ORLOJ_EMBEDDED_WORKER: 'false' } }),
    startServer(join(work, 'open'), { env: { ORLOJ_EMBEDDED_WORKER: 'false' } }),
  ]);
}, 60_000);

afterAll(() => {
  locked?.proc.kill('SIGTERM');
  open?.proc.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

async function send(server: ServerProcess, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const res = await fetch(`${server.url}${path}`, { method, headers, body });
  return { status: res.status, type: res.headers.get('content-type'), allow: res.headers.get('allow'), text: await res.text() };
}

const status = (code: number, reason: string, message: string, details?: object) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...(details ? { details } : {}) });
const ANONYMOUS = status(401, 'Unauthorized', 'authentication required: send a bearer token or log in');
const INVALID = status(401, 'Unauthorized', 'the credential is not valid or has expired');

/** What a caller who may route gets: 404 for unknown paths, 405 (with Allow) for wrong methods. */
async function expectRoutedAsBefore(server: ServerProcess, headers: Record<string, string>) {
  expect(await send(server, 'GET', '/v1/nope', headers)).toEqual({
    status: 404,
    type: 'application/json',
    allow: null,
    text: JSON.stringify(status(404, 'NotFound', 'no route for GET /v1/nope', { kind: 'route', name: '/v1/nope' })),
  });
  expect((await send(server, 'GET', '/v1/agents/x/y/z', headers)).status).toBe(404);
  expect(await send(server, 'DELETE', '/v1/agents', headers)).toEqual({
    status: 405,
    type: 'application/json',
    allow: 'GET, POST',
    text: JSON.stringify(status(405, 'MethodNotAllowed', 'method DELETE is not allowed on /v1/agents')),
  });
  const patch = await send(server, 'PATCH', '/v1/agents/a', headers);
  expect([patch.status, JSON.parse(patch.text).reason]).toEqual([405, 'MethodNotAllowed']);
  const list = await send(server, 'GET', '/v1/agents', headers);
  expect([list.status, JSON.parse(list.text).kind]).toEqual([200, 'AgentList']);
}

// Unknown paths, wrong methods, a real route and a real write: the route table must not show.
const PROBES: [string, string][] = [
  ['GET', '/v1/nope'],
  ['GET', '/v1/agents/x/y/z'],
  ['DELETE', '/v1/agents'],
  ['PATCH', '/v1/agents/a'],
  ['HEAD', '/v1/agents'],
  ['GET', '/v1/auth/nope'],
  ['GET', '/v1'],
  ['GET', '/v1/agents'],
  ['POST', '/v1/agents'],
  ['GET', '/v1/tokens'],
];

describe('auth on (a bearer token configured)', () => {
  for (const [label, headers, want] of [
    ['without a credential', {}, ANONYMOUS],
    ['with a wrong token', { authorization: 'Bearer not-the-token' }, INVALID],
    ['with a malformed authorization header', { authorization: 'Basic abc' }, INVALID],
  ] as [string, Record<string, string>, object][]) {
    test(`every non-public /v1/ request ${label} answers the same 401`, async () => {
      const answers = new Map<string, { status: number; type: string | null; allow: string | null; text: string }>();
      for (const [method, path] of PROBES) {
        const body = method === 'POST' ? JSON.stringify({ metadata: { name: 'a' }, spec: {} }) : undefined;
        answers.set(`${method} ${path}`, await send(locked, method, path, body ? { ...headers, 'content-type': 'application/json' } : headers, body));
      }
      const text = JSON.stringify(want);
      for (const [probe, got] of answers) {
        // HEAD responses carry no body; their status and headers must still match.
        const expected = { status: 401, type: 'application/json', allow: null, text: probe.startsWith('HEAD ') ? '' : text };
        expect({ probe, ...got }).toEqual({ probe, ...expected });
      }
      expect(JSON.parse(answers.get('GET /v1/nope')!.text)).toEqual(want);
    });
  }

  test('with the token, unknown routes are 404 and wrong methods 405 as before', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    await expectRoutedAsBefore(locked, auth);
    // A writer asking for an admin route is still told 403, not 401.
    expect(JSON.parse((await send(locked, 'GET', '/v1/tokens', auth)).text)).toEqual(status(403, 'Forbidden', 'role writer may not do this; it needs admin'));
  });

  test('public routes and non-/v1/ paths keep their answers', async () => {
    expect(await send(locked, 'GET', '/v1/auth/config')).toEqual({
      status: 200,
      type: 'application/json',
      allow: null,
      text: JSON.stringify({ mode: 'off', setup_required: false, setup_token_required: false, login_methods: [] }),
    });
    expect(JSON.parse((await send(locked, 'GET', '/v1/auth/me', { authorization: 'Bearer not-the-token' })).text)).toEqual({ authenticated: false });
    // A wrong method on a path whose every method is public names only public methods.
    expect(await send(locked, 'GET', '/v1/auth/login')).toEqual({
      status: 405,
      type: 'application/json',
      allow: 'POST',
      text: JSON.stringify(status(405, 'MethodNotAllowed', 'method GET is not allowed on /v1/auth/login')),
    });
    expect((await send(locked, 'HEAD', '/v1/auth/config')).status).toBe(405);
    // Tool callbacks authorize by their own single-use token, not a bearer.
    const callback = await send(locked, 'POST', '/v1/tool-callbacks', { 'content-type': 'application/json' }, '{}');
    expect([callback.status, JSON.parse(callback.text).message]).toEqual([400, 'query parameter request_id is required']);
    expect((await send(locked, 'GET', '/healthz')).status).toBe(200);
    expect((await send(locked, 'GET', '/swagger/json')).status).toBe(200);
    expect((await send(locked, 'GET', '/metrics')).text).toBe(JSON.stringify(ANONYMOUS));
    expect(await send(locked, 'GET', '/nope')).toEqual({
      status: 404,
      type: 'application/json',
      allow: null,
      text: JSON.stringify(status(404, 'NotFound', 'no route for GET /nope', { kind: 'route', name: '/nope' })),
    });
  });

  test('the refused requests are counted under route patterns or "unmatched", never raw paths', async () => {
    await send(locked, 'GET', '/v1/some-probe-path');
    await send(locked, 'DELETE', '/v1/agents');
    const text = (await send(locked, 'GET', '/metrics', { authorization: `Bearer ${TOKEN}` })).text;
    const counted = text.split('\n').filter((l) => l.startsWith('orrery_http_requests_total{') && l.includes('code="401"'));
    expect(counted.some((l) => l.includes('method="GET",route="unmatched",code="401"'))).toBe(true);
    expect(counted.some((l) => l.includes('method="DELETE",route="/v1/agents",code="401"'))).toBe(true);
    expect(text).not.toContain('some-probe-path');
  });
});

test('auth off and no tokens: unknown routes 404, wrong methods 405, as before', async () => {
  await expectRoutedAsBefore(open, {});
});

test('native mode: before setup every non-public path says setup is required; a session routes as before', async () => {
  const { call } = testApp({ auth: { mode: 'native' } });
  const setupRequired = status(401, 'Unauthorized', 'admin setup required: create the first administrator with POST /v1/auth/setup');
  for (const [method, path] of [['GET', '/v1/nope'], ['DELETE', '/v1/agents'], ['GET', '/v1/agents']]) {
    expect((await call(method, path)).json, `${method} ${path}`).toEqual(setupRequired);
  }
  const setup = await call('POST', '/v1/auth/setup', { username: 'admin', password: 'a-long-password-please' });
  expect(setup.status).toBe(201);
  const cookie = setup.headers.get('set-cookie')!.split(';')[0];
  for (const [method, path] of [['GET', '/v1/nope'], ['DELETE', '/v1/agents'], ['GET', '/v1/agents']]) {
    expect((await call(method, path)).json).toEqual(ANONYMOUS);
    expect((await call(method, path, undefined, { cookie: 'orloj_session=not-a-session' })).json).toEqual(INVALID);
  }
  expect((await call('GET', '/v1/nope', undefined, { cookie })).status).toBe(404);
  expect((await call('DELETE', '/v1/agents', undefined, { cookie })).status).toBe(405);
  expect((await call('GET', '/v1/agents', undefined, { cookie })).status).toBe(200);
});
