// Users, sessions and API tokens in SQLite. Secrets are stored only as digests (sessions,
// tokens) or argon2id hashes (passwords); every check-then-write runs in one IMMEDIATE transaction.
import { and, asc, count, eq, lt, ne, sql } from 'drizzle-orm';
import { apiTokens, authSessions, authUsers } from '../../db/schema';
import { AlreadyExists, Conflict, NotFound } from '../errors';
import type { OpenDatabase } from '../store/database';
import type { Role } from './roles';
import { randomToken, sha256Hex } from './secrets';

export interface UserView {
  username: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface TokenView {
  name: string;
  role: Role;
  created_at: string;
}

const nano = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

/** What the auth service needs of a user store; SQLite here, PostgreSQL in pg-store.ts. */
export type Users = Pick<
  AuthStore,
  'userCount' | 'findUser' | 'listUsers' | 'setupAdmin' | 'createUser' | 'deleteUser' | 'setPassword' | 'createSession' | 'resolveSession' | 'deleteSession' | 'createToken' | 'listTokens' | 'deleteToken' | 'tokenByHash' | 'tokenCount' | 'refresh'
>;

export class AuthStore {
  private tokenCountCache: number | undefined;

  constructor(private readonly handle: OpenDatabase) {}

  private get db() {
    return this.handle.db;
  }

  private tx<T>(fn: () => T): T {
    return this.handle.sqlite.transaction(fn).immediate();
  }

  // ---- users ------------------------------------------------------------------------------

  async userCount(): Promise<number> {
    return this.users();
  }

  async findUser(username: string): Promise<(UserView & { passwordHash: string }) | undefined> {
    return this.user(username);
  }

  private users(): number {
    return Number(this.db.select({ n: count() }).from(authUsers).get()!.n);
  }

  private user(username: string): (UserView & { passwordHash: string }) | undefined {
    const u = this.db.select().from(authUsers).where(eq(authUsers.username, username)).get();
    return u && { username: u.username, role: u.role as Role, created_at: u.createdAt, updated_at: u.updatedAt, passwordHash: u.passwordHash };
  }

  async listUsers(): Promise<UserView[]> {
    return this.db
      .select()
      .from(authUsers)
      .orderBy(asc(authUsers.username))
      .all()
      .map((u) => ({ username: u.username, role: u.role as Role, created_at: u.createdAt, updated_at: u.updatedAt }));
  }

  /** The one-time bootstrap: succeeds only while no user exists, even under concurrent calls. */
  async setupAdmin(username: string, passwordHash: string, now: Date): Promise<UserView> {
    return this.tx(() => {
      if (this.users() > 0) throw new Conflict('setup is already done: an administrator exists');
      return this.insertUser(username, 'admin', passwordHash, now);
    });
  }

  async createUser(username: string, role: Role, passwordHash: string, now: Date): Promise<UserView> {
    return this.tx(() => {
      if (this.user(username)) throw new AlreadyExists('users', username);
      return this.insertUser(username, role, passwordHash, now);
    });
  }

  async deleteUser(username: string): Promise<void> {
    this.tx(() => {
      const u = this.user(username);
      if (!u) throw new NotFound('users', username);
      if (u.role === 'admin') {
        const others = Number(this.db.select({ n: count() }).from(authUsers).where(and(eq(authUsers.role, 'admin'), ne(authUsers.username, username))).get()!.n);
        if (others === 0) throw new Conflict(`"${username}" is the last administrator and cannot be deleted`);
      }
      this.db.delete(authSessions).where(eq(authSessions.username, username)).run();
      this.db.delete(apiTokens).where(eq(apiTokens.owner, username)).run();
      this.db.delete(authUsers).where(eq(authUsers.username, username)).run();
    });
    this.tokenCountCache = undefined;
  }

  /**
   * Sets a new password hash and ends the user's sessions (except `keepSessionHash`) and the API
   * tokens issued to them with their old password.
   */
  async setPassword(username: string, passwordHash: string, now: Date, keepSessionHash?: string): Promise<void> {
    this.tx(() => {
      if (!this.user(username)) throw new NotFound('users', username);
      this.db.update(authUsers).set({ passwordHash, updatedAt: nano(now) }).where(eq(authUsers.username, username)).run();
      const mine = eq(authSessions.username, username);
      this.db.delete(authSessions).where(keepSessionHash ? and(mine, ne(authSessions.idHash, keepSessionHash)) : mine).run();
      this.db.delete(apiTokens).where(eq(apiTokens.owner, username)).run();
    });
    this.tokenCountCache = undefined;
  }

  private insertUser(username: string, role: Role, passwordHash: string, now: Date): UserView {
    const at = nano(now);
    this.db.insert(authUsers).values({ username, role, passwordHash, createdAt: at, updatedAt: at }).run();
    return { username, role, created_at: at, updated_at: at };
  }

  // ---- sessions ---------------------------------------------------------------------------

  /** Returns the session id (shown to the client once, as a cookie). */
  async createSession(username: string, ttlMs: number, now: Date): Promise<string> {
    const id = randomToken();
    this.db.delete(authSessions).where(lt(authSessions.expiresAt, now.getTime())).run();
    this.db.insert(authSessions).values({ idHash: sha256Hex(id), username, expiresAt: now.getTime() + ttlMs, createdAt: nano(now) }).run();
    return id;
  }

  /** The live session's user; slides the expiry forward (at most once a minute per session). */
  async resolveSession(id: string, ttlMs: number, now: Date): Promise<{ username: string; role: Role; idHash: string } | undefined> {
    const idHash = sha256Hex(id);
    const s = this.db.select().from(authSessions).where(eq(authSessions.idHash, idHash)).get();
    if (!s) return undefined;
    if (s.expiresAt <= now.getTime()) {
      this.db.delete(authSessions).where(eq(authSessions.idHash, idHash)).run();
      return undefined;
    }
    const u = this.user(s.username);
    if (!u) return undefined;
    const wanted = now.getTime() + ttlMs;
    if (wanted - s.expiresAt > 60_000) this.db.update(authSessions).set({ expiresAt: wanted }).where(eq(authSessions.idHash, idHash)).run();
    return { username: u.username, role: u.role, idHash };
  }

  async deleteSession(id: string): Promise<void> {
    this.db.delete(authSessions).where(eq(authSessions.idHash, sha256Hex(id))).run();
  }

  // ---- API tokens -------------------------------------------------------------------------

  /** Returns the token (shown once). `owner` ties it to a user (see the owner column). */
  async createToken(name: string, role: Role, now: Date, owner = ''): Promise<{ token: string; view: TokenView }> {
    const token = randomToken();
    const view = this.tx(() => {
      if (this.db.select().from(apiTokens).where(eq(apiTokens.name, name)).get()) throw new AlreadyExists('tokens', name);
      const at = nano(now);
      this.db.insert(apiTokens).values({ name, role, tokenHash: sha256Hex(token), createdAt: at, owner }).run();
      return { name, role, created_at: at };
    });
    this.tokenCountCache = undefined;
    return { token, view };
  }

  async listTokens(): Promise<TokenView[]> {
    return this.db
      .select()
      .from(apiTokens)
      .orderBy(asc(apiTokens.name))
      .all()
      .map((t) => ({ name: t.name, role: t.role as Role, created_at: t.createdAt }));
  }

  async deleteToken(name: string): Promise<void> {
    const gone = this.db.delete(apiTokens).where(eq(apiTokens.name, name)).returning({ name: apiTokens.name }).all();
    this.tokenCountCache = undefined;
    if (!gone.length) throw new NotFound('tokens', name);
  }

  /** Looks a token up by its digest: the comparison happens on SHA-256 values in the index. */
  async tokenByHash(tokenHash: string): Promise<{ name: string; role: Role } | undefined> {
    const t = this.db.select().from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash)).get();
    return t && { name: t.name, role: t.role as Role };
  }

  /** Cached: read on every request to decide whether bearer tokens are enforced. */
  async tokenCount(): Promise<number> {
    this.tokenCountCache ??= Number(this.db.select({ n: sql<number>`count(*)` }).from(apiTokens).get()!.n);
    return this.tokenCountCache;
  }

  /** Forget cached counts (another process may have changed the tables). */
  refresh(): void {
    this.tokenCountCache = undefined;
  }
}
