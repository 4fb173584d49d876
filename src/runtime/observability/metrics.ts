// GET /v1/tasks/{name}/metrics as a pure function over a Task: lifecycle, retry and latency
// rollups of its agent messages in total, per agent and per edge (same filters as messages).
import { Type as t, type Static } from '@sinclair/typebox';
import { nanoTimestamp } from '../../events/event';
import type { StoredObject } from '../../registry/kind';
import { isLifecycle, lifecycleOf, parseMessageFilter, selectMessages, text, type Lifecycle, type MessageFilter, type MessageRecord, type ObservabilityQuery } from './messages';

const int = (description: string) => t.Integer({ minimum: 0, description });

const counterProps = {
  queued: int('Messages queued.'),
  running: int('Messages being processed.'),
  retrypending: int('Messages waiting for a retry.'),
  succeeded: int('Messages processed.'),
  deadletter: int('Messages that gave up.'),
  in_flight: int('queued + running + retrypending.'),
  retry_count: int('Sum over messages of max(attempts - 1, 0).'),
  deadletters: int('Messages in the deadletter phase.'),
  latency_ms_avg: int('Mean of processed_at - timestamp in whole milliseconds (truncated).'),
  latency_ms_p95: int('Nearest-rank 95th percentile: sorted sample at index ceil(0.95 n) - 1.'),
  latency_sample_size: int('Messages whose timestamp and processed_at both parse and are ordered.'),
};

export const MessageTotals = t.Object({ messages: int('Messages counted.'), ...counterProps });
export const AgentMessageMetric = t.Object({
  agent: t.String(),
  inbound: int('Messages addressed to the agent; the phase, retry and latency figures count these.'),
  outbound: int('Messages the agent sent.'),
  ...counterProps,
});
export const EdgeMessageMetric = t.Object({
  from_agent: t.String(),
  to_agent: t.String(),
  messages: int('Messages on this edge (from->to, case-insensitive).'),
  ...counterProps,
});

export const TaskMetricsResponse = t.Object(
  {
    name: t.String(),
    namespace: t.String(),
    generated_at: t.String({ description: 'RFC 3339 with nanoseconds.' }),
    totals: MessageTotals,
    per_agent: t.Array(AgentMessageMetric, { description: 'Sorted by agent name, case-insensitively.' }),
    per_edge: t.Array(EdgeMessageMetric, { description: 'Sorted by from->to, case-insensitively.' }),
    filters: t.Object({ phase_filtered: t.Boolean({ description: 'A phase (or lifecycle) filter was applied.' }) }),
  },
  { description: 'Message rollups of one task.' },
);
export type TaskMetricsResponse = Static<typeof TaskMetricsResponse>;
type Counters = Omit<Static<typeof MessageTotals>, 'messages'>;

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

/** Nanoseconds since the epoch of an RFC 3339 time (any fraction up to 9 digits), or undefined. */
function epochNanos(raw: string): bigint | undefined {
  const m = RFC3339.exec(raw);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** processed_at - timestamp in whole milliseconds, when both parse and are ordered. */
export function messageLatencyMs(m: MessageRecord): number | undefined {
  const start = epochNanos(text(m, 'timestamp'));
  const end = epochNanos(text(m, 'processed_at'));
  if (start === undefined || end === undefined || end < start) return undefined;
  return Number((end - start) / 1_000_000n);
}

/** Truncated mean and nearest-rank p95 of a latency sample. */
export function summarizeLatencies(samples: number[]): { avg: number; p95: number; size: number } {
  if (samples.length === 0) return { avg: 0, p95: 0, size: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  const idx = Math.min(Math.max(Math.ceil(sorted.length * 0.95) - 1, 0), sorted.length - 1);
  return { avg: Math.floor(sum / sorted.length), p95: sorted[idx], size: sorted.length };
}

/** Phase, retry and latency counters of one group of messages. */
class Bucket {
  readonly phases: Record<Lifecycle, number> = { queued: 0, running: 0, retrypending: 0, succeeded: 0, deadletter: 0 };
  retries = 0;
  readonly latencies: number[] = [];

  add(phase: string, retries: number, latency: number | undefined): void {
    if (isLifecycle(phase)) this.phases[phase]++;
    this.retries += retries;
    if (latency !== undefined) this.latencies.push(latency);
  }

  counters(): Counters {
    const p = this.phases;
    const l = summarizeLatencies(this.latencies);
    return {
      ...p,
      in_flight: p.queued + p.running + p.retrypending,
      retry_count: this.retries,
      deadletters: p.deadletter,
      latency_ms_avg: l.avg,
      latency_ms_p95: l.p95,
      latency_sample_size: l.size,
    };
  }
}

interface AgentBucket {
  bucket: Bucket;
  inbound: number;
  outbound: number;
}
interface EdgeBucket {
  bucket: Bucket;
  from: string;
  to: string;
  messages: number;
}

const byLower = (a: string, b: string) => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
};

export function taskMetrics(task: StoredObject, query: ObservabilityQuery, now: Date): TaskMetricsResponse {
  return metricsView(task, parseMessageFilter(query), now);
}

/** taskMetrics with the filter already parsed (callers validate the query before a lookup). */
export function metricsView(task: StoredObject, filter: MessageFilter, now: Date): TaskMetricsResponse {
  const { selected } = selectMessages(task, filter);
  const totals = new Bucket();
  const agents = new Map<string, AgentBucket>();
  const edges = new Map<string, EdgeBucket>();
  const agent = (name: string) => agents.get(name) ?? agents.set(name, { bucket: new Bucket(), inbound: 0, outbound: 0 }).get(name)!;
  for (const m of selected) {
    const phase = lifecycleOf(m.phase);
    const attempts = Number(m.attempts);
    const retries = Number.isFinite(attempts) ? Math.max(Math.trunc(attempts) - 1, 0) : 0;
    const latency = messageLatencyMs(m);
    totals.add(phase, retries, latency);
    const from = text(m, 'from_agent');
    const to = text(m, 'to_agent');
    if (to) {
      const a = agent(to);
      a.inbound++;
      a.bucket.add(phase, retries, latency);
    }
    if (from) agent(from).outbound++;
    const key = `${from.toLowerCase()}->${to.toLowerCase()}`;
    if (key === '->') continue;
    const e = edges.get(key) ?? edges.set(key, { bucket: new Bucket(), from, to, messages: 0 }).get(key)!;
    // The edge shows the spelling of its latest message.
    e.from = from;
    e.to = to;
    e.messages++;
    e.bucket.add(phase, retries, latency);
  }
  return {
    name: task.metadata.name,
    namespace: task.metadata.namespace,
    generated_at: nanoTimestamp(now),
    totals: { messages: selected.length, ...totals.counters() },
    per_agent: [...agents.entries()]
      .sort(([a], [b]) => byLower(a, b))
      .map(([name, a]) => ({ agent: name, inbound: a.inbound, outbound: a.outbound, ...a.bucket.counters() })),
    per_edge: [...edges.entries()]
      .sort(([a], [b]) => byLower(a, b))
      .map(([, e]) => ({ from_agent: e.from, to_agent: e.to, messages: e.messages, ...e.bucket.counters() })),
    filters: { phase_filtered: filter.phaseFiltered },
  };
}
