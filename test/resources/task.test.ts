// Task: every default, retry copies, template and run rules, schema causes and status arrays.
import { describe, expect, test } from 'bun:test';
import { Invalid } from '../../src/errors';
import { kindHelpers } from './helpers';

const DURATION = 'must be a duration such as 30s, 5m or 1h30m';

describe('Task', () => {
  test('writes every default', async () => {
    const { write } = kindHelpers();
    const { object, created } = await write('tasks', { system: ' report-system ' });
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

  test('message_retry defaults are copied from retry; enums are lower-cased', async () => {
    const { write } = kindHelpers();
    const { object } = await write('tasks', {
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

  test('a template needs no system; a run does', async () => {
    const { write, causes } = kindHelpers();
    expect((await write('tasks', { mode: 'template' })).object.spec.mode).toBe('template');
    expect(await causes('tasks', { system: '  ' })).toEqual([{ field: 'spec.system', message: 'is required when mode is run' }]);
  });

  test('reports every bad duration and cross-field problem at once', async () => {
    const { causes } = kindHelpers();
    expect(await causes('tasks', { retry: { backoff: 'soon' }, message_retry: { max_backoff: '5 minutes' } })).toEqual([
      { field: 'spec.retry.backoff', message: DURATION },
      { field: 'spec.message_retry.max_backoff', message: DURATION },
      { field: 'spec.system', message: 'is required when mode is run' },
    ]);
  });

  test('reports every schema problem at once, unknown fields included', async () => {
    const { sortedFields } = kindHelpers();
    expect(
      await sortedFields('tasks', {
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

  test('status arrays are never null and an empty blocked_on is dropped', async () => {
    const { registry, kind, write } = kindHelpers();
    await write('tasks', { system: 's' });
    const o = await registry.replaceStatus(kind('tasks'), 'default', 'x', { status: { phase: 'Running', blocked_on: { kind: ' ' } } }, '*');
    expect(o.status.trace).toEqual([]);
    expect(o.status.blocked_on).toBeUndefined();
    await expect(registry.replaceStatus(kind('tasks'), 'default', 'x', { status: { phase: 'Done' } }, '*')).rejects.toThrow(Invalid);
  });
});
