// TaskWebhook: creates run tasks from signed HTTP deliveries; owns the auth-profile defaults and
// rules and the server-computed delivery endpoint id (status.endpointID).
import { createHash } from 'node:crypto';
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Spec, type Status, type WriteContext } from '../registry/kind';
import { child, lower, setDefault, trim } from '../registry/normalize';
import type { Cause } from '../errors';
import { Enum, statusSchema, strict, Int, INT32_MAX } from './common';
import { HeaderName, Ref } from './formats';
import { normalizeTaskSource, taskTemplateSchema, trimOrDrop, validateTaskSource } from './task';

const PHASES = ['Pending', 'Ready', 'Error'] as const;
const TIMESTAMPED = ['timestamp_dot_body', 'prefix_timestamp_body'];

const Str = (description: string) => t.Optional(t.String({ description }));

const spec = strict({
  task_ref: t.Optional(Ref('Template Task (mode template) as name or namespace/name; exclusive with task_template.')),
  task_template: t.Optional(taskTemplateSchema('Inline TaskSpec used instead of task_ref (system required).')),
  suspend: t.Optional(t.Boolean({ description: 'Reject deliveries with 409 (default false).' })),
  auth: t.Optional(
    strict(
      {
        profile: t.Optional(Enum(['generic', 'github', 'hmac', 'shared_token'], 'Verification profile (default generic).')),
        secret_ref: Ref('Secret holding the signing key or token, as name or namespace/name.'),
        signature_header: t.Optional(HeaderName('Header carrying the signature (generic X-Signature, github X-Hub-Signature-256; required for hmac and shared_token).')),
        signature_prefix: Str('Prefix stripped from the signature, case-insensitively (generic and github: sha256=).'),
        timestamp_header: t.Optional(HeaderName('Header carrying the signing timestamp (generic: X-Timestamp).')),
        max_skew_seconds: t.Optional(Int(0, INT32_MAX, 'Accepted clock skew of the timestamp (default 300).')),
        algorithm: t.Optional(Enum(['sha256', 'sha1', 'sha512'], 'hmac: hash algorithm (default sha256).')),
        payload_format: t.Optional(Enum(['body', 'timestamp_dot_body', 'prefix_timestamp_body'], 'hmac: what is signed (default body).')),
        payload_prefix: Str('hmac: literal prefix for prefix_timestamp_body, e.g. v0.'),
        payload_separator: Str('hmac: separator of the signed parts (default . for prefix_timestamp_body).'),
        signature_encoding: t.Optional(Enum(['hex', 'base64'], 'hmac: signature encoding (default hex).')),
        header_format: t.Optional(Enum(['plain', 'kv_pairs'], 'hmac: plain value or Stripe-style t=…,v1=… pairs (default plain).')),
        signature_key: Str('hmac kv_pairs: key of the signature pair (e.g. v1).'),
        timestamp_key: Str('hmac kv_pairs: key of the timestamp pair (e.g. t).'),
      },
      'How deliveries are authenticated.',
    ),
  ),
  idempotency: t.Optional(
    strict(
      {
        event_id_header: t.Optional(HeaderName('Header with the event id (generic/hmac/shared_token X-Event-Id, github X-GitHub-Delivery).')),
        event_id_from_body: Str('Dot path of the event id in a JSON body, e.g. data.event_id (header checked first).'),
        dedupe_window_seconds: t.Optional(Int(0, INT32_MAX, 'How long an event id is remembered (github 259200, others 86400).')),
      },
      'Duplicate-delivery detection.',
    ),
  ),
  payload: t.Optional(
    strict(
      {
        mode: t.Optional(Enum(['raw'], 'Only raw: the body is passed as text (default raw).')),
        input_key: Str('Task input key receiving the body (default webhook_payload).'),
      },
      'How the delivery reaches the task.',
    ),
  ),
});

const status = statusSchema(PHASES, {
  endpointID: t.Optional(t.String({ description: 'Hex of the first 12 bytes of SHA-256("<namespace>/<name>").' })),
  endpointPath: t.Optional(
    t.String({ description: 'Delivery URL path /v1/webhook-deliveries/<endpointID>.' }),
  ),
  lastDeliveryTime: t.Optional(t.String({ description: 'RFC 3339 time of the last delivery.' })),
  lastEventID: t.Optional(t.String({ description: 'Event id of the last delivery.' })),
  lastTriggeredTask: t.Optional(t.String({ description: 'Run task created by the last accepted delivery.' })),
  acceptedCount: t.Optional(Int(0, Number.MAX_SAFE_INTEGER)),
  duplicateCount: t.Optional(Int(0, Number.MAX_SAFE_INTEGER)),
  rejectedCount: t.Optional(Int(0, Number.MAX_SAFE_INTEGER)),
});

/** The delivery endpoint id of a webhook: stable for a namespace/name pair. */
export function webhookEndpointID(namespace: string, name: string): string {
  return createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 24);
}

/** The path deliveries for an endpoint id are posted to. */
export const webhookEndpointPath = (endpointID: string) => `/v1/webhook-deliveries/${endpointID}`;

function skewDefault(auth: Record<string, any>): void {
  if (auth.max_skew_seconds === undefined || auth.max_skew_seconds === null || auth.max_skew_seconds === 0) auth.max_skew_seconds = 300;
}

function normalizeAuth(auth: Record<string, any>, idem: Record<string, any> | undefined): void {
  for (const k of ['profile', 'algorithm', 'payload_format', 'signature_encoding', 'header_format']) auth[k] = lower(auth[k]);
  for (const k of ['secret_ref', 'signature_header', 'signature_prefix', 'timestamp_header', 'payload_prefix', 'payload_separator', 'signature_key', 'timestamp_key']) {
    trimOrDrop(auth, k);
  }
  setDefault(auth, 'profile', 'generic');
  let eventHeader = 'X-Event-Id';
  switch (auth.profile) {
    case 'github':
      setDefault(auth, 'signature_header', 'X-Hub-Signature-256');
      setDefault(auth, 'signature_prefix', 'sha256=');
      skewDefault(auth);
      eventHeader = 'X-GitHub-Delivery';
      break;
    case 'generic':
      setDefault(auth, 'signature_header', 'X-Signature');
      setDefault(auth, 'signature_prefix', 'sha256=');
      setDefault(auth, 'timestamp_header', 'X-Timestamp');
      skewDefault(auth);
      break;
    case 'hmac':
      setDefault(auth, 'algorithm', 'sha256');
      setDefault(auth, 'payload_format', 'body');
      setDefault(auth, 'signature_encoding', 'hex');
      setDefault(auth, 'header_format', 'plain');
      if (auth.payload_format === 'prefix_timestamp_body') setDefault(auth, 'payload_separator', '.');
      skewDefault(auth);
      break;
  }
  if (idem) {
    trimOrDrop(idem, 'event_id_header');
    trimOrDrop(idem, 'event_id_from_body');
    if (!idem.event_id_header && !idem.event_id_from_body) idem.event_id_header = eventHeader;
    const w = idem.dedupe_window_seconds;
    if (w === undefined || w === null || w === 0) idem.dedupe_window_seconds = auth.profile === 'github' ? 259200 : 86400;
  }
}

function authCauses(auth: Record<string, any>): Cause[] {
  const causes: Cause[] = [];
  const need = (key: string, why: string) => {
    if (!auth[key]) causes.push({ field: `spec.auth.${key}`, message: `is required ${why}` });
  };
  if (auth.profile === 'hmac') {
    need('signature_header', 'for the hmac profile');
    const stamped = TIMESTAMPED.includes(auth.payload_format);
    if (auth.header_format === 'kv_pairs') {
      need('signature_key', 'when header_format is kv_pairs');
      if (stamped) need('timestamp_key', 'when header_format is kv_pairs and payload_format includes a timestamp');
    } else if (stamped) {
      need('timestamp_header', 'when payload_format includes a timestamp and header_format is plain');
    }
  }
  if (auth.profile === 'shared_token') need('signature_header', 'for the shared_token profile');
  return causes;
}

export const taskWebhook = defineKind({
  kind: 'TaskWebhook',
  plural: 'task-webhooks',
  description: 'Creates run tasks from authenticated HTTP deliveries posted to status.endpointPath.',
  spec,
  status,
  phases: [...PHASES],
  normalize(s: Spec) {
    normalizeTaskSource(s);
    if (s.suspend === undefined || s.suspend === null) s.suspend = false;
    const auth = child(s, 'auth');
    const idem = child(s, 'idempotency');
    if (auth) normalizeAuth(auth, idem);
    const payload = child(s, 'payload');
    if (payload) {
      payload.mode = lower(payload.mode);
      setDefault(payload, 'mode', 'raw');
      payload.input_key = trim(payload.input_key);
      setDefault(payload, 'input_key', 'webhook_payload');
    }
    return s;
  },
  validate(s: Spec) {
    return [...validateTaskSource(s), ...authCauses(s.auth)];
  },
  // Server-owned, so a status write cannot forge them; deliveries find the webhook by endpointID
  // through the resources_webhook_endpoint index.
  prepareStatus(st: Status, _spec: Spec, ctx: WriteContext): Status {
    const endpointID = webhookEndpointID(ctx.namespace, ctx.name);
    return { ...st, endpointID, endpointPath: webhookEndpointPath(endpointID) };
  },
});
