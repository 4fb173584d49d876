// The sealing keypair: generated once, kept across restarts in a real database file, its private
// key never on disk in plaintext, and a clear failure when the secret key cannot open it.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log';
import { keyIdOf, sealValue } from '../../src/sealing/crypto';
import { DEFAULT_MODULUS_LENGTH, SEALING_META_KEY, SealingKeys } from '../../src/sealing/keys';
import { openDatabase } from '../../src/store/database';
import { openStore } from '../../src/store/open-store';
import { SecretCipher } from '../../src/store/secret-cipher';
import { MetaStore } from '../../src/store/meta';

const dir = mkdtempSync(join(tmpdir(), 'orrery-sealing-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SealingKeys', () => {
  test('RSA-4096 unless told otherwise', () => {
    const handle = openDatabase(':memory:');
    expect(DEFAULT_MODULUS_LENGTH).toBe(4096);
    expect(new SealingKeys(new MetaStore(handle), SecretCipher.random()).modulusLength).toBe(4096);
    expect(new SealingKeys(new MetaStore(handle), SecretCipher.random(), { modulusLength: 2048 }).modulusLength).toBe(2048);
    handle.close();
  });

  test('generated on first start, the same after a reopen, private key encrypted on disk', async () => {
    const first = openStore(dir, undefined);
    const keys = new SealingKeys(new MetaStore(first.handle), first.cipher, { modulusLength: 2048 });
    expect(keys.state).toBe('loading');
    expect(keys.publicKey()).toBeUndefined();
    const p = keys.ensure();
    expect(keys.ensure()).toBe(p);
    await p;
    expect(keys.state).toBe('ready');
    const pub = keys.publicKey()!;
    expect(pub).toEqual({ keyId: keyIdOf(pub.publicKeyPEM), algorithm: 'rsa-oaep-sha256+aes-256-gcm', publicKeyPEM: pub.publicKeyPEM });
    expect(pub.publicKeyPEM).toStartWith('-----BEGIN PUBLIC KEY-----\n');

    const row = first.handle.sqlite.query<{ value: string }, [string]>('SELECT value FROM meta WHERE key = ?').get(SEALING_META_KEY)!;
    const stored = JSON.parse(row.value);
    expect(Object.keys(stored).sort()).toEqual(['keyId', 'privateKey', 'publicKeyPEM']);
    expect(stored.privateKey).toStartWith('enc:');
    const privatePem = first.cipher.decrypt(stored.privateKey);
    expect(privatePem).toStartWith('-----BEGIN PRIVATE KEY-----\n');
    const sealed = sealValue(pub.publicKeyPEM, pub.keyId, 'default', 'db', 'pw', 'c2VjcmV0');
    expect(keys.unseal('default', 'db', 'pw', sealed)).toBe('c2VjcmV0');
    first.handle.close();

    const second = openStore(dir, undefined);
    const reopened = new SealingKeys(new MetaStore(second.handle), second.cipher, { modulusLength: 2048 });
    await reopened.ensure();
    expect(reopened.publicKey()).toEqual(pub);
    expect(reopened.unseal('default', 'db', 'pw', sealed)).toBe('c2VjcmV0');
    second.handle.close();

    // No line of the private key's PEM body is anywhere in the data directory.
    const body = privatePem.split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(body.length).toBeGreaterThan(10);
    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, f)).toString('latin1');
      for (const line of body) expect(bytes.includes(line), `private key line in ${f}`).toBe(false);
    }
  });

  test('a key the secret cipher cannot open is reported, and no key is served', async () => {
    const handle = openDatabase(':memory:');
    await new SealingKeys(new MetaStore(handle), SecretCipher.random(), { modulusLength: 2048 }).ensure();
    const lines: string[] = [];
    const keys = new SealingKeys(new MetaStore(handle), SecretCipher.random(), { modulusLength: 2048, log: createLogger('info', (l) => lines.push(l)) });
    await keys.ensure();
    expect(keys.state).toBe('failed');
    expect(keys.publicKey()).toBeUndefined();
    const reason = 'the stored sealing private key cannot be decrypted with the configured secret encryption key (ORLOJ_SECRET_ENCRYPTION_KEY)';
    expect(keys.error).toBe(reason);
    expect(keys.unavailableReason()).toBe(`no sealing key is available: ${reason}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ERROR sealing key unavailable');
    expect(lines[0]).toContain(reason);
    handle.close();
  });

  test('a stored key whose public half was swapped is refused', async () => {
    const handle = openDatabase(':memory:');
    const cipher = SecretCipher.random();
    await new SealingKeys(new MetaStore(handle), cipher, { modulusLength: 2048 }).ensure();
    const other = openDatabase(':memory:');
    const otherKeys = new SealingKeys(new MetaStore(other), cipher, { modulusLength: 2048 });
    await otherKeys.ensure();
    const row = JSON.parse(handle.sqlite.query<{ value: string }, []>(`SELECT value FROM meta WHERE key = 'sealing_key'`).get()!.value);
    row.publicKeyPEM = otherKeys.publicKey()!.publicKeyPEM;
    handle.sqlite.query(`UPDATE meta SET value = ? WHERE key = 'sealing_key'`).run(JSON.stringify(row));
    const keys = new SealingKeys(new MetaStore(handle), cipher);
    await keys.ensure();
    expect(keys.error).toBe('the stored sealing key is inconsistent: its keyId or public key does not match its private key');
    handle.close();
    other.close();
  });
});
