// What every signature profile shares: the delivery it checks, HMAC, constant-time comparison,
// prefix stripping and the timestamp formats (Unix seconds, Unix milliseconds, RFC 3339).
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedDelivery {
  headers: Headers;
  body: Uint8Array;
  now: Date;
}

/** The normalized spec.auth of a TaskWebhook (see src/resources/task-webhook.ts for defaults). */
export type AuthSpec = Record<string, any>;

/** Returns undefined when the delivery is authentic, else why not (never the secret). */
export type Verifier = (auth: AuthSpec, secret: Buffer, d: SignedDelivery) => string | undefined;

export function hmac(algorithm: string, secret: Buffer, ...parts: (string | Uint8Array)[]): Buffer {
  const h = createHmac(algorithm, secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Constant-time equality; buffers of different lengths are unequal without comparing contents. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Strips `prefix` case-insensitively; undefined when the value does not start with it. */
export function stripPrefix(value: string, prefix: string | undefined): string | undefined {
  if (!prefix) return value;
  return value.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase() ? value.slice(prefix.length) : undefined;
}

export function decodeSignature(text: string, encoding: 'hex' | 'base64' = 'hex'): Buffer | undefined {
  const s = text.trim();
  if (encoding === 'hex') return /^(?:[0-9a-f]{2})+$/i.test(s) ? Buffer.from(s, 'hex') : undefined;
  return /^[A-Za-z0-9+/]+={0,2}$/.test(s) ? Buffer.from(s, 'base64') : undefined;
}

/** Unix seconds, Unix milliseconds (values over 10^12) or RFC 3339, as epoch milliseconds. */
export function parseTimestamp(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n > 1e12 ? n : n * 1000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Why a signing timestamp is refused (missing, unreadable, outside the skew), or undefined. */
export function timestampProblem(text: string | null | undefined, auth: AuthSpec, now: Date): string | undefined {
  if (!text) return 'the signing timestamp is missing';
  const ms = parseTimestamp(text);
  if (ms === undefined) return 'the signing timestamp is not Unix seconds, milliseconds or RFC 3339';
  const skew = Number(auth.max_skew_seconds ?? 300);
  if (Math.abs(now.getTime() - ms) > skew * 1000) return `the signing timestamp is more than ${skew}s away from the server clock`;
  return undefined;
}
