// Reads request bodies: size limit (413), Content-Type check (415), JSON or single-document YAML.
import { parseAllDocuments } from 'yaml';
import { BadRequest, ClientClosedRequest, PayloadTooLarge, UnsupportedMediaType } from '../errors';
import { assertPlainJson } from './plain-json';
import { concatBytes } from '../util/bytes';
import { decodeUtf8 } from './utf8';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const JSON_TYPES = new Set(['application/json', 'application/vnd.api+json']);
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);

/**
 * Reads the raw body, refusing more than limit bytes whether or not Content-Length is sent. A body
 * cut short by the client (fewer bytes than Content-Length, an unfinished chunked body, then a
 * close) is a ClientClosedRequest, not a server error.
 */
export async function readRaw(request: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  try {
    return await readBounded(request, limit);
  } catch (e) {
    throw isClientAbort(e, request) ? new ClientClosedRequest() : e;
  }
}

/** Bun rejects the read with an AbortError and aborts the request's signal when the peer closes. */
function isClientAbort(e: unknown, request: Request): boolean {
  return request.signal.aborted || (e as { name?: string } | undefined)?.name === 'AbortError';
}

async function readBounded(request: Request, limit: number): Promise<Uint8Array> {
  const length = request.headers.get('content-length');
  const declared = length === null ? NaN : Number(length);
  if (declared > limit) throw new PayloadTooLarge(limit);
  if (!request.body) return new Uint8Array();
  // With a declared length the framing bounds the body, and Bun's native read is much cheaper than
  // pulling the stream chunk by chunk; chunked bodies are counted as they arrive.
  if (Number.isInteger(declared)) return new Uint8Array(await request.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLarge(limit);
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

function mediaType(request: Request): string | undefined {
  const raw = request.headers.get('content-type');
  if (!raw) return undefined;
  return raw.split(';')[0].trim().toLowerCase() || undefined;
}

/** Parses a JSON or YAML document; a missing Content-Type is sniffed. */
export async function readDocument(request: Request, opts: { required?: boolean; limit?: number } = {}): Promise<unknown> {
  const type = mediaType(request);
  if (type && !JSON_TYPES.has(type) && !YAML_TYPES.has(type)) throw new UnsupportedMediaType(type);
  const text = decodeUtf8(await readRaw(request, opts.limit));
  if (!text.trim()) {
    if (opts.required === false) return undefined;
    throw new BadRequest('request body is required');
  }
  const looksJson = /^\s*[{[]/.test(text);
  let value: unknown;
  if (type ? JSON_TYPES.has(type) : looksJson) {
    try {
      value = JSON.parse(text);
    } catch {
      // The parser's message quotes the offending text, which may be a secret value.
      throw new BadRequest('request body is not valid JSON');
    }
  } else value = parseYaml(text);
  assertPlainJson(value);
  return value;
}

export function parseYaml(text: string): unknown {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new BadRequest('request body is not valid YAML');
  const real = docs.filter((d) => d.contents !== null || d.errors.length > 0);
  if (real.length > 1) {
    throw new BadRequest(`request body holds ${real.length} YAML documents; send one manifest per request (the CLI splits files)`);
  }
  const doc = real[0] ?? docs[0];
  if (!doc) throw new BadRequest('request body is required');
  if (doc.errors.length) {
    // Only the error code and position: messages can quote the document, which may hold secrets.
    const e = doc.errors[0];
    const where = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new BadRequest(`request body is not valid YAML${where} (${e.code})`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    throw new BadRequest('request body is not valid YAML: too many or circular aliases');
  }
}
