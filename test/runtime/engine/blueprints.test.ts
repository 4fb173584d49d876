// Every blueprint runs offline with the mock provider: ours under examples/blueprints, and the
// original project's blueprints unchanged, with their `openai-default` endpoint served by mock.
import { afterEach, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kinds } from '../../../src/resources';
import { startHarness, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []))
    .sort();
}

/** Applies every manifest of a directory (tasks last); returns the task names. */
function applyDir(harness: Harness, dir: string): string[] {
  const docs = files(dir).map((f) => parse(readFileSync(f, 'utf8')));
  docs.sort((a, b) => Number(a.kind === 'Task') - Number(b.kind === 'Task'));
  for (const doc of docs) {
    const def = kinds.find((k) => k.kind === doc.kind)!;
    harness.r.registry.apply(harness.r.registry.byPlural.get(def.plural)!, doc, {});
  }
  return docs.filter((d) => d.kind === 'Task').map((d) => d.metadata.name);
}

/** Agent runs in processing order, from the trace. */
const runs = (t: any) => (t.status.trace as any[]).filter((r) => r.type === 'agent_start').map((r) => r.agent);
const count = (list: string[]) => list.reduce<Record<string, number>>((acc, a) => ((acc[a] = (acc[a] ?? 0) + 1), acc), {});

const OURS = join(import.meta.dir, '../../../examples/blueprints');
const ORLOJ = join(import.meta.dir, '../../../../shared/orloj-examples/blueprints');

describe('examples/blueprints', () => {
  test('pipeline', async () => {
    h = startHarness();
    const [name] = applyDir(h, join(OURS, 'pipeline'));
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(runs(t)).toEqual(['pipeline-planner', 'pipeline-researcher', 'pipeline-writer']);
    expect(t.status.output.result).toStartWith('[mock:mock-1]');
  });

  test('fan-out with a quorum join', async () => {
    h = startHarness();
    const [name] = applyDir(h, join(OURS, 'fan-out'));
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(count(runs(t))).toEqual({ 'fanout-splitter': 1, 'fanout-probe-cost': 1, 'fanout-probe-risk': 1, 'fanout-probe-speed': 1, 'fanout-judge': 1 });
    expect(t.status.output.result_agent).toBe('fanout-judge');
  });

  test('hierarchical delegation', async () => {
    h = startHarness();
    const [name] = applyDir(h, join(OURS, 'hierarchical'));
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(count(runs(t))).toEqual({ 'hier-editor-in-chief': 2, 'hier-fact-checker': 1, 'hier-copy-editor': 1, 'hier-publisher': 1 });
    expect(t.status.output.result_agent).toBe('hier-publisher');
  });

  test('swarm loop bounded by max_turns', async () => {
    h = startHarness();
    const [name] = applyDir(h, join(OURS, 'swarm-loop'));
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(runs(t)).toEqual(['swarm-planner', 'swarm-critic', 'swarm-planner', 'swarm-critic', 'swarm-planner', 'swarm-critic']);
  });
});

describe('the original blueprints, unchanged, on the mock provider', () => {
  const mockEndpoint = { apiVersion: 'orloj.dev/v1', kind: 'ModelEndpoint', metadata: { name: 'openai-default' }, spec: { provider: 'mock', default_model: 'gpt-4o-mini' } };
  const expected: Record<string, Record<string, number>> = {
    pipeline: { 'bp-pipeline-planner-agent': 1, 'bp-pipeline-research-agent': 1, 'bp-pipeline-writer-agent': 1 },
    hierarchical: {
      'bp-hier-manager-agent': 1,
      'bp-hier-research-lead-agent': 1,
      'bp-hier-social-lead-agent': 1,
      'bp-hier-research-worker-agent': 1,
      'bp-hier-social-worker-agent': 1,
      'bp-hier-editor-agent': 1,
    },
    // Kickoff to the coordinator, scouts answer, the coordinator runs again once all three are
    // back (the join counts each loop round), and the second round of scouts hits max_turns 4.
    'swarm-loop': { 'bp-swarm-coordinator-agent': 2, 'bp-swarm-scout-alpha-agent': 2, 'bp-swarm-scout-beta-agent': 2, 'bp-swarm-scout-gamma-agent': 2, 'bp-swarm-synthesizer-agent': 2 },
  };
  for (const [dir, want] of Object.entries(expected)) {
    test(dir, async () => {
      h = startHarness();
      h.r.registry.apply(h.r.registry.byPlural.get('model-endpoints')!, mockEndpoint, {});
      const [name] = applyDir(h, join(ORLOJ, dir));
      const t: any = await h.settled(name);
      expect(t.status.phase).toBe('Succeeded');
      expect(count(runs(t))).toEqual(want);
    });
  }
});
