// Transport for `type: webhook-callback`: POSTs the v1 envelope with a callback URL and token.
// 200 carries the response at once; 202 means the result comes later, by callback or by polling.
import { CONTRACT_VERSION, ToolError, readResponse, type ToolOutput } from './contract';
import type { CallbackBroker } from './callback-broker';
import type { AttemptContext, Transport } from './types';
import { checkEndpoint, endpointOf, parseJson, postJson, replyError, send } from './wire';

/** Path of the route that receives callbacks (see docs/tools.md); the request id is a query parameter. */
export const CALLBACK_PATH = '/v1/tool-callbacks';
export const DEFAULT_POLL_INTERVAL_MS = 2000;

export interface WebhookCallbackOptions {
  broker?: CallbackBroker;
  /** Public base URL of this server (e.g. http://127.0.0.1:8080); without it no callback URL is sent. */
  callbackBaseUrl?: string;
  /** Interval for polling GET {endpoint}/{request_id} after a 202; 0 turns polling off. */
  pollIntervalMs?: number;
}

export function callbackUrl(base: string, requestId: string): string {
  return `${base.replace(/\/+$/, '')}${CALLBACK_PATH}?request_id=${encodeURIComponent(requestId)}`;
}

async function poll(ctx: AttemptContext, endpoint: URL, intervalMs: number): Promise<ToolOutput> {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(ctx.envelope.request_id)}`;
  for (;;) {
    await ctx.sleep(intervalMs, ctx.signal);
    const reply = await send(ctx, url, { method: 'GET', headers: { accept: 'application/json', 'x-tool-contract-version': CONTRACT_VERSION, ...ctx.headers } });
    if (reply.status === 202 || reply.status === 204) continue;
    if (reply.status >= 400) throw replyError(reply);
    return readResponse(parseJson(reply.text));
  }
}

export function webhookCallbackTransport(opts: WebhookCallbackOptions = {}): Transport {
  const pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  return {
    check: checkEndpoint,
    async call(ctx: AttemptContext): Promise<ToolOutput> {
      const id = ctx.envelope.request_id;
      const endpoint = endpointOf(ctx);
      const wait = opts.broker && opts.callbackBaseUrl ? opts.broker.expect(id, ctx.timeoutMs, ctx.signal) : undefined;
      const stop = new AbortController();
      const sub: AttemptContext = { ...ctx, signal: AbortSignal.any([ctx.signal, stop.signal]) };
      try {
        const envelope = wait ? { ...ctx.envelope, callback_url: callbackUrl(opts.callbackBaseUrl!, id), callback_token: wait.token } : ctx.envelope;
        const reply = await postJson(ctx, endpoint, JSON.stringify(envelope));
        if (reply.status >= 400) throw replyError(reply);
        if (reply.status !== 202) return readResponse(parseJson(reply.text));
        const ways: Promise<ToolOutput>[] = [];
        if (wait) ways.push(wait.result.then((body) => readResponse(body)));
        if (pollIntervalMs > 0) ways.push(poll(sub, endpoint, pollIntervalMs));
        if (!ways.length) {
          throw new ToolError('runtime_policy_invalid', 'tool answered 202 but this server has neither a callback URL nor polling configured');
        }
        return await Promise.race(ways);
      } finally {
        wait?.cancel();
        stop.abort();
      }
    },
  };
}
