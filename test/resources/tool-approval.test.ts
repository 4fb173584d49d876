// ToolApproval: defaults, expiry from the ttl, and validation rules.
import { describe, expect, test } from 'bun:test';
import { decidedStatus, decidedSpecLock, decisionRefusal } from '../../src/resources/tool-approval';
import { kindHelpers, manifest } from './helpers';

describe('ToolApproval', () => {
  test('writes defaults and expires_at = now + ttl', async () => {
    const { write } = kindHelpers();
    const { object } = await write('tool-approvals', { task_ref: ' default/t1 ', tool: 'web_search', operation_class: ' WRITE ', input: '{"q":"x"}' });
    expect(object.spec).toEqual({ task_ref: 'default/t1', tool: 'web_search', operation_class: 'write', input: '{"q":"x"}', ttl: '10m' });
    expect(object.status).toEqual({ phase: 'Pending', expires_at: '2026-01-02T03:14:05Z' });
    expect((await write('tool-approvals', { task_ref: 't', tool: 'x', ttl: '1h30m' }, 'y')).object.status.expires_at).toBe('2026-01-02T04:34:05Z');
  });

  test('expires_at is set once and kept on later writes', async () => {
    let now = new Date('2026-01-02T03:04:05Z');
    const { write } = kindHelpers({ now: () => now });
    await write('tool-approvals', { task_ref: 't', tool: 'x' });
    now = new Date('2026-01-02T05:00:00Z');
    expect((await write('tool-approvals', { task_ref: 't', tool: 'x', reason: 'again' })).object.status.expires_at).toBe('2026-01-02T03:14:05Z');
  });

  test('reason is cut to 500 characters; decided approvals get no expiry', async () => {
    const { write } = kindHelpers();
    const { object } = await write('tool-approvals', { task_ref: 't', tool: 'x', reason: 'r'.repeat(700) });
    expect(object.spec.reason).toHaveLength(500);
    // A create ignores the body's status; the decision comes through the status subresource.
    const { registry, kind } = kindHelpers();
    await registry.apply(kind('tool-approvals'), manifest('ToolApproval', 'd', { task_ref: 't', tool: 'x' }), {});
    expect((await registry.replaceStatus(kind('tool-approvals'), 'default', 'd', { status: { phase: 'Approved', decision: 'approved' } }, '*')).status).toEqual({ phase: 'Approved', decision: 'approved', observedGeneration: 1 });
  });

  test('validation rules', async () => {
    const { sortedFields, causes, statusCauses } = kindHelpers();
    expect(await sortedFields('tool-approvals', { task_ref: ' ', agent: 7, extra: true })).toEqual(['spec.agent', 'spec.extra', 'spec.task_ref', 'spec.tool']);
    expect((await causes('tool-approvals', { task_ref: 't', tool: 'x', ttl: 'forever' })).map((c) => c.field)).toEqual(['spec.ttl']);
    expect((await statusCauses('tool-approvals', { task_ref: 't', tool: 'x' }, { phase: 'Maybe' })).map((c) => c.field)).toEqual(['status.phase']);
  });

  test('decision rules: only a Pending, unexpired approval is decided; the decision is recorded whole', async () => {
    const { write } = kindHelpers();
    const pending = (await write('tool-approvals', { task_ref: 't', tool: 'x' }, 'p')).object;
    const at = (iso: string) => new Date(iso);
    expect(decisionRefusal(pending, at('2026-01-02T03:14:04Z'))).toBeUndefined();
    expect(decisionRefusal(pending, at('2026-01-02T03:14:05Z'))).toBe('ToolApproval "p" expired at 2026-01-02T03:14:05Z and can no longer be decided');
    const approved = decidedStatus(pending, { phase: 'Approved', decision: 'approved' }, { decided_by: 'alice', comment: 'fine' }, at('2026-01-02T03:05:00.250Z'));
    expect(approved).toEqual({ phase: 'Approved', decision: 'approved', decided_by: 'alice', decided_at: '2026-01-02T03:05:00Z', comment: 'fine', expires_at: '2026-01-02T03:14:05Z' });
    const decided = { ...pending, status: approved };
    expect(decisionRefusal(decided, at('2026-01-02T03:06:00Z'))).toBe('ToolApproval "p" was already decided: Approved (approved) by alice at 2026-01-02T03:05:00Z');
    expect(decisionRefusal({ ...pending, status: { phase: 'Expired', expires_at: '2026-01-02T03:14:05Z' } }, at('2026-01-02T03:06:00Z'))).toBe('ToolApproval "p" expired at 2026-01-02T03:14:05Z and can no longer be decided');
    expect(decidedSpecLock(pending)).toBeUndefined();
    expect(decidedSpecLock(decided)).toBe('ToolApproval "p" was decided (Approved): its spec can no longer change; create a new approval instead');
  });
});
