// Users, sessions and API tokens on PostgreSQL: the same calls as src/auth/store.ts. Secrets are
// stored only as digests (sessions, tokens) or argon2id hashes (passwords). Each check-then-write
// is one write of the PgResourceStore; those that decide on the set of users (setup, create,
// delete) first lock auth_users against other writers, so under READ COMMITTED the check sees every
// committed change and nothing changes before the write (the SQLite store gets the same from its
// IMMEDIATE transactions).
import type { AuthStore, TokenView, UserView } from './store';
import type { Role } from './roles';
import { randomToken, sha256Hex } from './secrets';
import { AlreadyExists, Conflict, NotFound } from '../errors';
import type { PgResourceStore } from '../store/pg/resource-store';

type Row = Record<string, unknown>;

const nano = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

export class PgAuthStore implements Pick<AuthStore, keyof AuthStore> {
  private tokenCountCache: number | undefined;

  constructor(private readonly store: PgResourceStore) {}

  private get sql() {
    return this.store.sql;
  }

  /**
   * Blocks other writers of auth_users (readers go on) until this transaction ends. Must run inside
   * a write: outside one the lock would end with its own statement.
   */
  private async lockUsers(): Promise<void> {
    await this.sql`LOCK TABLE auth_users IN EXCLUSIVE MODE`;
  }

  // ---- users ------------------------------------------------------------------------------

  async userCount(): Promise<number> {
    const [r] = await this.sql`SELECT count(*) AS n FROM auth_users`;
    return Number(r.n);
  }

  async findUser(username: string): Promise<(UserView & { passwordHash: string }) | undefined> {
    const [u] = await this.sql`SELECT username, role, password_hash, created_at, updated_at FROM auth_users WHERE username = ${username}`;
    return u && { ...userView(u), passwordHash: u.password_hash as string };
  }

  async listUsers(): Promise<UserView[]> {
    const rows = await this.sql`SELECT username, role, created_at, updated_at FROM auth_users ORDER BY username COLLATE "C"`;
    return rows.map(userView);
  }

  /** The one-time bootstrap: succeeds only while no user exists, even under concurrent calls. */
  async setupAdmin(username: string, passwordHash: string, now: Date): Promise<UserView> {
    return this.store.write(async () => {
      await this.lockUsers();
      if ((await this.userCount()) > 0) throw new Conflict('setup is already done: an administrator exists');
      return this.insertUser(username, 'admin', passwordHash, now);
    });
  }

  async createUser(username: string, role: Role, passwordHash: string, now: Date): Promise<UserView> {
    return this.store.write(async () => {
      await this.lockUsers();
      if (await this.findUser(username)) throw new AlreadyExists('users', username);
      return this.insertUser(username, role, passwordHash, now);
    });
  }

  async deleteUser(username: string): Promise<void> {
    await this.store.write(async () => {
      // Two admins deleting each other at once: the lock makes the second see the first's delete.
      await this.lockUsers();
      const u = await this.findUser(username);
      if (!u) throw new NotFound('users', username);
      if (u.role === 'admin') {
        const [r] = await this.sql`SELECT count(*) AS n FROM auth_users WHERE role = 'admin' AND username <> ${username}`;
        if (Number(r.n) === 0) throw new Conflict(`"${username}" is the last administrator and cannot be deleted`);
      }
      await this.sql`DELETE FROM auth_sessions WHERE username = ${username}`;
      await this.sql`DELETE FROM api_tokens WHERE owner = ${username}`;
      await this.sql`DELETE FROM auth_users WHERE username = ${username}`;
    });
    this.tokenCountCache = undefined;
  }

  /**
   * Sets a new password hash and ends the user's sessions (except `keepSessionHash`) and the API
   * tokens issued to them with their old password.
   */
  async setPassword(username: string, passwordHash: string, now: Date, keepSessionHash?: string): Promise<void> {
    await this.store.write(async () => {
      // A deleteUser in progress holds its table lock: this UPDATE waits for it, then finds no user.
      const done = await this.sql`UPDATE auth_users SET password_hash = ${passwordHash}, updated_at = ${nano(now)} WHERE username = ${username} RETURNING username`;
      if (!done.length) throw new NotFound('users', username);
      if (keepSessionHash) await this.sql`DELETE FROM auth_sessions WHERE username = ${username} AND id_hash <> ${keepSessionHash}`;
      else await this.sql`DELETE FROM auth_sessions WHERE username = ${username}`;
      await this.sql`DELETE FROM api_tokens WHERE owner = ${username}`;
    });
    this.tokenCountCache = undefined;
  }

  private async insertUser(username: string, role: Role, passwordHash: string, now: Date): Promise<UserView> {
    const at = nano(now);
    await this.sql`INSERT INTO auth_users (username, role, password_hash, created_at, updated_at) VALUES (${username}, ${role}, ${passwordHash}, ${at}, ${at})`;
    return { username, role, created_at: at, updated_at: at };
  }

  // ---- sessions ---------------------------------------------------------------------------

  /** Returns the session id (shown to the client once, as a cookie). */
  async createSession(username: string, ttlMs: number, now: Date): Promise<string> {
    const id = randomToken();
    const at = now.getTime();
    await this.sql`DELETE FROM auth_sessions WHERE expires_at < ${at}`;
    await this.sql`INSERT INTO auth_sessions (id_hash, username, expires_at, created_at) VALUES (${sha256Hex(id)}, ${username}, ${at + ttlMs}, ${nano(now)})`;
    return id;
  }

  /** The live session's user; slides the expiry forward (at most once a minute per session). */
  async resolveSession(id: string, ttlMs: number, now: Date): Promise<{ username: string; role: Role; idHash: string } | undefined> {
    const idHash = sha256Hex(id);
    const [s] = await this.sql`SELECT username, expires_at FROM auth_sessions WHERE id_hash = ${idHash}`;
    if (!s) return undefined;
    const expiresAt = Number(s.expires_at);
    if (expiresAt <= now.getTime()) {
      await this.sql`DELETE FROM auth_sessions WHERE id_hash = ${idHash}`;
      return undefined;
    }
    const u = await this.findUser(s.username as string);
    if (!u) return undefined;
    const wanted = now.getTime() + ttlMs;
    if (wanted - expiresAt > 60_000) await this.sql`UPDATE auth_sessions SET expires_at = ${wanted} WHERE id_hash = ${idHash}`;
    return { username: u.username, role: u.role, idHash };
  }

  async deleteSession(id: string): Promise<void> {
    await this.sql`DELETE FROM auth_sessions WHERE id_hash = ${sha256Hex(id)}`;
  }

  // ---- API tokens -------------------------------------------------------------------------

  /** Returns the token (shown once). `owner` ties it to a user (see the owner column). */
  async createToken(name: string, role: Role, now: Date, owner = ''): Promise<{ token: string; view: TokenView }> {
    const token = randomToken();
    const at = nano(now);
    // One statement decides between two creators of the same name, and a taken name aborts no
    // surrounding transaction (ON CONFLICT instead of a unique violation).
    const made = await this.sql`
      INSERT INTO api_tokens (name, role, token_hash, created_at, owner) VALUES (${name}, ${role}, ${sha256Hex(token)}, ${at}, ${owner})
      ON CONFLICT (name) DO NOTHING RETURNING name`;
    if (!made.length) throw new AlreadyExists('tokens', name);
    this.tokenCountCache = undefined;
    return { token, view: { name, role, created_at: at } };
  }

  async listTokens(): Promise<TokenView[]> {
    const rows = await this.sql`SELECT name, role, created_at FROM api_tokens ORDER BY name COLLATE "C"`;
    return rows.map((t: Row) => ({ name: t.name as string, role: t.role as Role, created_at: t.created_at as string }));
  }

  async deleteToken(name: string): Promise<void> {
    const gone = await this.sql`DELETE FROM api_tokens WHERE name = ${name} RETURNING name`;
    this.tokenCountCache = undefined;
    if (!gone.length) throw new NotFound('tokens', name);
  }

  /** Looks a token up by its digest: the comparison happens on SHA-256 values in the index. */
  async tokenByHash(tokenHash: string): Promise<{ name: string; role: Role } | undefined> {
    const [t] = await this.sql`SELECT name, role FROM api_tokens WHERE token_hash = ${tokenHash}`;
    return t && { name: t.name as string, role: t.role as Role };
  }

  /** Cached: read on every request to decide whether bearer tokens are enforced. */
  async tokenCount(): Promise<number> {
    if (this.tokenCountCache === undefined) {
      const [r] = await this.sql`SELECT count(*) AS n FROM api_tokens`;
      this.tokenCountCache = Number(r.n);
    }
    return this.tokenCountCache;
  }

  /** Forget cached counts (another server may have changed the tables). */
  refresh(): void {
    this.tokenCountCache = undefined;
  }
}

function userView(u: Row): UserView {
  return { username: u.username as string, role: u.role as Role, created_at: u.created_at as string, updated_at: u.updated_at as string };
}
