// Request and response shapes of the auth endpoints, one TypeBox source for validation and
// the OpenAPI document; plus the body reader that reports every problem at once.
import { Type as t, type Static, type TObject } from '@sinclair/typebox';
import { ROLES } from '../auth/roles';
import { Invalid } from '../errors';
import { schemaCauses } from '../registry/validation';
import { readDocument } from './body';

const Role = t.Union(ROLES.map((r) => t.Literal(r)));
const closed = { additionalProperties: false } as const;

export const AuthBodies = {
  SetupRequest: t.Object({ username: t.String(), password: t.String(), setup_token: t.Optional(t.String()) }, closed),
  LoginRequest: t.Object({ username: t.String(), password: t.String() }, closed),
  CreateUserRequest: t.Object({ username: t.String(), role: t.Optional(Role), password: t.Optional(t.String({ description: 'At least 12 characters; generated and shown once when absent.' })) }, closed),
  ResetPasswordRequest: t.Object({ username: t.String(), new_password: t.Optional(t.String({ description: 'Generated and shown once when absent.' })) }, closed),
  ChangePasswordRequest: t.Object({ current_password: t.String(), new_password: t.String() }, closed),
  CreateTokenRequest: t.Object({ name: t.String(), role: t.Optional(Role) }, closed),
};

export const AuthModels = {
  ...AuthBodies,
  AuthConfig: t.Object({ mode: t.String(), setup_required: t.Boolean(), setup_token_required: t.Boolean(), login_methods: t.Array(t.String()) }),
  Me: t.Object({
    authenticated: t.Boolean(),
    method: t.Optional(t.String()),
    name: t.Optional(t.String()),
    role: t.Optional(t.String()),
    username: t.Optional(t.String()),
  }),
  User: t.Object({ username: t.String(), role: Role, created_at: t.String(), updated_at: t.String(), password: t.Optional(t.String({ description: 'Only when generated: shown once.' })) }),
  UserList: t.Object({ items: t.Array(t.Object({ username: t.String(), role: Role, created_at: t.String(), updated_at: t.String() })) }),
  Token: t.Object({ name: t.String(), role: Role, created_at: t.String(), token: t.Optional(t.String({ description: 'Only in the create response: shown once.' })) }),
  TokenList: t.Object({ items: t.Array(t.Object({ name: t.String(), role: Role, created_at: t.String() })) }),
  CliToken: t.Object({ name: t.String(), role: Role, token: t.String(), username: t.String(), created_at: t.String() }),
  StatusMessage: t.Object({ status: t.String() }),
};

/** Reads and validates a JSON or YAML body against a schema, listing every problem. */
export async function readBody<S extends TObject>(request: Request, schema: S, what: string): Promise<Static<S>> {
  const body = await readDocument(request);
  const causes = schemaCauses(schema, body, '');
  if (causes.length) throw new Invalid(what, '', causes);
  return body as Static<S>;
}
