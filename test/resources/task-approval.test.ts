// TaskApproval: defaults, expiry, output_format inference and validation rules.
import { describe, expect, test } from 'bun:test';
import { requestChangesRefusal } from '../../src/resources/task-approval';
import { kindHelpers } from './helpers';

describe('TaskApproval', () => {
  const base = { task_ref: 'default/t1', checkpoint_id: 'cp-1' };

  test('writes defaults and expires_at = now + ttl', async () => {
    const { write } = kindHelpers();
    const { object } = await write('task-approvals', base);
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

  test('output_format follows the output type unless given', async () => {
    const { write } = kindHelpers();
    const json = (await write('task-approvals', { ...base, output: { summary: 'ok' }, allow_request_changes: false, ttl: '2h' }, 'a')).object;
    expect(json.spec).toMatchObject({ output: { summary: 'ok' }, output_format: 'json', allow_request_changes: false });
    expect(json.status.expires_at).toBe('2026-01-02T05:04:05Z');
    expect((await write('task-approvals', { ...base, output: 'draft text' }, 'b')).object.spec.output_format).toBe('text');
    expect((await write('task-approvals', { ...base, output: '{"a":1}', output_format: ' JSON ' }, 'c')).object.spec.output_format).toBe('json');
    expect((await write('task-approvals', { ...base, output: [1, 2] }, 'd')).object.spec.output_format).toBe('json');
  });

  test('validation rules', async () => {
    const { sortedFields, causes, statusCauses } = kindHelpers();
    expect(await sortedFields('task-approvals', { task_ref: 't', checkpoint_type: 'final', output_format: 'xml', resume_context: 'x', comment: 'c' })).toEqual([
      'spec.checkpoint_id',
      'spec.checkpoint_type',
      'spec.comment',
      'spec.output_format',
      'spec.resume_context',
    ]);
    expect((await causes('task-approvals', { ...base, ttl: '10 minutes' })).map((c) => c.field)).toEqual(['spec.ttl']);
    expect((await statusCauses('task-approvals', base, { phase: 'ChangesRequested', decision: 'maybe' })).map((c) => c.field)).toEqual(['status.decision']);
  });

  test('request-changes is refused when the checkpoint forbids it or review_cycle >= max_review_cycles', async () => {
    const { apply } = kindHelpers();
    expect(requestChangesRefusal(await apply('task-approvals', base, 'a'))).toBeUndefined();
    expect(requestChangesRefusal(await apply('task-approvals', { ...base, review_cycle: 2 }, 'b'))).toBeUndefined();
    expect(requestChangesRefusal(await apply('task-approvals', { ...base, review_cycle: 3 }, 'c'))).toBe(
      'TaskApproval "c" is at review cycle 3 of max_review_cycles 3: no more changes can be requested; approve or deny it',
    );
    expect(requestChangesRefusal(await apply('task-approvals', { ...base, allow_request_changes: false }, 'd'))).toBe(
      'TaskApproval "d" does not allow request-changes (allow_request_changes is false): approve or deny it',
    );
  });
});
