// POST /v1/webhook-deliveries/{endpoint_id} over HTTP: every signature profile with real HMACs
// (GitHub's and Slack's documented examples among them), dedupe under concurrency, the limits,
// and the public route with authentication on.
import { describe, expect, test } from 'bun:test';
import { parseEnvTokens } from '../../src/auth/env-tokens';
import { webhookEndpointID } from '../../src/resources/task-webhook';
import { SECRET, hmacB64, hmacHex, webhookApp } from '../webhooks/support';

const NOW = '2026-03-01T12:00:00Z';
const NOW_S = String(Date.parse(NOW) / 1000);
const ID = webhookEndpointID('default', 'hook');

const generic = (body: string, headers: Record<string, string> = {}, ts = NOW_S, secret = SECRET) => ({
  'X-Timestamp': ts,
  'X-Signature': `sha256=${hmacHex(secret, `${ts}.${body}`)}`,
  'X-Event-Id': 'evt-1',
  ...headers,
});

async function eventTypes(ctx: ReturnType<typeof webhookApp>): Promise<string[]> {
  const events = await ctx.backend.events.readAfter(0, await ctx.backend.events.lastId(), 10_000);
  return events.filter((e) => e.type.startsWith('taskwebhook.')).map((e) => e.type);
}

describe('generic profile', () => {
  test('a signed delivery creates one run task from the template and answers 202', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup();
    expect((await ctx.webhook()).status).toMatchObject({ endpointID: ID, endpointPath: `/v1/webhook-deliveries/${ID}` });
    const body = '{"order":42}';
    const res = await ctx.post(path, body, generic(body));
    const task = `hook-${new Bun.CryptoHasher('sha256').update('evt-1').digest('hex').slice(0, 16)}`;
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ accepted: true, duplicate: false, event_id: 'evt-1', task, message: 'delivery accepted' });
    const t = await ctx.registry.get(ctx.kind('tasks'), 'default', task);
    expect(t.metadata.labels).toEqual({ 'orloj.dev/task-webhook': 'hook', 'orloj.dev/task-webhook-namespace': 'default', 'orloj.dev/webhook-event-id': task.slice(5) });
    expect(t.spec.mode).toBe('run');
    expect(t.spec.system).toBe('sys');
    expect(t.spec.input).toEqual({ topic: 'news', webhook_payload: body, webhook_event_id: 'evt-1', webhook_received_at: '2026-03-01T12:00:00.000000000Z', webhook_source: 'generic' });
    expect((await ctx.webhook()).status).toEqual({
      phase: 'Ready',
      observedGeneration: 1,
      endpointID: ID,
      endpointPath: `/v1/webhook-deliveries/${ID}`,
      acceptedCount: 1,
      lastDeliveryTime: '2026-03-01T12:00:00Z',
      lastEventID: 'evt-1',
      lastTriggeredTask: task,
    });
    expect(await eventTypes(ctx)).toEqual(['taskwebhook.triggered', 'taskwebhook.delivery.accepted']);
    // The same event again: the same task, nothing new.
    const again = await ctx.post(path, body, generic(body));
    expect(again.status).toBe(202);
    expect(again.json).toEqual({ accepted: true, duplicate: true, event_id: 'evt-1', task });
    expect(await ctx.tasks()).toHaveLength(1);
    expect((await ctx.webhook()).status).toMatchObject({ acceptedCount: 1, duplicateCount: 1 });
  });

  test('timestamps in milliseconds and RFC 3339 are accepted', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup();
    expect((await ctx.post(path, 'a', generic('a', { 'X-Event-Id': 'ms' }, String(Date.parse(NOW) - 5000)))).status).toBe(202);
    expect((await ctx.post(path, 'b', generic('b', { 'X-Event-Id': 'rfc' }, '2026-03-01T12:04:00Z'))).status).toBe(202);
    expect(await ctx.tasks()).toHaveLength(2);
  });

  test('a wrong signature is 401 and records only the rejected counter', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup();
    const res = await ctx.post(path, 'x', generic('x', {}, NOW_S, 'wrong secret'));
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized', message: 'the delivery could not be authenticated' });
    expect(res.text).not.toContain(SECRET);
    expect(await ctx.tasks()).toHaveLength(0);
    // No dedupe row was kept (pruning everything finds none): a later delivery of the event would run.
    expect(await ctx.backend.dedupe().prune(Number.MAX_SAFE_INTEGER)).toBe(0);
    expect((await ctx.webhook()).status).toMatchObject({ phase: 'Error', rejectedCount: 1, lastError: 'the signature does not match' });
    expect((await ctx.webhook()).status.acceptedCount).toBeUndefined();
    expect(await eventTypes(ctx)).toEqual(['taskwebhook.delivery.rejected']);
    // A signature of another body, a malformed one, none at all.
    expect((await ctx.post(path, 'y', { ...generic('x'), 'X-Signature': generic('x')['X-Signature'] })).status).toBe(401);
    expect((await ctx.post(path, 'x', { ...generic('x'), 'X-Signature': 'sha256=zz' })).status).toBe(401);
    expect((await ctx.post(path, 'x', { 'X-Timestamp': NOW_S, 'X-Event-Id': 'e' })).status).toBe(401);
    expect((await ctx.webhook()).status.rejectedCount).toBe(4);
  });

  test('a stale timestamp is 401', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup();
    const old = String(Number(NOW_S) - 301);
    const res = await ctx.post(path, 'x', generic('x', {}, old));
    expect(res.status).toBe(401);
    expect((await ctx.webhook()).status.lastError).toBe('the signing timestamp is more than 300s away from the server clock');
    expect((await ctx.post(path, 'x', generic('x', {}, String(Number(NOW_S) - 299)))).status).toBe(202);
  });

  test('a missing event id is 400', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup();
    const { 'X-Event-Id': _, ...headers } = generic('x');
    const res = await ctx.post(path, 'x', headers);
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('the delivery carries no event id');
    expect(await ctx.tasks()).toHaveLength(0);
  });
});

describe('github profile', () => {
  // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
  const DOC_SIG = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  test('the documented example signature is accepted; the event id is X-GitHub-Delivery', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup({ auth: { profile: 'github' } });
    const res = await ctx.post(path, 'Hello, World!', { 'X-Hub-Signature-256': DOC_SIG, 'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    expect(res.status).toBe(202);
    expect(res.json.event_id).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    const t = await ctx.registry.get(ctx.kind('tasks'), 'default', res.json.task);
    expect(t.spec.input.webhook_source).toBe('github');
    expect(t.spec.input.webhook_payload).toBe('Hello, World!');
  });

  test('wrong signature 401, missing delivery id 400; no timestamp, so an old delivery only meets dedupe', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup({ auth: { profile: 'github' } });
    expect((await ctx.post(path, 'Hello, World?', { 'X-Hub-Signature-256': DOC_SIG, 'X-GitHub-Delivery': 'd1' })).status).toBe(401);
    expect((await ctx.post(path, 'Hello, World!', { 'X-Hub-Signature-256': DOC_SIG.toUpperCase().replace('SHA256=', 'SHA256=') })).status).toBe(400);
    expect((await ctx.post(path, 'Hello, World!', { 'X-Hub-Signature-256': DOC_SIG, 'X-GitHub-Delivery': 'd1' })).status).toBe(202);
    ctx.advance(71 * 3600_000);
    expect((await ctx.post(path, 'Hello, World!', { 'X-Hub-Signature-256': DOC_SIG, 'X-GitHub-Delivery': 'd1' })).json.duplicate).toBe(true);
  });
});

describe('hmac profile', () => {
  const stripe = { auth: { profile: 'hmac', signature_header: 'Stripe-Signature', header_format: 'kv_pairs', payload_format: 'timestamp_dot_body', signature_key: 'v1', timestamp_key: 't' }, idempotency: { event_id_from_body: 'id' } };
  const stripeHeader = (body: string, ts = NOW_S, secret = SECRET) => ({ 'Stripe-Signature': `t=${ts},v1=${hmacHex('rolled-out', `${ts}.${body}`)},v1=${hmacHex(secret, `${ts}.${body}`)},v0=ignored` });

  test('Stripe-Signature t=…,v1=… with the event id from the body', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup(stripe);
    const body = '{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"payment_intent.succeeded"}';
    const res = await ctx.post(path, body, stripeHeader(body));
    expect(res.status).toBe(202);
    expect(res.json.event_id).toBe('evt_1NG8Du2eZvKYlo2CUI79vXWy');
    expect((await ctx.post(path, body, stripeHeader(body, NOW_S, 'whsec_wrong'))).status).toBe(401);
    expect((await ctx.post(path, body, stripeHeader(body, String(Number(NOW_S) - 600)))).status).toBe(401);
    const noId = '{"object":"event"}';
    expect((await ctx.post(path, noId, stripeHeader(noId))).status).toBe(400);
    expect(await ctx.tasks()).toHaveLength(1);
  });

  // Slack's scheme (v0:timestamp:body, X-Slack-Signature: v0=<hex>) with the secret and timestamp of
  // its documentation; the signature is computed here, as the documented body could not be restored
  // byte for byte.
  const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
  const SLACK_TS = '1531420618';
  const SLACK_BODY =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebbot&text=test&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const SLACK_SIG = `v0=${hmacHex(SLACK_SECRET, `v0:${SLACK_TS}:${SLACK_BODY}`)}`;
  const slack = { auth: { profile: 'hmac', signature_header: 'X-Slack-Signature', signature_prefix: 'v0=', timestamp_header: 'X-Slack-Request-Timestamp', payload_format: 'prefix_timestamp_body', payload_prefix: 'v0', payload_separator: ':' }, idempotency: { event_id_header: 'X-Slack-Retry-Id' } };

  test('X-Slack-Signature v0= over v0:timestamp:body', async () => {
    const ctx = webhookApp({ start: new Date(Number(SLACK_TS) * 1000 + 10_000).toISOString() });
    const path = await ctx.setup(slack, 'hook', SLACK_SECRET);
    const headers = { 'X-Slack-Signature': SLACK_SIG, 'X-Slack-Request-Timestamp': SLACK_TS, 'X-Slack-Retry-Id': 'slack-1' };
    expect((await ctx.post(path, SLACK_BODY, headers)).status).toBe(202);
    expect((await ctx.post(path, `${SLACK_BODY}x`, headers)).status).toBe(401);
    expect((await ctx.post(path, SLACK_BODY, { ...headers, 'X-Slack-Retry-Id': '' })).status).toBe(400);
    ctx.advance(301_000);
    expect((await ctx.post(path, SLACK_BODY, headers)).status).toBe(401);
    expect((await ctx.webhook()).status.lastError).toBe('the signing timestamp is more than 300s away from the server clock');
  });

  test('sha512 with base64 over the plain body', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup({ auth: { profile: 'hmac', signature_header: 'X-Sig', algorithm: 'sha512', signature_encoding: 'base64' } });
    expect((await ctx.post(path, 'hi', { 'X-Sig': hmacB64(SECRET, 'hi', 'sha512'), 'X-Event-Id': 'b64' })).status).toBe(202);
    expect((await ctx.post(path, 'hi', { 'X-Sig': hmacB64(SECRET, 'hi', 'sha256'), 'X-Event-Id': 'b64-2' })).status).toBe(401);
  });
});

describe('shared_token profile', () => {
  test('the header must equal the secret', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup({ auth: { profile: 'shared_token', signature_header: 'X-Token' } });
    expect((await ctx.post(path, 'x', { 'X-Token': SECRET, 'X-Event-Id': 'tok-1' })).status).toBe(202);
    expect((await ctx.post(path, 'x', { 'X-Token': `${SECRET}!`, 'X-Event-Id': 'tok-2' })).status).toBe(401);
    expect((await ctx.post(path, 'x', { 'X-Event-Id': 'tok-3' })).status).toBe(401);
    expect((await ctx.post(path, 'x', { 'X-Token': SECRET })).status).toBe(400);
    expect((await ctx.webhook()).status).toMatchObject({ acceptedCount: 1, rejectedCount: 3 });
  });
});

describe('exactly once', () => {
  test('50 concurrent copies of one event: one task, 49 duplicates answering the same task', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup();
    const answers = await Promise.all(Array.from({ length: 50 }, () => ctx.post(path, 'same', generic('same', { 'X-Event-Id': 'storm' }))));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202));
    expect(answers.filter((a) => !a.json.duplicate)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.json.task)).size).toBe(1);
    expect(await ctx.tasks()).toHaveLength(1);
    expect((await ctx.webhook()).status).toMatchObject({ acceptedCount: 1, duplicateCount: 49 });
  });

  test('after the window the row is pruned; the same event id then reuses its task', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup({ idempotency: { dedupe_window_seconds: 60 } });
    const first = await ctx.post(path, 'a', generic('a', { 'X-Event-Id': 'w' }));
    ctx.advance(59_000);
    expect(await ctx.webhooks.prune()).toBe(0);
    ctx.advance(1_000);
    expect(await ctx.webhooks.prune()).toBe(1);
    const ts = String(Math.floor(ctx.clock.now().getTime() / 1000));
    const later = await ctx.post(path, 'a', generic('a', { 'X-Event-Id': 'w' }, ts));
    expect(later.status).toBe(202);
    expect(later.json.task).toBe(first.json.task);
    expect(await ctx.tasks()).toHaveLength(1);
  });

  test('an inline task_template and a custom input_key', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup({ task_ref: undefined, task_template: { system: 'other' }, payload: { input_key: 'event' } });
    const res = await ctx.post(path, 'p', generic('p'));
    expect(res.status).toBe(202);
    expect((await ctx.registry.get(ctx.kind('tasks'), 'default', res.json.task)).spec).toMatchObject({ system: 'other', mode: 'run', input: { event: 'p', webhook_event_id: 'evt-1' } });
  });

  test('a task of the same name that the webhook did not create is left alone: 400', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup();
    const name = `hook-${new Bun.CryptoHasher('sha256').update('evt-1').digest('hex').slice(0, 16)}`;
    await ctx.registry.apply(ctx.kind('tasks'), { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name }, spec: { system: 'mine', input: { keep: 'me' } } }, {});
    const res = await ctx.post(path, 'p', generic('p'));
    expect(res.status).toBe(400);
    expect((await ctx.registry.get(ctx.kind('tasks'), 'default', name)).spec).toMatchObject({ system: 'mine', input: { keep: 'me' } });
    expect((await ctx.webhook()).status.lastError).toBe(`creating the run task failed: task default/${name} exists and was not created by this webhook for this event`);
    // No dedupe row was kept (pruning everything finds none): a later delivery of the event would run.
    expect(await ctx.backend.dedupe().prune(Number.MAX_SAFE_INTEGER)).toBe(0);
  });

  test('a template that is not mode template: 400, detail in status.lastError', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup();
    await ctx.registry.apply(ctx.kind('tasks'), { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name: 'tpl' }, spec: { system: 'sys', mode: 'run' } }, {});
    const res = await ctx.post(path, 'p', generic('p'));
    expect(res.status).toBe(400);
    expect((await ctx.webhook()).status.lastError).toBe('creating the run task failed: task default/tpl is not a template (spec.mode must be template)');
  });
});

describe('limits and routing', () => {
  test('suspended 409, over 1 MiB 413, unknown endpoint 404', async () => {
    const ctx = webhookApp();
    const path = await ctx.setup({ suspend: true });
    expect((await ctx.post(path, 'x', generic('x'))).status).toBe(409);
    await ctx.setup({}, 'open');
    const open = `/v1/webhook-deliveries/${webhookEndpointID('default', 'open')}`;
    const big = 'x'.repeat(1024 * 1024 + 1);
    expect((await ctx.post(open, big, generic(big))).status).toBe(413);
    const exact = 'x'.repeat(1024 * 1024);
    expect((await ctx.post(open, exact, generic(exact))).status).toBe(202);
    const missing = await ctx.post('/v1/webhook-deliveries/000000000000000000000000', 'x', generic('x'));
    expect(missing.status).toBe(404);
    expect(missing.json.reason).toBe('NotFound');
  });

  test('public with authentication on: no bearer token needed, other routes still 401', async () => {
    const ctx = webhookApp({ auth: { envTokens: parseEnvTokens({ ORLOJ_API_TOKENS: 'ci:secret-token-value-123:admin' }).tokens } });
    const path = await ctx.setup();
    expect((await ctx.call('GET', '/v1/tasks')).status).toBe(401);
    expect((await ctx.post(path, 'x', generic('x'))).status).toBe(202);
    expect((await ctx.post('/v1/webhook-deliveries/nope', 'x', generic('x'))).status).toBe(404);
    expect((await ctx.call('GET', path)).status).toBe(405);
  });

  test('rate limit per endpoint: 429 with Retry-After in the Status shape, refilled over time', async () => {
    const ctx = webhookApp({ rate: 3 });
    const path = await ctx.setup();
    for (const id of ['r1', 'r2', 'r3']) expect((await ctx.post(path, id, generic(id, { 'X-Event-Id': id }))).status).toBe(202);
    const res = await ctx.post(path, 'r4', generic('r4', { 'X-Event-Id': 'r4' }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('20');
    expect(res.json).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests' });
    ctx.advance(20_000);
    const ts = String(Math.floor(ctx.clock.now().getTime() / 1000));
    expect((await ctx.post(path, 'r4', generic('r4', { 'X-Event-Id': 'r4' }, ts))).status).toBe(202);
    expect(await ctx.tasks()).toHaveLength(4);
  });
});
