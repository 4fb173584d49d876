// Secret values never leave the store in plaintext: not in any response, not in the database file.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileApp } from '../support/app';

const dir = mkdtempSync(join(tmpdir(), 'orrery-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLAIN = 'sk-very-secret-value-4711';
const PLAIN2 = 'second-secret-value-0815';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secrets', () => {
  test('values are redacted everywhere, kept on *** round trips, and encrypted on disk', async () => {
    const { call, registry, close } = fileApp(dir);
    const bodies: string[] = [];
    const created = await call('POST', '/v1/secrets', { metadata: { name: 'api-key' }, spec: { stringData: { value: PLAIN }, data: { other: b64(PLAIN2) } } });
    bodies.push(created.text);
    expect(created.status).toBe(201);
    expect(created.json.spec).toEqual({ data: { other: '***', value: '***' } });

    const got = await call('GET', '/v1/secrets/api-key');
    bodies.push(got.text);
    expect(got.json.spec).toEqual({ data: { other: '***', value: '***' } });
    bodies.push((await call('GET', '/v1/secrets')).text);

    // A GET body sent back unchanged keeps both stored values.
    const put = await call('PUT', '/v1/secrets/api-key', got.json, { 'if-match': got.json.metadata.resourceVersion });
    bodies.push(put.text);
    expect(put.status).toBe(200);
    const def = registry.byPlural.get('secrets')!;
    expect((await registry.getDecoded(def, 'default', 'api-key')).spec.data).toEqual({ other: b64(PLAIN2), value: b64(PLAIN) });

    const bad = await call('POST', '/v1/secrets', { metadata: { name: 'bad' }, spec: { data: { k: `${PLAIN}!!` } } });
    bodies.push(bad.text);
    expect(bad.status).toBe(400);
    expect(bad.json.details.causes[0].field).toBe('spec.data.k');

    bodies.push((await call('GET', '/metrics')).text);
    bodies.push((await call('DELETE', '/v1/secrets/api-key')).text);
    for (const b of bodies) {
      for (const needle of [PLAIN, b64(PLAIN), PLAIN2, b64(PLAIN2)]) expect(b).not.toContain(needle);
    }
    close();

    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, f)).toString('latin1');
      for (const needle of [PLAIN, b64(PLAIN), PLAIN2, b64(PLAIN2)]) expect(bytes.includes(needle), `${needle} in ${f}`).toBe(false);
    }
  });
});
