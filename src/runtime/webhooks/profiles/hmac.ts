// hmac: configurable HMAC for other senders. algorithm sha256|sha1|sha512; payload_format body |
// timestamp_dot_body ("<ts>.<body>", Stripe) | prefix_timestamp_body ("<prefix><sep><ts><sep><body>",
// Slack's v0:ts:body); hex or base64; header plain or kv_pairs (Stripe's "t=…,v1=…,v1=…", where
// any v1 may match, so secrets can be rolled).
import { decodeSignature, hmac, safeEqual, stripPrefix, timestampProblem, type AuthSpec, type SignedDelivery, type Verifier } from './common';

function pairs(header: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    out.set(k, [...(out.get(k) ?? []), part.slice(eq + 1).trim()]);
  }
  return out;
}

/** The candidate signatures and the timestamp, from one kv header or the plain headers. */
function read(auth: AuthSpec, d: SignedDelivery, header: string): { sigs: string[]; ts: string | undefined } {
  if (auth.header_format === 'kv_pairs') {
    const kv = pairs(header);
    return { sigs: kv.get(auth.signature_key) ?? [], ts: auth.timestamp_key ? kv.get(auth.timestamp_key)?.[0] : undefined };
  }
  const sig = stripPrefix(header.trim(), auth.signature_prefix);
  return { sigs: sig === undefined ? [] : [sig], ts: auth.timestamp_header ? (d.headers.get(auth.timestamp_header) ?? undefined) : undefined };
}

function signedParts(auth: AuthSpec, ts: string, body: Uint8Array): (string | Uint8Array)[] {
  if (auth.payload_format === 'timestamp_dot_body') return [`${ts}.`, body];
  if (auth.payload_format === 'prefix_timestamp_body') {
    const sep = auth.payload_separator ?? '.';
    return [`${auth.payload_prefix ?? ''}${sep}${ts}${sep}`, body];
  }
  return [body];
}

export const hmacProfile: Verifier = (auth, secret, d) => {
  const header = d.headers.get(auth.signature_header);
  if (!header) return 'the signature header is missing';
  const { sigs, ts } = read(auth, d, header);
  const stamped = auth.payload_format === 'timestamp_dot_body' || auth.payload_format === 'prefix_timestamp_body';
  if (stamped) {
    const stale = timestampProblem(ts, auth, d.now);
    if (stale) return stale;
  }
  const expected = hmac(auth.algorithm ?? 'sha256', secret, ...signedParts(auth, ts?.trim() ?? '', d.body));
  let ok = false;
  // Every candidate is compared, so the time taken does not tell which one matched.
  for (const s of sigs) {
    const given = decodeSignature(s, auth.signature_encoding ?? 'hex');
    if (given && safeEqual(given, expected)) ok = true;
  }
  return ok ? undefined : 'the signature does not match';
};
