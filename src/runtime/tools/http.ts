// Transport for `type: http`: POSTs the model's arguments as the JSON body to spec.endpoint; a reply
// shaped like a v1 response envelope is read as one, any other reply text is the result.
import { isResponseEnvelope, readResponse, type ToolOutput } from './contract';
import type { AttemptContext, Transport } from './types';
import { checkEndpoint, endpointOf, parseJson, postJson, replyError } from './wire';

/**
 * A `status` field alone is not enough (plain APIs often answer {"status":"ok",…}): an envelope
 * also carries one of the contract's own fields.
 */
function looksLikeEnvelope(body: unknown): boolean {
  if (!isResponseEnvelope(body)) return false;
  return ['tool_contract_version', 'request_id', 'output', 'error'].some((k) => k in body);
}

export const httpTransport: Transport = {
  check: checkEndpoint,
  async call(ctx: AttemptContext): Promise<ToolOutput> {
    const reply = await postJson(ctx, endpointOf(ctx), ctx.inputJson);
    if (reply.status >= 400) throw replyError(reply);
    const body = parseJson(reply.text);
    if (looksLikeEnvelope(body)) return readResponse(body);
    // A plain endpoint (no contract): whatever it answered is the result, as text.
    return { output: { result: reply.text }, text: reply.text };
  },
};
