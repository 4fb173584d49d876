// AgentPolicy: apply_mode default, deduped lists, limits and validation causes.
import { describe, expect, test } from 'bun:test';
import { kindHelpers } from './helpers';

const { apply, fields } = kindHelpers();

describe('AgentPolicy', () => {
  test('defaults apply_mode to scoped, dedupes lists and is Ready at once', async () => {
    const obj = await apply('agent-policies', { allowed_models: ['gpt-4o', ' GPT-4o '], target_systems: ['s'] });
    expect(obj.spec).toEqual({ apply_mode: 'scoped', allowed_models: ['gpt-4o'], target_systems: ['s'] });
    expect(obj.status.phase).toBe('Ready');
    expect((await apply('agent-policies', { apply_mode: ' GLOBAL ', max_tokens_per_run: 100, max_child_depth: 2, max_child_tasks: 4 })).spec).toEqual({
      apply_mode: 'global',
      max_tokens_per_run: 100,
      max_child_depth: 2,
      max_child_tasks: 4,
    });
  });

  test('rejects unknown modes, negative limits and unknown fields', async () => {
    expect(await fields('agent-policies', { apply_mode: 'everywhere', max_tokens_per_run: -1, max_child_tasks: 1.5, blocked_tool: ['x'] })).toEqual([
      'spec.blocked_tool',
      'spec.max_tokens_per_run',
      'spec.apply_mode',
      'spec.max_child_tasks',
    ]);
  });
});
