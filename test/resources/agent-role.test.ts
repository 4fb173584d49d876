// AgentRole: deduped permissions and validation causes.
import { describe, expect, test } from 'bun:test';
import { kindHelpers } from './helpers';

const { apply, fields } = kindHelpers();

describe('AgentRole', () => {
  test('dedupes permissions case-insensitively and is Ready at once', async () => {
    const obj = await apply('agent-roles', { description: ' Reader ', permissions: ['tool:a:invoke', ' Tool:A:Invoke ', '', 'capability:web.read'] });
    expect(obj.spec).toEqual({ description: 'Reader', permissions: ['tool:a:invoke', 'capability:web.read'] });
    expect(obj.status.phase).toBe('Ready');
  });

  test('rejects unknown fields and wrong types', async () => {
    expect(await fields('agent-roles', { permissions: 'all', rules: [] })).toEqual(['spec.rules', 'spec.permissions']);
  });
});
