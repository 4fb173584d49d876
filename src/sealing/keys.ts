// The server's sealing keypair: loaded from the meta table, or generated (RSA-4096, off the event
// loop) on first start and stored with the private key encrypted by the SecretCipher.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import type { Logger } from '../log';
import type { Meta } from '../store/backend';
import type { SecretCipher } from '../store/secret-cipher';
import { keyIdOf, SEALING_ALGORITHM, SealError, unsealValue, type SealedValue } from './crypto';

export const SEALING_META_KEY = 'sealing_key';
export const DEFAULT_MODULUS_LENGTH = 4096;

export interface PublicSealingKey {
  keyId: string;
  algorithm: string;
  publicKeyPEM: string;
}

/** The row stored under meta.sealing_key; privateKey is cipher.encrypt(PKCS#8 PEM). */
interface StoredKey {
  keyId: string;
  publicKeyPEM: string;
  privateKey: string;
}

export type SealingKeyState = 'loading' | 'ready' | 'failed';

export interface SealingKeysOptions {
  /** RSA modulus in bits; tests use 2048 for speed. */
  modulusLength?: number;
  log?: Logger;
}

export class SealingKeys {
  readonly modulusLength: number;
  private loaded?: { pub: PublicSealingKey; privateKey: KeyObject };
  private failure?: string;
  private pending?: Promise<void>;

  constructor(
    private readonly meta: Meta,
    private readonly cipher: SecretCipher,
    private readonly opts: SealingKeysOptions = {},
  ) {
    this.modulusLength = opts.modulusLength ?? DEFAULT_MODULUS_LENGTH;
  }

  /** Loads or generates the keypair once; never rejects (a failure is kept in `error`). */
  ensure(): Promise<void> {
    this.pending ??= this.loadOrGenerate().catch((e) => {
      this.failure = e instanceof Error ? e.message : String(e);
      this.opts.log?.error('sealing key unavailable: SealedSecrets will not be unsealed and GET /v1/sealing-key/public answers 503', {
        error: this.failure,
      });
    });
    return this.pending;
  }

  get state(): SealingKeyState {
    if (this.loaded) return 'ready';
    return this.failure !== undefined ? 'failed' : 'loading';
  }

  /** Why no key is available, when loading failed. */
  get error(): string | undefined {
    return this.failure;
  }

  publicKey(): PublicSealingKey | undefined {
    return this.loaded ? { ...this.loaded.pub } : undefined;
  }

  /** Unseals one entry with the active key; throws SealError with a message safe to show. */
  unseal(namespace: string, name: string, entryKey: string, sealed: SealedValue): string {
    if (!this.loaded) throw new SealError(this.unavailableReason());
    if (sealed.keyId !== this.loaded.pub.keyId) {
      throw new SealError(`sealed for key ${JSON.stringify(sealed.keyId)}, but this server's sealing key is ${this.loaded.pub.keyId}`);
    }
    return unsealValue(this.loaded.privateKey, namespace, name, entryKey, sealed);
  }

  unavailableReason(): string {
    if (this.failure !== undefined) return `no sealing key is available: ${this.failure}`;
    return 'the sealing key is not loaded yet';
  }

  private async loadOrGenerate(): Promise<void> {
    let stored = await this.read();
    let generated = false;
    if (!stored) {
      const fresh = await this.generate();
      // Another process sharing the database may have stored a key meanwhile: its key wins.
      await this.meta.putIfAbsent(SEALING_META_KEY, JSON.stringify(fresh));
      stored = (await this.read())!;
      generated = stored.keyId === fresh.keyId;
    }
    this.loaded = this.open(stored);
    this.opts.log?.info(generated ? 'sealing key generated' : 'sealing key loaded', { keyId: stored.keyId });
  }

  private async read(): Promise<StoredKey | undefined> {
    const value = await this.meta.get(SEALING_META_KEY);
    if (value === undefined) return undefined;
    let parsed: any;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`the stored sealing key (meta "${SEALING_META_KEY}") is not valid JSON`);
    }
    if (!parsed || typeof parsed.keyId !== 'string' || typeof parsed.publicKeyPEM !== 'string' || typeof parsed.privateKey !== 'string') {
      throw new Error(`the stored sealing key (meta "${SEALING_META_KEY}") lacks keyId, publicKeyPEM or privateKey`);
    }
    return parsed;
  }

  private open(stored: StoredKey): { pub: PublicSealingKey; privateKey: KeyObject } {
    let pem: string;
    try {
      pem = this.cipher.decrypt(stored.privateKey);
    } catch {
      throw new Error('the stored sealing private key cannot be decrypted with the configured secret encryption key (ORLOJ_SECRET_ENCRYPTION_KEY)');
    }
    const privateKey = createPrivateKey(pem);
    // The public half is derived again so a tampered publicKeyPEM or keyId is noticed.
    const derived = createPublicKey(privateKey);
    const keyId = keyIdOf(derived);
    if (keyId !== stored.keyId || keyIdOf(stored.publicKeyPEM) !== keyId) {
      throw new Error('the stored sealing key is inconsistent: its keyId or public key does not match its private key');
    }
    return { pub: { keyId, algorithm: SEALING_ALGORITHM, publicKeyPEM: stored.publicKeyPEM }, privateKey };
  }

  private async generate(): Promise<StoredKey> {
    // The async form runs in a thread pool: RSA-4096 takes seconds and must not stall requests.
    const { publicKey, privateKey } = await new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>((resolve, reject) =>
      generateKeyPair('rsa', { modulusLength: this.modulusLength, publicExponent: 0x10001 }, (err, pub, priv) =>
        err ? reject(err) : resolve({ publicKey: pub, privateKey: priv }),
      ),
    );
    const publicKeyPEM = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    return { keyId: keyIdOf(publicKey), publicKeyPEM, privateKey: this.cipher.encrypt(privatePem) };
  }
}
