// TaskWebhook: defaults per auth profile, endpoint ids and validation causes.
import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { kindHelpers } from './helpers';

describe('TaskWebhook', () => {
  const endpoint = (ns: string, name: string) => createHash('sha256').update(`${ns}/${name}`).digest('hex').slice(0, 24);

  test('generic profile defaults and the endpoint id in the apply response', async () => {
    const { write } = kindHelpers();
    const { object } = await write('task-webhooks', { task_ref: 'tpl', auth: { secret_ref: 'hook-secret' } });
    expect(object.spec).toEqual({
      task_ref: 'tpl',
      suspend: false,
      auth: { profile: 'generic', secret_ref: 'hook-secret', signature_header: 'X-Signature', signature_prefix: 'sha256=', timestamp_header: 'X-Timestamp', max_skew_seconds: 300 },
      idempotency: { event_id_header: 'X-Event-Id', dedupe_window_seconds: 86400 },
      payload: { mode: 'raw', input_key: 'webhook_payload' },
    });
    const id = endpoint('default', 'x');
    expect(id).toHaveLength(24);
    expect(object.status).toEqual({ phase: 'Pending', endpointID: id, endpointPath: `/v1/webhook-deliveries/${id}` });
  });

  test('github profile defaults', async () => {
    const { write } = kindHelpers();
    const { object } = await write('task-webhooks', { task_ref: 'tpl', auth: { profile: 'GitHub', secret_ref: 's' } });
    expect(object.spec.auth).toEqual({ profile: 'github', secret_ref: 's', signature_header: 'X-Hub-Signature-256', signature_prefix: 'sha256=', max_skew_seconds: 300 });
    expect(object.spec.idempotency).toEqual({ event_id_header: 'X-GitHub-Delivery', dedupe_window_seconds: 259200 });
  });

  test('hmac profile defaults and conditional requirements', async () => {
    const { write, sortedFields } = kindHelpers();
    const { object } = await write('task-webhooks', { task_ref: 'tpl', auth: { profile: 'hmac', secret_ref: 's', signature_header: 'X-Sig' } });
    expect(object.spec.auth).toEqual({
      profile: 'hmac',
      secret_ref: 's',
      signature_header: 'X-Sig',
      algorithm: 'sha256',
      payload_format: 'body',
      signature_encoding: 'hex',
      header_format: 'plain',
      max_skew_seconds: 300,
    });
    expect(object.spec.idempotency).toEqual({ event_id_header: 'X-Event-Id', dedupe_window_seconds: 86400 });
    const slack = await write('task-webhooks', {
      task_ref: 'tpl',
      auth: { profile: 'hmac', secret_ref: 's', signature_header: 'X-Slack-Signature', payload_format: 'prefix_timestamp_body', payload_prefix: 'v0', timestamp_header: 'X-Slack-Request-Timestamp' },
    });
    expect(slack.object.spec.auth.payload_separator).toBe('.');
    expect(await sortedFields('task-webhooks', { task_ref: 'tpl', auth: { profile: 'hmac', secret_ref: 's', payload_format: 'timestamp_dot_body' } })).toEqual([
      'spec.auth.signature_header',
      'spec.auth.timestamp_header',
    ]);
    expect(
      await sortedFields('task-webhooks', { task_ref: 'tpl', auth: { profile: 'hmac', secret_ref: 's', signature_header: 'Stripe-Signature', header_format: 'kv_pairs', payload_format: 'timestamp_dot_body' } }),
    ).toEqual(['spec.auth.signature_key', 'spec.auth.timestamp_key']);
  });

  test('shared_token needs a signature header; event_id_from_body replaces the header default', async () => {
    const { write, causes } = kindHelpers();
    expect(await causes('task-webhooks', { task_ref: 'tpl', auth: { profile: 'shared_token', secret_ref: 's' } })).toEqual([
      { field: 'spec.auth.signature_header', message: 'is required for the shared_token profile' },
    ]);
    const { object } = await write('task-webhooks', {
      task_ref: 'tpl',
      auth: { profile: 'shared_token', secret_ref: 's', signature_header: 'X-Telegram-Bot-Api-Secret-Token' },
      idempotency: { event_id_from_body: ' update_id ' },
    });
    expect(object.spec.auth).toEqual({ profile: 'shared_token', secret_ref: 's', signature_header: 'X-Telegram-Bot-Api-Secret-Token' });
    expect(object.spec.idempotency).toEqual({ event_id_from_body: 'update_id', dedupe_window_seconds: 86400 });
  });

  test('endpoint id follows namespace/name and is recomputed on every write', async () => {
    const { registry, kind, write } = kindHelpers();
    const { object } = await write('task-webhooks', { task_ref: 'tpl', auth: { secret_ref: 's' } }, 'hook', { namespace: 'team-a' });
    expect(object.status.endpointID).toBe(endpoint('team-a', 'hook'));
    const o = await registry.replaceStatus(kind('task-webhooks'), 'team-a', 'hook', { status: { phase: 'Ready', endpointID: 'forged', endpointPath: '/elsewhere' } }, '*');
    const id = endpoint('team-a', 'hook');
    expect(o.status).toEqual({ phase: 'Ready', observedGeneration: 1, endpointID: id, endpointPath: `/v1/webhook-deliveries/${id}` });
  });

  test('an inline task_template is accepted', async () => {
    const { write } = kindHelpers();
    const { object } = await write('task-webhooks', { task_template: { system: 'sys', input: { topic: 't' } }, auth: { secret_ref: 's' } });
    expect(object.spec.task_template.input).toEqual({ topic: 't' });
    expect(object.spec.task_ref).toBeUndefined();
  });

  test('reports schema problems together and unknown fields', async () => {
    const { causes, sortedFields } = kindHelpers();
    expect(
      await sortedFields('task-webhooks', {
        task_ref: 'tpl',
        auth: { profile: 'basic', max_skew_seconds: -1, algorithm: 'md5' },
        idempotency: { dedupe_window_seconds: -5 },
        payload: { mode: 'json', inputKey: 'x' },
      }),
    ).toEqual([
      'spec.auth.algorithm',
      'spec.auth.max_skew_seconds',
      'spec.auth.profile',
      'spec.auth.secret_ref',
      'spec.idempotency.dedupe_window_seconds',
      'spec.payload.inputKey',
      'spec.payload.mode',
    ]);
    expect(await sortedFields('task-webhooks', {})).toEqual(['spec.auth.secret_ref']);
    expect(await causes('task-webhooks', { auth: { secret_ref: 'ns/' } })).toEqual([
      { field: 'spec.auth.secret_ref', message: 'must be a name or namespace/name' },
      { field: 'spec.task_ref', message: 'is required unless spec.task_template is set' },
    ]);
  });
});
