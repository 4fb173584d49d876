// The approval decision verbs over HTTP: approve, deny and request-changes with the exact status they
// record, every refusal (400, 404, 409), PUT while Pending and after a decision, roles, concurrent
// decisions, the decision events, the watch frame and the pending gauge.
import { describe, expect, test } from 'bun:test';
import { parseEnvTokens } from '../../src/auth/env-tokens';
import { testApp } from '../support/app';
import { json, SseReader } from '../support/sse';

const T0 = '2026-05-06T07:08:09Z';
const WRITER = 'tok-writer-0123456789';
const READER = 'tok-reader-0123456789';
const TOKENS = parseEnvTokens({ ORLOJ_API_TOKENS: `ci-bot:${WRITER}:writer,viewer:${READER}:reader` }).tokens;

function setup(opts: { auth?: boolean } = {}) {
  let now = new Date(T0);
  const clock = { now: () => now };
  const ctx = testApp({ clock, auth: opts.auth ? { envTokens: TOKENS } : undefined });
  const tool = (name: string, spec: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    ctx.call('POST', '/v1/tool-approvals', { kind: 'ToolApproval', metadata: { name }, spec: { task_ref: 'default/job', tool: 'ticket-update', ...spec } }, headers);
  const review = (name: string, spec: Record<string, unknown> = {}) =>
    ctx.call('POST', '/v1/task-approvals', { kind: 'TaskApproval', metadata: { name }, spec: { task_ref: 'default/job', checkpoint_id: 'draft', ...spec } });
  return { ...ctx, tool, review, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const conflict = (plural: string, name: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 409, reason: 'Conflict', message, details: { kind: plural, name } });

describe('ToolApproval decisions', () => {
  test('approve records phase, decision, reviewer, time and comment (reason is the legacy alias)', async () => {
    const { tool, call, advance } = setup();
    expect((await tool('a')).status).toBe(201);
    advance(65_000);
    const r = await call('POST', '/v1/tool-approvals/a/approve', { decided_by: ' alice ', reason: 'looks right' });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe('"2"');
    expect(r.json.metadata).toMatchObject({ name: 'a', resourceVersion: '2', generation: 1 });
    expect(r.json.status).toEqual({
      phase: 'Approved',
      decision: 'approved',
      decided_by: 'alice',
      decided_at: '2026-05-06T07:09:14Z',
      comment: 'looks right',
      expires_at: '2026-05-06T07:18:09Z',
      observedGeneration: 1,
    });
    expect((await call('GET', '/v1/tool-approvals/a')).json.status).toEqual(r.json.status);
  });

  test('deny takes no body; decidedBy is an alias; comment wins over reason', async () => {
    const { tool, call } = setup();
    await tool('a');
    await tool('b');
    const a = await call('POST', '/v1/tool-approvals/a/deny');
    expect(a.status).toBe(200);
    expect(a.json.status).toEqual({ phase: 'Denied', decision: 'denied', decided_at: T0, expires_at: '2026-05-06T07:18:09Z', observedGeneration: 1 });
    const b = await call('POST', '/v1/tool-approvals/b/deny', { decidedBy: 'bob', comment: 'no', reason: 'ignored' });
    expect(b.json.status).toMatchObject({ phase: 'Denied', decided_by: 'bob', comment: 'no' });
  });

  test('an approval already decided answers 409 saying how; the stored decision is unchanged', async () => {
    const { tool, call } = setup();
    await tool('a');
    const first = await call('POST', '/v1/tool-approvals/a/approve', { decided_by: 'alice' });
    for (const verb of ['approve', 'deny']) {
      const r = await call('POST', `/v1/tool-approvals/a/${verb}`, { decided_by: 'mallory' });
      expect(r.status).toBe(409);
      expect(r.json).toEqual(conflict('tool-approvals', 'a', `ToolApproval "a" was already decided: Approved (approved) by alice at ${T0}`));
    }
    expect((await call('GET', '/v1/tool-approvals/a')).json).toEqual(first.json);
  });

  test('past expires_at, or once Expired, an approval cannot be decided (409)', async () => {
    const { tool, call, advance } = setup();
    await tool('a', { ttl: '1m' });
    advance(60_000);
    const late = await call('POST', '/v1/tool-approvals/a/approve');
    expect(late.status).toBe(409);
    expect(late.json).toEqual(conflict('tool-approvals', 'a', 'ToolApproval "a" expired at 2026-05-06T07:09:09Z and can no longer be decided'));
    await tool('b');
    await call('PUT', '/v1/tool-approvals/b/status', { status: { phase: 'Expired', expires_at: '2026-05-06T07:08:10Z' } }, { 'if-match': '*' });
    const expired = await call('POST', '/v1/tool-approvals/b/deny');
    expect(expired.json).toEqual(conflict('tool-approvals', 'b', 'ToolApproval "b" expired at 2026-05-06T07:08:10Z and can no longer be decided'));
  });

  test('bodies are validated (unknown and mistyped fields: 400 with every cause); a missing approval is 404', async () => {
    const { tool, call } = setup();
    await tool('a');
    const bad = await call('POST', '/v1/tool-approvals/a/approve', { decided_by: 7, note: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json.reason).toBe('Invalid');
    expect(bad.json.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['decided_by', 'note']);
    expect((await call('POST', '/v1/tool-approvals/a/approve', '[1]', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await call('GET', '/v1/tool-approvals/a')).json.status.phase).toBe('Pending');
    const missing = await call('POST', '/v1/tool-approvals/nope/approve');
    expect(missing.status).toBe(404);
    expect(missing.json.details).toEqual({ kind: 'tool-approvals', name: 'nope' });
    const other = await call('POST', '/v1/tool-approvals/a/approve?namespace=team');
    expect(other.status).toBe(404);
    expect((await call('GET', '/v1/tool-approvals/a/approve')).status).toBe(405);
  });

  test('two concurrent approves: exactly one 200 and one 409', async () => {
    const { tool, call } = setup();
    await tool('a');
    const results = await Promise.all([call('POST', '/v1/tool-approvals/a/approve', { decided_by: 'one' }), call('POST', '/v1/tool-approvals/a/approve', { decided_by: 'two' })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await call('GET', '/v1/tool-approvals/a')).json.status.decided_by).toBe(winner.json.status.decided_by);
  });
});

describe('PUT and apply', () => {
  test('while Pending a PUT replaces the spec; once decided a changed spec is 409 and an identical one a no-op 200', async () => {
    const { tool, call } = setup();
    const created = await tool('a');
    const put = await call('PUT', '/v1/tool-approvals/a', { ...created.json, spec: { ...created.json.spec, reason: 'needs a look' } });
    expect(put.status).toBe(200);
    expect(put.json.metadata).toMatchObject({ resourceVersion: '2', generation: 2 });
    const decided = await call('POST', '/v1/tool-approvals/a/approve', { decided_by: 'alice' });
    const changed = await call('PUT', '/v1/tool-approvals/a', { ...decided.json, spec: { ...decided.json.spec, tool: 'ticket-delete' } });
    expect(changed.status).toBe(409);
    expect(changed.json).toEqual(conflict('tool-approvals', 'a', 'ToolApproval "a" was decided (Approved): its spec can no longer change; create a new approval instead'));
    const applied = await tool('a', { tool: 'ticket-delete' });
    expect(applied.status).toBe(409);
    const same = await call('PUT', '/v1/tool-approvals/a', decided.json);
    expect(same.status).toBe(200);
    expect(same.json).toEqual(decided.json);
    // Labels are not part of what was decided.
    const labelled = await call('PUT', '/v1/tool-approvals/a', { ...decided.json, metadata: { ...decided.json.metadata, labels: { seen: 'yes' } } });
    expect(labelled.status).toBe(200);
    expect(labelled.json.spec).toEqual(decided.json.spec);
  });
});

describe('TaskApproval decisions', () => {
  test('approve, deny and request-changes record their phase and decision', async () => {
    const { review, call } = setup();
    for (const n of ['a', 'd', 'c']) await review(n);
    const base = { decided_at: T0, expires_at: '2026-05-06T07:18:09Z', observedGeneration: 1 };
    const a = await call('POST', '/v1/task-approvals/a/approve', { decided_by: 'alice' });
    expect(a.json.status).toEqual({ phase: 'Approved', decision: 'approved', decided_by: 'alice', ...base });
    const d = await call('POST', '/v1/task-approvals/d/deny', { comment: 'wrong tone' });
    expect(d.json.status).toEqual({ phase: 'Denied', decision: 'denied', comment: 'wrong tone', ...base });
    const c = await call('POST', '/v1/task-approvals/c/request-changes', { decided_by: 'alice', reason: 'cite the invoice number' });
    expect(c.status).toBe(200);
    expect(c.json.status).toEqual({ phase: 'ChangesRequested', decision: 'request_changes', decided_by: 'alice', comment: 'cite the invoice number', ...base });
    expect((await call('POST', '/v1/task-approvals/c/approve')).json.message).toBe(`TaskApproval "c" was already decided: ChangesRequested (request_changes) by alice at ${T0}`);
  });

  test('request-changes needs a comment (400 on the field), and is refused when not allowed or at the last cycle (409)', async () => {
    const { review, call } = setup();
    await review('a');
    for (const body of [undefined, { comment: '  ' }, { decided_by: 'alice' }]) {
      const r = await call('POST', '/v1/task-approvals/a/request-changes', body);
      expect(r.status).toBe(400);
      expect(r.json.details).toEqual({ kind: 'TaskApproval', name: 'a', causes: [{ field: 'comment', message: 'is required to request changes (or send reason)' }] });
    }
    await review('fixed', { allow_request_changes: false });
    const fixed = await call('POST', '/v1/task-approvals/fixed/request-changes', { comment: 'x' });
    expect(fixed.json).toEqual(conflict('task-approvals', 'fixed', 'TaskApproval "fixed" does not allow request-changes (allow_request_changes is false): approve or deny it'));
    await review('last', { review_cycle: 2, max_review_cycles: 2 });
    const last = await call('POST', '/v1/task-approvals/last/request-changes', { comment: 'x' });
    expect(last.json).toEqual(conflict('task-approvals', 'last', 'TaskApproval "last" is at review cycle 2 of max_review_cycles 2: no more changes can be requested; approve or deny it'));
    // Approve and deny stay possible on both.
    expect((await call('POST', '/v1/task-approvals/fixed/approve')).status).toBe(200);
    expect((await call('POST', '/v1/task-approvals/last/deny')).status).toBe(200);
    await review('mid', { review_cycle: 1, max_review_cycles: 2 });
    expect((await call('POST', '/v1/task-approvals/mid/request-changes', { comment: 'x' })).status).toBe(200);
  });

  test('a TaskApproval past expires_at cannot be decided; a decided one keeps its spec', async () => {
    const { review, call, advance } = setup();
    const created = await review('a', { ttl: '30s' });
    advance(30_000);
    expect((await call('POST', '/v1/task-approvals/a/request-changes', { comment: 'x' })).json.message).toBe('TaskApproval "a" expired at 2026-05-06T07:08:39Z and can no longer be decided');
    await review('b');
    await call('POST', '/v1/task-approvals/b/deny');
    expect((await review('b', { output: 'edited' })).status).toBe(409);
    expect(created.status).toBe(201);
  });
});

describe('with authentication on', () => {
  test('reader 403, writer 200; decided_by is the caller and the body label goes in the event message', async () => {
    const { tool, app, call } = setup({ auth: true });
    const as = { authorization: `Bearer ${WRITER}` };
    expect((await tool('a', {}, as)).status).toBe(201);
    const stream = await app.handle(new Request('http://localhost/v1/events/watch?type=toolapproval.approved', { headers: as }));
    const w = new SseReader(stream);
    const denied = await call('POST', '/v1/tool-approvals/a/approve', { decided_by: 'alice' }, { authorization: `Bearer ${READER}` });
    expect(denied.status).toBe(403);
    expect((await call('POST', '/v1/tool-approvals/a/approve', {})).status).toBe(401);
    const r = await call('POST', '/v1/tool-approvals/a/approve', { decided_by: 'alice' }, as);
    expect(r.status).toBe(200);
    expect(r.json.status.decided_by).toBe('ci-bot');
    const [frame] = await w.waitFor(1);
    expect(json(frame)).toEqual({
      id: Number(frame.id),
      timestamp: '2026-05-06T07:08:09.000000000Z',
      source: 'apiserver',
      type: 'toolapproval.approved',
      kind: 'ToolApproval',
      name: 'a',
      namespace: 'default',
      action: 'approved',
      message: 'ToolApproval default/a Approved by ci-bot (reviewer label "alice")',
      data: r.json,
    });
    await w.close();
  });
});

describe('events, watches and metrics', () => {
  test('every decision publishes <kind>.<decision>', async () => {
    const { tool, review, app, call } = setup();
    const stream = await app.handle(new Request('http://localhost/v1/events/watch?source=apiserver'));
    const w = new SseReader(stream);
    await tool('t1');
    await tool('t2');
    for (const n of ['r1', 'r2', 'r3']) await review(n);
    await call('POST', '/v1/tool-approvals/t1/approve');
    await call('POST', '/v1/tool-approvals/t2/deny');
    await call('POST', '/v1/task-approvals/r1/approve');
    await call('POST', '/v1/task-approvals/r2/deny');
    await call('POST', '/v1/task-approvals/r3/request-changes', { comment: 'shorter' });
    const decisions = () => w.data.map((f) => json(f)).filter((e) => !e.type.startsWith('resource.'));
    await w.waitUntil(() => decisions().length === 5);
    expect(decisions().map((e) => [e.type, e.name, e.action])).toEqual([
      ['toolapproval.approved', 't1', 'approved'],
      ['toolapproval.denied', 't2', 'denied'],
      ['taskapproval.approved', 'r1', 'approved'],
      ['taskapproval.denied', 'r2', 'denied'],
      ['taskapproval.changes_requested', 'r3', 'request_changes'],
    ]);
    await w.close();
  });

  test('a watch on /v1/tool-approvals/watch sees the decision as an updated frame', async () => {
    const { tool, app, call } = setup();
    await tool('a');
    const w = new SseReader(await app.handle(new Request('http://localhost/v1/tool-approvals/watch')));
    await w.waitFor(1);
    const r = await call('POST', '/v1/tool-approvals/a/approve', { decided_by: 'alice' });
    const frames = await w.waitFor(2);
    expect(frames[1].id).toBe(r.json.metadata.resourceVersion);
    expect(json(frames[1])).toEqual({ type: 'updated', resource: r.json });
    await w.close();
  });

  test('pending approvals are counted by orrery_objects_by_phase', async () => {
    const { tool, review, call } = setup();
    await tool('a');
    await tool('b');
    await review('c');
    await call('POST', '/v1/tool-approvals/b/approve');
    const m = (await call('GET', '/metrics')).text;
    expect(m).toContain('orrery_objects_by_phase{kind="ToolApproval",phase="Pending"} 1');
    expect(m).toContain('orrery_objects_by_phase{kind="ToolApproval",phase="Approved"} 1');
    expect(m).toContain('orrery_objects_by_phase{kind="TaskApproval",phase="Pending"} 1');
  });
});
