// AgentSystem: an empty graph by default, normalized routes, joins, delegation, reviews and a2a,
// and every validation cause at its own path.
import { describe, expect, test } from 'bun:test';
import { compileOutputPattern } from '../../src/resources/agent-system';
import { kindHelpers } from './helpers';

const { apply, causes, fields } = kindHelpers();

const JOIN = { mode: 'wait_for_all', on_failure: 'deadletter' };

/** What the JavaScript engine says about a pattern that does not compile. */
function regexpError(pattern: string): string {
  try {
    new RegExp(pattern);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${pattern} compiles`);
}

describe('AgentSystem', () => {
  test('writes an empty graph and a default join on every node', async () => {
    expect((await apply('agent-systems', {})).spec).toEqual({ graph: {} });
    const spec = (await apply('agent-systems', { agents: [' a ', 'b', 'a', ''], graph: { a: { next: ' b ' }, b: null } })).spec;
    expect(spec).toEqual({ agents: ['a', 'b'], graph: { a: { next: 'b', join: JOIN }, b: { join: JOIN } } });
  });

  test('normalizes routes, joins, delegation, reviews and a2a', async () => {
    const spec = (await apply('agent-systems', {
      agents: ['lead', 'x', 'y'],
      graph: {
        lead: {
          edges: [
            { to: ' x ', condition: { output_json_path: ' $.route ', equals: 3, output_contains: '' } },
            { to: '  ' },
            { to: 'y', labels: { k: 'v' }, condition: { default: true } },
          ],
          delegates: [{ to: 'x' }, { to: 'y', condition: { output_matches: '(?i)^urgent' } }],
          join: { mode: 'QUORUM', quorum_count: -2, quorum_percent: 150, on_failure: 'Continue_Partial' },
          review: { checkpoint_id: ' Lead-Signoff ', display_name: ' Lead ' },
        },
      },
      completion_review: { checkpoint_id: 'final', ttl: '1h', allow_request_changes: false, max_review_cycles: 0 },
      context_adapter: ' scrubber ',
      a2a: { auth: 'PUBLIC' },
    })).spec;
    expect(spec).toEqual({
      agents: ['lead', 'x', 'y'],
      graph: {
        lead: {
          edges: [
            { to: 'x', condition: { output_json_path: '$.route', equals: '3' } },
            { to: 'y', labels: { k: 'v' }, condition: { default: true } },
          ],
          delegates: [{ to: 'x' }, { to: 'y', condition: { output_matches: '(?i)^urgent' } }],
          join: { mode: 'quorum', quorum_count: 0, quorum_percent: 100, on_failure: 'continue_partial' },
          delegate_join: JOIN,
          review: { checkpoint_id: 'Lead-Signoff', display_name: 'Lead', ttl: '10m', allow_request_changes: true, max_review_cycles: 3 },
        },
      },
      completion_review: { checkpoint_id: 'final', ttl: '1h', allow_request_changes: false, max_review_cycles: 3 },
      context_adapter: 'scrubber',
      a2a: { auth: 'public', enabled: false },
    });
    expect((await apply('agent-systems', { a2a: { enabled: true } })).spec.a2a).toEqual({ enabled: true, auth: 'bearer' });
  });

  test('accepts graph nodes and targets that are not listed agents (checked at task time)', async () => {
    expect((await apply('agent-systems', { agents: ['a'], graph: { ghost: { next: 'phantom' } } })).spec.graph.ghost.next).toBe('phantom');
  });

  test('rejects unknown join values instead of coercing them', async () => {
    expect(await causes('agent-systems', { graph: { a: { join: { mode: 'fastest' }, delegates: [{ to: 'b' }], delegate_join: { on_failure: 'retry' } } } })).toEqual([
      { field: 'spec.graph.a.join.mode', message: 'must be one of: wait_for_all, quorum' },
      { field: 'spec.graph.a.delegate_join.on_failure', message: 'must be one of: deadletter, skip, continue_partial' },
    ]);
  });

  test('checks every condition rule and reports all problems at once', async () => {
    const edges = [
      { to: 'b', condition: { output_matches: 'x'.repeat(513) } },
      { to: 'c', condition: { output_matches: '(unclosed' } },
      { to: 'd', condition: { equals: 'billing' } },
      { to: 'e', condition: { output_json_path: '$.queue' } },
      { to: 'f', condition: { output_json_path: 'queue', not_equals: 'x' } },
      { to: 'g', condition: { output_json_path: '$.score', greater_than: 'high', less_than: '10' } },
      { to: 'h', condition: { default: true, output_contains: 'x' } },
      { to: 'i', condition: { default: true } },
      { to: 'j', condition: { default: true } },
    ];
    const at = (i: number, field?: string) => `spec.graph.a.edges[${i}].condition${field ? '.' + field : ''}`;
    // Values that do not parse come first (schema), then the rules relating several fields.
    expect(await causes('agent-systems', { graph: { a: { edges } } })).toEqual([
      { field: at(0, 'output_matches'), message: 'must be at most 512 characters' },
      { field: at(1, 'output_matches'), message: `is not a valid regular expression: ${regexpError('(unclosed')}` },
      { field: at(4, 'output_json_path'), message: 'must start with "$."' },
      { field: at(5, 'greater_than'), message: 'must be a number' },
      { field: at(2, 'output_json_path'), message: 'is required when a comparison operator is set' },
      { field: at(3), message: 'output_json_path needs a comparison operator (equals, not_equals, contains, greater_than, less_than)' },
      { field: at(6, 'default'), message: 'a default edge must not set other condition fields' },
      { field: 'spec.graph.a.edges', message: 'at most one default edge is allowed, found 3' },
    ]);
  });

  test('checks delegates: conditions, one default, no self-delegation', async () => {
    expect(
      await causes('agent-systems', {
        graph: { Boss: { delegates: [{ to: 'boss' }, { to: 'w', condition: { less_than: '3' } }] } },
      }),
    ).toEqual([
      { field: 'spec.graph.Boss.delegates[0].to', message: 'a node cannot delegate to itself' },
      { field: 'spec.graph.Boss.delegates[1].condition.output_json_path', message: 'is required when a comparison operator is set' },
    ]);
  });

  test('review checkpoints need an id unique per system (case-insensitive) and a valid ttl', async () => {
    expect(
      await causes('agent-systems', {
        graph: {
          a: { review: { checkpoint_id: '  ' } },
          b: { review: { checkpoint_id: 'Sign' } },
          c: { review: { checkpoint_id: 'sign', ttl: 'soon' } },
        },
      }),
    ).toEqual([
      { field: 'spec.graph.a.review.checkpoint_id', message: 'is required' },
      { field: 'spec.graph.c.review.ttl', message: 'must be a duration such as 30s, 5m or 1h30m' },
    ]);
    expect(
      await causes('agent-systems', {
        graph: { b: { review: { checkpoint_id: 'Sign' } }, c: { review: { checkpoint_id: 'sign', ttl: 'soon' } } },
        completion_review: { checkpoint_id: 'SIGN' },
      }),
    ).toEqual([
      { field: 'spec.graph.c.review.ttl', message: 'must be a duration such as 30s, 5m or 1h30m' },
      { field: 'spec.graph.c.review.checkpoint_id', message: '"sign" is already used by spec.graph.b.review' },
      { field: 'spec.completion_review.checkpoint_id', message: '"SIGN" is already used by spec.graph.b.review' },
    ]);
  });

  test('rejects unknown fields, bad a2a auth and malformed shapes', async () => {
    expect(await fields('agent-systems', { graph: { a: { edge: [] } }, a2a: { auth: 'oauth' }, agent: [] })).toEqual([
      'spec.agent',
      'spec.graph.a.edge',
      'spec.a2a.auth',
    ]);
    expect(await fields('agent-systems', { graph: 'a->b' })).toEqual(['spec.graph']);
    expect(await fields('agent-systems', { graph: { a: { edges: 'b', join: 3, review: 'yes' } } })).toEqual([
      'spec.graph.a.edges',
      'spec.graph.a.join',
      'spec.graph.a.review',
    ]);
  });

  test('output patterns use Go syntax: leading inline flags and (?P<name>) groups', () => {
    expect(compileOutputPattern('(?i)^URGENT').test('urgent: now')).toBe(true);
    expect(compileOutputPattern('(?P<q>billing|tech)').exec('tech')?.groups?.q).toBe('tech');
    expect(() => compileOutputPattern('(?U)a+')).toThrow();
  });
});
