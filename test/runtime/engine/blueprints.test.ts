// Every example runs offline with the mock provider: the blueprints under examples/blueprints, and
// the support-triage task of examples/resources with every other manifest of that folder applied.
import { afterEach, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { applyAll, manifestsUnder } from '../../support/manifests';
import { startHarness, type Harness } from './harness';

const EXAMPLES = join(import.meta.dir, '../../../examples');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Applies every manifest under a directory of examples/ (tasks last); returns the run tasks. */
const applyDir = async (harness: Harness, dir: string) => await applyAll(harness.r.registry, manifestsUnder(join(EXAMPLES, dir)));

/** Agent runs in processing order, from the trace. */
const runs = (t: any) => (t.status.trace as any[]).filter((r) => r.type === 'agent_start').map((r) => r.agent);
const count = (list: string[]) => list.reduce<Record<string, number>>((acc, a) => ((acc[a] = (acc[a] ?? 0) + 1), acc), {});


describe('examples/blueprints', () => {
  test('pipeline', async () => {
    h = await startHarness();
    const [name] = await applyDir(h, 'blueprints/pipeline');
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(runs(t)).toEqual(['pipeline-planner', 'pipeline-researcher', 'pipeline-writer']);
    expect(t.status.output.result).toStartWith('[mock:mock-1]');
  });

  test('fan-out with a quorum join', async () => {
    h = await startHarness();
    const [name] = await applyDir(h, 'blueprints/fan-out');
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(count(runs(t))).toEqual({ 'fanout-splitter': 1, 'fanout-probe-cost': 1, 'fanout-probe-risk': 1, 'fanout-probe-speed': 1, 'fanout-judge': 1 });
    expect(t.status.output.result_agent).toBe('fanout-judge');
  });

  test('hierarchical delegation', async () => {
    h = await startHarness();
    const [name] = await applyDir(h, 'blueprints/hierarchical');
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(count(runs(t))).toEqual({ 'hier-editor-in-chief': 2, 'hier-fact-checker': 1, 'hier-copy-editor': 1, 'hier-publisher': 1 });
    expect(t.status.output.result_agent).toBe('hier-publisher');
  });

  test('swarm loop bounded by max_turns', async () => {
    h = await startHarness();
    const [name] = await applyDir(h, 'blueprints/swarm-loop');
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(runs(t)).toEqual(['swarm-planner', 'swarm-critic', 'swarm-planner', 'swarm-critic', 'swarm-planner', 'swarm-critic']);
  });

  test('human review: the draft waits for a TaskApproval, request-changes re-runs the writer, approve publishes', async () => {
    h = await startHarness();
    const [name] = await applyDir(h, 'blueprints/review');
    const waitingOn = async (cycle: number) => {
      await h!.waitFor(async () => {
        const t = await h!.task(name);
        return t.status?.phase === 'WaitingApproval' && h!.engine.worker.running === 0 && (await approval(t.status!.blocked_on.name))?.spec.review_cycle === cycle;
      }, `review cycle ${cycle}`);
      return (await h!.task(name)).status!.blocked_on.name as string;
    };
    const approval = (n: string) => h!.r.registry.findDecoded(h!.r.kind('task-approvals'), 'default', n);
    const first = await waitingOn(1);
    expect((await approval(first))!.spec).toMatchObject({ checkpoint_id: 'draft', agent: 'review-writer', ttl: '30m', resume_context: { action: 'message_forward' } });
    expect((await h.call('POST', `/v1/task-approvals/${first}/request-changes`, { decided_by: 'you', comment: 'mention the time: 10am' })).status).toBe(200);
    const second = await waitingOn(2);
    expect((await approval(second))!.spec.output).toContain('mention the time: 10am');
    expect((await h.call('POST', `/v1/task-approvals/${second}/approve`, { decided_by: 'you' })).status).toBe(200);
    const t: any = await h.settled(name);
    expect(t.status.phase).toBe('Succeeded');
    expect(runs(t)).toEqual(['review-writer', 'review-writer', 'review-publisher']);
    expect(t.status.output.result_agent).toBe('review-publisher');
  });
});

describe('examples/resources', () => {
  test('the support-triage task runs to Succeeded with every other example applied', async () => {
    h = await startHarness();
    const names = await applyDir(h, 'resources');
    expect(names).toEqual(['support-ticket-4711']);
    const t: any = await h.settled('support-ticket-4711');
    expect(t.status.phase).toBe('Succeeded');
    expect(runs(t)).toEqual(['support-intake', 'support-researcher', 'support-responder']);
    expect(t.status.output.result_agent).toBe('support-responder');
    expect(t.status.output.result).toStartWith('[mock:mock-1]');
    // The template the webhook and the schedule copy is never run itself.
    expect((await h.task('support-ticket-template')).status!.phase).toBe('Pending');
  });
});
