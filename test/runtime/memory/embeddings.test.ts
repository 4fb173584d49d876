// Embeddings through a real OpenAI-wire /embeddings server on port 0, the mock endpoint's local
// vectors, and the sqlite backend's hybrid ranking (keyword + cosine).
import { afterAll, describe, expect, test } from 'bun:test';
import { silentLogger } from '../../../src/log';
import { createMemoryBackends } from '../../../src/runtime/memory/backends';
import { cosine, createEmbedder, hashedEmbedding } from '../../../src/runtime/memory/embeddings';
import { MemoryError } from '../../../src/runtime/memory/types';
import type { EndpointConfig } from '../../../src/runtime/models/types';
import { openDatabase } from '../../../src/store/database';
import { MemoryEntryStore } from '../../../src/store/memory-entries';
import { systemClock } from '../../../src/util/time';

const KEY = 'sk-embeddings-test-key-0123456789';
/** Two concepts: vehicles and food; every other word counts for nothing. */
const CONCEPTS: Record<string, number> = { car: 0, automobile: 0, maintenance: 0, engine: 0, food: 1, cooking: 1, stalls: 1, recipes: 1 };
const requests: { auth: string | null; body: any }[] = [];

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(req) {
    const body = (await req.json()) as any;
    requests.push({ auth: req.headers.get('authorization'), body });
    if (new URL(req.url).pathname !== '/v1/embeddings') return Response.json({ error: { message: 'no such route' } }, { status: 404 });
    if (body.model === 'broken') return Response.json({ error: { message: `quota exceeded for ${KEY}` } }, { status: 429 });
    const vectorOf = (text: string) => {
      const v = [0, 0];
      for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) if (w in CONCEPTS) v[CONCEPTS[w]] += 1;
      return v;
    };
    // Answered in reverse order: the client must place them by index.
    const data = (body.input as string[]).map((t, index) => ({ object: 'embedding', index, embedding: vectorOf(t) })).reverse();
    return Response.json({ object: 'list', data, model: body.model });
  },
});
afterAll(() => server.stop(true));

const endpoint = (model = 'embed-small'): EndpointConfig => ({ provider: 'openai', base_url: `${server.url.origin}/v1`, default_model: model, apiKey: KEY, name: 'default/embedder' });
const opts = { fetch, clock: systemClock, egress: {}, timeoutMs: 5_000 };

describe('embeddings', () => {
  test('POST {base_url}/embeddings with the key, vectors in input order', async () => {
    const vectors = await createEmbedder(endpoint(), opts).embed(['car engine', 'cooking food']);
    expect(vectors).toEqual([new Float32Array([2, 0]), new Float32Array([0, 2])]);
    expect(requests.at(-1)).toEqual({ auth: `Bearer ${KEY}`, body: { input: ['car engine', 'cooking food'], model: 'embed-small' } });
  });

  test('a failing embeddings API is a MemoryError without the key', async () => {
    const err = await createEmbedder(endpoint('broken'), opts).embed(['x']).catch((e) => e);
    expect(err).toBeInstanceOf(MemoryError);
    expect(err.status).toBe(429);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('embedding model default/embedder');
    expect(err.message).not.toContain(KEY);
  });

  test('providers without an embeddings API are refused naming spec.embedding_model', () => {
    let err: any;
    try {
      createEmbedder({ provider: 'anthropic', default_model: 'claude', name: 'default/claude' }, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryError);
    expect(err.field).toBe('spec.embedding_model');
  });

  test('the mock endpoint embeds locally and deterministically', async () => {
    const [a, b, c] = await createEmbedder({ provider: 'mock', default_model: 'mock' }, opts).embed(['red apples', 'Red apples!', 'blue whale']);
    expect(a).toEqual(b);
    expect(a).toEqual(hashedEmbedding('red apples'));
    expect(cosine(a, b)).toBeCloseTo(1, 5);
    expect(cosine(a, c)).toBeLessThan(0.5);
    expect(cosine(new Float32Array([1, 0]), new Float32Array([0, 0]))).toBe(0);
  });
});

describe('hybrid search on the sqlite backend', () => {
  const handle = openDatabase(':memory:');
  const entries = new MemoryEntryStore(handle);
  const backends = createMemoryBackends({
    entries,
    endpoint: (ns, ref) => (ns === 'default' && ref === 'embedder' ? endpoint() : undefined),
    secret: () => undefined,
    clock: systemClock,
    log: silentLogger,
  });
  const docs: [string, string][] = [
    ['semantic', 'automobile maintenance schedule'],
    ['wordy', 'car car car park: food trucks, cooking stalls, recipes, food'],
    ['other', 'weather report for tuesday'],
  ];

  test('keyword only, the entry repeating the word ranks first', async () => {
    const b = await backends.backendFor({ metadata: { name: 'plain', namespace: 'default', uid: 'p', generation: 1 }, spec: {} });
    for (const [k, v] of docs) await b.put(k, v);
    expect((await b.search('car maintenance', 5)).map((e) => e.key)).toEqual(['wordy', 'semantic']);
  });

  test('with an embedding model, the semantically close entry ranks first', async () => {
    const b = await backends.backendFor({ metadata: { name: 'hybrid', namespace: 'default', uid: 'h', generation: 1 }, spec: { embedding_model: 'embedder' } });
    for (const [k, v] of docs) await b.put(k, v);
    expect((await entries.get('default', 'hybrid', 'semantic'))!.embedding).toEqual(new Float32Array([2, 0]));
    const hits = await b.search('car maintenance', 5);
    expect(hits.map((e) => e.key)).toEqual(['semantic', 'wordy']);
    for (const h of hits) expect(h.score! > 0 && h.score! <= 1).toBe(true);
    // A vector match with no shared word is still found.
    expect((await b.search('engine', 5)).map((e) => e.key)).toEqual(['semantic', 'wordy']);
  });

  test('a missing embedding ModelEndpoint fails the build naming the field', async () => {
    const err = await backends.backendFor({ metadata: { name: 'x', namespace: 'default', uid: 'x', generation: 1 }, spec: { embedding_model: 'ghost' } }).catch((e) => e);
    expect(err).toBeInstanceOf(MemoryError);
    expect(err.field).toBe('spec.embedding_model');
  });
});
