// Auth injection: each profile sends the right header; OAuth2 tokens are fetched once, cached,
// refreshed after expiry (injected clock) and after a 401; secret problems fail closed.
import { describe, expect, test } from 'bun:test';
import { pickValue, splitSecretRef } from '../../../src/runtime/tools/auth';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import { httpTool, json, okEnvelope, secretsFrom, settableClock, toolServer, serverPool } from './helpers';

const serve = serverPool();
const ok = () => json(okEnvelope('r', { result: 'ok' }));

describe('auth profiles', () => {
  const cases: [string, Record<string, any>, Record<string, string>, string, string][] = [
    ['bearer (profile defaulted from secretRef)', { secretRef: 'k' }, { token: 'tkn-123' }, 'authorization', 'Bearer tkn-123'],
    ['bearer with an explicit key', { profile: 'bearer', secretRef: 'k:alt' }, { value: 'v', alt: 'alt-999' }, 'authorization', 'Bearer alt-999'],
    ['api_key_header', { profile: 'api_key_header', secretRef: 'k', headerName: 'X-Api-Key' }, { apiKey: 'key-456' }, 'x-api-key', 'key-456'],
    ['basic from username/password keys', { profile: 'basic', secretRef: 'k' }, { username: 'ada', password: 'lovelace' }, 'authorization', `Basic ${btoa('ada:lovelace')}`],
    ['basic from a user:pass value', { profile: 'basic', secretRef: 'k' }, { value: 'bob:builder' }, 'authorization', `Basic ${btoa('bob:builder')}`],
  ];
  for (const [name, auth, data, header, value] of cases) {
    test(name, async () => {
      const srv = serve(ok);
      const res = await createToolRuntime().invoke(httpTool(srv.url, { auth }), { requestId: 'r' }, { secrets: secretsFrom({ k: data }) });
      expect(res.status).toBe('ok');
      expect(srv.received[0].headers[header]).toBe(value);
    });
  }

  test('a missing secret fails closed before any request, non-retryable', async () => {
    const srv = serve(ok);
    const res = await createToolRuntime().invoke(httpTool(srv.url, { auth: { profile: 'bearer', secretRef: 'gone' } }), { requestId: 'r' }, { secrets: secretsFrom({}) });
    expect(res.error).toEqual({ code: 'secret_resolution_failed', reason: 'tool_secret_resolution_failed', retryable: false, message: 'secret gone not found or empty', details: {} });
    expect([res.attempts, srv.received.length]).toEqual([0, 0]);
  });

  test('secret values are scrubbed from error messages', async () => {
    const srv = serve((req) => new Response(`bad header ${req.headers.authorization}`, { status: 400 }));
    const res = await createToolRuntime().invoke(httpTool(srv.url, { auth: { secretRef: 'k' } }), { requestId: 'r' }, { secrets: secretsFrom({ k: { token: 'very-secret' } }) });
    expect(res.error?.message).toBe('tool answered HTTP 400: bad header Bearer ***');
    expect(res.text).not.toContain('very-secret');
  });

  test('secret reference and value selection', () => {
    expect(splitSecretRef('ns/name:key')).toEqual({ ref: 'ns/name', key: 'key' });
    expect(splitSecretRef('name')).toEqual({ ref: 'name' });
    expect(pickValue({ a: '1', token: '2' })).toBe('2');
    expect(pickValue({ a: '1', b: '2' })).toBe('1');
    expect(pickValue({ a: '1' }, 'b')).toBeUndefined();
  });
});

describe('oauth2_client_credentials', () => {
  function setup(toolReply: (auth: string, n: number) => Response = () => ok()) {
    let issued = 0;
    const tokenSrv = serve(() => json({ access_token: `tok-${++issued}`, token_type: 'bearer', expires_in: 3600 }));
    const toolSrv = serve((req, n) => toolReply(req.headers.authorization, n));
    const clock = settableClock(1_000_000);
    const rt = createToolRuntime({ clock });
    const tool = httpTool(toolSrv.url, { auth: { profile: 'oauth2_client_credentials', secretRef: 'oauth', tokenURL: tokenSrv.url + '/token', scopes: ['read', 'write'] } });
    const secrets = secretsFrom({ oauth: { client_id: 'cid', client_secret: 'csecret' } });
    const call = () => rt.invoke(tool, { requestId: 'r' }, { secrets });
    return { tokenSrv, toolSrv, clock, call };
  }

  test('fetches a token once, caches it, and refreshes it shortly before expiry', async () => {
    const { tokenSrv, toolSrv, clock, call } = setup();
    expect((await call()).status).toBe('ok');
    expect((await call()).status).toBe('ok');
    expect(tokenSrv.received).toHaveLength(1);
    const form = new URLSearchParams(tokenSrv.received[0].body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'client_credentials', client_id: 'cid', client_secret: 'csecret', scope: 'read write' });
    expect(tokenSrv.received[0].headers['content-type']).toStartWith('application/x-www-form-urlencoded');
    clock.advance(3600_000 - 30_000 - 1);
    await call();
    expect(tokenSrv.received).toHaveLength(1);
    clock.advance(1);
    await call();
    expect(tokenSrv.received).toHaveLength(2);
    expect(toolSrv.received.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  test('a 401 evicts the token and the call is tried once more with a fresh one', async () => {
    const { tokenSrv, toolSrv, call } = setup((auth) => (auth === 'Bearer tok-1' ? new Response('revoked', { status: 401 }) : ok()));
    const res = await call();
    expect([res.status, res.attempts]).toEqual(['ok', 1]);
    expect(tokenSrv.received).toHaveLength(2);
    expect(toolSrv.received.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    await call();
    expect(tokenSrv.received).toHaveLength(2);
  });

  test('a tool that keeps answering 401 gets one refresh, then auth_invalid', async () => {
    const { tokenSrv, toolSrv, call } = setup(() => new Response('nope', { status: 401 }));
    const res = await call();
    expect([res.error?.code, res.error?.retryable, res.attempts]).toEqual(['auth_invalid', false, 1]);
    expect([tokenSrv.received.length, toolSrv.received.length]).toEqual([2, 2]);
  });

  test('rejected client credentials are a non-retryable secret_resolution_failed', async () => {
    const tokenSrv = serve(() => json({ error: 'invalid_client' }, 401));
    const toolSrv = serve(ok);
    const tool = httpTool(toolSrv.url, { auth: { profile: 'oauth2_client_credentials', secretRef: 'oauth', tokenURL: tokenSrv.url } });
    const res = await createToolRuntime().invoke(tool, { requestId: 'r' }, { secrets: secretsFrom({ oauth: { client_id: 'a', client_secret: 'b' } }) });
    expect(res.error).toEqual({ code: 'secret_resolution_failed', reason: 'tool_secret_resolution_failed', retryable: false, message: 'oauth2 token endpoint answered 401', details: {} });
    expect(toolSrv.received).toHaveLength(0);
  });
});
