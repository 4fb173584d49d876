// POST /v1/tool-callbacks?request_id=…: where webhook-callback tools deliver a result that came
// later (202 first). The single-use callback token, not an API credential, authorizes it.
import { Elysia } from 'elysia';
import { Type as t } from '@sinclair/typebox';
import { BadRequest, NotFound, Unauthorized } from '../errors';
import type { CallbackBroker } from '../runtime/tools';
import { CALLBACK_PATH } from '../runtime/tools';
import { readDocument } from './body';
import { operation, param } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json } from './routing';

const MAX_CALLBACK_BYTES = 1024 * 1024;

export const ToolCallbackModels = {
  ToolCallbackBody: t.Record(t.String(), t.Unknown(), { description: 'A tool contract v1 response envelope (status, output, error, …).' }),
};

export function toolCallbackRoutes(broker: CallbackBroker, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-tool-callbacks' });
  addRoute(
    app,
    table,
    { method: 'POST', path: CALLBACK_PATH, tag: 'tools', plural: 'tools', action: 'callback' },
    async ({ request, query }) => {
      const id = query.request_id?.trim();
      if (!id) throw new BadRequest('query parameter request_id is required', { causes: [{ field: 'request_id', message: 'is required' }] });
      const token = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1]?.trim() ?? '';
      const body = await readDocument(request, { required: true, limit: MAX_CALLBACK_BYTES });
      const outcome = broker.deliver(id, token, body);
      if (outcome === 'unknown') throw new NotFound('tool-callbacks', id, `no tool call is waiting for request ${id}`);
      if (outcome === 'forbidden') throw new Unauthorized('the callback token does not match this request');
      if (outcome === 'invalid') throw new BadRequest('the callback body must be a JSON object (a tool contract v1 response)');
      return json({ request_id: id, status: 'accepted' }, 202);
    },
    operation({
      tag: 'tools',
      summary: 'Deliver the result of a webhook-callback tool call (Bearer: the call\'s callback token)',
      parameters: [param.query('request_id', 'The tool request id the result belongs to.')],
      body: 'ToolCallbackBody',
      ok: { 202: { description: 'Accepted: the waiting call continues with this result' } },
      errors: { 400: 'No request_id, or a body that is not a JSON object', 401: 'Wrong callback token', 404: 'No call is waiting for this request id' },
    }),
  );
  return app;
}
