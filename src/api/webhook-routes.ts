// POST /v1/webhook-deliveries/{endpoint_id}: the public ingress of TaskWebhooks. No API credential:
// the signature (checked by the runtime's delivery service) is the credential.
import { Elysia } from 'elysia';
import { Type as t } from '@sinclair/typebox';
import { NotFound } from '../errors';
import type { WebhookDeliveries } from '../runtime/webhooks';
import { readRaw } from './body';
import { operation } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json } from './routing';

/** Deliveries are small event payloads; Orloj's limit. */
export const MAX_DELIVERY_BYTES = 1024 * 1024;

export const WebhookModels = {
  WebhookDeliveryPayload: t.Unknown({ description: 'The event the sender signed, taken as raw bytes (JSON or anything else, up to 1 MiB).' }),
  WebhookDeliveryAccepted: t.Object(
    {
      accepted: t.Boolean(),
      duplicate: t.Boolean({ description: 'true when the event id was already accepted within the dedupe window' }),
      event_id: t.String(),
      task: t.String({ description: 'The run task the event created (also for duplicates)' }),
      message: t.Optional(t.String()),
    },
    { description: 'A delivery was accepted, or recognised as a duplicate.' },
  ),
};

export function webhookRoutes(deliveries: WebhookDeliveries | undefined, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-webhook-deliveries' });
  addRoute(
    app,
    table,
    { method: 'POST', path: '/v1/webhook-deliveries/:endpoint_id', tag: 'task-webhooks', plural: 'task-webhooks', action: 'deliver', required: 'none' },
    async ({ request, params }) => {
      const id = params.endpoint_id!;
      if (!deliveries) throw new NotFound('webhook-deliveries', id, 'this server does not accept webhook deliveries');
      const body = await readRaw(request, MAX_DELIVERY_BYTES);
      return json(await deliveries.deliver(id, request.headers, body), 202);
    },
    {
      ...operation({
        tag: 'task-webhooks',
        summary: 'Deliver a signed webhook event; creates one run task per event id (public: the signature is the credential)',
        parameters: [{ name: 'endpoint_id', in: 'path', required: true, description: 'status.endpointID of the TaskWebhook', schema: { type: 'string' } }],
        auth: 'none',
        ok: { 202: { description: 'Accepted, or a duplicate of an accepted event (same task)', schema: 'WebhookDeliveryAccepted' } },
        errors: {
          400: 'No event id, or the run task could not be created (see status.lastError)',
          401: 'Signature, token or timestamp refused',
          404: 'No TaskWebhook has this endpoint id',
          409: 'The TaskWebhook is suspended',
          413: 'Body over 1 MiB',
          429: 'Over the per-endpoint delivery rate (Retry-After)',
        },
      }),
      // Signatures cover the exact bytes, so the body is taken raw, whatever its type.
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/WebhookDeliveryPayload' } },
          '*/*': { schema: { type: 'string', format: 'binary', description: 'Any other payload the sender signed (up to 1 MiB).' } },
        },
      },
    },
  );
  return app;
}
