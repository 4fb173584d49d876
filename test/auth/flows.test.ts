// Native auth flows with real cookies and tokens: setup, login, me, logout, users, tokens,
// password reset and change (a CLI token dies with its user and with a reset), session expiry,
// rate limits, and secrets kept out of responses.
import { describe, expect, test } from 'bun:test';
import { testApp } from '../support/app';

const PW = 'correct-horse-battery';

function nativeApp(opts: { setupToken?: string; now?: () => Date } = {}) {
  const clock = { now: opts.now ?? (() => new Date()) };
  const ctx = testApp({ clock, auth: { mode: 'native', setupToken: opts.setupToken } });
  const cookieOf = (r: { headers: Headers }) => /orloj_session=([^;]+)/.exec(r.headers.get('set-cookie') ?? '')?.[1];
  return { ...ctx, cookieOf };
}

describe('native setup and login', () => {
  test('config → setup → me → logout → login, with the session cookie', async () => {
    const { call, cookieOf } = nativeApp();
    expect((await call('GET', '/v1/auth/config')).json).toEqual({ mode: 'native', setup_required: true, setup_token_required: false, login_methods: ['password'] });
    const blocked = await call('GET', '/v1/agents');
    expect(blocked.status).toBe(401);
    expect(blocked.json.message).toContain('admin setup required');
    expect((await call('GET', '/v1/auth/me')).json).toEqual({ authenticated: false });

    const setup = await call('POST', '/v1/auth/setup', { username: ' Admin ', password: PW });
    expect(setup.status).toBe(201);
    expect(setup.json).toEqual({ authenticated: true, method: 'session', name: 'admin', role: 'admin', username: 'admin' });
    const setCookie = setup.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^orloj_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    const session = cookieOf(setup)!;
    const cookie = { cookie: `orloj_session=${session}` };
    expect((await call('GET', '/v1/auth/me', undefined, cookie)).json).toEqual({ authenticated: true, method: 'session', name: 'admin', role: 'admin', username: 'admin' });
    expect((await call('GET', '/v1/agents', undefined, cookie)).status).toBe(200);
    expect((await call('POST', '/v1/auth/setup', { username: 'other', password: PW })).status).toBe(409);

    const out = await call('POST', '/v1/auth/logout', undefined, cookie);
    expect(out.json).toEqual({ status: 'ok' });
    expect(out.headers.get('set-cookie')).toContain('orloj_session=; Path=/');
    expect((await call('GET', '/v1/agents', undefined, cookie)).status).toBe(401);

    expect((await call('POST', '/v1/auth/login', { username: 'admin', password: 'wrong-password-xx' })).status).toBe(401);
    expect((await call('POST', '/v1/auth/login', { username: 'nobody', password: PW })).status).toBe(401);
    const login = await call('POST', '/v1/auth/login', { username: 'ADMIN', password: PW });
    expect(login.status).toBe(200);
    expect((await call('GET', '/v1/agents', undefined, { cookie: `orloj_session=${cookieOf(login)}` })).status).toBe(200);
  });

  test('setup token, validation with every cause, and login before setup', async () => {
    const { call } = nativeApp({ setupToken: 'boot-token' });
    expect((await call('GET', '/v1/auth/config')).json.setup_token_required).toBe(true);
    expect((await call('POST', '/v1/auth/login', { username: 'a', password: PW })).status).toBe(409);
    expect((await call('POST', '/v1/auth/setup', { username: 'a', password: PW })).status).toBe(403);
    expect((await call('POST', '/v1/auth/setup', { username: 'a', password: PW, setup_token: 'nope' })).status).toBe(403);
    const bad = await call('POST', '/v1/auth/setup', { username: 'a b', password: 'short', setup_token: 'boot-token' });
    expect(bad.status).toBe(400);
    expect(bad.json.details.causes.map((c: any) => c.field)).toEqual(['username', 'password']);
    const typo = await call('POST', '/v1/auth/setup', { usename: 'a', password: PW, setup_token: 'boot-token' });
    expect(typo.status).toBe(400);
    expect((await call('POST', '/v1/auth/setup', { username: 'a', password: PW, setup_token: 'boot-token' })).status).toBe(201);
  });

  test('concurrent setup calls create exactly one administrator', async () => {
    const { call, auth } = nativeApp();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => call('POST', '/v1/auth/setup', { username: `admin${i}`, password: PW })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
    expect(await auth.store.listUsers()).toHaveLength(1);
  });

  test('auth endpoints outside native mode answer 400; me says method none on an open server', async () => {
    const { call } = testApp();
    expect((await call('POST', '/v1/auth/setup', { username: 'a', password: PW })).status).toBe(400);
    expect((await call('GET', '/v1/auth/me')).json).toEqual({ authenticated: true, method: 'none' });
    expect((await call('GET', '/v1/auth/config')).json).toEqual({ mode: 'off', setup_required: false, setup_token_required: false, login_methods: [] });
  });
});

describe('users, tokens and passwords', () => {
  async function admin() {
    const ctx = nativeApp();
    const setup = await ctx.call('POST', '/v1/auth/setup', { username: 'root', password: PW });
    return { ...ctx, as: { cookie: `orloj_session=${ctx.cookieOf(setup)}` } };
  }

  test('users: create with a generated password shown once, list, roles enforced, last admin kept', async () => {
    const { call, as, cookieOf } = await admin();
    const created = await call('POST', '/v1/auth/users', { username: 'Wendy', role: 'writer' }, as);
    expect(created.status).toBe(201);
    expect(created.json.username).toBe('wendy');
    expect(created.json.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const chosen = await call('POST', '/v1/auth/users', { username: 'rita', password: PW }, as);
    expect(chosen.json).not.toHaveProperty('password');
    expect(chosen.json.role).toBe('reader');
    expect((await call('POST', '/v1/auth/users', { username: 'rita', password: PW }, as)).status).toBe(409);
    expect((await call('POST', '/v1/auth/users', { username: 'x', role: 'root' }, as)).status).toBe(400);
    const list = await call('GET', '/v1/auth/users', undefined, as);
    expect(list.json.items.map((u: any) => [u.username, u.role])).toEqual([
      ['rita', 'reader'],
      ['root', 'admin'],
      ['wendy', 'writer'],
    ]);
    expect(JSON.stringify(list.json)).not.toContain('argon2');

    const w = await call('POST', '/v1/auth/login', { username: 'wendy', password: created.json.password });
    const wendy = { cookie: `orloj_session=${cookieOf(w)}` };
    expect((await call('POST', '/v1/agents', { metadata: { name: 'a' }, spec: { model_ref: 'm' } }, wendy)).status).toBe(201);
    expect((await call('PUT', '/v1/agents/a/status', { status: {} }, { ...wendy, 'if-match': '*' })).status).toBe(403);
    expect((await call('GET', '/v1/auth/users', undefined, wendy)).status).toBe(403);

    expect((await call('DELETE', '/v1/auth/users/root', undefined, as)).status).toBe(409);
    expect((await call('DELETE', '/v1/auth/users/nobody', undefined, as)).status).toBe(404);
    expect((await call('DELETE', '/v1/auth/users/wendy', undefined, as)).json).toEqual({ status: 'user deleted' });
    expect((await call('GET', '/v1/agents', undefined, wendy)).status).toBe(401);
  });

  test('tokens: created at run time work on the next request, revoked ones stop at once', async () => {
    const { call, as } = await admin();
    const t = await call('POST', '/v1/tokens', { name: 'ci', role: 'writer' }, as);
    expect(t.status).toBe(201);
    expect(t.json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const bearer = { authorization: `Bearer ${t.json.token}` };
    expect((await call('POST', '/v1/agents', { metadata: { name: 'b' }, spec: { model_ref: 'm' } }, bearer)).status).toBe(201);
    expect((await call('GET', '/v1/auth/me', undefined, bearer)).json).toEqual({ authenticated: true, method: 'bearer', name: 'ci', role: 'writer' });
    const list = await call('GET', '/v1/tokens', undefined, as);
    expect(list.json.items.map((x: any) => Object.keys(x).sort())).toEqual([['created_at', 'name', 'role']]);
    expect(list.text).not.toContain(t.json.token);
    expect((await call('POST', '/v1/tokens', { name: 'ci' }, as)).status).toBe(409);
    expect((await call('GET', '/v1/tokens', undefined, bearer)).status).toBe(403);
    expect((await call('DELETE', '/v1/tokens/ci', undefined, as)).json).toEqual({ status: 'token deleted' });
    expect((await call('GET', '/v1/agents', undefined, bearer)).status).toBe(401);
    expect((await call('DELETE', '/v1/tokens/ci', undefined, as)).status).toBe(404);
  });

  test('a token created while auth is off closes the open server at once', async () => {
    const { call } = testApp();
    expect((await call('GET', '/v1/agents')).status).toBe(200);
    const t = await call('POST', '/v1/tokens', { name: 'first', role: 'admin' });
    expect(t.status).toBe(201);
    expect((await call('GET', '/v1/agents')).status).toBe(401);
    expect((await call('GET', '/v1/agents', undefined, { authorization: `Bearer ${t.json.token}` })).status).toBe(200);
  });

  test('password reset and change end the other sessions; cli-token trades a password for a token', async () => {
    const { call, as, cookieOf } = await admin();
    const created = await call('POST', '/v1/auth/users', { username: 'pat', role: 'writer', password: PW }, as);
    expect(created.status).toBe(201);
    const s1 = cookieOf(await call('POST', '/v1/auth/login', { username: 'pat', password: PW }));
    const s2 = cookieOf(await call('POST', '/v1/auth/login', { username: 'pat', password: PW }));
    const change = await call('POST', '/v1/auth/change-password', { current_password: PW, new_password: 'another-long-password' }, { cookie: `orloj_session=${s1}` });
    expect(change.json).toEqual({ status: 'password changed' });
    expect((await call('GET', '/v1/agents', undefined, { cookie: `orloj_session=${s1}` })).status).toBe(200);
    expect((await call('GET', '/v1/agents', undefined, { cookie: `orloj_session=${s2}` })).status).toBe(401);
    expect((await call('POST', '/v1/auth/change-password', { current_password: 'wrong-wrong-wrong', new_password: 'x'.repeat(12) }, { cookie: `orloj_session=${s1}` })).status).toBe(401);
    expect((await call('POST', '/v1/auth/change-password', { current_password: PW, new_password: 'x'.repeat(12) })).status).toBe(401);

    const reset = await call('POST', '/v1/auth/admin/reset-password', { username: 'pat' }, as);
    expect(reset.json.status).toBe('password reset');
    expect((await call('GET', '/v1/agents', undefined, { cookie: `orloj_session=${s1}` })).status).toBe(401);
    expect((await call('POST', '/v1/auth/login', { username: 'pat', password: reset.json.password })).status).toBe(200);
    expect((await call('POST', '/v1/auth/admin/reset-password', { username: 'ghost' }, as)).status).toBe(404);

    const cli = await call('POST', '/v1/auth/cli-token', { username: 'pat', password: reset.json.password });
    expect(cli.status).toBe(201);
    expect(cli.json).toMatchObject({ role: 'writer', username: 'pat' });
    expect(cli.json.name).toMatch(/^cli-pat-\d+$/);
    expect((await call('GET', '/v1/agents', undefined, { authorization: `Bearer ${cli.json.token}` })).status).toBe(200);
  });

  test('sessions expire after the TTL unless used, and used ones slide forward', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const { call, cookieOf } = nativeApp({ now: () => now });
    const setup = await call('POST', '/v1/auth/setup', { username: 'root', password: PW });
    const c = { cookie: `orloj_session=${cookieOf(setup)}` };
    now = new Date('2026-01-01T23:00:00Z');
    expect((await call('GET', '/v1/agents', undefined, c)).status).toBe(200);
    now = new Date('2026-01-02T22:00:00Z');
    expect((await call('GET', '/v1/agents', undefined, c)).status).toBe(200);
    now = new Date('2026-01-04T00:00:00Z');
    expect((await call('GET', '/v1/agents', undefined, c)).status).toBe(401);
  });

  test('login is rate limited per client: burst of 20, then 429 with Retry-After', async () => {
    const { call } = await admin();
    const codes: number[] = [];
    for (let i = 0; i < 22; i++) codes.push((await call('POST', '/v1/auth/login', { username: 'root', password: 'wrong-password-xx' })).status);
    expect(codes.slice(0, 19).every((c) => c === 401)).toBe(true);
    const limited = await call('POST', '/v1/auth/login', { username: 'root', password: PW });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('a CLI token dies with its user, and with a password reset', async () => {
    const ctx = testApp({ auth: { mode: 'native' } });
    const setup = await ctx.call('POST', '/v1/auth/setup', { username: 'root', password: PW });
    const as = { cookie: /orloj_session=[^;]+/.exec(setup.headers.get('set-cookie')!)![0] };
    await ctx.call('POST', '/v1/auth/users', { username: 'mallory', role: 'admin', password: PW }, as);
    const t1 = (await ctx.call('POST', '/v1/auth/cli-token', { username: 'mallory', password: PW })).json.token;
    const bearer1 = { authorization: `Bearer ${t1}` };
    expect((await ctx.call('GET', '/v1/auth/users', undefined, bearer1)).status).toBe(200);
    await ctx.call('POST', '/v1/auth/admin/reset-password', { username: 'mallory', new_password: `${PW}-2` }, as);
    expect((await ctx.call('GET', '/v1/auth/users', undefined, bearer1)).status).toBe(401);
    const t2 = (await ctx.call('POST', '/v1/auth/cli-token', { username: 'mallory', password: `${PW}-2` })).json.token;
    await ctx.call('DELETE', '/v1/auth/users/mallory', undefined, as);
    expect((await ctx.call('GET', '/v1/agents', undefined, { authorization: `Bearer ${t2}` })).status).toBe(401);
    // Tokens an admin created for machines are not tied to a user and stay.
    const machine = (await ctx.call('POST', '/v1/tokens', { name: 'deploy', role: 'writer' }, as)).json.token;
    await ctx.call('POST', '/v1/auth/admin/reset-password', { username: 'root', new_password: `${PW}-3` }, as);
    expect((await ctx.call('GET', '/v1/agents', undefined, { authorization: `Bearer ${machine}` })).status).toBe(200);
  });
});
