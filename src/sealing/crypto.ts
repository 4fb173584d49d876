// The SealedSecret wire format as pure functions: RSA-OAEP-SHA256 wraps a fresh AES-256-GCM key
// per entry, and the AAD binds each ciphertext to its namespace, name and entry key.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

export const SEALING_ALGORITHM = 'rsa-oaep-sha256+aes-256-gcm';
/** Prefix of the versioned AAD; new seals always use it. */
export const AAD_VERSION = 'AES-256-GCM-v1';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;

export interface SealedValue {
  keyId: string;
  wrappedKey: string;
  ciphertext: string;
}

/** A sealed value that cannot be opened; the message never contains plaintext or key material. */
export class SealError extends Error {}

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

/** An empty namespace means "default", as everywhere in the API. */
const ns = (namespace: string) => namespace.trim() || 'default';

/** `<namespace>` NUL `<name>` NUL `<entryKey>` (what the first sealing clients bound to). */
export function legacyAad(namespace: string, name: string, entryKey: string): Buffer {
  return Buffer.from(`${ns(namespace)}\0${name}\0${entryKey}`, 'utf8');
}

/** `AES-256-GCM-v1` NUL `<namespace>` NUL `<name>` NUL `<entryKey>`. */
export function versionedAad(namespace: string, name: string, entryKey: string): Buffer {
  return Buffer.from(`${AAD_VERSION}\0${ns(namespace)}\0${name}\0${entryKey}`, 'utf8');
}

/** Hex of the first 16 bytes of SHA-256 over the SPKI DER of the public key (32 characters). */
export function keyIdOf(publicKey: string | KeyObject): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest().subarray(0, 16).toString('hex');
}

/**
 * Seals one Secret value. `plaintextBase64Value` is the value as a Secret's spec.data holds it
 * (base64 of the real bytes); the controller puts the unsealed string back into spec.data.
 */
export function sealValue(
  publicKeyPem: string | KeyObject,
  keyId: string,
  namespace: string,
  name: string,
  entryKey: string,
  plaintextBase64Value: string,
): SealedValue {
  const dataKey = randomBytes(DATA_KEY_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
  cipher.setAAD(versionedAad(namespace, name, entryKey));
  const body = Buffer.concat([cipher.update(plaintextBase64Value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const key = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
  const wrapped = publicEncrypt({ key, ...OAEP }, dataKey);
  return { keyId, wrappedKey: wrapped.toString('base64'), ciphertext: Buffer.concat([nonce, body]).toString('base64') };
}

/**
 * Opens one sealed value with the private key, trying the versioned AAD first and then the legacy
 * one. Does not check keyId: the caller compares it with the active key first.
 */
export function unsealValue(privateKey: string | KeyObject, namespace: string, name: string, entryKey: string, sealed: SealedValue): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  let dataKey: Buffer;
  try {
    dataKey = privateDecrypt({ key, ...OAEP }, Buffer.from(sealed.wrappedKey, 'base64'));
  } catch {
    throw new SealError('the wrapped data key cannot be unwrapped with the sealing key (sealed for another key, or corrupted)');
  }
  if (dataKey.length !== DATA_KEY_BYTES) throw new SealError(`the unwrapped data key is ${dataKey.length} bytes, not ${DATA_KEY_BYTES}`);
  const raw = Buffer.from(sealed.ciphertext, 'base64');
  if (raw.length < NONCE_BYTES + TAG_BYTES) throw new SealError('the ciphertext is too short to hold a nonce and an authentication tag');
  for (const aad of [versionedAad(namespace, name, entryKey), legacyAad(namespace, name, entryKey)]) {
    const opened = open(dataKey, raw, aad);
    if (opened !== undefined) return opened;
  }
  throw new SealError('the ciphertext does not authenticate (tampered, or sealed for another namespace, name or entry key)');
}

function open(dataKey: Buffer, raw: Buffer, aad: Buffer): string | undefined {
  const decipher = createDecipheriv('aes-256-gcm', dataKey, raw.subarray(0, NONCE_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
