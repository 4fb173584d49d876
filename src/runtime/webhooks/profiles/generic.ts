// generic: X-Signature: sha256=<hex> over HMAC-SHA256("<X-Timestamp>.<raw body>"), timestamp in skew.
import { decodeSignature, hmac, safeEqual, stripPrefix, timestampProblem, type Verifier } from './common';

export const generic: Verifier = (auth, secret, d) => {
  const header = d.headers.get(auth.signature_header ?? 'X-Signature');
  if (!header) return 'the signature header is missing';
  const ts = d.headers.get(auth.timestamp_header ?? 'X-Timestamp');
  const stale = timestampProblem(ts, auth, d.now);
  if (stale) return stale;
  const given = decodeSignature(stripPrefix(header.trim(), auth.signature_prefix ?? 'sha256=') ?? '');
  if (!given || !safeEqual(given, hmac('sha256', secret, `${ts!.trim()}.`, d.body))) return 'the signature does not match';
  return undefined;
};
