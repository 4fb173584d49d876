// Schema pieces Tool and McpServer share: credentials for outgoing calls, container resource
// overrides and the runtime policy (timeout, isolation, retries), with their rules.
import { Type as t } from '@sinclair/typebox';
import type { Cause } from '../errors';
import { dedupe, isObj, lower, trim, trimFields } from '../registry/normalize';
import { defineFormat } from '../registry/validation';
import { Enum, StringList, strict, Int, INT32_MAX } from './common';
import { Duration, HeaderName, HttpUrl, SecretRef } from './formats';
import { trimOrDrop } from './task';

export const ISOLATION_MODES = ['none', 'sandboxed', 'container', 'wasm', 'kubernetes'] as const;
export const JITTERS = ['none', 'full', 'equal'] as const;
const AUTH_PROFILES = ['bearer', 'api_key_header', 'basic', 'oauth2_client_credentials'] as const;

export const ToolAuth = strict(
  {
    profile: t.Optional(Enum(AUTH_PROFILES, 'How the credential is sent; bearer when only secretRef is set.')),
    secretRef: t.Optional(SecretRef('Secret holding the credential: name or namespace/name, optionally :key.')),
    headerName: t.Optional(HeaderName('Header carrying the key (api_key_header).')),
    tokenURL: t.Optional(HttpUrl('Token endpoint (oauth2_client_credentials).')),
    scopes: t.Optional(StringList('OAuth2 scopes.')),
  },
  'Credentials attached to outgoing calls.',
);

export function normalizeAuth(auth: Record<string, any>): void {
  for (const k of ['secretRef', 'headerName', 'tokenURL']) trimOrDrop(auth, k);
  auth.profile = lower(auth.profile);
  if ((auth.profile === undefined || auth.profile === '' || auth.profile === null) && auth.secretRef) auth.profile = 'bearer';
  if (auth.profile === '' || auth.profile === null) delete auth.profile;
  if (auth.scopes !== undefined) auth.scopes = dedupe(auth.scopes, true);
}

/** Cross-field auth rules; `needHeader` is false where a default header exists (McpServer). */
export function authCauses(auth: Record<string, any> | undefined, path: string, needHeader = true): Cause[] {
  if (!auth?.profile) return [];
  const causes: Cause[] = [];
  if (!auth.secretRef) causes.push({ field: `${path}.secretRef`, message: 'is required when auth.profile is set' });
  if (needHeader && auth.profile === 'api_key_header' && !auth.headerName) {
    causes.push({ field: `${path}.headerName`, message: 'is required when auth.profile is api_key_header' });
  }
  if (auth.profile === 'oauth2_client_credentials' && !auth.tokenURL) {
    causes.push({ field: `${path}.tokenURL`, message: 'is required when auth.profile is oauth2_client_credentials' });
  }
  return causes;
}

const MEMORY_SIZE = defineFormat(
  'memory-size',
  (v) => /^\d+[bkmg]?$/i.test(v) && parseInt(v, 10) > 0,
  'must be a positive size such as 512m, 1g or 1048576',
);
const CPU_COUNT = defineFormat('cpu-count', (v) => Number(v) > 0, 'must be a positive number');

export const ContainerResources = strict(
  {
    memory: t.Optional(t.String({ format: MEMORY_SIZE, description: 'Memory limit, Docker style: 512m, 1g, or bytes.' })),
    cpus: t.Optional(t.String({ format: CPU_COUNT, description: 'CPU limit, e.g. "0.5".' })),
    pids_limit: t.Optional(Int(0, INT32_MAX, 'Process limit (0 = runtime default).')),
  },
  'Per-container resource overrides, bounded by operator ceilings.',
);

export function normalizeResources(res: Record<string, any>): void {
  if (typeof res.cpus === 'number') res.cpus = String(res.cpus);
  trimOrDrop(res, 'memory');
  trimOrDrop(res, 'cpus');
}

export const ToolRuntime = strict(
  {
    timeout: t.Optional(Duration('Per-call time limit (default 30s).')),
    isolation_mode: t.Optional(Enum(ISOLATION_MODES, 'Where the call runs (default: container for cli, sandboxed for high/critical risk, else none).')),
    retry: t.Optional(
      strict({
        max_attempts: t.Optional(Int(1, INT32_MAX, 'Attempts per call (default 1).')),
        backoff: t.Optional(Duration('Initial backoff (default 0s).')),
        max_backoff: t.Optional(Duration('Backoff cap (default 30s).')),
        jitter: t.Optional(Enum(JITTERS, 'Backoff jitter (default none).')),
      }),
    ),
  },
  'Runtime policy: timeout, isolation and retries.',
);

/** Canonical forms of a runtime policy, without defaults (McpServer default_tool_runtime). */
export function normalizeRuntimeShape(rt: Record<string, any>): void {
  rt.timeout = trim(rt.timeout);
  rt.isolation_mode = lower(rt.isolation_mode);
  if (isObj(rt.retry)) {
    trimFields(rt.retry, ['backoff', 'max_backoff']);
    rt.retry.jitter = lower(rt.retry.jitter);
  }
}
