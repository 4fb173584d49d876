// Server configuration (`orrery serve`): every flag has an ORLOJ_<FLAG> environment twin; flags
// win over the environment, which wins over defaults.
import { BadRequest } from '../errors';
import { parseCidr } from '../auth/client-ip';
import { parseEnvTokens } from '../auth/env-tokens';
import type { AuthConfig, AuthMode } from '../auth/service';
import type { RetentionConfig } from '../controllers/log-retention';
import type { LogLevel } from '../log';
import type { EngineConfig } from '../runtime/engine/settings';
import { parseDuration } from '../util/duration';
import { parseByteSize } from '../watch/budget';
import { DEFAULT_WATCH_CONFIG, type WatchConfig } from '../watch/service';
import { EMBEDDED_WORKER_FLAG, engineConfig, engineFlags } from './engine-config';
import { DATA_DIR_FLAG, DATABASE_FLAGS, storeConfig, type StoreConfig } from './store-config';
import { LOG_LEVEL_FLAG, parseBool, parseFlags, positiveDuration, positiveInt, splitList, type FlagSpec } from './flags';

const duration = positiveDuration('15s or 24h');
const byteSize = (v: string) => (parseByteSize(v) === undefined ? 'must be a positive size in bytes such as 8388608, 512KiB or 8MiB' : undefined);

export const SERVE_FLAGS: FlagSpec[] = [
  { name: 'addr', description: 'Listen address host:port', default: '127.0.0.1:8080', validate: addrProblem },
  DATA_DIR_FLAG,
  ...DATABASE_FLAGS,
  LOG_LEVEL_FLAG,
  { name: 'auth-mode', description: 'off (open unless bearer tokens exist) or native (users, sessions, tokens)', default: 'off', validate: (v) => (v === 'off' || v === 'native' ? undefined : 'must be off or native') },
  { name: 'auth-session-ttl', description: 'Sliding lifetime of a login session', default: '24h', validate: duration },
  { name: 'trusted-proxies', description: 'Comma-separated CIDRs whose X-Forwarded-For/-Proto are believed', default: '', validate: (v) => cidrProblems(v) },
  { name: 'public-url', description: 'URL others reach this server at (webhook-callback tools call back here); default: the listen address', default: '', validate: (v) => (v === '' || /^https?:\/\/[^/]+/.test(v) ? undefined : 'must be an http(s) URL such as https://orrery.example:8080') },
  { name: 'cors-allowed-origins', description: 'Comma-separated origins allowed from browsers, or *; empty = same origin only', default: '' },
  { name: 'watch-max-streams', description: 'Concurrent SSE streams before new ones get 503', default: '1000', validate: positiveInt },
  {
    name: 'watch-heartbeat-interval',
    description: 'Keep-alive comment interval on idle streams (under 255s, the idle limit of connections)',
    default: '15s',
    validate: (v) => duration(v) ?? (parseDuration(v)! < 255_000 ? undefined : 'must be under 255s'),
  },
  { name: 'watch-buffer-size', description: 'Frames a watcher may fall behind before it is disconnected (with --watch-buffer-bytes, whichever comes first)', default: '1000', validate: positiveInt },
  { name: 'watch-buffer-bytes', description: 'Bytes a watcher may hold (queued frames and what its socket has not accepted) before it is disconnected', default: '8MiB', validate: byteSize },
  { name: 'watch-total-buffer-bytes', description: 'Bytes all watchers may hold together; past it the watcher holding most is disconnected first', default: '256MiB', validate: byteSize },
  { name: 'change-log-retention', description: 'Changes kept for watch resume (count)', default: '100000', validate: positiveInt },
  { name: 'change-log-retention-age', description: 'Changes kept for watch resume (age); the larger of both is kept', default: '24h', validate: duration },
  { name: 'event-retention', description: 'Events kept for replay (count)', default: '100000', validate: positiveInt },
  { name: 'event-retention-age', description: 'Events kept for replay (age); the larger of both is kept', default: '24h', validate: duration },
  { name: 'webhook-rate-limit', description: 'Deliveries per minute per TaskWebhook endpoint (bursts of as many); over it 429. 0 = unlimited', default: '600', validate: (v) => (/^\d+$/.test(v) ? undefined : 'must be a whole number (0 = unlimited)') },
  EMBEDDED_WORKER_FLAG,
  ...engineFlags('embedded-worker'),
];

function cidrProblems(v: string): string | undefined {
  const bad = splitList(v).filter((c) => !parseCidr(c));
  return bad.length ? `has entries that are not IP addresses or CIDRs (${bad.join(', ')})` : undefined;
}

export interface ServeConfig {
  auth: AuthConfig;
  corsOrigins: string[];
  addr: string;
  publicUrl: string;
  dataDir: string;
  /** Where the data is kept: SQLite in dataDir, or PostgreSQL. */
  store: StoreConfig;
  logLevel: LogLevel;
  secretEncryptionKey?: string;
  watch: WatchConfig;
  retention: RetentionConfig;
  embeddedWorker: boolean;
  engine: EngineConfig;
  /** Webhook deliveries per minute per endpoint; 0 = unlimited. */
  webhookRateLimit: number;
}

export function serveConfig(args: string[], env: Record<string, string | undefined>): ServeConfig {
  const v = parseFlags(args, SERVE_FLAGS, env);
  const { tokens, problems } = parseEnvTokens(env);
  const engine = engineConfig(v);
  problems.push(...engine.problems);
  // A mistyped token list must not leave the server open or half-protected: refuse to start.
  if (problems.length) throw new BadRequest(problems.join('; '));
  return {
    auth: {
      mode: v['auth-mode'] as AuthMode,
      envTokens: tokens,
      setupToken: env.ORLOJ_SETUP_TOKEN?.trim() || undefined,
      sessionTtlMs: parseDuration(v['auth-session-ttl'])!,
      trustedProxies: splitList(v['trusted-proxies']).map((c) => parseCidr(c)!),
    },
    corsOrigins: splitList(v['cors-allowed-origins']),
    addr: v['addr'],
    publicUrl: v['public-url'].replace(/\/+$/, ''),
    dataDir: v['data-dir'],
    store: storeConfig(v, env),
    logLevel: v['log-level'] as LogLevel,
    secretEncryptionKey: env.ORLOJ_SECRET_ENCRYPTION_KEY,
    watch: {
      ...DEFAULT_WATCH_CONFIG,
      maxStreams: Number(v['watch-max-streams']),
      heartbeatMs: parseDuration(v['watch-heartbeat-interval'])!,
      bufferSize: Number(v['watch-buffer-size']),
      bufferBytes: parseByteSize(v['watch-buffer-bytes'])!,
      totalBufferBytes: parseByteSize(v['watch-total-buffer-bytes'])!,
    },
    retention: {
      changes: Number(v['change-log-retention']),
      changesAgeMs: parseDuration(v['change-log-retention-age'])!,
      events: Number(v['event-retention']),
      eventsAgeMs: parseDuration(v['event-retention-age'])!,
    },
    embeddedWorker: parseBool(v['embedded-worker']),
    webhookRateLimit: Number(v['webhook-rate-limit']),
    engine: engine.config,
  };
}

function addrProblem(v: string): string | undefined {
  if (parseAddr(v)) return undefined;
  const port = /:(\d+)$/.exec(v.trim())?.[1];
  return port !== undefined && Number(port) > 65535 ? `has port ${port}, which is out of range (0 to 65535)` : 'must be host:port, :port or [ipv6]:port';
}

export function parseAddr(addr: string): { hostname: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { hostname: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '::1' || hostname.startsWith('127.');
}
