// HTTP plumbing shared by the HTTP-based transports: egress-checked requests without redirects,
// a 4 MiB reply cap, and the mapping of HTTP statuses to canonical tool errors.
import { readUpTo } from '../../util/streams';
import { CONTRACT_VERSION, ToolError, errorFromBody, isResponseEnvelope } from './contract';
import type { AttemptContext, ToolRef } from './types';

/** spec.endpoint as a URL (a bare host:port gets http://), or a non-retryable policy error. */
export function endpointOf(ctx: { tool: ToolRef }): URL {
  const spec = ctx.tool.spec;
  const text = typeof spec.endpoint === 'string' ? spec.endpoint.trim() : '';
  if (!text) throw new ToolError('runtime_policy_invalid', `spec.endpoint is required for tool type ${spec.type || 'http'}`);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  try {
    return new URL(withScheme);
  } catch {
    throw new ToolError('runtime_policy_invalid', `spec.endpoint ${JSON.stringify(text)} is not a valid URL`);
  }
}

/** Transport.check of the HTTP-based types: the endpoint must parse before any attempt. */
export function checkEndpoint(tool: ToolRef): ToolError | undefined {
  try {
    endpointOf({ tool });
    return undefined;
  } catch (e) {
    return e as ToolError;
  }
}

export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const BODY_SNIPPET = 400;

export interface Reply {
  status: number;
  text: string;
  headers: Headers;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const { bytes, over } = await readUpTo(res.body, MAX_RESPONSE_BYTES);
  if (over) throw new ToolError('execution_failed', `tool reply is larger than ${MAX_RESPONSE_BYTES} bytes`, { retryable: false, status: res.status });
  return Buffer.from(bytes).toString('utf8');
}

/**
 * One request to a tool URL: checked against the egress rule first, bound to the attempt's
 * signal, never following redirects (a redirect could lead to a refused address).
 */
export async function send(ctx: AttemptContext, url: URL, init: RequestInit): Promise<Reply> {
  await ctx.guard(url);
  const res = await ctx.fetch(url, { ...init, signal: ctx.signal, redirect: 'manual' });
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => {});
    throw new ToolError('execution_failed', `tool answered a redirect (${res.status}); redirects are not followed`, { retryable: false, status: res.status });
  }
  return { status: res.status, text: await readCapped(res), headers: res.headers };
}

/** POSTs a JSON text with the tool's auth headers and the contract headers. */
export function postJson(ctx: AttemptContext, url: URL, json: string, extra: Record<string, string> = {}): Promise<Reply> {
  return send(ctx, url, {
    method: 'POST',
    body: json,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-tool-contract-version': CONTRACT_VERSION,
      'x-tool-request-id': ctx.envelope.request_id,
      'x-tool-attempt': String(ctx.envelope.attempt),
      ...extra,
      ...ctx.headers,
    },
  });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A failed HTTP reply as a ToolError: a v1 error envelope in the body wins; otherwise 408 is a
 * timeout, 401/403 are auth errors, 429 and 5xx retryable failures, other 4xx permanent.
 */
export function replyError(reply: Reply): ToolError {
  const body = parseJson(reply.text);
  if (isResponseEnvelope(body) && body.error && body.status !== 'ok' && body.status !== '') {
    return errorFromBody(body.error, body.status === 'denied' ? 'denied' : 'error', reply.status);
  }
  const s = reply.status;
  const snippet = reply.text.trim().slice(0, BODY_SNIPPET);
  const message = `tool answered HTTP ${s}${snippet ? `: ${snippet}` : ''}`;
  const details = { http_status: s };
  if (s === 408) return new ToolError('timeout', message, { status: s, details });
  if (s === 401) return new ToolError('auth_invalid', message, { status: s, details });
  if (s === 403) return new ToolError('auth_forbidden', message, { status: s, details });
  return new ToolError('execution_failed', message, { status: s, details, retryable: s === 429 || s >= 500 });
}
