// GET /v1/sealing-key/public: the active key, or 503 in the Status shape while none is loaded.
import { describe, expect, test } from 'bun:test';
import { Elysia } from 'elysia';
import { errorsPlugin } from '../../src/api/errors-plugin';
import { RouteTable } from '../../src/api/route-table';
import { sealingRoutes } from '../../src/api/sealing-routes';
import { silentLogger } from '../../src/log';
import { SealingKeys } from '../../src/sealing/keys';
import { openDatabase } from '../../src/store/database';
import { SecretCipher } from '../../src/store/secret-cipher';
import { MetaStore } from '../../src/store/meta';

function mount(keys: SealingKeys) {
  const table = new RouteTable();
  const app = new Elysia().use(errorsPlugin(table, silentLogger)).use(sealingRoutes(keys, table));
  const get = async (path = '/v1/sealing-key/public') => {
    const res = await app.handle(new Request(`http://localhost${path}`));
    return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as any };
  };
  return { table, get };
}

describe('sealing routes', () => {
  test('200 with the key once loaded, 503 before', async () => {
    const handle = openDatabase(':memory:');
    const keys = new SealingKeys(new MetaStore(handle), SecretCipher.random(), { modulusLength: 2048 });
    const { table, get } = mount(keys);
    expect(table.routes).toHaveLength(1);
    expect(table.routes[0]).toMatchObject({ method: 'GET', path: '/v1/sealing-key/public', tag: 'sealing', action: 'sealing-key' });

    expect(await get()).toEqual({
      status: 503,
      type: 'application/json',
      json: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 503, reason: 'ServiceUnavailable', message: 'the sealing key is not loaded yet' },
    });

    await keys.ensure();
    const pub = keys.publicKey()!;
    expect(await get()).toEqual({ status: 200, type: 'application/json', json: { keyId: pub.keyId, algorithm: 'rsa-oaep-sha256+aes-256-gcm', publicKeyPEM: pub.publicKeyPEM } });
    // Cluster-scoped: a namespace query changes nothing.
    expect((await get('/v1/sealing-key/public?namespace=team-a')).json.keyId).toBe(pub.keyId);
    handle.close();
  });

  test('503 names the reason when the stored key cannot be opened', async () => {
    const handle = openDatabase(':memory:');
    await new SealingKeys(new MetaStore(handle), SecretCipher.random(), { modulusLength: 2048 }).ensure();
    const keys = new SealingKeys(new MetaStore(handle), SecretCipher.random());
    await keys.ensure();
    const res = await mount(keys).get();
    expect(res.status).toBe(503);
    expect(res.json.message).toBe(
      'no sealing key is available: the stored sealing private key cannot be decrypted with the configured secret encryption key (ORLOJ_SECRET_ENCRYPTION_KEY)',
    );
    handle.close();
  });
});
