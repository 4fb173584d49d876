// The sealing wire format, checked against independent implementations: WebCrypto RSA-OAEP
// (SHA-256, MGF1-SHA-256) and AES-GCM with the AAD bytes written out by hand.
import { describe, expect, test } from 'bun:test';
import { createCipheriv, createHash, generateKeyPairSync, publicEncrypt, constants, randomBytes } from 'node:crypto';
import { keyIdOf, legacyAad, SEALING_ALGORITHM, SealError, sealValue, unsealValue, versionedAad } from '../../src/sealing/crypto';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = publicKey.export({ type: 'spki', format: 'pem' }) as string;
const KEY_ID = keyIdOf(PEM);
const VALUE = Buffer.from('hunter2-db-password').toString('base64');

/** A seal made the way the first clients did it: AAD without the version prefix. */
function legacySeal(namespace: string, name: string, entryKey: string, plaintext: string) {
  const dataKey = randomBytes(32);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', dataKey, nonce);
  c.setAAD(Buffer.from(`${namespace}\0${name}\0${entryKey}`));
  const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dataKey);
  return { keyId: KEY_ID, wrappedKey: wrapped.toString('base64'), ciphertext: Buffer.concat([nonce, body]).toString('base64') };
}

describe('sealing crypto', () => {
  test('keyId is the hex of the first 16 bytes of SHA-256 over the SPKI DER', () => {
    const der = publicKey.export({ type: 'spki', format: 'der' });
    expect(KEY_ID).toBe(createHash('sha256').update(der).digest('hex').slice(0, 32));
    expect(KEY_ID).toMatch(/^[0-9a-f]{32}$/);
    expect(keyIdOf(publicKey)).toBe(KEY_ID);
    expect(SEALING_ALGORITHM).toBe('rsa-oaep-sha256+aes-256-gcm');
  });

  test('the AAD byte layouts', () => {
    expect(versionedAad('team-a', 'db', 'password')).toEqual(Buffer.from('AES-256-GCM-v1\x00team-a\x00db\x00password'));
    expect(legacyAad('team-a', 'db', 'password')).toEqual(Buffer.from('team-a\x00db\x00password'));
    expect(versionedAad('', 'db', 'k')).toEqual(Buffer.from('AES-256-GCM-v1\x00default\x00db\x00k'));
  });

  test('a new seal opens with WebCrypto and the versioned AAD written by hand', async () => {
    const sealed = sealValue(PEM, KEY_ID, 'team-a', 'db', 'password', VALUE);
    expect(sealed.keyId).toBe(KEY_ID);
    const wrapped = Buffer.from(sealed.wrappedKey, 'base64');
    expect(wrapped.length).toBe(256);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    expect(raw.length).toBe(12 + VALUE.length + 16);

    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
    const rsa = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    const dataKey = await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, rsa, wrapped);
    expect(dataKey.byteLength).toBe(32);
    const aes = await crypto.subtle.importKey('raw', dataKey, 'AES-GCM', false, ['decrypt']);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: raw.subarray(0, 12), additionalData: Buffer.from('AES-256-GCM-v1\x00team-a\x00db\x00password'), tagLength: 128 },
      aes,
      raw.subarray(12),
    );
    expect(Buffer.from(plain).toString()).toBe(VALUE);
  });

  test('round trips with the versioned and the legacy AAD', () => {
    const sealed = sealValue(PEM, KEY_ID, 'team-a', 'db', 'password', VALUE);
    expect(unsealValue(privateKey, 'team-a', 'db', 'password', sealed)).toBe(VALUE);
    const pkcs8Pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(unsealValue(pkcs8Pem, 'team-a', 'db', 'password', sealed)).toBe(VALUE);
    expect(unsealValue(privateKey, 'team-a', 'db', 'password', legacySeal('team-a', 'db', 'password', VALUE))).toBe(VALUE);
    // Two seals of the same value differ: fresh data key and nonce every time.
    const again = sealValue(PEM, KEY_ID, 'team-a', 'db', 'password', VALUE);
    expect(again.ciphertext).not.toBe(sealed.ciphertext);
    expect(again.wrappedKey).not.toBe(sealed.wrappedKey);
  });

  test('a seal is bound to its namespace, name and entry key', () => {
    const sealed = sealValue(PEM, KEY_ID, 'team-a', 'db', 'password', VALUE);
    const bound = 'the ciphertext does not authenticate (tampered, or sealed for another namespace, name or entry key)';
    expect(() => unsealValue(privateKey, 'team-b', 'db', 'password', sealed)).toThrow(bound);
    expect(() => unsealValue(privateKey, 'team-a', 'db2', 'password', sealed)).toThrow(bound);
    expect(() => unsealValue(privateKey, 'team-a', 'db', 'user', sealed)).toThrow(bound);
    const legacy = legacySeal('team-a', 'db', 'password', VALUE);
    expect(() => unsealValue(privateKey, 'team-a', 'db', 'user', legacy)).toThrow(bound);
  });

  test('tampering and the wrong private key fail with SealError, never with plaintext', () => {
    const sealed = sealValue(PEM, KEY_ID, 'team-a', 'db', 'password', VALUE);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    raw[14] ^= 1;
    const tampered = { ...sealed, ciphertext: raw.toString('base64') };
    expect(() => unsealValue(privateKey, 'team-a', 'db', 'password', tampered)).toThrow(SealError);
    expect(() => unsealValue(other.privateKey, 'team-a', 'db', 'password', sealed)).toThrow(
      'the wrapped data key cannot be unwrapped with the sealing key (sealed for another key, or corrupted)',
    );
    expect(() => unsealValue(privateKey, 'team-a', 'db', 'password', { ...sealed, ciphertext: 'AAAA' })).toThrow(
      'the ciphertext is too short to hold a nonce and an authentication tag',
    );
  });
});
