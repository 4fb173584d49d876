// Input is refused, never altered, over HTTP on a real server process: bytes that are not UTF-8,
// lone surrogates, integers out of range or past 2^53, forged statuses, oversized labels and
// annotations, and the object size limit that keeps every stored object sendable back.
import { describe, expect, test } from 'bun:test';
import { MAX_BODY_BYTES } from '../../src/api/body';
import { firstInvalidUtf8 } from '../../src/api/utf8';
import { MAX_OBJECT_BYTES } from '../../src/registry/registry';
import { serverForFile } from '../support/server-process';

const server = serverForFile('integrity');

const STATUS = { kind: 'Status', apiVersion: 'v1', status: 'Failure' };

async function send(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${server().url}${path}`, { method, body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}
const post = (plural: string, manifest: unknown) => send('POST', `/v1/${plural}`, JSON.stringify(manifest));
const invalid = (kind: string, name: string, causes: { field: string; message: string }[]) => ({
  ...STATUS,
  code: 400,
  reason: 'Invalid',
  message: `${kind}${name ? ` "${name}"` : ''} is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`,
  details: name ? { kind, name, causes } : { kind, causes },
});
const SURROGATE = 'must not contain a lone UTF-16 surrogate (\\ud800–\\udfff without its pair)';

describe('bodies that are not UTF-8', () => {
  test('are refused with 400 naming the offset of the first bad byte, and nothing is stored', async () => {
    const head = new TextEncoder().encode('{"metadata":{"name":"caf');
    const body = new Uint8Array([...head, 0xe9, ...new TextEncoder().encode('"},"spec":{"model_ref":"m"}}')]);
    const r = await send('POST', '/v1/agents', body);
    const message = `is not valid UTF-8 at byte offset ${head.length}`;
    expect(r).toEqual({ status: 400, text: r.text, json: { ...STATUS, code: 400, reason: 'BadRequest', message: `request body ${message}`, details: { causes: [{ field: '(body)', message }] } } });
    expect((await send('GET', '/v1/agents')).json.items).toEqual([]);
  });

  test('YAML bodies too; well-formed multi-byte text is stored as sent', async () => {
    // An encoded surrogate (ED A0 80) is not UTF-8 either.
    const head = new TextEncoder().encode('metadata: {name: x}\nspec: {prompt: "é');
    const bad = await send('POST', '/v1/agents', new Uint8Array([...head, 0xed, 0xa0, 0x80, 0x22, 0x7d]), { 'content-type': 'application/yaml' });
    expect([bad.status, bad.json.details.causes]).toEqual([400, [{ field: '(body)', message: `is not valid UTF-8 at byte offset ${head.length}` }]]);
    const ok = await post('agents', { metadata: { name: 'café-🪐' }, spec: { model_ref: 'm', prompt: 'naïve 🪐 ✓' } });
    expect([ok.status, ok.json.metadata.name, ok.json.spec.prompt]).toEqual([201, 'café-🪐', 'naïve 🪐 ✓']);
    expect((await send('DELETE', `/v1/agents/${encodeURIComponent('café-🪐')}`)).status).toBe(200);
  });

  test('the offset finder knows every ill-formed sequence', () => {
    const at = (...bytes: number[]) => firstInvalidUtf8(new Uint8Array(bytes));
    expect([at(0x61, 0xc3, 0xa9), at(0xf0, 0x9f, 0xaa, 0x90)]).toEqual([-1, -1]);
    expect(at(0x61, 0x80)).toBe(1); // stray continuation byte
    expect(at(0xc0, 0xaf)).toBe(0); // overlong "/"
    expect(at(0xe0, 0x80, 0xaf)).toBe(0); // overlong three-byte form
    expect(at(0x61, 0xed, 0xa0, 0x80)).toBe(1); // an encoded surrogate
    expect(at(0xf4, 0x90, 0x80, 0x80)).toBe(0); // past U+10FFFF
    expect(at(0x61, 0x62, 0xe2, 0x82)).toBe(2); // cut short
    expect(at(0xe2, 0x28, 0xa1)).toBe(0); // bad continuation
    expect(at(0xff)).toBe(0);
  });
});

describe('lone surrogates', () => {
  test('two different invalid names are refused, not folded into one "\\ufffd" object', async () => {
    for (const name of ['\ud800', 'a\udfff']) {
      const r = await post('agents', { metadata: { name }, spec: { model_ref: 'm' } });
      expect(r.json).toEqual(invalid('Agent', name, [{ field: 'metadata.name', message: SURROGATE }]));
      // The error body itself is ASCII-escaped JSON, so it holds no lone surrogate either.
      expect(r.text).toContain('\\ud');
    }
    expect((await send('GET', '/v1/agents')).json.items).toEqual([]);
  });

  test('namespaces, label keys and values, annotation keys, spec strings and ignored statuses are refused too', async () => {
    const r = await post('agents', {
      metadata: { name: 'a', namespace: 'n\ud801', labels: { 'k\udc00': 'v', ok: 'x\ud802' }, annotations: { 'note\ud803': 'fine' } },
      spec: { model_ref: 'm', prompt: 'p\ud804', tools: ['t', '\udbff'] },
      status: { phase: '\ud805' },
    });
    expect(r.status).toBe(400);
    expect(r.json.details.causes.filter((c: { message: string }) => c.message.endsWith(SURROGATE))).toEqual([
      { field: 'metadata.namespace', message: SURROGATE },
      { field: 'metadata.labels["k\\udc00"]', message: `key ${SURROGATE}` },
      { field: 'metadata.labels.ok', message: SURROGATE },
      { field: 'metadata.annotations["note\\ud803"]', message: `key ${SURROGATE}` },
      { field: 'spec.prompt', message: SURROGATE },
      { field: 'spec.tools[1]', message: SURROGATE },
      { field: 'status.phase', message: SURROGATE },
    ]);
  });
});

describe('integer fields', () => {
  test('take whole, exact numbers in their range; 1e308, 2^53 + 1, 1.5 and "10" are refused on the field', async () => {
    const message = 'must be a whole number from 1 to 2147483647';
    for (const bad of ['1e308', '9007199254740993', '123456789012345678901234567890', '1.5', '"10"', '2147483648']) {
      const r = await send('POST', '/v1/agents', `{"metadata":{"name":"n"},"spec":{"model_ref":"m","limits":{"max_steps":${bad}}}}`);
      expect([bad, r.json]).toEqual([bad, invalid('Agent', 'n', [{ field: 'spec.limits.max_steps', message }])]);
    }
    const pct = await post('agent-systems', { metadata: { name: 's' }, spec: { agents: ['a', 'b'], graph: { a: { join: { mode: 'quorum', quorum_percent: 1e308 } } } } });
    expect(pct.json.details.causes).toEqual([{ field: 'spec.graph.a.join.quorum_percent', message: 'must be a whole number from 0 to 100' }]);
    // Orloj's rules for non-positive values still apply: they take the default.
    const ok = await post('agents', { metadata: { name: 'n' }, spec: { model_ref: 'm', limits: { max_steps: -1 } } });
    expect([ok.status, ok.json.spec.limits.max_steps]).toEqual([201, 10]);
    const top = await post('agents', { metadata: { name: 'top' }, spec: { model_ref: 'm', limits: { max_steps: 2147483647 } } });
    expect([top.status, top.json.spec.limits.max_steps]).toEqual([201, 2147483647]);
  });
});

describe('status on spec writes', () => {
  test('a create ignores the status in the body; only PUT …/status writes it, and refuses unknown fields', async () => {
    const forged = { phase: 'Ready', lastError: '', extra: { by: 'me' } };
    const created = await post('agents', { metadata: { name: 'forge' }, spec: { model_ref: 'm' }, status: forged });
    expect([created.status, created.json.status]).toEqual([201, { phase: 'Pending' }]);
    const read = await send('GET', '/v1/agents/forge');
    expect(read.json.status).toEqual({ phase: 'Pending' });
    // PUT of the main resource ignores it as well, and so does an apply of the existing object.
    const put = await send('PUT', '/v1/agents/forge', JSON.stringify({ ...read.json, status: forged }));
    expect([put.status, put.json.status, put.json.metadata.resourceVersion]).toEqual([200, { phase: 'Pending' }, read.json.metadata.resourceVersion]);
    expect((await post('agents', { ...read.json, status: forged })).json.status).toEqual({ phase: 'Pending' });
    const extra = await send('PUT', '/v1/agents/forge/status', JSON.stringify({ status: forged }), { 'if-match': '*' });
    expect(extra.json).toEqual(invalid('Agent', 'forge', [{ field: 'status.extra', message: 'unknown field' }]));
    const lone = await send('PUT', '/v1/agents/forge/status', JSON.stringify({ status: { phase: 'Ready', lastError: 'x\udc00' } }), { 'if-match': '*' });
    expect(lone.json).toEqual(invalid('Agent', 'forge', [{ field: 'status.lastError', message: SURROGATE }]));
    const ok = await send('PUT', '/v1/agents/forge/status', JSON.stringify({ status: { phase: 'Ready' } }), { 'if-match': '*' });
    expect([ok.status, ok.json.status]).toEqual([200, { phase: 'Ready', observedGeneration: 1 }]);
    const big = await send('PUT', '/v1/agents/forge/status', JSON.stringify({ status: { phase: 'Ready', observedGeneration: 2 ** 53 + 1 } }), { 'if-match': '*' });
    expect(big.json.details.causes).toEqual([{ field: 'status.observedGeneration', message: 'must be a whole number from 0 to 9007199254740991' }]);
  });
});

describe('labels and annotations', () => {
  test('a 400-character label key and a 70,000-character value are refused, each on its key', async () => {
    const key = 'k'.repeat(400);
    const r = await post('agents', { metadata: { name: 'l', labels: { [key]: 'v'.repeat(70_000) } }, spec: { model_ref: 'm' } });
    expect(r.json.details.causes).toEqual([
      { field: `metadata.labels.${key}`, message: 'key name must be at most 63 characters' },
      { field: `metadata.labels.${key}`, message: 'value must be at most 63 characters' },
    ]);
  });

  test('the Kubernetes rules: prefix/name keys, value characters, annotation total size', async () => {
    const labels = {
      'app.kubernetes.io/name': 'web',
      'orloj.dev/worker': 'true',
      empty: '',
      'Bad_Prefix/x': 'ok',
      '-dash': 'ok',
      'a/': 'ok',
      spaced: 'two words',
    };
    const r = await post('agents', { metadata: { name: 'l', labels, annotations: { 'example.com/a': 'x'.repeat(200 * 1024), b: 'y'.repeat(60 * 1024), 'no good': '' } }, spec: { model_ref: 'm' } });
    expect(r.json.details.causes).toEqual([
      { field: 'metadata.labels["Bad_Prefix/x"]', message: 'key prefix must be a DNS subdomain (lower-case alphanumerics, "-" and ".", e.g. example.com)' },
      { field: 'metadata.labels["-dash"]', message: 'key name must be alphanumerics, "-", "_" and ".", starting and ending with an alphanumeric' },
      { field: 'metadata.labels["a/"]', message: 'key name (after any prefix/) must not be empty' },
      { field: 'metadata.labels.spaced', message: 'value must be empty or alphanumerics, "-", "_" and ".", starting and ending with an alphanumeric' },
      { field: 'metadata.annotations["no good"]', message: 'key name must be alphanumerics, "-", "_" and ".", starting and ending with an alphanumeric' },
      { field: 'metadata.annotations', message: `must hold at most 262144 bytes of keys and values in total (holds ${13 + 200 * 1024 + 1 + 60 * 1024 + 7})` },
    ]);
    const ok = await post('agents', { metadata: { name: 'l', labels: { 'app.kubernetes.io/name': 'web', empty: '' }, annotations: { note: 'any text at all: spaces, ünïcode, 🪐' } }, spec: { model_ref: 'm' } });
    expect(ok.status).toBe(201);
  });
});

describe('object size', () => {
  test('the stored-object limit leaves room under the request limit', () => {
    expect(MAX_BODY_BYTES - MAX_OBJECT_BYTES).toBe(64 * 1024);
  });

  test('a large object round-trips: what was stored can be read, sent back unchanged, and is a no-op', async () => {
    const prompt = 'p'.repeat(MAX_OBJECT_BYTES - 1024);
    const created = await post('agents', { metadata: { name: 'big' }, spec: { model_ref: 'm', prompt } });
    expect(created.status).toBe(201);
    const read = await send('GET', '/v1/agents/big');
    expect(read.text.length).toBeLessThan(MAX_BODY_BYTES);
    const again = await send('POST', '/v1/agents', read.text);
    expect([again.status, again.json]).toEqual([200, read.json]);
    const put = await send('PUT', '/v1/agents/big', read.text);
    expect([put.status, put.json]).toEqual([200, read.json]);
    expect((await send('DELETE', '/v1/agents/big')).status).toBe(200);
  });

  test('a body under 4 MiB whose stored object (defaults included) would pass the limit is refused with 413 at create', async () => {
    const body = JSON.stringify({ metadata: { name: 'huge' }, spec: { model_ref: 'm', prompt: 'p'.repeat(MAX_BODY_BYTES - 4096) } });
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    const r = await send('POST', '/v1/agents', body);
    expect(r.status).toBe(413);
    expect(r.json).toEqual({
      ...STATUS,
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: expect.stringMatching(/^Agent "huge" would be \d+ bytes as stored \(with defaults\); the limit is 4128768, so that it can be read and sent back within the 4 MiB request limit$/),
      details: { kind: 'agents', name: 'huge' },
    });
    expect((await send('GET', '/v1/agents/huge')).status).toBe(404);
  });
});
