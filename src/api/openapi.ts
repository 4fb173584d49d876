// OpenAPI pieces generated from the same TypeBox schemas that validate requests: one component
// per kind (object and list), the Status error body, security schemes and operation details.
import { CloneType, Type as t, type TSchema } from '@sinclair/typebox';
import { StatusBody } from '../errors';
import type { KindDefinition } from '../registry/kind';
import { kindExamples } from './openapi-examples';

export const ObjectMeta = t.Object(
  {
    name: t.String({ description: '1–253 characters; no "/", whitespace or control characters; not starting with "."' }),
    namespace: t.Optional(t.String({ default: 'default' })),
    labels: t.Optional(t.Record(t.String(), t.String())),
    annotations: t.Optional(t.Record(t.String(), t.String())),
    resourceVersion: t.Optional(
      t.String({ readOnly: true, description: 'Global revision of the last write (server-owned). Sending it back in a write makes it a precondition (409 when stale).' }),
    ),
    generation: t.Optional(t.Integer({ readOnly: true, description: 'Counts spec changes (server-owned).' })),
    createdAt: t.Optional(t.String({ readOnly: true, description: 'RFC 3339 (server-owned).' })),
    uid: t.Optional(t.String({ readOnly: true, description: 'Stable random id (server-owned).' })),
  },
  { additionalProperties: false },
);

export function kindModels(kinds: KindDefinition[]): Record<string, TSchema> {
  const models: Record<string, TSchema> = { Status: StatusBody, ObjectMeta };
  for (const def of kinds) {
    models[def.kind] = t.Object(
      {
        apiVersion: t.Optional(t.Literal('orloj.dev/v1')),
        kind: t.Optional(t.Literal(def.kind)),
        metadata: t.Ref('#/components/schemas/ObjectMeta'),
        spec: def.spec,
        // Written by controllers through /status; create, apply and replace keep the stored one.
        status: t.Optional(CloneType(def.status, { readOnly: true })),
      },
      { description: def.description, example: kindExamples[def.kind]?.object },
    );
    models[`${def.kind}List`] = t.Object({
      apiVersion: t.Literal('orloj.dev/v1'),
      kind: t.Literal(`${def.kind}List`),
      metadata: t.Object({ resourceVersion: t.String(), continue: t.Optional(t.String()) }),
      items: t.Array(t.Ref(`#/components/schemas/${def.kind}`)),
      continue: t.Optional(t.String({ description: 'Pass as ?after= to read the next page.' })),
    });
    models[`${def.kind}Status`] = t.Object({
      apiVersion: t.Literal('orloj.dev/v1'),
      kind: t.Literal(def.kind),
      metadata: t.Ref('#/components/schemas/ObjectMeta'),
      status: def.status,
    });
  }
  return models;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: string) => ({ 'application/json': { schema: ref(name) } });
const errorResponse = (description: string) => ({ description, content: jsonContent('Status') });

export const param = {
  namespace: (dflt: boolean) => ({
    name: 'namespace',
    in: 'query',
    required: false,
    description: dflt ? 'Namespace (default "default").' : 'Only this namespace (default: all).',
    schema: { type: 'string' },
  }),
  name: { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
  ifMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description: 'Expected resourceVersion ("12", 12 or W/"12"); or send metadata.resourceVersion.',
    schema: { type: 'string' },
  },
  query: (name: string, description: string, type = 'string') => ({ name, in: 'query', required: false, description, schema: { type } }),
};

/**
 * Who may call: bearer tokens (environment, /v1/tokens, cli-token) or the session cookie of native
 * login. The bearer scheme is what Swagger UI's Authorize button fills in.
 */
export const securitySchemes = {
  bearerAuth: { type: 'http' as const, scheme: 'bearer', description: 'An API token: ORLOJ_API_TOKEN(S), POST /v1/tokens or POST /v1/auth/cli-token.' },
  sessionCookie: {
    type: 'apiKey' as const,
    in: 'cookie',
    name: 'orloj_session',
    description: 'Native login session (POST /v1/auth/login); __Host-orloj_session over HTTPS. Browsers send it by themselves.',
  },
};
/** Every operation needs one of them unless it says otherwise (auth: 'none' or 'session'). */
export const defaultSecurity: Record<string, string[]>[] = [{ bearerAuth: [] }, { sessionCookie: [] }];

const SECURITY = { none: [], session: [{ sessionCookie: [] }] };

/** The parsed example and its YAML text, shown for JSON and YAML request bodies. */
export interface BodyExample {
  object: Record<string, unknown>;
  yaml: string;
}

export function operation(opts: {
  tag: string;
  summary: string;
  parameters?: object[];
  body?: string;
  /** The body may be left out (decision verbs). */
  bodyOptional?: boolean;
  example?: BodyExample;
  /** Public routes ('none') and routes only a login session can call ('session'). */
  auth?: keyof typeof SECURITY;
  ok: Record<number, { description: string; schema?: string; content?: object }>;
  errors?: Record<number, string>;
}) {
  const responses: Record<string, object> = {};
  for (const [code, r] of Object.entries(opts.ok)) {
    responses[code] = { description: r.description, ...(r.schema ? { content: jsonContent(r.schema) } : r.content ? { content: r.content } : {}) };
  }
  for (const [code, d] of Object.entries(opts.errors ?? {})) responses[code] = errorResponse(d);
  const example = (value: unknown) => (opts.example ? { example: value } : {});
  return {
    tags: [opts.tag],
    summary: opts.summary,
    parameters: opts.parameters ?? [],
    ...(opts.auth ? { security: SECURITY[opts.auth] } : {}),
    ...(opts.body
      ? {
          requestBody: {
            required: !opts.bodyOptional,
            content: {
              'application/json': { schema: ref(opts.body), ...example(opts.example?.object) },
              'application/yaml': { schema: ref(opts.body), ...example(opts.example?.yaml) },
            },
          },
        }
      : {}),
    responses,
  };
}
