// Worker: defaults, heartbeat status and validation causes.
import { describe, expect, test } from 'bun:test';
import { Invalid } from '../../src/errors';
import { kindHelpers } from './helpers';

const { registry, kind, apply, fields } = kindHelpers();

describe('Worker', () => {
  test('defaults max_concurrent_tasks when not positive', async () => {
    expect((await apply('workers', {})).spec).toEqual({ max_concurrent_tasks: 1 });
    expect((await apply('workers', { region: ' eu ', max_concurrent_tasks: -2, capabilities: { gpu: true, supported_models: ['gpt-4o', 'gpt-4o'] } })).spec).toEqual({
      region: 'eu',
      max_concurrent_tasks: 1,
      capabilities: { gpu: true, supported_models: ['gpt-4o'] },
    });
  });

  test('status carries heartbeats and only worker phases', async () => {
    const def = kind('workers');
    await apply('workers', { region: 'a' }, 'w1');
    const status = { phase: 'NotReady', lastHeartbeat: '2026-01-02T03:04:05Z', currentTasks: 2 };
    expect((await registry.replaceStatus(def, 'default', 'w1', { status }, '*')).status).toEqual({ ...status, observedGeneration: 1 });
    await expect(registry.replaceStatus(def, 'default', 'w1', { status: { phase: 'Error' } }, '*')).rejects.toThrow(Invalid);
  });

  test('rejects unknown fields and wrong types', async () => {
    expect(await fields('workers', { capabilities: { gpus: 2 }, max_concurrent_tasks: 'many' })).toEqual(['spec.capabilities.gpus', 'spec.max_concurrent_tasks']);
  });
});
