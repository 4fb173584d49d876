// Where `orrery seal` gets the public sealing key: GET /v1/sealing-key/public on a server, or a
// PEM file given with --cert. The keyId is always recomputed locally and checked.
import { createPublicKey } from 'node:crypto';
import { keyIdOf, SEALING_ALGORITHM } from '../sealing/crypto';
import { UsageError } from './seal-input';

export interface SealingKey {
  keyId: string;
  publicKeyPEM: string;
}

/** The server could not be reached or did not give a usable key: exit code 1. */
export class ServerError extends Error {}

/** A PEM public key (SPKI) or an X.509 certificate holding an RSA key. */
export function keyFromPem(pem: string, source: string): SealingKey {
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UsageError(`${source}: not a PEM public key or certificate`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new UsageError(`${source}: the sealing key must be an RSA key, not ${key.asymmetricKeyType}`);
  return { keyId: keyIdOf(key), publicKeyPEM: key.export({ type: 'spki', format: 'pem' }) as string };
}

export async function fetchKey(server: string, token: string | undefined, timeoutMs = 30_000): Promise<SealingKey> {
  let url: URL;
  try {
    // Relative, so a server behind a path prefix (https://host/orrery) keeps its prefix.
    url = new URL('v1/sealing-key/public', server.endsWith('/') ? server : `${server}/`);
  } catch {
    throw new UsageError(`--server must be a URL such as http://127.0.0.1:8080, got "${server}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be an http or https URL, got "${server}"`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new ServerError(`cannot reach ${url.origin}: ${(e as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status !== 200) {
    const detail = typeof body?.message === 'string' ? body.message : text.trim().slice(0, 200) || res.statusText;
    const hint = res.status === 401 || res.status === 403 ? ' (pass --token or set ORLOJ_API_TOKEN)' : '';
    throw new ServerError(`GET ${url.href} answered ${res.status}: ${detail}${hint}`);
  }
  if (typeof body?.publicKeyPEM !== 'string' || typeof body?.keyId !== 'string') {
    throw new ServerError(`GET ${url.href} did not answer {keyId, algorithm, publicKeyPEM}`);
  }
  if (body.algorithm !== SEALING_ALGORITHM) {
    throw new ServerError(`the server seals with algorithm ${JSON.stringify(body.algorithm)}; this client supports ${SEALING_ALGORITHM}`);
  }
  let key: SealingKey;
  try {
    key = keyFromPem(body.publicKeyPEM, 'the server key');
  } catch (e) {
    throw new ServerError((e as Error).message);
  }
  if (key.keyId !== body.keyId) throw new ServerError(`the server's keyId ${body.keyId} does not match its public key (${key.keyId})`);
  return key;
}
