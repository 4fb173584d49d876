// Rate limit keys: the peer address (an IPv6 client by its /64), and X-Forwarded-For only when the
// peer is a trusted proxy.
import { expect, test } from 'bun:test';
import { parseCidr } from '../../src/auth/client-ip';
import { rateKey } from '../../src/auth/rate-limit';
import { testApp } from '../support/app';

test('rate limits key on the peer, and on X-Forwarded-For only from trusted proxies', async () => {
  const ctx = testApp({ auth: { mode: 'native', trustedProxies: [parseCidr('10.0.0.0/8')!] } });
  const login = (peer: string, xff?: string) =>
    ctx.app.handle(new Request('http://localhost/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: 'a', password: 'x'.repeat(12) }), headers: { 'content-type': 'application/json', ...(xff ? { 'x-forwarded-for': xff } : {}) } }), peer);
  // An untrusted peer cannot dodge the limit by inventing X-Forwarded-For values.
  const direct: number[] = [];
  for (let i = 0; i < 21; i++) direct.push((await login('203.0.113.9', `198.51.100.${i}`)).status);
  expect(direct[20]).toBe(429);
  // Behind a trusted proxy every client has its own bucket.
  for (let i = 0; i < 21; i++) expect((await login('10.1.2.3', `198.51.100.${i}`)).status).toBe(409);
});

test('rate limits key IPv6 clients by their /64', () => {
  expect(rateKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
  expect(rateKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
  expect(rateKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(rateKey('203.0.113.7')).toBe('203.0.113.7');
});
