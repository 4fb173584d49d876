// The keyed work queue under the controllers: dedupe, one run per key at a time, rerun after an
// add during a run, backoff retries and requeues fired by hand through an injected scheduler.
import { describe, expect, test } from 'bun:test';
import { WorkQueue, type Schedule } from '../../src/controllers/work-queue';
import { createLogger, silentLogger } from '../../src/log';

function manualSchedule() {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const entry = { fn, ms, cancelled: false };
    pending.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  };
  const fire = () => {
    const due = pending.splice(0).filter((p) => !p.cancelled);
    for (const p of due) p.fn();
    return due.map((p) => p.ms);
  };
  return { schedule, pending, fire };
}

/** Lets pending callbacks run; no time passes. */
const tick = () => new Promise<void>((r) => setImmediate(r));

/** A promise the test resolves by hand. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('WorkQueue', () => {
  test('dedupes queued keys and runs them in order', async () => {
    const seen: string[] = [];
    const q = new WorkQueue((k) => void seen.push(k), { name: 't', log: silentLogger });
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('c');
    q.add('b');
    await q.idle();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  test('a key added while it runs runs once more afterwards, never concurrently', async () => {
    const g = gate();
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const q = new WorkQueue(
      async (k) => {
        active++;
        maxActive = Math.max(maxActive, active);
        log.push(`start ${k}`);
        if (log.length === 1) await g.promise;
        log.push(`end ${k}`);
        active--;
      },
      { name: 't', log: silentLogger, concurrency: 4 },
    );
    q.add('a');
    await tick();
    expect(log).toEqual(['start a']);
    q.add('a');
    q.add('a');
    q.add('b');
    await tick();
    expect(log).toEqual(['start a', 'start b', 'end b']);
    g.open();
    await q.idle();
    expect(log).toEqual(['start a', 'start b', 'end b', 'end a', 'start a', 'end a']);
    expect(maxActive).toBe(2);
  });

  test('failures are logged and retried with capped exponential backoff; success resets it', async () => {
    const m = manualSchedule();
    const lines: string[] = [];
    let failuresLeft = 5;
    let runs = 0;
    const q = new WorkQueue(
      () => {
        runs++;
        if (failuresLeft-- > 0) throw new Error('store busy');
      },
      { name: 'things', log: createLogger('error', (l) => lines.push(l)), baseBackoffMs: 100, maxBackoffMs: 1000, schedule: m.schedule },
    );
    q.add('k');
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await q.idle();
      delays.push(...m.fire());
    }
    await q.idle();
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
    expect(runs).toBe(6);
    expect(m.pending).toHaveLength(0);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain('ERROR things: reconcile failed, retrying key="k" attempt=1 retryInMs=100 error="store busy"');

    failuresLeft = 1;
    q.add('k');
    await q.idle();
    expect(m.fire()).toEqual([100]);
  });

  test('requeueAfterMs schedules the key again; stop drops everything', async () => {
    const m = manualSchedule();
    let runs = 0;
    const q = new WorkQueue(() => (++runs < 3 ? { requeueAfterMs: 250 } : undefined), { name: 't', log: silentLogger, schedule: m.schedule });
    q.add('x');
    await q.idle();
    expect(q.pendingDelayed).toBe(1);
    expect(m.fire()).toEqual([250]);
    await q.idle();
    expect(m.fire()).toEqual([250]);
    await q.idle();
    expect(runs).toBe(3);
    expect(q.pendingDelayed).toBe(0);

    q.addAfter('x', 50);
    q.stop();
    expect(m.pending.every((p) => p.cancelled)).toBe(true);
    q.add('x');
    await q.idle();
    expect(runs).toBe(3);
    expect(q.isStopped).toBe(true);
  });
});
