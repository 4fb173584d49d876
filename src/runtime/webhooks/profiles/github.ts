// github: X-Hub-Signature-256: sha256=<hex> over HMAC-SHA256(raw body); no timestamp, so replay
// protection is the event-id dedupe window (72 h by default).
import { decodeSignature, hmac, safeEqual, stripPrefix, type Verifier } from './common';

export const github: Verifier = (auth, secret, d) => {
  const header = d.headers.get(auth.signature_header ?? 'X-Hub-Signature-256');
  if (!header) return 'the signature header is missing';
  const given = decodeSignature(stripPrefix(header.trim(), auth.signature_prefix ?? 'sha256=') ?? '');
  if (!given || !safeEqual(given, hmac('sha256', secret, d.body))) return 'the signature does not match';
  return undefined;
};
