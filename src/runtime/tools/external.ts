// Transport for `type: external`: POSTs the full v1 request envelope to spec.endpoint and requires
// a v1 response envelope back (anything else is a retryable invalid-response failure).
import { readResponse, type ToolOutput } from './contract';
import type { AttemptContext, Transport } from './types';
import { checkEndpoint, endpointOf, parseJson, postJson, replyError } from './wire';

export const externalTransport: Transport = {
  check: checkEndpoint,
  async call(ctx: AttemptContext): Promise<ToolOutput> {
    const reply = await postJson(ctx, endpointOf(ctx), JSON.stringify(ctx.envelope));
    if (reply.status >= 400) throw replyError(reply);
    return readResponse(parseJson(reply.text));
  },
};
