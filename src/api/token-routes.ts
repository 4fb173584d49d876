// API tokens (admin only, in every auth mode): create (the token is shown once), list, revoke.
// A new or revoked token counts from the next request.
import { Elysia } from 'elysia';
import type { Role } from '../auth/roles';
import type { AuthService } from '../auth/service';
import { Invalid } from '../errors';
import { nameProblems } from '../registry/names';
import type { Clock } from '../util/time';
import { AuthBodies, readBody } from './auth-bodies';
import { operation } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json } from './routing';

export function tokenRoutes(auth: AuthService, clock: Clock, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-tokens' });
  const tag = 'tokens';
  addRoute(
    app,
    table,
    { method: 'POST', path: '/v1/tokens', tag, action: 'create' },
    async ({ request }) => {
      const b = await readBody(request, AuthBodies.CreateTokenRequest, 'token');
      const name = b.name.trim();
      const causes = nameProblems(name, 'name', true);
      if (causes.length) throw new Invalid('token', '', causes);
      const { token, view } = await auth.store.createToken(name, (b.role ?? 'reader') as Role, clock.now());
      return json({ ...view, token }, 201);
    },
    operation({ tag, summary: 'Create a named API token (admin); the token is shown once', body: 'CreateTokenRequest', ok: { 201: { description: 'Created', schema: 'Token' } }, errors: { 400: 'Bad name or role', 409: 'Name taken' } }),
  );
  addRoute(
    app,
    table,
    { method: 'GET', path: '/v1/tokens', tag, action: 'list', required: 'admin' },
    async () => json({ items: await auth.store.listTokens() }),
    operation({ tag, summary: 'List API tokens (admin): names, roles, creation times', ok: { 200: { description: 'Tokens', schema: 'TokenList' } } }),
  );
  addRoute(
    app,
    table,
    { method: 'DELETE', path: '/v1/tokens/:name', tag, action: 'delete' },
    async ({ params }) => {
      await auth.store.deleteToken(params.name);
      return json({ status: 'token deleted' });
    },
    operation({ tag, summary: 'Revoke an API token (admin)', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], ok: { 200: { description: 'Revoked', schema: 'StatusMessage' } }, errors: { 404: 'No such token' } }),
  );
  return app;
}
