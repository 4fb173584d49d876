// Kind tests for Task, TaskSchedule, TaskWebhook, Secret, SealedSecret, ToolApproval and
// TaskApproval against a real registry over in-memory SQLite.
import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { Invalid, type Cause } from '../../src/errors';
import { parseCron } from '../../src/resources/task-schedule';
import { testRegistry } from '../support/registry';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const manifest = (kind: string, name: string, spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'orloj.dev/v1',
  kind,
  metadata: { name, ...extra },
  spec,
});

function setup(clock?: { now(): Date }) {
  const t = testRegistry(clock);
  const apply = (plural: string, kindName: string, spec: unknown, name = 'x', extra: Record<string, unknown> = {}) =>
    t.registry.apply(t.kind(plural), manifest(kindName, name, spec, extra), {});
  const causes = (plural: string, kindName: string, spec: unknown, extra: Record<string, unknown> = {}): Cause[] => {
    try {
      t.registry.apply(t.kind(plural), { ...manifest(kindName, 'x', spec), ...extra }, {});
    } catch (e) {
      if (e instanceof Invalid) return e.causes;
      throw e;
    }
    throw new Error('expected the manifest to be rejected');
  };
  const fields = (plural: string, kindName: string, spec: unknown) => causes(plural, kindName, spec).map((c) => c.field).sort();
  return { ...t, apply, causes, fields };
}

describe('Task', () => {
  test('writes every default', () => {
    const { apply } = setup();
    const { object, created } = apply('tasks', 'Task', { system: ' report-system ' });
    expect(created).toBe(true);
    expect(object.spec).toEqual({
      system: 'report-system',
      mode: 'run',
      input: {},
      priority: 'normal',
      max_turns: 0,
      retry: { max_attempts: 1, backoff: '0s' },
      message_retry: { max_attempts: 1, backoff: '0s', max_backoff: '24h', jitter: 'full' },
    });
    expect(object.status).toMatchObject({ phase: 'Pending', trace: [], history: [], messages: [], message_idempotency: [], join_states: [], delegation_states: [] });
  });

  test('message_retry defaults are copied from retry; enums are lower-cased', () => {
    const { apply } = setup();
    const { object } = apply('tasks', 'Task', {
      system: 's',
      mode: ' Template ',
      retry: { max_attempts: 3, backoff: '2s' },
      message_retry: { jitter: 'EQUAL', non_retryable: [' quota ', 'quota', ''] },
      requirements: { region: ' eu ', gpu: true },
    });
    expect(object.spec.mode).toBe('template');
    expect(object.spec.message_retry).toEqual({ max_attempts: 3, backoff: '2s', max_backoff: '24h', jitter: 'equal', non_retryable: ['quota'] });
    expect(object.spec.requirements).toEqual({ region: 'eu', gpu: true });
  });

  test('a template needs no system; a run does', () => {
    const { apply, causes } = setup();
    expect(apply('tasks', 'Task', { mode: 'template' }).object.spec.mode).toBe('template');
    expect(causes('tasks', 'Task', { system: '  ' })).toEqual([{ field: 'spec.system', message: 'is required when mode is run' }]);
  });

  test('reports every cross-field problem at once', () => {
    const { fields } = setup();
    expect(fields('tasks', 'Task', { retry: { backoff: 'soon' }, message_retry: { max_backoff: '5 minutes' } })).toEqual([
      'spec.message_retry.max_backoff',
      'spec.retry.backoff',
      'spec.system',
    ]);
  });

  test('reports every schema problem at once, unknown fields included', () => {
    const { fields } = setup();
    expect(
      fields('tasks', 'Task', {
        sytem: 'typo',
        system: 's',
        mode: 'later',
        max_turns: -1,
        input: { n: 1 },
        message_retry: { jitter: 'random' },
        requirements: { gpu: 'yes' },
      }),
    ).toEqual(['spec.input.n', 'spec.max_turns', 'spec.message_retry.jitter', 'spec.mode', 'spec.requirements.gpu', 'spec.sytem']);
  });

  test('status arrays are never null and an empty blocked_on is dropped', () => {
    const { registry, kind, apply } = setup();
    apply('tasks', 'Task', { system: 's' });
    const o = registry.replaceStatus(kind('tasks'), 'default', 'x', { status: { phase: 'Running', blocked_on: { kind: ' ' } } }, '*');
    expect(o.status.trace).toEqual([]);
    expect(o.status.blocked_on).toBeUndefined();
    expect(() => registry.replaceStatus(kind('tasks'), 'default', 'x', { status: { phase: 'Done' } }, '*')).toThrow(Invalid);
  });
});

describe('TaskSchedule', () => {
  const base = { task_ref: 'weekly-report-template', schedule: '0 9 * * 1' };

  test('writes every default', () => {
    const { apply } = setup();
    const { object } = apply('task-schedules', 'TaskSchedule', base);
    expect(object.spec).toEqual({
      ...base,
      time_zone: 'UTC',
      suspend: false,
      starting_deadline_seconds: 300,
      concurrency_policy: 'forbid',
      successful_history_limit: 10,
      failed_history_limit: 3,
    });
    expect(object.status).toEqual({ phase: 'Pending', activeRuns: [] });
  });

  test('an inline task_template gets the Task defaults', () => {
    const { apply } = setup();
    const { object } = apply('task-schedules', 'TaskSchedule', { schedule: '*/15 * * * *', task_template: { system: 'sys', retry: { max_attempts: 2 } } });
    expect(object.spec.task_template).toEqual({
      system: 'sys',
      mode: 'run',
      input: {},
      priority: 'normal',
      max_turns: 0,
      retry: { max_attempts: 2, backoff: '0s' },
      message_retry: { max_attempts: 2, backoff: '0s', max_backoff: '24h', jitter: 'full' },
    });
  });

  test('exactly one of task_ref and task_template', () => {
    const { causes } = setup();
    expect(causes('task-schedules', 'TaskSchedule', { schedule: '0 * * * *' }).map((c) => c.field)).toEqual(['spec.task_ref']);
    expect(causes('task-schedules', 'TaskSchedule', { ...base, task_template: { system: 's' } }).map((c) => c.field)).toEqual(['spec.task_template']);
  });

  test('task_ref is name or namespace/name with both parts', () => {
    const { apply, causes } = setup();
    expect(apply('task-schedules', 'TaskSchedule', { ...base, task_ref: 'team-a/tpl' }).object.spec.task_ref).toBe('team-a/tpl');
    for (const ref of ['/tpl', 'team-a/', 'a/b/c', ' / ']) {
      expect(causes('task-schedules', 'TaskSchedule', { ...base, task_ref: ref }).map((c) => c.field)).toEqual(['spec.task_ref']);
    }
  });

  test('task_template rules use the template path', () => {
    const { fields } = setup();
    expect(fields('task-schedules', 'TaskSchedule', { schedule: '0 * * * *', task_template: { mode: 'template', retry: { backoff: 'x' } } })).toEqual([
      'spec.task_template.retry.backoff',
      'spec.task_template.system',
    ]);
    expect(fields('task-schedules', 'TaskSchedule', { schedule: '0 * * * *', task_template: { system: 's', bogus: 1 } })).toEqual(['spec.task_template.bogus']);
  });

  test('accepts valid cron expressions', () => {
    const { apply } = setup();
    for (const schedule of ['0 9 * * 1', '*/15 * * * *', '5/15 0-23/2 1,15 1-12 0-7', '0 0 * * 7', ' 30  4 1 * * ', '0 0 31 12 5-7']) {
      expect(apply('task-schedules', 'TaskSchedule', { ...base, schedule }).object.spec.schedule).toBe(schedule.trim());
    }
  });

  test('rejects invalid cron expressions', () => {
    const { causes } = setup();
    const bad = ['0 9 * *', '0 9 * * 1 2026', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '@daily', '0 9 * * MON', '*/0 * * * *', '5-1 * * * *', '? * * * *', '0 0 L * *', '1,,2 * * * *'];
    for (const schedule of bad) {
      const c = causes('task-schedules', 'TaskSchedule', { ...base, schedule });
      expect(c.map((x) => x.field)).toEqual(['spec.schedule']);
    }
    expect(causes('task-schedules', 'TaskSchedule', { task_ref: 't' })).toEqual([{ field: 'spec.schedule', message: 'is required' }]);
  });

  test('parseCron expands fields and folds day-of-week 7 into Sunday', () => {
    const { fields } = parseCron('0 9 * * 5-7');
    expect([...fields!.dayOfWeek].sort()).toEqual([0, 5, 6]);
    expect([...parseCron('5/20 * * * *').fields!.minute]).toEqual([5, 25, 45]);
    expect(parseCron('* * * *').error).toContain('5 fields');
  });

  test('time_zone must be an IANA zone; letter case is canonicalized', () => {
    const { apply, causes } = setup();
    expect(apply('task-schedules', 'TaskSchedule', { ...base, time_zone: 'america/chicago' }).object.spec.time_zone).toBe('America/Chicago');
    for (const tz of ['Mars/Olympus', '+01:00', 'Not A Zone']) {
      expect(causes('task-schedules', 'TaskSchedule', { ...base, time_zone: tz }).map((c) => c.field)).toEqual(['spec.time_zone']);
    }
  });

  test('reports several problems at once and rejects unknown fields and policies', () => {
    const { fields } = setup();
    expect(fields('task-schedules', 'TaskSchedule', { schedule: 'every monday', time_zone: 'Nowhere/Land' })).toEqual(['spec.schedule', 'spec.task_ref', 'spec.time_zone']);
    expect(fields('task-schedules', 'TaskSchedule', { ...base, concurrency_policy: 'allow', suspended: true, suspend: 'no' })).toEqual([
      'spec.concurrency_policy',
      'spec.suspend',
      'spec.suspended',
    ]);
  });
});

describe('TaskWebhook', () => {
  const endpoint = (ns: string, name: string) => createHash('sha256').update(`${ns}/${name}`).digest('hex').slice(0, 24);

  test('generic profile defaults and the endpoint id in the apply response', () => {
    const { apply } = setup();
    const { object } = apply('task-webhooks', 'TaskWebhook', { task_ref: 'tpl', auth: { secret_ref: 'hook-secret' } });
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

  test('github profile defaults', () => {
    const { apply } = setup();
    const { object } = apply('task-webhooks', 'TaskWebhook', { task_ref: 'tpl', auth: { profile: 'GitHub', secret_ref: 's' } });
    expect(object.spec.auth).toEqual({ profile: 'github', secret_ref: 's', signature_header: 'X-Hub-Signature-256', signature_prefix: 'sha256=', max_skew_seconds: 300 });
    expect(object.spec.idempotency).toEqual({ event_id_header: 'X-GitHub-Delivery', dedupe_window_seconds: 259200 });
  });

  test('hmac profile defaults and conditional requirements', () => {
    const { apply, fields } = setup();
    const { object } = apply('task-webhooks', 'TaskWebhook', { task_ref: 'tpl', auth: { profile: 'hmac', secret_ref: 's', signature_header: 'X-Sig' } });
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
    const slack = apply('task-webhooks', 'TaskWebhook', {
      task_ref: 'tpl',
      auth: { profile: 'hmac', secret_ref: 's', signature_header: 'X-Slack-Signature', payload_format: 'prefix_timestamp_body', payload_prefix: 'v0', timestamp_header: 'X-Slack-Request-Timestamp' },
    });
    expect(slack.object.spec.auth.payload_separator).toBe('.');
    expect(fields('task-webhooks', 'TaskWebhook', { task_ref: 'tpl', auth: { profile: 'hmac', secret_ref: 's', payload_format: 'timestamp_dot_body' } })).toEqual([
      'spec.auth.signature_header',
      'spec.auth.timestamp_header',
    ]);
    expect(
      fields('task-webhooks', 'TaskWebhook', { task_ref: 'tpl', auth: { profile: 'hmac', secret_ref: 's', signature_header: 'Stripe-Signature', header_format: 'kv_pairs', payload_format: 'timestamp_dot_body' } }),
    ).toEqual(['spec.auth.signature_key', 'spec.auth.timestamp_key']);
  });

  test('shared_token needs a signature header; event_id_from_body replaces the header default', () => {
    const { apply, causes } = setup();
    expect(causes('task-webhooks', 'TaskWebhook', { task_ref: 'tpl', auth: { profile: 'shared_token', secret_ref: 's' } })).toEqual([
      { field: 'spec.auth.signature_header', message: 'is required for the shared_token profile' },
    ]);
    const { object } = apply('task-webhooks', 'TaskWebhook', {
      task_ref: 'tpl',
      auth: { profile: 'shared_token', secret_ref: 's', signature_header: 'X-Telegram-Bot-Api-Secret-Token' },
      idempotency: { event_id_from_body: ' update_id ' },
    });
    expect(object.spec.auth).toEqual({ profile: 'shared_token', secret_ref: 's', signature_header: 'X-Telegram-Bot-Api-Secret-Token' });
    expect(object.spec.idempotency).toEqual({ event_id_from_body: 'update_id', dedupe_window_seconds: 86400 });
  });

  test('endpoint id follows namespace/name and is recomputed on every write', () => {
    const { registry, kind, apply } = setup();
    const { object } = apply('task-webhooks', 'TaskWebhook', { task_ref: 'tpl', auth: { secret_ref: 's' } }, 'hook', { namespace: 'team-a' });
    expect(object.status.endpointID).toBe(endpoint('team-a', 'hook'));
    const o = registry.replaceStatus(kind('task-webhooks'), 'team-a', 'hook', { status: { phase: 'Ready', endpointID: 'forged', endpointPath: '/elsewhere' } }, '*');
    expect(o.status).toEqual({ phase: 'Ready', observedGeneration: 1, endpointID: endpoint('team-a', 'hook'), endpointPath: `/v1/webhook-deliveries/${endpoint('team-a', 'hook')}` });
  });

  test('an inline task_template is accepted', () => {
    const { apply } = setup();
    const { object } = apply('task-webhooks', 'TaskWebhook', { task_template: { system: 'sys', input: { topic: 't' } }, auth: { secret_ref: 's' } });
    expect(object.spec.task_template.input).toEqual({ topic: 't' });
    expect(object.spec.task_ref).toBeUndefined();
  });

  test('reports schema problems together and unknown fields', () => {
    const { fields } = setup();
    expect(
      fields('task-webhooks', 'TaskWebhook', {
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
    expect(fields('task-webhooks', 'TaskWebhook', {})).toEqual(['spec.auth.secret_ref']);
    expect(fields('task-webhooks', 'TaskWebhook', { auth: { secret_ref: 'ns/' } })).toEqual(['spec.auth.secret_ref', 'spec.task_ref']);
  });
});

describe('Secret', () => {
  const apiKey = 'sk-live-0123456789abcdef';

  test('folds stringData into data, encrypts at rest and redacts every read', () => {
    const { registry, kind, apply, handle } = setup();
    const { object } = apply('secrets', 'Secret', { data: { other: b64('x'), value: b64('old') }, stringData: { value: apiKey } }, 'api');
    expect(object.spec).toEqual({ data: { other: '***', value: '***' } });
    expect(registry.get(kind('secrets'), 'default', 'api').spec).toEqual({ data: { other: '***', value: '***' } });
    expect(registry.list(kind('secrets'), {}).items[0].spec.data.value).toBe('***');
    const decoded = registry.getDecoded(kind('secrets'), 'default', 'api');
    expect(decoded.spec).toEqual({ data: { other: b64('x'), value: b64(apiKey) } });

    const rows = handle.sqlite.query('select spec from resources').all() as { spec: string }[];
    const changes = handle.sqlite.query('select object from changes').all() as { object: string }[];
    const stored = [...rows.map((r) => r.spec), ...changes.map((c) => c.object)].join('\n');
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(b64(apiKey));
    expect(stored).not.toContain(b64('x'));
    const data = JSON.parse(rows[0].spec).data;
    expect(Object.values(data).every((v) => typeof v === 'string' && v.startsWith('enc:'))).toBe(true);
  });

  test('sending "***" back keeps the stored value', () => {
    const { registry, kind, apply } = setup();
    const created = apply('secrets', 'Secret', { stringData: { value: apiKey, extra: 'e' } }, 'api').object;
    const body = { ...created, spec: { data: { value: '***', extra: b64('changed') } } };
    const replaced = registry.replace(kind('secrets'), 'api', body, {}, created.metadata.resourceVersion);
    expect(replaced.spec.data).toEqual({ value: '***', extra: '***' });
    expect(registry.getDecoded(kind('secrets'), 'default', 'api').spec.data).toEqual({ value: b64(apiKey), extra: b64('changed') });
    const again = apply('secrets', 'Secret', { data: { value: '***', extra: '***' } }, 'api');
    expect(again.created).toBe(false);
    expect(registry.getDecoded(kind('secrets'), 'default', 'api').metadata.generation).toBe(2);
  });

  test('"***" without a stored value is rejected', () => {
    const { causes, apply } = setup();
    expect(causes('secrets', 'Secret', { data: { value: '***' } })).toEqual([
      { field: 'spec.data.value', message: 'is the redacted placeholder "***" but no stored value exists for this key' },
    ]);
    apply('secrets', 'Secret', { stringData: { value: 'v' } });
    expect(causes('secrets', 'Secret', { data: { value: '***', other: '***' } }).map((c) => c.field)).toEqual(['spec.data.other']);
  });

  test('data values must be non-empty standard base64, one cause per key, never echoing the value', () => {
    const { causes, apply } = setup();
    let error: Invalid | undefined;
    try {
      apply('secrets', 'Secret', { data: { a: 'not base64!', b: '', c: 'abc', d: 'YWJj', 'api.key': 'YW=J' } });
    } catch (e) {
      error = e as Invalid;
    }
    expect(error).toBeInstanceOf(Invalid);
    expect(error!.causes.map((c) => c.field)).toEqual(['spec.data.a', 'spec.data.b', 'spec.data.c', 'spec.data["api.key"]']);
    expect(error!.message).not.toContain('not base64!');
    expect(causes('secrets', 'Secret', { data: { a: 1 }, stringData: { b: 2 }, extra: {} }).map((c) => c.field).sort()).toEqual([
      'spec.data.a',
      'spec.extra',
      'spec.stringData.b',
    ]);
  });

  test('wrapped base64 and empty specs are accepted', () => {
    const { registry, kind, apply } = setup();
    apply('secrets', 'Secret', { data: { pem: 'QUJD\nREVG' } }, 'wrapped');
    expect(registry.getDecoded(kind('secrets'), 'default', 'wrapped').spec.data.pem).toBe('QUJDREVG');
    expect(apply('secrets', 'Secret', {}, 'empty').object.spec).toEqual({ data: {} });
  });
});

describe('SealedSecret', () => {
  const sealed = { keyId: ' 0123abcd ', wrappedKey: 'd3JhcHBlZA==', ciphertext: 'Y2lwaGVy' };

  test('trims entries, drops empty keys and trims template metadata', () => {
    const { apply } = setup();
    const { object } = apply('sealed-secrets', 'SealedSecret', {
      encryptedData: { ' value ': sealed, ' ': sealed },
      template: { labels: { ' team ': ' ai ', ' ': 'x' }, annotations: {} },
    });
    expect(object.spec).toEqual({
      encryptedData: { value: { keyId: '0123abcd', wrappedKey: 'd3JhcHBlZA==', ciphertext: 'Y2lwaGVy' } },
      template: { labels: { team: 'ai' } },
    });
    expect(object.status).toEqual({ phase: 'Pending' });
    expect(apply('sealed-secrets', 'SealedSecret', {}, 'empty').object.spec).toEqual({ encryptedData: {} });
  });

  test('every sealed value needs keyId, wrappedKey and ciphertext in standard base64', () => {
    const { fields } = setup();
    expect(fields('sealed-secrets', 'SealedSecret', { encryptedData: { a: { wrappedKey: ' ', ciphertext: 'x' }, b: { ...sealed, iv: 'x' } } })).toEqual([
      'spec.encryptedData.a.keyId',
      'spec.encryptedData.a.wrappedKey',
      'spec.encryptedData.b.iv',
    ]);
    expect(fields('sealed-secrets', 'SealedSecret', { encryptedData: { a: { ...sealed, wrappedKey: 'not-base64', ciphertext: 'abc' } } })).toEqual([
      'spec.encryptedData.a.ciphertext',
      'spec.encryptedData.a.wrappedKey',
    ]);
  });
});

describe('ToolApproval', () => {
  test('writes defaults and expires_at = now + ttl', () => {
    const { apply, kind } = setup();
    expect(kind('tool-approvals').allowPut).toBe(false);
    const { object } = apply('tool-approvals', 'ToolApproval', { task_ref: ' default/t1 ', tool: 'web_search', operation_class: ' WRITE ', input: '{"q":"x"}' });
    expect(object.spec).toEqual({ task_ref: 'default/t1', tool: 'web_search', operation_class: 'write', input: '{"q":"x"}', ttl: '10m' });
    expect(object.status).toEqual({ phase: 'Pending', expires_at: '2026-01-02T03:14:05Z' });
    expect(apply('tool-approvals', 'ToolApproval', { task_ref: 't', tool: 'x', ttl: '1h30m' }, 'y').object.status.expires_at).toBe('2026-01-02T04:34:05Z');
  });

  test('expires_at is set once and kept on later writes', () => {
    let now = new Date('2026-01-02T03:04:05Z');
    const { apply } = setup({ now: () => now });
    apply('tool-approvals', 'ToolApproval', { task_ref: 't', tool: 'x' });
    now = new Date('2026-01-02T05:00:00Z');
    expect(apply('tool-approvals', 'ToolApproval', { task_ref: 't', tool: 'x', reason: 'again' }).object.status.expires_at).toBe('2026-01-02T03:14:05Z');
  });

  test('reason is cut to 500 characters; decided approvals get no expiry', () => {
    const { apply } = setup();
    const { object } = apply('tool-approvals', 'ToolApproval', { task_ref: 't', tool: 'x', reason: 'r'.repeat(700) });
    expect(object.spec.reason).toHaveLength(500);
    const decided = { ...manifest('ToolApproval', 'd', { task_ref: 't', tool: 'x' }), status: { phase: 'Approved', decision: 'approved' } };
    const { registry, kind } = setup();
    expect(registry.apply(kind('tool-approvals'), decided, {}).object.status).toEqual({ phase: 'Approved', decision: 'approved' });
  });

  test('validation rules', () => {
    const { fields, causes } = setup();
    expect(fields('tool-approvals', 'ToolApproval', { task_ref: ' ', agent: 7, extra: true })).toEqual(['spec.agent', 'spec.extra', 'spec.task_ref', 'spec.tool']);
    expect(causes('tool-approvals', 'ToolApproval', { task_ref: 't', tool: 'x', ttl: 'forever' }).map((c) => c.field)).toEqual(['spec.ttl']);
    expect(causes('tool-approvals', 'ToolApproval', { task_ref: 't', tool: 'x' }, { status: { phase: 'Maybe' } }).map((c) => c.field)).toEqual(['status.phase']);
  });
});

describe('TaskApproval', () => {
  const base = { task_ref: 'default/t1', checkpoint_id: 'cp-1' };

  test('writes defaults and expires_at = now + ttl', () => {
    const { apply, kind } = setup();
    expect(kind('task-approvals').allowPut).toBe(false);
    const { object } = apply('task-approvals', 'TaskApproval', base);
    expect(object.spec).toEqual({
      ...base,
      checkpoint_type: 'agent_output',
      ttl: '10m',
      allow_request_changes: true,
      max_review_cycles: 3,
      review_cycle: 1,
      output_format: 'text',
      resume_context: {},
    });
    expect(object.status).toEqual({ phase: 'Pending', expires_at: '2026-01-02T03:14:05Z' });
  });

  test('output_format follows the output type unless given', () => {
    const { apply } = setup();
    const json = apply('task-approvals', 'TaskApproval', { ...base, output: { summary: 'ok' }, allow_request_changes: false, ttl: '2h' }, 'a').object;
    expect(json.spec).toMatchObject({ output: { summary: 'ok' }, output_format: 'json', allow_request_changes: false });
    expect(json.status.expires_at).toBe('2026-01-02T05:04:05Z');
    expect(apply('task-approvals', 'TaskApproval', { ...base, output: 'draft text' }, 'b').object.spec.output_format).toBe('text');
    expect(apply('task-approvals', 'TaskApproval', { ...base, output: '{"a":1}', output_format: ' JSON ' }, 'c').object.spec.output_format).toBe('json');
    expect(apply('task-approvals', 'TaskApproval', { ...base, output: [1, 2] }, 'd').object.spec.output_format).toBe('json');
  });

  test('validation rules', () => {
    const { fields, causes } = setup();
    expect(fields('task-approvals', 'TaskApproval', { task_ref: 't', checkpoint_type: 'final', output_format: 'xml', resume_context: 'x', comment: 'c' })).toEqual([
      'spec.checkpoint_id',
      'spec.checkpoint_type',
      'spec.comment',
      'spec.output_format',
      'spec.resume_context',
    ]);
    expect(causes('task-approvals', 'TaskApproval', { ...base, ttl: '10 minutes' }).map((c) => c.field)).toEqual(['spec.ttl']);
    expect(causes('task-approvals', 'TaskApproval', base, { status: { phase: 'ChangesRequested', decision: 'maybe' } }).map((c) => c.field)).toEqual(['status.decision']);
  });
});

describe('Orloj examples', () => {
  const MINE = new Set(['Task', 'TaskSchedule', 'TaskWebhook', 'Secret', 'SealedSecret', 'ToolApproval', 'TaskApproval']);
  const root = '/work/shared/orloj-examples';
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f)).sort();

  test('every example of these kinds applies unchanged', () => {
    let applied = 0;
    for (const file of files) {
      for (const doc of YAML.parseAllDocuments(readFileSync(join(root, file), 'utf8'))) {
        const m = doc.toJS();
        if (!m || !MINE.has(m.kind)) continue;
        const { registry } = setup();
        const def = registry.byKind.get(m.kind.toLowerCase())!;
        try {
          registry.apply(def, m, {});
        } catch (e) {
          throw new Error(`${file}: ${(e as Error).message}`);
        }
        applied++;
      }
    }
    expect(applied).toBe(28);
  });
});
