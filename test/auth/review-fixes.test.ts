// Regressions found in review: tokens outliving their user, CORS with "*" or "null", IPv6 rate
// keys, HEAD on streams and short Host headers.
import { expect, test } from 'bun:test';
import { rateKey } from '../../src/auth/rate-limit';
import { safeAnnotations } from '../../src/sealing/unsafe-annotations';
import { testApp } from '../support/app';

const PW = 'correct-horse-battery';

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

test('CORS "*" never grants credentials, and the "null" origin is never allowed', async () => {
  const ctx = testApp({ cors: ['*'] });
  const star = await ctx.app.handle(new Request('http://localhost/healthz', { headers: { origin: 'https://any.example' } }));
  expect(star.headers.get('access-control-allow-origin')).toBe('https://any.example');
  expect(star.headers.get('access-control-allow-credentials')).toBeNull();
  const nul = await ctx.app.handle(new Request('http://localhost/healthz', { headers: { origin: 'null' } }));
  expect(nul.headers.get('access-control-allow-origin')).toBeNull();
  const named = testApp({ cors: ['https://ui.example'] });
  const ok = await named.app.handle(new Request('http://localhost/healthz', { headers: { origin: 'https://ui.example' } }));
  expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
});

test('rate limits key IPv6 clients by their /64', () => {
  expect(rateKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
  expect(rateKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
  expect(rateKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(rateKey('203.0.113.7')).toBe('203.0.113.7');
});

test('HEAD is 405 everywhere (a watch would never answer it); short Host headers still route', async () => {
  const ctx = testApp();
  const head = await ctx.app.handle(new Request('http://localhost/v1/agents/watch', { method: 'HEAD' }));
  expect(head.status).toBe(405);
  expect(ctx.core.watch.streams).toBe(0);
  const short = await ctx.app.handle(new Request('http://api/v1/agents'));
  expect(short.status).toBe(200);
  expect(((await short.json()) as any).kind).toBe('AgentList');
});

test('sealing never carries the plaintext copy kubectl keeps in an annotation', () => {
  const { kept, dropped } = safeAnnotations({ 'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"k":"plain"}}', team: 'a' });
  expect(kept).toEqual({ team: 'a' });
  expect(dropped).toEqual(['kubectl.kubernetes.io/last-applied-configuration']);
});
