// TaskApproval: defaults, expiry, output_format inference and validation rules.
import { describe, expect, test } from 'bun:test';
import { kindHelpers } from './helpers';

describe('TaskApproval', () => {
  const base = { task_ref: 'default/t1', checkpoint_id: 'cp-1' };

  test('writes defaults and expires_at = now + ttl', () => {
    const { write, kind } = kindHelpers();
    expect(kind('task-approvals').allowPut).toBe(false);
    const { object } = write('task-approvals', base);
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
    const { write } = kindHelpers();
    const json = write('task-approvals', { ...base, output: { summary: 'ok' }, allow_request_changes: false, ttl: '2h' }, 'a').object;
    expect(json.spec).toMatchObject({ output: { summary: 'ok' }, output_format: 'json', allow_request_changes: false });
    expect(json.status.expires_at).toBe('2026-01-02T05:04:05Z');
    expect(write('task-approvals', { ...base, output: 'draft text' }, 'b').object.spec.output_format).toBe('text');
    expect(write('task-approvals', { ...base, output: '{"a":1}', output_format: ' JSON ' }, 'c').object.spec.output_format).toBe('json');
    expect(write('task-approvals', { ...base, output: [1, 2] }, 'd').object.spec.output_format).toBe('json');
  });

  test('validation rules', () => {
    const { sortedFields, causes, statusCauses } = kindHelpers();
    expect(sortedFields('task-approvals', { task_ref: 't', checkpoint_type: 'final', output_format: 'xml', resume_context: 'x', comment: 'c' })).toEqual([
      'spec.checkpoint_id',
      'spec.checkpoint_type',
      'spec.comment',
      'spec.output_format',
      'spec.resume_context',
    ]);
    expect(causes('task-approvals', { ...base, ttl: '10 minutes' }).map((c) => c.field)).toEqual(['spec.ttl']);
    expect(statusCauses('task-approvals', base, { phase: 'ChangesRequested', decision: 'maybe' }).map((c) => c.field)).toEqual(['status.decision']);
  });
});
