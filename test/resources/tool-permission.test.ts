// ToolPermission: defaults, canonical enums, scoped targets and validation causes.
import { describe, expect, test } from 'bun:test';
import { kindHelpers } from './helpers';

const { apply, causes, fields } = kindHelpers();

describe('ToolPermission', () => {
  test('defaults tool_ref to the object name and fills every default', async () => {
    const obj = await apply('tool-permissions', { operation_rules: [{}, { operation_class: 'WRITE', verdict: 'Approval_Required' }] }, 'web_search');
    expect(obj.spec).toEqual({
      tool_ref: 'web_search',
      action: 'invoke',
      match_mode: 'all',
      apply_mode: 'global',
      operation_rules: [
        { operation_class: '*', verdict: 'allow' },
        { operation_class: 'write', verdict: 'approval_required' },
      ],
    });
    expect(obj.status.phase).toBe('Ready');
  });

  test('lower-cases action and modes, dedupes lists', async () => {
    expect(
      (await apply('tool-permissions', {
        tool_ref: ' vector_db ',
        action: ' Query ',
        match_mode: 'ANY',
        apply_mode: 'Scoped',
        required_permissions: ['p', ' P ', ''],
        target_agents: ['a', 'A'],
      })).spec,
    ).toEqual({ tool_ref: 'vector_db', action: 'query', match_mode: 'any', apply_mode: 'scoped', required_permissions: ['p'], target_agents: ['a'] });
  });

  test('scoped needs target agents; enums are checked', async () => {
    expect(await causes('tool-permissions', { apply_mode: 'scoped', target_agents: [' '] })).toEqual([
      { field: 'spec.target_agents', message: 'is required when apply_mode is scoped' },
    ]);
    expect(await fields('tool-permissions', { match_mode: 'some', operation_rules: [{ operation_class: 'exec', verdict: 'maybe' }], tool: 'x' })).toEqual([
      'spec.tool',
      'spec.match_mode',
      'spec.operation_rules[0].operation_class',
      'spec.operation_rules[0].verdict',
    ]);
  });
});
