// Bearer tokens from the environment: ORLOJ_API_TOKENS ("token:role" or "name:token:role",
// comma-separated) and ORLOJ_API_TOKEN (one admin token, used when the list yields nothing).
import { isRole, type Role } from './roles';
import { sha256Hex } from './secrets';

export interface EnvToken {
  name: string;
  role: Role;
  /** SHA-256 of the token: tokens are compared by digest, never kept in the clear. */
  tokenHash: string;
}

export function parseEnvTokens(env: Record<string, string | undefined>): { tokens: EnvToken[]; problems: string[] } {
  const tokens: EnvToken[] = [];
  const problems: string[] = [];
  const list = env.ORLOJ_API_TOKENS?.trim();
  if (list) {
    list.split(',').forEach((raw, i) => {
      const entry = raw.trim();
      if (!entry) return;
      const parts = entry.split(':');
      const [name, token, role] = parts.length >= 3 ? [parts[0], parts[1], parts[2]] : [`env-${i + 1}`, parts[0], parts[1] ?? 'reader'];
      const r = (role || 'reader').trim().toLowerCase();
      if (!token?.trim()) problems.push(`ORLOJ_API_TOKENS entry ${i + 1} has no token`);
      else if (!isRole(r)) problems.push(`ORLOJ_API_TOKENS entry ${i + 1} has an unknown role "${r}" (admin, writer, controller or reader)`);
      else tokens.push({ name: name.trim() || `env-${i + 1}`, role: r, tokenHash: sha256Hex(token.trim()) });
    });
    if (!tokens.length && problems.length) problems.unshift('ORLOJ_API_TOKENS holds no usable token');
  }
  const single = env.ORLOJ_API_TOKEN?.trim();
  if (!tokens.length && single) tokens.push({ name: 'env-admin', role: 'admin', tokenHash: sha256Hex(single) });
  return { tokens, problems };
}
