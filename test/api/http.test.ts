// HTTP conventions shared by every route: bodies, content types, errors, cluster endpoints.
import { describe, expect, test } from 'bun:test';
import { kinds } from '../../src/resources';
import { testApp } from '../support/app';
import { TEST_STORE } from '../support/backend';

/** Verbs that take no request body. */
const BODYLESS = new Set(['logout', 'cancel', 'trigger']);
const agent = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'orloj.dev/v1', kind: 'Agent', metadata: { name, ...extra }, spec: { model_ref: 'm' } });

describe('request bodies', () => {
  test('a body over 4 MiB is refused with 413 whether or not Content-Length is sent', async () => {
    const { app } = testApp();
    const big = JSON.stringify({ ...agent('big'), spec: { model_ref: 'm', prompt: 'x'.repeat(4 * 1024 * 1024) } });
    const withLength = await app.handle(new Request('http://localhost/v1/agents', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } }));
    expect(withLength.status).toBe(413);
    expect(((await withLength.json()) as any).reason).toBe('RequestEntityTooLarge');
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const chunked = await app.handle(new Request('http://localhost/v1/agents', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' } }));
    expect(chunked.status).toBe(413);
  });

  test('Content-Type: JSON and the YAML types are accepted, others get 415, missing is sniffed', async () => {
    const { call } = testApp();
    for (const [i, type] of ['application/json; charset=utf-8', 'application/yaml', 'application/x-yaml', 'text/yaml'].entries()) {
      const body = type.includes('json') ? JSON.stringify(agent(`a${i}`)) : `metadata:\n  name: a${i}\nspec:\n  model_ref: m\n`;
      expect((await call('POST', '/v1/agents', body, { 'content-type': type })).status).toBe(201);
    }
    const unsupported = await call('POST', '/v1/agents', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(unsupported.status).toBe(415);
    expect(unsupported.json.reason).toBe('UnsupportedMediaType');
    expect((await call('POST', '/v1/agents', JSON.stringify(agent('sniff-json')))).status).toBe(201);
    expect((await call('POST', '/v1/agents', 'metadata: {name: sniff-yaml}\nspec: {model_ref: m}\n')).status).toBe(201);
  });

  test('malformed, empty, multi-document and non-object bodies are 400 with a message', async () => {
    const { call } = testApp();
    const bad = await call('POST', '/v1/agents', '{"metadata":', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toStartWith('request body is not valid JSON');
    const yaml = await call('POST', '/v1/agents', 'metadata:\n  name: [unclosed\n', { 'content-type': 'application/yaml' });
    expect(yaml.status).toBe(400);
    expect(yaml.json.message).toContain('not valid YAML');
    const empty = await call('POST', '/v1/agents', '', { 'content-type': 'application/json' });
    expect(empty.status).toBe(400);
    expect(empty.json.message).toBe('request body is required');
    const multi = await call('POST', '/v1/agents', 'metadata: {name: a}\n---\nmetadata: {name: b}\n', { 'content-type': 'application/yaml' });
    expect(multi.status).toBe(400);
    expect(multi.json.message).toContain('2 YAML documents');
    const list = await call('POST', '/v1/agents', '[1,2]', { 'content-type': 'application/json' });
    expect(list.status).toBe(400);
  });

  test('envelope problems are all listed: apiVersion, kind, name, namespace mismatch, labels', async () => {
    const { call } = testApp();
    const r = await call('POST', '/v1/agents?namespace=team', {
      apiVersion: 'v2',
      kind: 'Tool',
      metadata: { name: 'status', namespace: 'other', labels: { a: 1 } },
      spec: { model_ref: 5 },
      extra: true,
    });
    expect(r.status).toBe(400);
    expect(r.json.details.causes).toEqual([
      { field: 'extra', message: 'unknown field' },
      { field: 'apiVersion', message: 'must be "orloj.dev/v1"' },
      { field: 'kind', message: 'must be "Agent" for /v1/agents' },
      { field: 'metadata.name', message: '"status" is reserved for sub-resource routes' },
      { field: 'metadata.namespace', message: '"other" differs from ?namespace=team' },
      { field: 'metadata.labels.a', message: 'must be a string' },
      { field: 'spec.model_ref', message: 'expected string' },
    ]);
  });

  test('names: 253 characters at most, no whitespace, no leading dot', async () => {
    const { call } = testApp();
    expect((await call('POST', '/v1/agents', agent('x'.repeat(253)))).status).toBe(201);
    for (const name of ['x'.repeat(254), 'a b', '.hidden', 'tab\tname', 'a/b', '']) {
      const r = await call('POST', '/v1/agents', agent(name));
      expect(r.status).toBe(400);
      expect(r.json.details.causes[0].field).toBe('metadata.name');
    }
  });

  test('kind is matched case-insensitively and apiVersion/kind may be omitted', async () => {
    const { call } = testApp();
    expect((await call('POST', '/v1/agents', { ...agent('a'), kind: 'agent' })).status).toBe(201);
    expect((await call('POST', '/v1/agents', { metadata: { name: 'b' }, spec: { model_ref: 'm' } })).status).toBe(201);
  });
});

describe('routes and errors', () => {
  test('unknown routes are 404 and wrong methods 405, always in the Status shape', async () => {
    const { call } = testApp();
    const nf = await call('GET', '/v1/nothing-here');
    expect(nf.status).toBe(404);
    expect(nf.json).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
    const patch = await call('PATCH', '/v1/agents/x', {});
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('GET, PUT, DELETE');
    const del = await call('DELETE', '/v1/agents');
    expect(del.status).toBe(405);
    expect(del.json.reason).toBe('MethodNotAllowed');
  });

  test('the resourceVersion is one global revision across kinds', async () => {
    const { call } = testApp();
    expect((await call('POST', '/v1/agents', agent('a'))).json.metadata.resourceVersion).toBe('1');
    const tool = await call('POST', '/v1/tools', { metadata: { name: 't' }, spec: { type: 'http', endpoint: 'http://127.0.0.1/x' } });
    expect(tool.json.metadata.resourceVersion).toBe('2');
    expect((await call('DELETE', '/v1/agents/a')).status).toBe(200);
    expect((await call('POST', '/v1/agents', agent('b'))).json.metadata.resourceVersion).toBe('4');
  });
});

describe('cluster endpoints', () => {
  test('healthz and readyz', async () => {
    const { call } = testApp();
    expect((await call('GET', '/healthz')).json.status).toBe('ok');
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok' } });
  });

  // Looks inside the SQLite file: the PostgreSQL side is covered in test/store/*-contract.test.ts.
  test.skipIf(TEST_STORE === 'postgres')('readyz answers 503 when the database cannot be written', async () => {
    const { call, handle } = testApp();
    handle.sqlite.exec('DROP TABLE meta');
    const r = await call('GET', '/readyz');
    expect(r.status).toBe(503);
    expect(r.json.reason).toBe('ServiceUnavailable');
  });

  test('namespaces lists those in use, default when empty', async () => {
    const { call } = testApp();
    expect((await call('GET', '/v1/namespaces')).json).toEqual({ namespaces: ['default'] });
    await call('POST', '/v1/agents?namespace=zeta', agent('a'));
    await call('POST', '/v1/tools?namespace=alpha', { metadata: { name: 't' }, spec: { type: 'http', endpoint: 'http://127.0.0.1/x' } });
    expect((await call('GET', '/v1/namespaces')).json).toEqual({ namespaces: ['alpha', 'zeta'] });
  });

  test('capabilities: what is built is on (roles and MCP included), what is not (grpc, isolation) is off', async () => {
    const { call } = testApp();
    const r = await call('GET', '/v1/capabilities');
    const byId = Object.fromEntries(r.json.capabilities.map((c: any) => [c.id, c.enabled]));
    expect(byId['core.api.crud']).toBe(true);
    expect(byId['core.runtime.message_driven']).toBe(true);
    expect(byId['runtime.tools.http']).toBe(true);
    expect(byId['runtime.tools.webhook_callback']).toBe(true);
    expect(byId['runtime.tools.mcp']).toBe(true);
    expect(byId['core.runtime.mcp_servers']).toBe(true);
    expect(byId['runtime.tools.grpc']).toBe(false);
    expect(byId['runtime.tools.isolation']).toBe(false);
    expect(byId['core.governance.agent_roles']).toBe(true);
    expect(typeof r.json.generated_at).toBe('string');
  });

  test('metrics count requests by route and code, and objects per kind', async () => {
    const { call } = testApp();
    await call('POST', '/v1/agents', agent('a'));
    await call('GET', '/v1/agents/missing');
    const m = (await call('GET', '/metrics')).text;
    expect(m).toContain('orrery_http_requests_total{method="POST",route="/v1/agents",code="201"} 1');
    expect(m).toContain('orrery_http_requests_total{method="GET",route="/v1/agents/:name",code="404"} 1');
    expect(m).toContain('orrery_objects_by_phase{kind="Agent",phase="Pending"} 1');
    expect(m).toContain('orrery_http_request_duration_seconds_count{method="POST",route="/v1/agents",code="201"} 1');
    expect(m).toContain('orrery_objects{kind="Agent"} 1');
    expect(m).toContain('orrery_objects{kind="Tool"} 0');
  });

  test('swagger documents every route with request and response schemas, one tag per kind', async () => {
    const { call, app } = testApp();
    const ui = await call('GET', '/swagger');
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toContain('text/html');
    expect(ui.text).toContain('/swagger/assets/swagger-ui-bundle.js');
    expect(ui.text).not.toContain('unpkg.com');
    const bundle = await app.handle(new Request('http://localhost/swagger/assets/swagger-ui-bundle.js'));
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect((await call('GET', '/swagger/assets/nope.js')).status).toBe(404);
    const doc = (await call('GET', '/swagger/json')).json;
    expect(doc.components.schemas.Status.properties.causes ?? doc.components.schemas.Status.properties.details).toBeDefined();
    for (const r of app.routes.routes) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op.tags).toEqual([r.tag]);
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      if ((r.method === 'POST' || r.method === 'PUT') && !BODYLESS.has(r.action)) expect(op.requestBody.content['application/json'].schema.$ref).toBeDefined();
    }
    for (const k of kinds) {
      expect(doc.components.schemas[k.kind]).toBeDefined();
      expect(doc.tags.map((t: any) => t.name)).toContain(k.plural);
    }
  });
});

describe('list and precondition details', () => {
  test('Tasks accept the deprecated offset when after is absent', async () => {
    const { call } = testApp();
    for (const n of ['t1', 't2', 't3', 't4', 't5']) await call('POST', '/v1/tasks', { metadata: { name: n }, spec: { system: 's' } });
    const page = await call('GET', '/v1/tasks?offset=2&limit=2');
    expect(page.json.items.map((o: any) => o.metadata.name)).toEqual(['t3', 't4']);
    const withAfter = await call('GET', '/v1/tasks?offset=2&after=default/t1&limit=2');
    expect(withAfter.json.items.map((o: any) => o.metadata.name)).toEqual(['t2', 't3']);
    expect((await call('GET', '/v1/tasks?offset=-1')).status).toBe(400);
    expect((await call('GET', '/v1/agents?limit=0')).status).toBe(400);
    expect((await call('GET', '/v1/agents?limit=5000')).status).toBe(200);
  });

  test('apply of a new object accepts resourceVersion "0" and refuses any other', async () => {
    const { call } = testApp();
    expect((await call('POST', '/v1/agents', agent('zero', { resourceVersion: '0' }))).status).toBe(201);
    const r = await call('POST', '/v1/agents', agent('five', { resourceVersion: '5' }));
    expect(r.status).toBe(409);
    expect((await call('GET', '/v1/agents/five')).status).toBe(404);
  });

  test('If-Match * means the current version; header and body must agree', async () => {
    const { call } = testApp();
    await call('POST', '/v1/agents', agent('a'));
    const star = await call('PUT', '/v1/agents/a', { ...agent('a'), spec: { model_ref: 'n' } }, { 'if-match': '*' });
    expect(star.status).toBe(200);
    const disagree = await call('PUT', '/v1/agents/a', { ...agent('a', { resourceVersion: '2' }), spec: { model_ref: 'o' } }, { 'if-match': '"1"' });
    expect(disagree.status).toBe(409);
    expect(disagree.json.message).toBe('If-Match "1" and metadata.resourceVersion "2" disagree');
  });

  test('a PUT of an identical object writes nothing and keeps the version', async () => {
    const { call } = testApp();
    const created = await call('POST', '/v1/agents', agent('a', { labels: { x: 'y' } }));
    const same = await call('PUT', '/v1/agents/a', agent('a', { labels: { x: 'y' } }), { 'if-match': '1' });
    expect(same.status).toBe(200);
    expect(same.json).toEqual(created.json);
    const relabel = await call('PUT', '/v1/agents/a', agent('a', { labels: { x: 'z' } }), { 'if-match': '1' });
    expect(relabel.json.metadata).toMatchObject({ resourceVersion: '2', generation: 1, labels: { x: 'z' } });
  });
});

describe('hostile input is refused with 400, never stored half or answered 500', () => {
  test('__proto__ keys are refused wherever they appear', async () => {
    const { call } = testApp();
    const labels = await call('POST', '/v1/agents', '{"metadata":{"name":"a","labels":{"__proto__":"x","ok":"y"}},"spec":{"model_ref":"m"}}', { 'content-type': 'application/json' });
    expect(labels.status).toBe(400);
    expect(labels.json.details.causes).toEqual([{ field: 'metadata.labels.__proto__', message: 'is not an allowed key' }]);
    const secret = await call('POST', '/v1/secrets', 'metadata: {name: s}\nspec:\n  stringData:\n    __proto__: hunter2\n', { 'content-type': 'application/yaml' });
    expect(secret.status).toBe(400);
    expect(secret.text).not.toContain('hunter2');
    expect((await call('GET', '/v1/secrets/s')).status).toBe(404);
  });

  test('YAML 1.1 ordered maps, sets and timestamps are refused rather than emptied', async () => {
    const { call } = testApp();
    const omap = await call('POST', '/v1/agent-systems', '%YAML 1.1\n---\nmetadata: {name: y}\nspec: !!omap\n  - agents: [a]\n', { 'content-type': 'application/yaml' });
    expect(omap.status).toBe(400);
    expect(omap.json.details.causes[0]).toEqual({ field: 'spec', message: 'is an ordered map (!!omap/!!pairs); only JSON values are accepted' });
    const set = await call('POST', '/v1/agents', '%YAML 1.1\n---\nmetadata: {name: y}\nspec: {model_ref: m, tools: !!set {a, b}}\n', { 'content-type': 'application/yaml' });
    expect(set.status).toBe(400);
    expect((await call('GET', '/v1/agent-systems/y')).status).toBe(404);
  });

  test('alias bombs, deep nesting and huge schemas get 400', async () => {
    const { call } = testApp();
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]'].join('\n');
    const r1 = await call('POST', '/v1/agents', bomb, { 'content-type': 'application/yaml' });
    expect(r1.status).toBe(400);
    const deep = `{"metadata":{"name":"d"},"spec":{"model_ref":"m"},"status":${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}}`;
    const r2 = await call('POST', '/v1/agents', deep, { 'content-type': 'application/json' });
    expect(r2.status).toBe(400);
    expect(r2.json.details.causes[0].message).toBe('nests deeper than 64 levels');
    const huge = JSON.stringify({ metadata: { name: 'h' }, spec: { model_ref: 'm', execution: { output_schema: { type: 'string', enum: Array.from({ length: 400_000 }, (_, i) => i) } } } });
    const r3 = await call('POST', '/v1/agents', huge, { 'content-type': 'application/json' });
    expect(r3.status).toBe(400);
    expect(r3.json.details.causes).toEqual([{ field: 'spec.execution.output_schema', message: 'must be at most 64 KiB' }]);
  });

  test('parse errors never quote the body, which may hold a secret', async () => {
    const { call } = testApp();
    const json = await call('POST', '/v1/secrets', '{"metadata":{"name":"s"},"spec":{"stringData":{"k": hunter2SECRET}}}', { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(json.text).not.toContain('hunter2SECRET');
    const yaml = await call('POST', '/v1/secrets', 'metadata: {name: s}\nspec:\n  stringData:\n    k: "hunter2SECRET\n', { 'content-type': 'application/yaml' });
    expect(yaml.status).toBe(400);
    expect(yaml.text).not.toContain('hunter2SECRET');
  });

  test('invisible and control characters are refused in names; malformed URL escapes are 400', async () => {
    const { call } = testApp();
    for (const name of ['a\u0085b', 'a\u200bb', 'a\u202eb', 'a\ufeffb']) {
      const r = await call('POST', '/v1/agents', agent(name));
      expect(r.status).toBe(400);
    }
    const bad = await call('GET', '/v1/agents/%zz');
    expect(bad.status).toBe(400);
    expect(bad.json.reason).toBe('BadRequest');
  });

  test('status writes refuse unknown fields and a non-string resourceVersion, and accept a whole object', async () => {
    const { call } = testApp();
    const created = await call('POST', '/v1/agents', agent('a'));
    const typo = await call('PUT', '/v1/agents/a/status', { statsu: { phase: 'Ready' }, status: {} }, { 'if-match': '1' });
    expect(typo.status).toBe(400);
    expect(typo.json.details.causes).toEqual([{ field: 'statsu', message: 'unknown field' }]);
    const badRv = await call('PUT', '/v1/agents/a/status', { metadata: { resourceVersion: {} }, status: {} });
    expect(badRv.status).toBe(400);
    const whole = await call('PUT', '/v1/agents/a/status', { ...created.json, status: { phase: 'Ready' } });
    expect(whole.status).toBe(200);
    expect(whole.json.status.phase).toBe('Ready');
  });
});
