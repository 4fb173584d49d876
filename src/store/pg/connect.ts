// Opens a PostgreSQL connection pool (Bun's built-in SQL client) from a postgres:// URL and checks
// that it connects. Every error names the server, database and user, and never the password: the
// URL arrives from a flag or the environment and errors end up in logs.
import { SQL } from 'bun';

/** Where a URL points, without its password: safe to print. */
export interface PgTarget {
  /** Host name or address, or the directory of a unix socket. */
  host: string;
  port: number;
  database: string;
  user: string;
}

export interface PgPoolOptions {
  /** Connections in the pool. Default 10. */
  max?: number;
  /** Seconds to wait for a connection to open. Default 10. */
  connectionTimeout?: number;
  /** Seconds an unused connection stays open. Default 60; 0 keeps them. */
  idleTimeout?: number;
  /** Shown in pg_stat_activity. Default "orrery". */
  applicationName?: string;
}

export interface PgConnection {
  sql: SQL;
  target: PgTarget;
  /** The URL with its password replaced by ***. */
  redactedUrl: string;
  /** Closes the pool, waiting up to `timeoutSeconds` (default 5) for running queries. */
  close(timeoutSeconds?: number): Promise<void>;
}

/** A URL that cannot be used, or a server that cannot be reached or refuses us. */
export class PgConnectError extends Error {
  override readonly name = 'PgConnectError';
  constructor(
    message: string,
    readonly target?: PgTarget,
    /** Bun's code, e.g. ERR_POSTGRES_CONNECTION_REFUSED. */
    readonly code?: string,
    /** The server's SQLSTATE, e.g. 28P01 for a wrong password. */
    readonly sqlState?: string,
  ) {
    super(message);
  }
}

const SCHEMES = new Set(['postgres:', 'postgresql:']);
const USAGE = 'expected postgres://user:password@host:port/database';

/** Parses a postgres:// or postgresql:// URL. The password is returned apart from the target. */
export function parsePgUrl(url: string): { target: PgTarget; password: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not even the text of the URL in the message: it may hold the password.
    throw new PgConnectError(`the database URL is not a valid URL (${USAGE})`);
  }
  if (!SCHEMES.has(u.protocol)) {
    throw new PgConnectError(`the database URL must start with postgres:// or postgresql://, not ${u.protocol}// (${USAGE})`);
  }
  const decode = (s: string, what: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new PgConnectError(`the database URL has a badly percent-encoded ${what}`);
    }
  };
  const user = decode(u.username, 'user') || 'postgres';
  // libpq's ?host=/run/postgresql form selects a unix socket directory.
  const socketDir = u.searchParams.get('host');
  const host = socketDir?.startsWith('/') ? socketDir : u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = u.port ? Number(u.port) : Number(u.searchParams.get('port') ?? 5432);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new PgConnectError(`the database URL has an invalid port (${USAGE})`);
  const database = decode(u.pathname.replace(/^\//, ''), 'database name') || user;
  return { target: { host, port, database, user }, password: decode(u.password, 'password') };
}

/** The URL with its password replaced by *** (unparseable URLs are replaced whole). */
export function redactPgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** "host:port, database "db", user "u"" — how errors name a server. */
export function describeTarget(t: PgTarget): string {
  const at = t.host.startsWith('/') ? `unix socket ${t.host}/.s.PGSQL.${t.port}` : `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  return `${at}, database "${t.database}", user "${t.user}"`;
}

/**
 * A connect-time failure as a PgConnectError naming the target, with the server's or driver's
 * reason and the password scrubbed from it in case a driver ever echoes it.
 */
export function connectError(e: unknown, target: PgTarget, password: string): PgConnectError {
  const err = e as { message?: string; code?: string; errno?: string };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const sqlState = typeof err?.errno === 'string' ? err.errno : undefined;
  let reason = REASONS[code ?? ''] ?? err?.message ?? String(e);
  if (sqlState && HINTS[sqlState]) reason += ` (${HINTS[sqlState]})`;
  return new PgConnectError(`cannot connect to PostgreSQL at ${describeTarget(target)}: ${scrub(reason, password)}`, target, code, sqlState);
}

const REASONS: Record<string, string> = {
  ERR_POSTGRES_CONNECTION_REFUSED: 'connection refused or host unreachable (is the server running and listening there?)',
  ERR_POSTGRES_CONNECTION_TIMEOUT: 'no answer in time',
};
const HINTS: Record<string, string> = {
  '28P01': 'check the user and password',
  '28000': 'the server does not accept this user from this address (pg_hba.conf)',
  '3D000': 'create the database first, or name another one',
  '53300': 'the server has no free connection slots',
};

/** Removes the password (raw and percent-encoded) from a message. Very short passwords are left: they would mangle ordinary words and reveal nothing. */
function scrub(text: string, password: string): string {
  let out = text;
  for (const p of new Set([password, encodeURIComponent(password)])) {
    if (p.length >= 4) out = out.split(p).join('***');
  }
  return out;
}

/** Opens a pool on `url` and checks with one query that it connects. */
export async function connectPg(url: string, options: PgPoolOptions = {}): Promise<PgConnection> {
  const { target, password } = parsePgUrl(url);
  const redactedUrl = redactPgUrl(url);
  // The URL goes to the driver without its password (it keeps sslmode and the like); every
  // field is also given as an option, which Bun ranks over PG* environment variables.
  const bare = new URL(url);
  bare.password = '';
  bare.searchParams.delete('host');
  const sql = new SQL({
    url: bare.toString(),
    hostname: target.host,
    port: target.port,
    username: target.user,
    password,
    database: target.database,
    max: options.max ?? 10,
    connectionTimeout: options.connectionTimeout ?? 10,
    idleTimeout: options.idleTimeout ?? 60,
    connection: { application_name: options.applicationName ?? 'orrery' },
  });
  try {
    await sql`SELECT 1`;
  } catch (e) {
    await sql.close({ timeout: 0 }).catch(() => {});
    throw connectError(e, target, password);
  }
  return {
    sql,
    target,
    redactedUrl,
    close: (timeoutSeconds = 5) => sql.close({ timeout: timeoutSeconds }),
  };
}
