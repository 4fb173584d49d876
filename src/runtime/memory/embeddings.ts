// Embeddings for a Memory's spec.embedding_model: the ModelEndpoint's OpenAI-compatible
// POST {base_url}/embeddings ({input:[…], model}) through the model gateway's one HTTP path (egress
// rule, timeout, redaction), or, for a `mock` endpoint, a deterministic local vector so offline
// blueprints work. Also the cosine similarity that ranks them.
import type { Clock } from '../../util/time';
import { createPostJson } from '../models/http';
import type { EgressOptions } from '../models/egress';
import { DEFAULT_OLLAMA_BASE_URL } from '../models/ollama';
import { DEFAULT_OPENAI_BASE_URL } from '../models/openai';
import { ModelError, type EndpointConfig } from '../models/types';
import { MemoryError } from './types';

export interface Embedder {
  /** `namespace/name` of the ModelEndpoint. */
  readonly endpoint: string;
  /** One vector per text, in order. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

export interface EmbedderOptions {
  fetch: typeof fetch;
  clock: Clock;
  egress: EgressOptions;
  timeoutMs: number;
}

/** Dimensions of the mock provider's vectors. */
export const MOCK_EMBEDDING_DIMENSIONS = 256;

/** FNV-1a (32-bit) of a string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The mock provider's embedding: a hashed bag of lower-cased words (each word adds ±1 in the
 * dimension its hash picks), L2-normalised. Texts sharing words point the same way; nothing leaves
 * the process and the same text always gives the same vector.
 */
export function hashedEmbedding(text: string, dims = MOCK_EMBEDDING_DIMENSIONS): Float32Array {
  const v = new Float32Array(dims);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = fnv1a(word);
    v[h % dims] += h & 0x80000000 ? -1 : 1;
  }
  return normalised(v);
}

function normalised(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/** Cosine similarity in [-1, 1]; 0 when either vector is zero or their lengths differ. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Where each provider serves the OpenAI embeddings wire; others have none here. */
function embeddingsUrl(endpoint: EndpointConfig): string | undefined {
  const base = (url: string | undefined, fallback: string) => (url || fallback).replace(/\/+$/, '');
  switch (endpoint.provider ?? 'openai') {
    case 'openai':
      return `${base(endpoint.base_url, DEFAULT_OPENAI_BASE_URL)}/embeddings`;
    case 'openai-compatible':
      return endpoint.base_url ? `${base(endpoint.base_url, '')}/embeddings` : undefined;
    case 'ollama':
      // Ollama's OpenAI-compatible API lives under /v1 of its native base URL.
      return `${base(endpoint.base_url, DEFAULT_OLLAMA_BASE_URL)}/v1/embeddings`;
    default:
      return undefined;
  }
}

/** The embedder of one ModelEndpoint; throws MemoryError (spec.embedding_model) when it has none. */
export function createEmbedder(endpoint: EndpointConfig, opts: EmbedderOptions): Embedder {
  const name = endpoint.name ?? 'the embedding model endpoint';
  if (endpoint.provider === 'mock') {
    return { endpoint: name, embed: async (texts) => texts.map((t) => hashedEmbedding(t)) };
  }
  const url = embeddingsUrl(endpoint);
  if (!url) {
    throw new MemoryError(
      `spec.embedding_model: ModelEndpoint ${name} (provider ${endpoint.provider}) has no OpenAI-compatible embeddings API; use an openai, openai-compatible, ollama or mock endpoint`,
      false,
      'spec.embedding_model',
    );
  }
  const model = endpoint.default_model;
  return {
    endpoint: name,
    async embed(texts, signal) {
      if (texts.length === 0) return [];
      const postJson = createPostJson({
        provider: 'embeddings',
        endpoint: name,
        timeoutMs: opts.timeoutMs,
        signal,
        secrets: endpoint.apiKey ? [endpoint.apiKey] : [],
        egress: opts.egress,
        allowPrivate: endpoint.allowPrivate === true,
        fetch: opts.fetch,
        clock: opts.clock,
      });
      let res: any;
      try {
        res = await postJson({ url, headers: endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}, body: { input: texts, model } });
      } catch (e) {
        if (e instanceof ModelError) throw new MemoryError(`embedding model ${name}: ${e.message}`, e.retryable, undefined, e.status);
        throw e;
      }
      return parseEmbeddings(res, texts.length, name);
    },
  };
}

/** `{data:[{embedding:[…], index}]}` → vectors in input order, all of one length. */
function parseEmbeddings(res: any, count: number, name: string): Float32Array[] {
  const bad = (why: string) => new MemoryError(`embedding model ${name} answered an unusable embeddings response: ${why}`, false);
  const data = res?.data;
  if (!Array.isArray(data) || data.length !== count) throw bad(`expected data with ${count} item(s)`);
  const out: Float32Array[] = new Array(count);
  for (const [i, item] of data.entries()) {
    const at = Number.isInteger(item?.index) ? item.index : i;
    const vec = item?.embedding;
    if (at < 0 || at >= count || out[at]) throw bad(`data[${i}].index is out of range or repeated`);
    if (!Array.isArray(vec) || vec.length === 0 || !vec.every((x: unknown) => typeof x === 'number' && Number.isFinite(x))) throw bad(`data[${i}].embedding is not an array of numbers`);
    out[at] = Float32Array.from(vec);
  }
  if (out.some((v) => v.length !== out[0].length)) throw bad('the vectors differ in length');
  return out;
}
