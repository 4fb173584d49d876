// CORS: no headers unless origins are listed; listed origins are echoed and preflights answered
// before auth; "*" never grants credentials and the "null" origin is never allowed.
import { expect, test } from 'bun:test';
import { testApp } from '../support/app';

test('CORS: no headers by default; listed origins are echoed and preflights answered before auth', async () => {
  const closed = testApp();
  const plain = await closed.app.handle(new Request('http://localhost/v1/agents', { headers: { origin: 'https://evil.example' } }));
  expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  const open = testApp({ cors: ['https://ui.example'], auth: { mode: 'native' } });
  const pre = await open.app.handle(new Request('http://localhost/v1/agents', { method: 'OPTIONS', headers: { origin: 'https://ui.example', 'access-control-request-method': 'POST' } }));
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe('https://ui.example');
  expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization');
  const other = await open.app.handle(new Request('http://localhost/v1/agents', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } }));
  expect(other.status).toBe(204);
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
  const get = await open.app.handle(new Request('http://localhost/healthz', { headers: { origin: 'https://ui.example' } }));
  expect(get.headers.get('access-control-allow-origin')).toBe('https://ui.example');
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
