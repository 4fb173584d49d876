// shared_token: the configured header carries the secret itself. Both sides are hashed first so
// the comparison is constant-time whatever the lengths.
import { createHash } from 'node:crypto';
import { safeEqual, stripPrefix, type Verifier } from './common';

const digest = (b: Buffer | string) => createHash('sha256').update(b).digest();

export const sharedToken: Verifier = (auth, secret, d) => {
  const header = d.headers.get(auth.signature_header);
  if (!header) return 'the token header is missing';
  const token = stripPrefix(header.trim(), auth.signature_prefix);
  if (token === undefined || !safeEqual(digest(token), digest(secret))) return 'the token does not match';
  return undefined;
};
