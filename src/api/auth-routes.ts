// Native authentication endpoints under /v1/auth: config, setup, login, logout, me, users,
// password reset and change, and CLI tokens. Passwords are hashed with argon2id.
import { Elysia } from 'elysia';
import { clearSessionCookies, sessionCookie } from '../auth/cookies';
import type { RateLimiter } from '../auth/rate-limit';
import type { Role } from '../auth/roles';
import { randomToken, secretEquals } from '../auth/secrets';
import type { AuthService, Identity } from '../auth/service';
import { BadRequest, Conflict, Forbidden, Invalid, Unauthorized, type Cause } from '../errors';
import { nameProblems } from '../registry/names';
import type { Clock } from '../util/time';
import { AuthBodies, readBody } from './auth-bodies';
import { operation } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json, type HandlerContext } from './routing';

export interface AuthRouteDeps {
  auth: AuthService;
  limiter: RateLimiter;
  clock: Clock;
  /** The client's address, for rate limits (peer, or forwarded from a trusted proxy). */
  clientIp: (request: Request) => string;
  https: (request: Request) => boolean;
}

// A valid argon2id hash of a random password: verifying against it when the user does not exist
// costs the same as a real check, so timing does not tell which usernames exist.
const DECOY = Bun.password.hash(randomToken(), { algorithm: 'argon2id' });

const normalizeUser = (u: string) => u.trim().toLowerCase();

function credentialCauses(username: string, password: string | undefined, passwordField: string): Cause[] {
  const causes = nameProblems(normalizeUser(username), 'username', true);
  if (password !== undefined && password.length < 12) causes.push({ field: passwordField, message: 'must be at least 12 characters' });
  return causes;
}

export function me(id: Identity): Record<string, unknown> {
  if (!id.authenticated) return { authenticated: false };
  const out: Record<string, unknown> = { authenticated: true, method: id.method };
  if (id.name !== undefined) out.name = id.name;
  if (id.role !== undefined && id.method !== 'none') out.role = id.role;
  if (id.username !== undefined) out.username = id.username;
  return out;
}

export function authRoutes(deps: AuthRouteDeps, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-auth' });
  const { auth, clock } = deps;
  const tag = 'auth';
  const native = () => {
    if (auth.config.mode !== 'native') throw new BadRequest('this endpoint needs native authentication: start the server with --auth-mode native');
  };
  const limit = (request: Request) => deps.limiter.take(deps.clientIp(request));
  const withSession = async (body: unknown, status: number, request: Request, username: string): Promise<Response> => {
    const id = await auth.store.createSession(username, auth.config.sessionTtlMs, clock.now());
    return json(body, status, { 'set-cookie': sessionCookie(id, deps.https(request)) });
  };
  const route = (method: 'GET' | 'POST' | 'DELETE', path: string, action: string, handler: (c: HandlerContext) => Response | Promise<Response>, detail: object, required?: 'admin') =>
    addRoute(app, table, { method, path, tag, action, required }, handler, detail);
  const ok = (schema: string, description = 'OK') => ({ description, schema });

  route('GET', '/v1/auth/config', 'config', async () =>
    json({
      mode: auth.config.mode,
      setup_required: auth.config.mode === 'native' && (await auth.store.userCount()) === 0,
      setup_token_required: auth.config.mode === 'native' && !!auth.config.setupToken,
      login_methods: auth.config.mode === 'native' ? ['password'] : [],
    }),
    operation({ tag, auth: 'none', summary: 'Auth mode and what login or setup needs', ok: { 200: ok('AuthConfig') } }),
  );

  route('POST', '/v1/auth/setup', 'setup', async ({ request }) => {
    native();
    limit(request);
    const b = await readBody(request, AuthBodies.SetupRequest, 'setup request');
    if (auth.config.setupToken && !secretEquals(b.setup_token ?? '', auth.config.setupToken)) throw new Forbidden('setup_token is missing or wrong');
    const causes = credentialCauses(b.username, b.password, 'password');
    if (causes.length) throw new Invalid('setup request', '', causes);
    const username = normalizeUser(b.username);
    const hash = await Bun.password.hash(b.password, { algorithm: 'argon2id' });
    await auth.store.setupAdmin(username, hash, clock.now());
    return await withSession({ authenticated: true, method: 'session', name: username, role: 'admin', username }, 201, request, username);
  }, operation({ tag, auth: 'none', summary: 'Create the first administrator (once); logs it in', body: 'SetupRequest', ok: { 201: ok('Me') }, errors: { 400: 'Not native mode, or bad username/password', 403: 'Wrong setup_token', 409: 'Already set up', 429: 'Too many attempts' } }));

  route('POST', '/v1/auth/login', 'login', async ({ request }) => {
    native();
    limit(request);
    const b = await readBody(request, AuthBodies.LoginRequest, 'login request');
    if ((await auth.store.userCount()) === 0) throw new Conflict('no user exists yet: create the first administrator with POST /v1/auth/setup');
    const user = await verify(auth, b.username, b.password);
    return await withSession({ authenticated: true, method: 'session', name: user.username, role: user.role, username: user.username }, 200, request, user.username);
  }, operation({ tag, auth: 'none', summary: 'Log in with username and password (sets the session cookie)', body: 'LoginRequest', ok: { 200: ok('Me') }, errors: { 401: 'Bad credentials', 409: 'Nobody set up yet', 429: 'Too many attempts' } }));

  route('POST', '/v1/auth/logout', 'logout', async ({ request }) => {
    const cookie = request.headers.get('cookie');
    const id = cookie && /(?:^|;\s*)(?:__Host-)?orloj_session=([^;]+)/.exec(cookie)?.[1];
    if (id) await auth.store.deleteSession(id);
    const res = json({ status: 'ok' });
    for (const c of clearSessionCookies(deps.https(request))) res.headers.append('set-cookie', c);
    return res;
  }, operation({ tag, auth: 'none', summary: 'End the session and clear its cookie', ok: { 200: ok('StatusMessage') } }));

  route('GET', '/v1/auth/me', 'me', ({ identity }) => json(me(identity)), operation({ tag, auth: 'none', summary: 'Who am I (always 200)', ok: { 200: ok('Me') } }));

  route('GET', '/v1/auth/users', 'list-users', async () => {
    native();
    return json({ items: await auth.store.listUsers() });
  }, operation({ tag, summary: 'List native users (admin)', ok: { 200: ok('UserList') }, errors: { 401: 'No credential', 403: 'Not admin' } }), 'admin');

  route('POST', '/v1/auth/users', 'create-user', async ({ request }) => {
    native();
    const b = await readBody(request, AuthBodies.CreateUserRequest, 'user');
    const causes = credentialCauses(b.username, b.password, 'password');
    if (causes.length) throw new Invalid('user', '', causes);
    const password = b.password ?? randomToken(24);
    const user = await auth.store.createUser(normalizeUser(b.username), (b.role ?? 'reader') as Role, await Bun.password.hash(password, { algorithm: 'argon2id' }), clock.now());
    return json(b.password === undefined ? { ...user, password } : user, 201);
  }, operation({ tag, summary: 'Create a native user (admin); a generated password is shown once', body: 'CreateUserRequest', ok: { 201: ok('User') }, errors: { 400: 'Bad username, role or password', 409: 'Exists' } }), 'admin');

  route('DELETE', '/v1/auth/users/:username', 'delete-user', async ({ params }) => {
    native();
    await auth.store.deleteUser(normalizeUser(params.username));
    return json({ status: 'user deleted' });
  }, operation({ tag, summary: 'Delete a native user (admin); the last admin cannot be deleted', parameters: [{ name: 'username', in: 'path', required: true, schema: { type: 'string' } }], ok: { 200: ok('StatusMessage') }, errors: { 404: 'No such user', 409: 'Last admin' } }), 'admin');

  route('POST', '/v1/auth/admin/reset-password', 'reset-password', async ({ request, identity }) => {
    native();
    limit(request);
    const b = await readBody(request, AuthBodies.ResetPasswordRequest, 'password reset');
    if (b.new_password !== undefined && b.new_password.length < 12) throw new Invalid('password reset', '', [{ field: 'new_password', message: 'must be at least 12 characters' }]);
    const password = b.new_password ?? randomToken(24);
    const username = normalizeUser(b.username);
    await auth.store.setPassword(username, await Bun.password.hash(password, { algorithm: 'argon2id' }), clock.now(), identity.username === username ? identity.sessionHash : undefined);
    return json(b.new_password === undefined ? { status: 'password reset', password } : { status: 'password reset' });
  }, operation({ tag, summary: "Reset a user's password (admin); ends that user's other sessions", body: 'ResetPasswordRequest', ok: { 200: ok('StatusMessage') }, errors: { 404: 'No such user', 429: 'Too many attempts' } }), 'admin');

  route('POST', '/v1/auth/change-password', 'change-password', async ({ request, identity }) => {
    native();
    limit(request);
    if (identity.method !== 'session' || !identity.username) throw new Unauthorized('log in first: changing a password needs a session');
    const b = await readBody(request, AuthBodies.ChangePasswordRequest, 'password change');
    if (b.new_password.length < 12) throw new Invalid('password change', '', [{ field: 'new_password', message: 'must be at least 12 characters' }]);
    await verify(auth, identity.username, b.current_password);
    await auth.store.setPassword(identity.username, await Bun.password.hash(b.new_password, { algorithm: 'argon2id' }), clock.now(), identity.sessionHash);
    return json({ status: 'password changed' });
  }, operation({ tag, auth: 'session', summary: 'Change your own password (session); ends your other sessions', body: 'ChangePasswordRequest', ok: { 200: ok('StatusMessage') }, errors: { 401: 'No session or wrong current password', 429: 'Too many attempts' } }));

  route('POST', '/v1/auth/cli-token', 'cli-token', async ({ request }) => {
    native();
    limit(request);
    const b = await readBody(request, AuthBodies.LoginRequest, 'login request');
    const user = await verify(auth, b.username, b.password);
    const { token, view } = await auth.store.createToken(`cli-${user.username}-${clock.now().getTime()}`, user.role, clock.now(), user.username);
    return json({ name: view.name, role: view.role, token, username: user.username, created_at: view.created_at }, 201);
  }, operation({ tag, auth: 'none', summary: "Trade username and password for an API token with the user's role (shown once)", body: 'LoginRequest', ok: { 201: ok('CliToken') }, errors: { 401: 'Bad credentials', 429: 'Too many attempts' } }));

  return app;
}

async function verify(auth: AuthService, username: string, password: string) {
  const user = await auth.store.findUser(normalizeUser(username));
  const ok = await Bun.password.verify(password, user?.passwordHash ?? (await DECOY));
  if (!user || !ok) throw new Unauthorized('username or password is wrong');
  return user;
}
