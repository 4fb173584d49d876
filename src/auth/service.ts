// Who is calling and may they: bearer tokens (environment and store) in every mode, session
// cookies in native mode, and the role check against a route's requirement.
import { timingSafeEqual } from 'node:crypto';
import { Forbidden, Unauthorized } from '../errors';
import type { Clock } from '../util/time';
import { clientIp, isHttps, type Cidr } from './client-ip';
import { readSessionCookie } from './cookies';
import type { EnvToken } from './env-tokens';
import { satisfies, type Requirement, type Role } from './roles';
import { sha256Hex } from './secrets';
import type { Users } from './store';

export type AuthMode = 'off' | 'native';

export interface AuthConfig {
  mode: AuthMode;
  envTokens: EnvToken[];
  setupToken?: string;
  sessionTtlMs: number;
  trustedProxies: Cidr[];
}

export interface Identity {
  authenticated: boolean;
  method?: 'none' | 'session' | 'bearer';
  role?: Role;
  name?: string;
  username?: string;
  /** Digest of the session id, to keep the caller's own session on a password change. */
  sessionHash?: string;
  /** A credential was sent but is not valid. */
  rejected?: boolean;
}

export class AuthService {
  constructor(
    readonly store: Users,
    readonly config: AuthConfig,
    private readonly clock: Clock,
  ) {}

  /** Credentials are checked when native auth is on or any bearer token exists (created at run
   *  time too: the next request sees it). Otherwise the server is open. */
  async enforced(): Promise<boolean> {
    return this.config.mode === 'native' || this.config.envTokens.length > 0 || (await this.store.tokenCount()) > 0;
  }

  https(request: Request, peer?: string): boolean {
    return isHttps(request, peer, this.config.trustedProxies);
  }

  clientIp(request: Request, peer?: string): string {
    return clientIp(request, peer, this.config.trustedProxies);
  }

  async identify(request: Request): Promise<Identity> {
    if (!(await this.enforced())) return { authenticated: true, method: 'none', role: 'admin' };
    const header = request.headers.get('authorization');
    if (header) {
      const m = /^bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return { authenticated: false, rejected: true };
      return (await this.bearer(m[1])) ?? { authenticated: false, rejected: true };
    }
    if (this.config.mode === 'native') {
      const id = readSessionCookie(request);
      if (id) {
        const s = await this.store.resolveSession(id, this.config.sessionTtlMs, this.clock.now());
        if (s) return { authenticated: true, method: 'session', role: s.role, name: s.username, username: s.username, sessionHash: s.idHash };
        return { authenticated: false, rejected: true };
      }
    }
    return { authenticated: false };
  }

  /** The caller's identity if it meets `required`; 401 without a valid credential, 403 with too
   *  small a role. `known` is the caller as already identified for this request, if it was. */
  async authorize(request: Request, required: Requirement, known?: Identity): Promise<Identity> {
    const id = known ?? (await this.identify(request));
    if (required === 'none') return id;
    if (id.authenticated && id.role && satisfies(id.role, required)) return id;
    if (id.authenticated) throw new Forbidden(`role ${id.role} may not do this; it needs ${required}`);
    throw await this.unauthorized(id);
  }

  /** The 401 for a caller without a valid credential: one body wherever it is answered (a
   *  protected route, or any path under /v1/ that is not public, before routing). */
  async unauthorized(id: Identity): Promise<Unauthorized> {
    if (this.config.mode === 'native' && (await this.store.userCount()) === 0 && !id.rejected) {
      return new Unauthorized('admin setup required: create the first administrator with POST /v1/auth/setup');
    }
    return new Unauthorized(id.rejected ? 'the credential is not valid or has expired' : 'authentication required: send a bearer token or log in');
  }

  private async bearer(token: string): Promise<Identity | undefined> {
    const digest = Buffer.from(sha256Hex(token), 'hex');
    // Environment tokens: compare every digest in constant time, without stopping early.
    let found: EnvToken | undefined;
    for (const t of this.config.envTokens) {
      if (timingSafeEqual(digest, Buffer.from(t.tokenHash, 'hex')) && !found) found = t;
    }
    if (found) return { authenticated: true, method: 'bearer', role: found.role, name: found.name };
    const stored = await this.store.tokenByHash(digest.toString('hex'));
    return stored && { authenticated: true, method: 'bearer', role: stored.role, name: stored.name };
  }
}
