// The OpenAPI document at /swagger/json: an example for every kind that really applies, read-only
// server fields, the security schemes behind Swagger UI's Authorize button, and a request schema
// on every write operation that takes a body.
import { describe, expect, test } from 'bun:test';
import { parse } from 'yaml';
import { parseEnvTokens } from '../../src/auth/env-tokens';
import { kinds } from '../../src/resources';
import { testApp } from '../support/app';

const WRITE_METHODS = ['post', 'put', 'patch'];

/** Write operations that take no request body, and why. Anything else without one fails. */
const BODYLESS: Record<string, string> = {
  'post /v1/auth/logout': 'ends the session named by the cookie; there is nothing to send',
  'post /v1/tasks/{name}/cancel': 'the verb in the path is the whole request; the caller is the one who cancelled',
  'post /v1/task-schedules/{name}/trigger': 'the verb in the path is the whole request; the run is made from the schedule\'s template',
};

/** Operations anyone may call: no credential is asked for. */
const PUBLIC = ['get /healthz', 'get /readyz', 'get /v1/auth/config', 'post /v1/auth/setup', 'post /v1/auth/login', 'post /v1/auth/logout', 'get /v1/auth/me', 'post /v1/auth/cli-token', 'post /v1/webhook-deliveries/{endpoint_id}'];

async function openapi() {
  const ctx = testApp();
  const r = await ctx.call('GET', '/swagger/json');
  expect(r.status).toBe(200);
  return { ...ctx, doc: r.json };
}

function operations(doc: any): [string, any][] {
  return Object.entries<any>(doc.paths).flatMap(([path, ops]) => Object.entries<any>(ops).map(([method, op]): [string, any] => [`${method} ${path}`, op]));
}

describe('examples', () => {
  test('every kind has an example, on its schema and on its create, apply and replace bodies', async () => {
    const { doc } = await openapi();
    for (const def of kinds) {
      const example = doc.components.schemas[def.kind].example;
      expect(example, def.kind).toMatchObject({ apiVersion: 'orloj.dev/v1', kind: def.kind, metadata: { name: expect.any(String) }, spec: expect.any(Object) });
      const writes = [doc.paths[`/v1/${def.plural}`].post, ...(def.allowPut === false ? [] : [doc.paths[`/v1/${def.plural}/{name}`].put])];
      for (const op of writes) {
        expect(op.requestBody.content['application/json'].example, def.kind).toEqual(example);
        expect(parse(op.requestBody.content['application/yaml'].example), def.kind).toEqual(example);
      }
    }
  });

  test('every example applies through the API, as YAML and as JSON', async () => {
    const { doc, call } = await openapi();
    const failures: string[] = [];
    for (const def of kinds) {
      const post = doc.paths[`/v1/${def.plural}`].post.requestBody.content;
      const namespace = post['application/json'].example.metadata.namespace ?? 'default';
      const asYaml = await call('POST', `/v1/${def.plural}?namespace=${namespace}`, post['application/yaml'].example, { 'content-type': 'application/yaml' });
      if (asYaml.status !== 201) failures.push(`${def.kind} as YAML: ${asYaml.status} ${asYaml.text}`);
      const asJson = await call('POST', `/v1/${def.plural}?namespace=${namespace}`, post['application/json'].example);
      if (asJson.status !== 200) failures.push(`${def.kind} as JSON: ${asJson.status} ${asJson.text}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('read-only fields', () => {
  test('server-owned metadata is readOnly, the rest of metadata is not', async () => {
    const { doc } = await openapi();
    const props = doc.components.schemas.ObjectMeta.properties;
    const readOnly = Object.keys(props).filter((k) => props[k].readOnly === true);
    expect(readOnly.sort()).toEqual(['createdAt', 'generation', 'resourceVersion', 'uid']);
  });

  test("a kind's status is readOnly on its object, and writable on the status body", async () => {
    const { doc } = await openapi();
    for (const def of kinds) {
      expect(doc.components.schemas[def.kind].properties.status.readOnly, def.kind).toBe(true);
      expect(doc.components.schemas[def.kind].properties.spec.readOnly, def.kind).toBeUndefined();
      expect(doc.components.schemas[`${def.kind}Status`].properties.status.readOnly, def.kind).toBeUndefined();
    }
  });

  test('the schemas that validate writes are not changed by the document', () => {
    for (const def of kinds) expect((def.status as any).readOnly, def.kind).toBeUndefined();
  });
});

describe('security', () => {
  test('bearer and session schemes, required by default; public operations ask for nothing', async () => {
    const { doc, app } = await openapi();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'orloj_session' });
    expect(doc.security).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }]);
    const open = operations(doc).filter(([, op]) => Array.isArray(op.security) && op.security.length === 0).map(([key]) => key);
    expect(open.sort()).toEqual([...PUBLIC].sort());
    expect(doc.paths['/v1/auth/change-password'].post.security).toEqual([{ sessionCookie: [] }]);
    // The document never calls a route public that the server guards.
    for (const key of PUBLIC) {
      const [method, path] = key.split(' ');
      const route = app.routes.routes.find((r) => r.method === method.toUpperCase() && r.path.replace(/:(\w+)/g, '{$1}') === path);
      expect(route?.required, key).toBe('none');
    }
  });

  test('public operations answer without a credential while tokens guard the rest', async () => {
    const { call } = testApp({ auth: { envTokens: parseEnvTokens({ ORLOJ_API_TOKEN: 'secret-token-value' }).tokens } });
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/v1/auth/me')).status).toBe(200);
    expect((await call('GET', '/v1/agents')).status).toBe(401);
    expect((await call('GET', '/v1/agents', undefined, { authorization: 'Bearer secret-token-value' })).status).toBe(200);
  });
});

describe('request bodies', () => {
  test('every write operation has a request schema, except the listed bodyless ones', async () => {
    const { doc } = await openapi();
    const missing: string[] = [];
    const exempt: string[] = [];
    for (const [key, op] of operations(doc)) {
      if (!WRITE_METHODS.includes(key.split(' ')[0])) continue;
      const schemas = Object.values<any>(op.requestBody?.content ?? {}).map((c) => c.schema);
      if (key in BODYLESS) {
        exempt.push(key);
        expect(op.requestBody, key).toBeUndefined();
      } else if (!schemas.length || schemas.some((s) => !s)) missing.push(key);
    }
    expect(missing).toEqual([]);
    // The exemptions name real operations, so the list cannot silently outlive them.
    expect(exempt.sort()).toEqual(Object.keys(BODYLESS).sort());
  });

  test('approval decisions: an optional ApprovalDecision body whose example is accepted', async () => {
    const { doc } = await openapi();
    // One clock for the registry and the routes, so the approval has not expired when decided.
    const { call } = testApp({ clock: { now: () => new Date('2026-01-02T03:04:05Z') } });
    const verbs = ['tool-approvals/{name}/approve', 'tool-approvals/{name}/deny', 'task-approvals/{name}/approve', 'task-approvals/{name}/deny', 'task-approvals/{name}/request-changes'];
    const schema = doc.components.schemas.ApprovalDecision;
    expect(Object.keys(schema.properties).sort()).toEqual(['comment', 'decidedBy', 'decided_by', 'reason']);
    expect(schema.additionalProperties).toBe(false);
    for (const path of verbs) {
      const op = doc.paths[`/v1/${path}`].post;
      expect(op.requestBody.required, path).toBe(false);
      expect(op.requestBody.content['application/json'].schema, path).toEqual({ $ref: '#/components/schemas/ApprovalDecision' });
      expect(Object.keys(op.responses).sort(), path).toEqual(['200', '400', '401', '403', '404', '409']);
    }
    const example = doc.paths['/v1/task-approvals/{name}/request-changes'].post.requestBody.content;
    await call('POST', '/v1/task-approvals', { metadata: { name: 'r' }, spec: { task_ref: 't', checkpoint_id: 'c' } });
    const asYaml = await call('POST', '/v1/task-approvals/r/request-changes', example['application/yaml'].example, { 'content-type': 'application/yaml' });
    expect(asYaml.status).toBe(200);
    expect(asYaml.json.status).toMatchObject(example['application/json'].example);
  });

  test('every schema reference in the document resolves to a component', async () => {
    const { doc } = await openapi();
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) k === '$ref' && typeof x === 'string' ? refs.add(x) : walk(x);
      }
    };
    walk(doc);
    const unresolved = [...refs].filter((r) => !doc.components.schemas[r.replace('#/components/schemas/', '')]);
    expect(unresolved).toEqual([]);
  });
});
