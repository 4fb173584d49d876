// The SealedSecret controller over the real registry and real crypto: unseal into an owned
// Secret, follow updates and deletes, fail closed on tampering, foreign keys and unowned Secrets.
import { afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { constants, createCipheriv, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { OWNER_ANNOTATION, SealedSecretController } from '../../src/controllers/sealed-secrets';
import { NotFound } from '../../src/errors';
import { silentLogger } from '../../src/log';
import { keyIdOf, sealValue, type SealedValue } from '../../src/sealing/crypto';
import { SEALING_META_KEY, SealingKeys, type PublicSealingKey } from '../../src/sealing/keys';
import { openDatabase } from '../../src/store/database';
import { SecretCipher } from '../../src/store/secret-cipher';
import { testRegistry } from '../support/registry';
import { MetaStore } from '../../src/store/meta';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const cipher = SecretCipher.random();
let storedKey: string;
let pub: PublicSealingKey;

beforeAll(async () => {
  // One 2048-bit key for the whole file; each test copies it into its own database.
  const handle = openDatabase(':memory:');
  const keys = new SealingKeys(new MetaStore(handle), cipher, { modulusLength: 2048 });
  await keys.ensure();
  pub = keys.publicKey()!;
  storedKey = handle.sqlite.query<{ value: string }, [string]>('SELECT value FROM meta WHERE key = ?').get(SEALING_META_KEY)!.value;
  handle.close();
});

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

async function setup(opts: { start?: boolean; withKey?: boolean } = {}) {
  const r = testRegistry();
  if (opts.withKey !== false) r.handle.sqlite.query('INSERT INTO meta (key, value) VALUES (?, ?)').run(SEALING_META_KEY, storedKey);
  const keys = new SealingKeys(new MetaStore(r.handle), opts.withKey === false ? SecretCipher.random() : cipher, { modulusLength: 2048 });
  if (opts.withKey === false) {
    // A key written under another secret encryption key: present but unopenable.
    const other = new SealingKeys(new MetaStore(r.handle), SecretCipher.random(), { modulusLength: 2048 });
    await other.ensure();
  }
  const controller = new SealedSecretController(r.core, keys, silentLogger);
  if (opts.start !== false) await controller.start();
  cleanups.push(() => (controller.stop(), r.close()));
  const sealedDef = r.kind('sealed-secrets');
  const secretDef = r.kind('secrets');
  const apply = (name: string, encryptedData: Record<string, SealedValue>, extra: { namespace?: string; template?: object } = {}) =>
    r.registry.apply(sealedDef, { metadata: { name, namespace: extra.namespace }, spec: { encryptedData, ...(extra.template ? { template: extra.template } : {}) } }, {});
  const secret = (name: string, ns = 'default') => r.registry.getDecoded(secretDef, ns, name);
  const status = async (name: string, ns = 'default') => (await r.registry.get(sealedDef, ns, name)).status;
  return { ...r, keys, controller, sealedDef, secretDef, apply, secret, status };
}

function seal(values: Record<string, string>, name: string, namespace = 'default', key = pub): Record<string, SealedValue> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sealValue(key.publicKeyPEM, key.keyId, namespace, name, k, b64(v))]));
}

const notFound = (p: Promise<unknown>) => expect(p).rejects.toThrow(NotFound);

describe('SealedSecretController', () => {
  test('unseals into an owned Secret, follows updates, restores edits, deletes with its SealedSecret', async () => {
    const t = await setup();
    await t.apply('db-creds', seal({ password: 'hunter2', user: 'app' }, 'db-creds'), { template: { labels: { team: 'db' }, annotations: { note: 'from git' } } });
    await t.controller.idle();
    const s = await t.secret('db-creds');
    expect(s.spec).toEqual({ data: { password: b64('hunter2'), user: b64('app') } });
    expect(s.metadata.labels).toEqual({ team: 'db' });
    expect(s.metadata.annotations).toEqual({ note: 'from git', [OWNER_ANNOTATION]: 'default/db-creds' });
    expect(await t.status('db-creds')).toEqual({ phase: 'Ready', observedGeneration: 1 });

    // Reconciling again writes nothing: no status or Secret churn.
    const revision = await t.registry.currentRevision();
    t.controller.enqueue('default', 'db-creds');
    await t.controller.idle();
    expect(await t.registry.currentRevision()).toBe(revision);

    await t.apply('db-creds', seal({ password: 'correct-horse', token: 't0k3n' }, 'db-creds'), { template: { labels: { team: 'platform' } } });
    await t.controller.idle();
    const updated = await t.secret('db-creds');
    expect(updated.spec).toEqual({ data: { password: b64('correct-horse'), token: b64('t0k3n') } });
    expect(updated.metadata.labels).toEqual({ team: 'platform' });
    expect(updated.metadata.annotations).toEqual({ [OWNER_ANNOTATION]: 'default/db-creds' });
    expect(await t.status('db-creds')).toEqual({ phase: 'Ready', observedGeneration: 2 });

    // Someone deletes or edits the generated Secret: it is put back.
    await t.registry.delete(t.secretDef, 'default', 'db-creds');
    await t.controller.idle();
    expect((await t.secret('db-creds')).spec.data.password).toBe(b64('correct-horse'));
    await t.registry.apply(t.secretDef, { metadata: { name: 'db-creds', annotations: { [OWNER_ANNOTATION]: 'default/db-creds' } }, spec: { stringData: { password: 'edited' } } }, {});
    await t.controller.idle();
    expect((await t.secret('db-creds')).spec).toEqual({ data: { password: b64('correct-horse'), token: b64('t0k3n') } });

    await t.registry.delete(t.sealedDef, 'default', 'db-creds');
    await t.controller.idle();
    await notFound(t.secret('db-creds'));

    // Nothing in the change log or the event log holds a value in plaintext or plain base64.
    const logged = [
      ...t.handle.sqlite.query<{ object: string }, []>('SELECT object FROM changes').all().map((r) => r.object),
      ...t.handle.sqlite.query<{ data: string | null; message: string }, []>('SELECT data, message FROM events').all().map((r) => `${r.data} ${r.message}`),
    ].join('\n');
    expect(logged).toContain('db-creds');
    for (const v of ['hunter2', 'correct-horse', 't0k3n', 'edited']) {
      expect(logged).not.toContain(v);
      expect(logged).not.toContain(b64(v));
    }
  });

  test('namespaced, and SealedSecrets stored before start are picked up', async () => {
    const t = await setup({ start: false });
    await t.apply('api', seal({ key: 'abc' }, 'api', 'team-a'), { namespace: 'team-a' });
    await t.apply('api', seal({ key: 'xyz' }, 'api'));
    await t.controller.start();
    expect(t.controller.healthy).toBe(true);
    await t.controller.idle();
    expect((await t.secret('api', 'team-a')).spec.data).toEqual({ key: b64('abc') });
    expect((await t.secret('api', 'team-a')).metadata.annotations).toEqual({ [OWNER_ANNOTATION]: 'team-a/api' });
    expect((await t.secret('api')).spec.data).toEqual({ key: b64('xyz') });
    t.controller.stop();
    expect(t.controller.healthy).toBe(false);
  });

  test('tampered ciphertext → Error; the last good Secret is kept until it unseals again', async () => {
    const t = await setup();
    const good = seal({ password: 'hunter2' }, 'db');
    const raw = Buffer.from(good.password.ciphertext, 'base64');
    raw[20] ^= 0x40;
    await t.apply('db', { password: { ...good.password, ciphertext: raw.toString('base64') } });
    await t.controller.idle();
    expect(await t.status('db')).toEqual({
      phase: 'Error',
      observedGeneration: 1,
      lastError: 'cannot unseal entry "password": the ciphertext does not authenticate (tampered, or sealed for another namespace, name or entry key)',
    });
    await notFound(t.secret('db'));

    await t.apply('db', good);
    await t.controller.idle();
    expect(await t.status('db')).toEqual({ phase: 'Ready', observedGeneration: 2 });
    expect((await t.secret('db')).spec.data).toEqual({ password: b64('hunter2') });

    // Values copied from another SealedSecret do not open under this name.
    await t.apply('db', seal({ password: 'other' }, 'not-db'));
    await t.controller.idle();
    expect((await t.status('db')).phase).toBe('Error');
    expect((await t.status('db')).lastError).toStartWith('cannot unseal entry "password": the ciphertext does not authenticate');
    expect((await t.secret('db')).spec.data).toEqual({ password: b64('hunter2') });
  });

  test('a value sealed for another key → Error naming both key ids', async () => {
    const t = await setup();
    const zero = '0'.repeat(32);
    const sealed = seal({ password: 'hunter2' }, 'db');
    await t.apply('db', { password: { ...sealed.password, keyId: zero } });
    await t.controller.idle();
    expect(await t.status('db')).toEqual({
      phase: 'Error',
      observedGeneration: 1,
      lastError: `cannot unseal entry "password": sealed for key "${zero}", but this server's sealing key is ${pub.keyId}`,
    });

    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherPem = other.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    await t.apply('db2', seal({ password: 'hunter2' }, 'db2', 'default', { keyId: keyIdOf(otherPem), algorithm: '', publicKeyPEM: otherPem }));
    await t.controller.idle();
    expect((await t.status('db2')).lastError).toBe(`cannot unseal entry "password": sealed for key "${keyIdOf(otherPem)}", but this server's sealing key is ${pub.keyId}`);
    await notFound(t.secret('db'));
    await notFound(t.secret('db2'));
  });

  test('an existing Secret it does not own → Error, and that Secret is never touched', async () => {
    const t = await setup();
    await t.registry.apply(t.secretDef, { metadata: { name: 'db', labels: { hand: 'made' } }, spec: { stringData: { password: 'handmade' } } }, {});
    await t.registry.apply(t.secretDef, { metadata: { name: 'api', annotations: { [OWNER_ANNOTATION]: 'default/someone-else' } }, spec: { stringData: { k: 'v' } } }, {});
    const mine = await t.secret('db');
    const theirs = await t.secret('api');
    expect(mine.spec.data).toEqual({ password: b64('handmade') });
    await t.apply('db', seal({ password: 'hunter2' }, 'db'));
    await t.apply('api', seal({ k: 'sealed' }, 'api'));
    await t.controller.idle();
    expect(await t.status('db')).toEqual({
      phase: 'Error',
      observedGeneration: 1,
      lastError: `refusing to overwrite Secret "db" in namespace "default": it was not created from this SealedSecret (annotation ${OWNER_ANNOTATION} is not "default/db")`,
    });
    expect((await t.status('api')).lastError).toStartWith('refusing to overwrite Secret "api" in namespace "default"');
    expect(await t.secret('db')).toEqual(mine);
    expect(await t.secret('api')).toEqual(theirs);

    // Deleting the SealedSecret leaves a Secret it does not own alone.
    await t.registry.delete(t.sealedDef, 'default', 'db');
    await t.controller.idle();
    expect(await t.secret('db')).toEqual(mine);

    // Once the conflicting Secret is gone, the SealedSecret takes over.
    await t.registry.delete(t.secretDef, 'default', 'api');
    await t.controller.idle();
    expect(await t.status('api')).toEqual({ phase: 'Ready', observedGeneration: 1 });
    expect((await t.secret('api')).spec.data).toEqual({ k: b64('sealed') });
  });

  test('legacy AAD seals open; values that are not base64 after unsealing → Error', async () => {
    const t = await setup();
    const legacy = (name: string, entryKey: string, plaintext: string): SealedValue => {
      const dataKey = randomBytes(32);
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', dataKey, nonce);
      c.setAAD(Buffer.from(`default\0${name}\0${entryKey}`));
      const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
      const wrapped = publicEncrypt({ key: pub.publicKeyPEM, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dataKey);
      return { keyId: pub.keyId, wrappedKey: wrapped.toString('base64'), ciphertext: Buffer.concat([nonce, body]).toString('base64') };
    };
    await t.apply('old', { token: legacy('old', 'token', b64('legacy-value')) });
    await t.apply('raw', { token: sealValue(pub.publicKeyPEM, pub.keyId, 'default', 'raw', 'token', 'not base64!') });
    await t.controller.idle();
    expect(await t.status('old')).toEqual({ phase: 'Ready', observedGeneration: 1 });
    expect((await t.secret('old')).spec.data).toEqual({ token: b64('legacy-value') });
    expect(await t.status('raw')).toEqual({
      phase: 'Error',
      observedGeneration: 1,
      lastError: 'entry "token" unsealed to a value that is not valid standard base64 (seal the base64 form of the value)',
    });
  });

  test('without a usable sealing key every SealedSecret goes to Error', async () => {
    const t = await setup({ withKey: false });
    await t.apply('db', seal({ password: 'hunter2' }, 'db'));
    await t.controller.idle();
    expect(await t.status('db')).toEqual({
      phase: 'Error',
      observedGeneration: 1,
      lastError: 'no sealing key is available: the stored sealing private key cannot be decrypted with the configured secret encryption key (ORLOJ_SECRET_ENCRYPTION_KEY)',
    });
    await notFound(t.secret('db'));
  });
});
