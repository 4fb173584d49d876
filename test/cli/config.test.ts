// Flags, their ORLOJ_ environment twins, and the CLI's own commands.
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { parseAddr, serveConfig } from '../../src/cli/config';

describe('serve configuration', () => {
  test('defaults, environment twins, and flags winning over the environment', () => {
    expect(serveConfig([], {})).toEqual({
      auth: { mode: 'off', envTokens: [], setupToken: undefined, sessionTtlMs: 86_400_000, trustedProxies: [] },
      corsOrigins: [],
      addr: '127.0.0.1:8080',
      publicUrl: '',
      dataDir: './data',
      store: { dataDir: './data', databaseUrl: '', poolSize: 20, migrate: true, secretKey: undefined },
      logLevel: 'info',
      secretEncryptionKey: undefined,
      watch: { maxStreams: 1000, heartbeatMs: 15_000, bufferSize: 1000, bufferBytes: 8_388_608, totalBufferBytes: 268_435_456, pollMs: 250 },
      retention: { changes: 100_000, changesAgeMs: 86_400_000, events: 100_000, eventsAgeMs: 86_400_000 },
      embeddedWorker: true,
      engine: { workerId: 'embedded-worker', region: undefined, gpu: false, models: [], maxConcurrentTasks: 4, branchConcurrency: 16, leaseMs: 30_000, heartbeatMs: 10_000, egressPrivate: 'allow', cliAllow: [], mcpCommandAllow: [] },
      webhookRateLimit: 600,
    });
    expect(serveConfig([], { ORLOJ_WEBHOOK_RATE_LIMIT: '0' }).webhookRateLimit).toBe(0);
    expect(serveConfig(['--migrate=false', '--database-pool-size', '5'], { ORLOJ_DATABASE_URL: 'postgres://u:p@db:5432/orrery', ORLOJ_SECRET_ENCRYPTION_KEY: 'k' }).store).toEqual({
      dataDir: './data',
      databaseUrl: 'postgres://u:p@db:5432/orrery',
      poolSize: 5,
      migrate: false,
      secretKey: 'k',
    });
    expect(() => serveConfig(['--database-url', 'mysql://x'], {})).toThrow('--database-url (ORLOJ_DATABASE_URL) must be a postgres:// URL: "mysql://x"');
    expect(() => serveConfig(['--webhook-rate-limit', '-1'], {})).toThrow('--webhook-rate-limit (ORLOJ_WEBHOOK_RATE_LIMIT) must be a whole number (0 = unlimited): "-1"');
    expect(serveConfig(['--embedded-worker=false', '--worker-models', 'llama3, qwen', '--worker-gpu', 'yes'], { ORLOJ_MAX_CONCURRENT_TASKS: '9' })).toMatchObject({
      embeddedWorker: false,
      engine: { models: ['llama3', 'qwen'], gpu: true, maxConcurrentTasks: 9 },
    });
    expect(() => serveConfig(['--task-heartbeat-interval', '30s', '--embedded-worker', 'maybe'], {})).toThrow(
      '--embedded-worker (ORLOJ_EMBEDDED_WORKER) must be true or false: "maybe"',
    );
    expect(serveConfig(['--public-url', 'https://orrery.lan:8443/'], {}).publicUrl).toBe('https://orrery.lan:8443');
    expect(() => serveConfig(['--public-url', 'orrery.lan'], {})).toThrow('--public-url (ORLOJ_PUBLIC_URL) must be an http(s) URL such as https://orrery.example:8080: "orrery.lan"');
    expect(() => serveConfig(['--task-heartbeat-interval', '30s'], {})).toThrow('--task-heartbeat-interval (30s) must be shorter than --task-lease-duration (30s)');
    expect(serveConfig(['--watch-heartbeat-interval', '2s', '--change-log-retention=50'], { ORLOJ_WATCH_MAX_STREAMS: '7' })).toMatchObject({
      watch: { maxStreams: 7, heartbeatMs: 2000 },
      retention: { changes: 50 },
    });
    expect(() => serveConfig(['--watch-buffer-size', '0', '--event-retention-age', 'soon'], {})).toThrow(
      '--watch-buffer-size (ORLOJ_WATCH_BUFFER_SIZE) must be a positive whole number: "0"; --event-retention-age (ORLOJ_EVENT_RETENTION_AGE) must be a positive duration such as 15s or 24h: "soon"',
    );
    const env = { ORLOJ_ADDR: '0.0.0.0:9000', ORLOJ_DATA_DIR: '/var/lib/orrery', ORLOJ_LOG_LEVEL: 'debug' };
    expect(serveConfig([], env)).toMatchObject({ addr: '0.0.0.0:9000', dataDir: '/var/lib/orrery', logLevel: 'debug' });
    expect(serveConfig(['--addr', ':7000', '--data-dir=/tmp/x', '--log-level', 'warn'], env)).toMatchObject({ addr: ':7000', dataDir: '/tmp/x', logLevel: 'warn' });
  });

  test('every problem is named: unknown flags, missing values, bad values', () => {
    expect(() => serveConfig(['--nope', '1', '--addr', 'localhost', '--log-level', 'loud'], {})).toThrow(
      'unknown flag --nope; unexpected argument "1"; --addr (ORLOJ_ADDR) must be host:port, :port or [ipv6]:port: "localhost"; --log-level (ORLOJ_LOG_LEVEL) must be one of debug, info, warn, error: "loud"',
    );
    expect(() => serveConfig(['--data-dir'], {})).toThrow('flag --data-dir needs a value');
  });

  test('addresses', () => {
    expect(parseAddr('127.0.0.1:8080')).toEqual({ hostname: '127.0.0.1', port: 8080 });
    expect(parseAddr(':8080')).toEqual({ hostname: '0.0.0.0', port: 8080 });
    expect(parseAddr('[::1]:0')).toEqual({ hostname: '::1', port: 0 });
    expect(parseAddr('host:99999')).toBeUndefined();
    expect(() => serveConfig(['--addr', '127.0.0.1:99999'], {})).toThrow('--addr (ORLOJ_ADDR) has port 99999, which is out of range (0 to 65535): "127.0.0.1:99999"');
  });
});

describe('auth configuration', () => {
  test('tokens from the environment are kept only as digests, with their roles', () => {
    const c = serveConfig(['--auth-mode', 'native', '--trusted-proxies', '10.0.0.0/8, ::1', '--cors-allowed-origins', 'https://ui.example'], {
      ORLOJ_API_TOKENS: 'ci:tok-one:writer, tok-two:controller,tok-three',
      ORLOJ_SETUP_TOKEN: 'boot',
    });
    expect(c.auth.mode).toBe('native');
    expect(c.auth.setupToken).toBe('boot');
    expect(c.auth.envTokens.map((t) => [t.name, t.role])).toEqual([
      ['ci', 'writer'],
      ['env-2', 'controller'],
      ['env-3', 'reader'],
    ]);
    expect(JSON.stringify(c.auth.envTokens)).not.toContain('tok-one');
    expect(c.auth.trustedProxies).toHaveLength(2);
    expect(c.corsOrigins).toEqual(['https://ui.example']);
    expect(serveConfig([], { ORLOJ_API_TOKEN: 'single' }).auth.envTokens.map((t) => t.role)).toEqual(['admin']);
  });

  test('bad auth settings stop the start with every problem named', () => {
    expect(() => serveConfig(['--auth-mode', 'sso', '--trusted-proxies', 'nope'], {})).toThrow('--auth-mode (ORLOJ_AUTH_MODE) must be off or native: "sso"; --trusted-proxies (ORLOJ_TRUSTED_PROXIES) has entries that are not IP addresses or CIDRs (nope): "nope"');
    expect(() => serveConfig([], { ORLOJ_API_TOKENS: 'a:b:root' })).toThrow('ORLOJ_API_TOKENS holds no usable token; ORLOJ_API_TOKENS entry 1 has an unknown role "root"');
  });
});

describe('commands', () => {
  const main = join(import.meta.dir, '../../src/main.ts');
  const run = (...args: string[]) => Bun.spawnSync([process.execPath, main, ...args], { env: { PATH: process.env.PATH ?? '' } });

  test('version, help and unknown commands', () => {
    expect(run('version').stdout.toString()).toMatch(/^orrery \d+\.\d+\.\d+\n$/);
    const help = run('--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain('--data-dir');
    expect(help.stdout.toString()).toContain('ORLOJ_DATA_DIR');
    const bad = run('frobnicate');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain('unknown command "frobnicate"');
    const badFlag = run('serve', '--addr', 'nowhere');
    expect(badFlag.exitCode).toBe(2);
    expect(badFlag.stderr.toString()).toBe('orrery: --addr (ORLOJ_ADDR) must be host:port, :port or [ipv6]:port: "nowhere"\nRun `orrery --help` for the flags and their environment variables.\n');
    const badWorkerFlag = run('worker', '--bogus');
    expect(badWorkerFlag.exitCode).toBe(2);
    expect(badWorkerFlag.stderr.toString()).toBe('orrery worker: unknown flag --bogus\nRun `orrery worker --help` for the flags and their environment variables.\n');
  });

  test('the help stands alone: every variable explained, no file a binary user lacks', () => {
    const help = run('--help').stdout.toString();
    for (const v of ['ORLOJ_API_TOKEN ', 'ORLOJ_API_TOKENS', 'ORLOJ_SETUP_TOKEN', 'ORLOJ_SECRET_ENCRYPTION_KEY', 'ORLOJ_SECRET_<NAME>']) expect(help).toContain(v);
    expect(help).not.toMatch(/docs\/|README/);
  });
});
