// Provider `http`: a memory service speaking the adapter protocol. POST {endpoint}/put {key,value},
// /get {key} → {found,key,value}, /search {query,top_k} → {results}, /list {prefix,limit} →
// {entries}, GET /ping; errors by HTTP status with an optional {"error"} body. Delete is an
// extension (POST /delete {key} → {deleted}); an adapter without it answers 404/405/501 and the
// delete is refused with an error saying so. Every request passes the egress rule, has a timeout,
// never follows a redirect, and carries the bearer token of auth.secretRef when one is set.
import { checkEgress, type EgressOptions } from '../egress';
import { redactSecrets } from '../models/redact';
import { readUpTo } from '../../util/streams';
import { MemoryError, type MemoryBackend, type MemoryEntry } from './types';

export interface HttpBackendOptions {
  /** The adapter's base URL (spec.endpoint or the Secret of spec.endpoint_secret_ref). */
  endpoint: string;
  token?: string;
  timeoutMs: number;
  egress: Omit<EgressOptions, 'allowPrivate'>;
  fetch: typeof fetch;
  /** Replies above this many bytes are refused (default MAX_REPLY_BYTES). */
  maxReplyBytes?: number;
}

const MAX_ERROR_TEXT = 300;
/** The largest adapter reply read (a list of many large values may need a smaller limit). */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

function errorText(raw: string): string {
  try {
    const body = JSON.parse(raw) as any;
    const msg = typeof body?.error === 'string' ? body.error : (body?.error?.message ?? body?.message);
    if (typeof msg === 'string' && msg.trim()) return msg.trim().slice(0, MAX_ERROR_TEXT);
  } catch {
    // not JSON: the text itself
  }
  return raw.trim().slice(0, MAX_ERROR_TEXT) || 'no error body';
}

const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export function httpBackend(o: HttpBackendOptions): MemoryBackend {
  const base = o.endpoint.replace(/\/+$/, '');
  const secrets = o.token ? [o.token] : [];
  const fail = (message: string, retryable: boolean, status?: number) =>
    new MemoryError(redactSecrets(`http memory ${base}: ${message}`, secrets), retryable, undefined, status);

  async function call(method: 'GET' | 'POST', op: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; json: any }> {
    const url = `${base}/${op}`;
    let decision;
    try {
      decision = await checkEgress(url, o.egress);
    } catch (e) {
      throw fail(`cannot resolve the endpoint host: ${(e as Error).message}`, true);
    }
    if (!decision.allowed) throw fail(`egress refused: ${decision.reason}`, false);
    const timeout = AbortSignal.timeout(o.timeoutMs);
    let res: Response;
    let raw: string;
    try {
      res = await o.fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'manual',
      });
      const cap = o.maxReplyBytes ?? MAX_REPLY_BYTES;
      const read = res.body ? await readUpTo(res.body, cap) : { bytes: new Uint8Array(), over: false };
      if (read.over) throw new MemoryError(`memory adapter ${op}: the reply is larger than ${cap} bytes (ask for fewer entries)`, false, undefined, 502);
      raw = Buffer.from(read.bytes).toString('utf8');
    } catch (e) {
      if (e instanceof MemoryError) throw e;
      if (signal?.aborted) throw fail(`${op} aborted`, false);
      if (timeout.aborted) throw fail(`${op} timed out after ${o.timeoutMs}ms`, true);
      throw fail(`${op} failed: ${(e as Error).message}`, true);
    }
    if (res.status >= 300 && res.status < 400) throw fail(`${op} answered a redirect (status=${res.status}), which is not followed`, false, res.status);
    if (res.status >= 400) return { status: res.status, json: errorText(raw) };
    try {
      return { status: res.status, json: raw ? JSON.parse(raw) : {} };
    } catch {
      throw fail(`${op} answered non-JSON (status=${res.status})`, false, res.status);
    }
  }

  /** The 2xx body of an operation, or a MemoryError with the adapter's status and message. */
  async function ok(method: 'GET' | 'POST', op: string, body?: unknown, signal?: AbortSignal): Promise<any> {
    const r = await call(method, op, body, signal);
    if (r.status >= 400) throw fail(`${op} failed status=${r.status}: ${r.json}`, retryableStatus(r.status), r.status);
    return r.json;
  }

  const entry = (e: any, op: string, withScore: boolean): MemoryEntry => {
    if (typeof e?.key !== 'string' || typeof e?.value !== 'string') throw fail(`${op} answered an entry without a string key and value`, false);
    if (!withScore) return { key: e.key, value: e.value };
    const score = typeof e.score === 'number' && Number.isFinite(e.score) ? Math.min(1, Math.max(0, e.score)) : 0;
    return { key: e.key, value: e.value, score };
  };

  return {
    async put(key, value, signal) {
      await ok('POST', 'put', { key, value }, signal);
    },
    async get(key, signal) {
      const res = await ok('POST', 'get', { key }, signal);
      if (!res?.found) return undefined;
      return entry({ key: res.key ?? key, value: res.value }, 'get', false);
    },
    async list(prefix, limit, signal) {
      const res = await ok('POST', 'list', { prefix, limit }, signal);
      if (!Array.isArray(res?.entries)) throw fail('list answered without an entries array', false);
      // The protocol has no order or limit: sort and cut here, and keep only the prefix asked for.
      return res.entries
        .map((e: unknown) => entry(e, 'list', false))
        .filter((e: MemoryEntry) => e.key.startsWith(prefix))
        .sort((a: MemoryEntry, b: MemoryEntry) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .slice(0, Math.max(0, limit));
    },
    async search(query, topK, signal) {
      const res = await ok('POST', 'search', { query, top_k: topK }, signal);
      if (!Array.isArray(res?.results)) throw fail('search answered without a results array', false);
      return res.results.map((e: unknown) => entry(e, 'search', true)).slice(0, Math.max(0, topK));
    },
    async delete(key, signal) {
      const r = await call('POST', 'delete', { key }, signal);
      if (r.status === 404 || r.status === 405 || r.status === 501) {
        throw fail(`this adapter does not support delete (POST /delete answered ${r.status}; delete is an extension of the adapter protocol)`, false, r.status);
      }
      if (r.status >= 400) throw fail(`delete failed status=${r.status}: ${r.json}`, retryableStatus(r.status), r.status);
      return r.json?.deleted === true;
    },
    async ping(signal) {
      await ok('GET', 'ping', undefined, signal);
    },
  };
}
