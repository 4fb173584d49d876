// AES-256-GCM encryption at rest for Secret values. The key comes from ORLOJ_SECRET_ENCRYPTION_KEY
// (64 hex chars or base64 of 32 bytes) or a key file generated in the data directory (mode 0600).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'enc:';
const CHECK_PLAINTEXT = 'orrery-secret-key-check';

export class SecretCipher {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretCipher {
    if (key.length !== 32) throw new KeyError('the secret encryption key must be 32 bytes');
    return new SecretCipher(key);
  }

  static random(): SecretCipher {
    return new SecretCipher(randomBytes(32));
  }

  /**
   * Resolves the key: the environment value wins; otherwise `<dataDir>/secret-encryption.key` is
   * read, or generated on first start.
   */
  static load(dataDir: string, envValue: string | undefined): { cipher: SecretCipher; source: string } {
    if (envValue && envValue.trim()) {
      return { cipher: SecretCipher.fromKey(parseKey(envValue.trim())), source: 'ORLOJ_SECRET_ENCRYPTION_KEY' };
    }
    const file = join(dataDir, 'secret-encryption.key');
    if (existsSync(file)) {
      return { cipher: SecretCipher.fromKey(parseKey(readFileSync(file, 'utf8').trim())), source: file };
    }
    const key = randomBytes(32);
    writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    return { cipher: new SecretCipher(key), source: `${file} (generated)` };
  }

  encrypt(plaintext: string): string {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]);
    return PREFIX + Buffer.concat([nonce, body]).toString('base64');
  }

  /** Values without the enc: prefix are read as written (data from before encryption). */
  decrypt(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    if (raw.length < 12 + 16) throw new KeyError('an encrypted value is truncated');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(raw.length - 16));
    try {
      return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
    } catch {
      throw new KeyError('an encrypted value cannot be opened with the configured secret encryption key');
    }
  }

  /** A value stored once per database, used at start-up to prove the key is the right one. */
  checkValue(): string {
    return this.encrypt(CHECK_PLAINTEXT);
  }

  verify(checkValue: string): boolean {
    try {
      return this.decrypt(checkValue) === CHECK_PLAINTEXT;
    } catch {
      return false;
    }
  }
}

export class KeyError extends Error {}

function parseKey(text: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'base64');
  if (b.length === 32) return b;
  throw new KeyError('ORLOJ_SECRET_ENCRYPTION_KEY must be 64 hex characters or base64 of 32 bytes');
}
