// Auth injection for outgoing tool calls from a Secret's decoded data: bearer, api_key_header,
// basic and oauth2_client_credentials (with a process-wide token cache keyed by client).
import type { Clock } from '../../util/time';
import { ToolError } from './contract';
import type { SecretLookup } from './types';

export interface ToolAuthSpec {
  profile?: string;
  secretRef?: string;
  headerName?: string;
  tokenURL?: string;
  scopes?: string[];
}

/** The credentials for one call: headers per attempt, plus what to redact from messages. */
export interface AuthBinding {
  profile?: string;
  secretRef?: string;
  headers(): Promise<Record<string, string>>;
  /** After a 401: drops a cached token; true when a fresh one is worth one more try. */
  invalidate(): boolean;
  /** Every credential value seen, so that error messages can be scrubbed. */
  secrets: Set<string>;
}

/** Keys tried, in order, when the secretRef names no key. */
const VALUE_KEYS = ['value', 'token', 'apiKey', 'api_key', 'apikey', 'key'];
const EXPIRY_SKEW_MS = 30_000;
/** The token request has its own deadline: it is shared by concurrent calls, so no caller's signal. */
const TOKEN_TIMEOUT_MS = 30_000;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DEFAULT_EXPIRES_IN_S = 3600;

const secretError = (message: string, retryable = false) => new ToolError('secret_resolution_failed', message, { retryable });

/** "ns/name:key" → the Secret reference and the optional key inside it. */
export function splitSecretRef(ref: string): { ref: string; key?: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', slash + 1);
  return colon < 0 ? { ref } : { ref: ref.slice(0, colon), key: ref.slice(colon + 1) || undefined };
}

/** The credential value: the named key, else value/token/apiKey…, else the first key. */
export function pickValue(data: Record<string, string>, key?: string): string | undefined {
  if (key) return data[key];
  for (const k of VALUE_KEYS) if (data[k]) return data[k];
  const first = Object.keys(data)[0];
  return first === undefined ? undefined : data[first];
}

interface CachedToken {
  token: string;
  refreshAt: number;
}

export interface OAuth2Deps {
  fetch: typeof fetch;
  clock: Clock;
  /** Egress check for the token endpoint. */
  guard: (url: URL) => Promise<void>;
}

/** Access tokens per (tokenURL, client_id, scopes), reused until shortly before they expire. */
export class OAuth2TokenCache {
  private tokens = new Map<string, CachedToken>();
  private pending = new Map<string, Promise<string>>();

  constructor(private deps: OAuth2Deps) {}

  async get(tokenURL: string, clientId: string, clientSecret: string, scopes: string[]): Promise<string> {
    const key = `${tokenURL}\n${clientId}\n${[...scopes].sort().join(' ')}`;
    const hit = this.tokens.get(key);
    if (hit && this.deps.clock.now().getTime() < hit.refreshAt) return hit.token;
    let inflight = this.pending.get(key);
    if (!inflight) {
      inflight = this.exchange(key, tokenURL, clientId, clientSecret, scopes).finally(() => this.pending.delete(key));
      this.pending.set(key, inflight);
    }
    return inflight;
  }

  /** Forgets a token the tool rejected. */
  evict(tokenURL: string, clientId: string, scopes: string[]): void {
    this.tokens.delete(`${tokenURL}\n${clientId}\n${[...scopes].sort().join(' ')}`);
  }

  private async exchange(key: string, tokenURL: string, clientId: string, clientSecret: string, scopes: string[]): Promise<string> {
    let url: URL;
    try {
      url = new URL(tokenURL);
    } catch {
      throw new ToolError('runtime_policy_invalid', `auth.tokenURL ${JSON.stringify(tokenURL)} is not a valid URL`);
    }
    await this.deps.guard(url);
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
    if (scopes.length) form.set('scope', scopes.join(' '));
    let res: Response;
    try {
      const signal = AbortSignal.timeout(TOKEN_TIMEOUT_MS);
      res = await this.deps.fetch(url, { method: 'POST', body: form, headers: { accept: 'application/json' }, signal, redirect: 'manual' });
    } catch (e) {
      throw secretError(`oauth2 token request failed: ${e instanceof Error ? e.message : String(e)}`, true);
    }
    const text = await res.text();
    if (!res.ok) {
      // Rejected client credentials do not fix themselves; an unavailable token server might.
      throw secretError(`oauth2 token endpoint answered ${res.status}`, res.status === 429 || res.status >= 500);
    }
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      throw secretError('oauth2 token endpoint did not answer JSON', true);
    }
    if (typeof body?.access_token !== 'string' || !body.access_token) throw secretError('oauth2 token response has no access_token');
    const lifetimeMs = (Number(body.expires_in) > 0 ? Number(body.expires_in) : DEFAULT_EXPIRES_IN_S) * 1000;
    const skew = Math.min(EXPIRY_SKEW_MS, lifetimeMs / 2);
    this.tokens.set(key, { token: body.access_token, refreshAt: this.deps.clock.now().getTime() + lifetimeMs - skew });
    return body.access_token;
  }
}

function need(data: Record<string, string>, keys: string[]): string | undefined {
  for (const k of keys) if (data[k]) return data[k];
  return undefined;
}

/** Resolves spec.auth against its Secret (fresh on every call) into an AuthBinding. */
export async function bindAuth(auth: ToolAuthSpec | undefined, secrets: SecretLookup, cache: OAuth2TokenCache): Promise<AuthBinding> {
  const none: AuthBinding = { headers: async () => ({}), invalidate: () => false, secrets: new Set() };
  if (!auth?.profile && !auth?.secretRef) return none;
  const profile = auth.profile || 'bearer';
  if (!auth.secretRef) throw new ToolError('runtime_policy_invalid', `auth.profile ${profile} needs auth.secretRef`);
  const { ref, key } = splitSecretRef(auth.secretRef);
  let data: Record<string, string> | undefined;
  try {
    data = await secrets(ref);
  } catch (e) {
    throw secretError(`secret ${ref} could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!data || !Object.keys(data).length) throw secretError(`secret ${ref} not found or empty`);
  const seen = new Set(Object.values(data).filter((v) => v.length >= 4));
  const base = { profile, secretRef: auth.secretRef, invalidate: () => false, secrets: seen };
  const value = () => {
    const v = pickValue(data!, key);
    if (!v) throw secretError(key ? `secret ${ref} has no key ${key}` : `secret ${ref} has no value`);
    return v;
  };
  switch (profile) {
    case 'bearer': {
      const v = value();
      return { ...base, headers: async () => ({ authorization: `Bearer ${v}` }) };
    }
    case 'api_key_header': {
      if (!auth.headerName || !HEADER_NAME.test(auth.headerName)) {
        throw new ToolError('runtime_policy_invalid', 'auth.headerName must be a valid HTTP header name for api_key_header');
      }
      const v = value();
      return { ...base, headers: async () => ({ [auth.headerName!]: v }) };
    }
    case 'basic': {
      const user = need(data, ['username', 'user']);
      const pass = need(data, ['password', 'pass']);
      const pair = user !== undefined && pass !== undefined ? `${user}:${pass}` : value();
      if (!pair.includes(':')) throw secretError(`secret ${ref} needs username and password keys, or a value user:password`);
      const header = `Basic ${Buffer.from(pair).toString('base64')}`;
      return { ...base, headers: async () => ({ authorization: header }) };
    }
    case 'oauth2_client_credentials': {
      const clientId = need(data, ['client_id', 'clientId']);
      const clientSecret = need(data, ['client_secret', 'clientSecret']);
      if (!clientId || !clientSecret) throw secretError(`secret ${ref} needs client_id and client_secret keys`);
      if (!auth.tokenURL) throw new ToolError('runtime_policy_invalid', 'auth.tokenURL is required for oauth2_client_credentials');
      const scopes = auth.scopes ?? [];
      let refreshed = false;
      return {
        ...base,
        headers: async () => {
          const token = await cache.get(auth.tokenURL!, clientId, clientSecret, scopes);
          seen.add(token);
          return { authorization: `Bearer ${token}` };
        },
        invalidate: () => {
          cache.evict(auth.tokenURL!, clientId, scopes);
          if (refreshed) return false;
          refreshed = true;
          return true;
        },
      };
    }
    default:
      throw new ToolError('runtime_policy_invalid', `auth.profile ${JSON.stringify(profile)} is not supported`);
  }
}
