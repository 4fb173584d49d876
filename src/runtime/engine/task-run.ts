// Drives one claimed task while this worker holds its lease: validates the system, kicks off the
// entry agents, processes messages (fan-out branches concurrently) until none is left in flight,
// and reports how the attempt ended. Every write is serialized here and fenced by the lease.
import { InsufficientStorage } from '../../errors';
import type { Status, StoredObject } from '../../registry/kind';
import { rfc3339 } from '../../util/time';
import type { EngineDeps } from './deps';
import { attemptMessages, endAttempt, settleIfQuiet, type Ending } from './endings';
import { matchPolicies } from './governance';
import { entryAgents, validateSystem } from './graph';
import { kickoffContent } from './inputs';
import { beginNew, processMessage } from './message-step';
import { addHistory, addMessages, addTrace, isTerminal, messagesOf, newMessage, setOutput, type TaskCtx } from './records';
import { messageRetryPolicy, taskRetryPolicy } from './retry';
import type { Mutation, RunScope } from './scope';
import { stepJournal } from './step-journal';
import type { StepJournal } from './types';

const pad3 = (n: number) => String(n).padStart(3, '0');

export class TaskRun implements RunScope {
  readonly secrets = new Set<string>();
  readonly journal: StepJournal;
  system: Record<string, any> = {};
  policies: RunScope['policies'] = [];
  private readonly controller = new AbortController();
  private latest: StoredObject;
  private chain: Promise<unknown> = Promise.resolve();
  private pendingEnding?: Ending;
  private pendingBegun: string[] = [];
  /** Messages this run created already begun, to process without a begin write. */
  private readonly prebegun = new Set<string>();
  private finished = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private wakeUp?: () => void;
  private releaseLease = false;
  /** Messages that made no progress, and when to try them again (doubling back-off). */
  private readonly stalled = new Map<string, { until: number; backoffMs: number }>();
  private lastWrite = 0;

  /** This run's lease: the worker id and the token minted when the task was claimed. */
  private readonly holder: { id: string; token?: string };

  constructor(
    readonly deps: EngineDeps,
    claimed: StoredObject,
  ) {
    this.latest = claimed;
    this.holder = { id: deps.workerId, token: claimed.status?.leaseToken };
    this.journal = stepJournal(deps.journal, claimed.metadata.uid);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get key(): string {
    return `${this.latest.metadata.namespace}/${this.latest.metadata.name}`;
  }

  task(): StoredObject {
    return this.latest;
  }

  ending(e: Ending | undefined): void {
    if (e) this.pendingEnding = e;
  }

  begun(id: string): void {
    this.pendingBegun.push(id);
  }

  room(finishing: boolean): number {
    const busy = this.inFlight.size - (finishing ? 1 : 0) + this.prebegun.size + this.pendingBegun.length;
    return Math.max(0, this.deps.branchConcurrency - busy);
  }

  /** Aborts in-flight model and tool calls; `release` hands the lease back (graceful stop). */
  stop(reason: string, release = false): void {
    this.releaseLease ||= release;
    if (!this.controller.signal.aborted) this.controller.abort(new Error(reason));
    this.wake();
  }

  /** A change to the task seen on the change feed (another process or the API wrote it). */
  async observe(task: StoredObject | undefined): Promise<void> {
    const s = task?.status ?? {};
    if (!task) {
      await this.deps.journal.drop(this.latest.metadata.uid);
      this.stop('task deleted');
    }
    else if (task.metadata.uid !== this.latest.metadata.uid) this.stop('task replaced');
    else if (s.phase !== 'Running' || s.claimedBy !== this.holder.id || (this.holder.token && s.leaseToken !== this.holder.token)) {
      this.stop(s.lastError === 'cancelled' ? 'cancelled' : 'task no longer owned');
    }
  }

  /** Wakes the loop on a later turn of the event loop, so it can never starve timers and I/O. */
  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    if (w) setImmediate(w);
  }

  private ctx(now: Date, s: Status): TaskCtx {
    const t = this.latest;
    return {
      namespace: t.metadata.namespace,
      name: t.metadata.name,
      attempt: Number(s.attempts) || 1,
      system: t.spec.system,
      maxAttempts: messageRetryPolicy(t.spec).maxAttempts,
      now: now.toISOString(),
    };
  }

  write(mutate: Mutation): Promise<StoredObject | undefined> {
    const step = async () => {
      if (this.finished) return undefined;
      const { namespace, name } = this.latest.metadata;
      let changed = false;
      let ending: Ending | undefined;
      const stored = await this.deps.leases.fenced(namespace, name, this.holder, (s, now) => {
        this.pendingEnding = undefined;
        this.pendingBegun = [];
        changed = mutate(s, now, this.ctx(now, s)) !== false;
        ending = this.pendingEnding;
        if (!changed) return undefined;
        if (s.phase === 'Running') {
          s.leaseUntil = rfc3339(new Date(now.getTime() + this.deps.leases.leaseMs));
          s.lastHeartbeat = rfc3339(now);
        }
        return s;
      });
      if (!stored) {
        this.stop('lease lost');
        return undefined;
      }
      this.latest = stored;
      if (changed) {
        this.lastWrite = this.deps.clock.now().getTime();
        for (const id of this.pendingBegun) this.prebegun.add(id);
      }
      this.pendingBegun = [];
      if (ending) await this.ended(ending);
      return changed ? stored : undefined;
    };
    const next = this.chain.then(step, step);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Publishes what the committed ending means: events, logs, journal cleanup, stop. */
  private async ended(e: Ending): Promise<void> {
    const { deps } = this;
    const t = this.latest;
    const { namespace, name } = t.metadata;
    this.finished = true;
    if (e.phase === 'WaitingApproval') return await this.paused(e.approval);
    await deps.journal.drop(t.metadata.uid);
    const s = t.status ?? {};
    const type = e.phase === 'Succeeded' ? 'task.succeeded' : e.phase === 'Pending' ? 'task.retry_scheduled' : e.phase === 'Failed' ? 'task.failed' : 'task.deadletter';
    const message =
      e.phase === 'Succeeded'
        ? `task transitioned Running->Succeeded tokens_used_total=${s.output?.tokens_used_total ?? 0}`
        : e.phase === 'Pending'
          ? `task attempt ${s.attempts} failed; retry scheduled for ${e.at}: ${e.error}`
          : `task transitioned Running->${e.phase} reason=${e.error}`;
    await deps.logs.append('Task', namespace, name, message);
    await deps.events.publish({
      source: 'task-controller',
      type,
      kind: 'Task',
      name,
      namespace,
      message,
      data: { phase: s.phase, attempts: s.attempts, claimedBy: deps.workerId, lastError: s.lastError },
    });
    if (e.phase !== 'Succeeded') this.stop('task ended');
    this.wake();
  }

  /** The task waits for a person: the journal stays (the resumed message replays it), the run stops. */
  private async paused(approval: string): Promise<void> {
    const { namespace, name } = this.latest.metadata;
    const message = `task transitioned Running->WaitingApproval approval=${approval}`;
    await this.deps.logs.append('Task', namespace, name, message);
    await this.deps.events.publish({
      source: 'task-controller',
      type: 'task.waiting_approval',
      kind: 'Task',
      name,
      namespace,
      message,
      data: { phase: 'WaitingApproval', attempts: this.latest.status?.attempts, blocked_on: this.latest.status?.blocked_on },
    });
    this.stop('task waiting for approval');
    this.wake();
  }

  async run(): Promise<void> {
    // Renew the lease unless a write renewed it during the last period.
    const beat = setInterval(() => {
      if (this.deps.clock.now().getTime() - this.lastWrite < this.deps.heartbeatMs / 2) return;
      void this.write(() => undefined).catch((e) => this.deps.log.error('lease renewal failed', { task: this.key, error: String((e as Error)?.message ?? e) }));
    }, this.deps.heartbeatMs);
    try {
      if (await this.prepare()) await this.loop();
    } catch (e) {
      this.deps.log.error('task run failed', { task: this.key, error: String((e as Error)?.message ?? e) });
    } finally {
      clearInterval(beat);
      await Promise.allSettled([...this.inFlight.values()]);
      if (this.signal.aborted && !this.finished) {
        const reason = (this.signal.reason as Error | undefined)?.message ?? 'stopped';
        this.deps.log.info('task run stopped', { task: this.key, worker: this.deps.workerId, reason });
      }
      if (this.releaseLease && !this.finished) {
        const { namespace, name } = this.latest.metadata;
        try {
          await this.deps.leases.fenced(namespace, name, this.holder, (s, now) => ({ ...s, leaseUntil: rfc3339(new Date(now.getTime() - 1000)) }));
        } catch (e) {
          this.deps.log.warn('could not hand the lease back', { task: this.key, error: String((e as Error)?.message ?? e) });
        }
      }
    }
  }

  /** Loads and checks the system; kicks the attempt off once. False when the task ended here. */
  private async prepare(): Promise<boolean> {
    const { deps } = this;
    const t = this.latest;
    const ns = t.metadata.namespace;
    const problems: string[] = [];
    const system = await deps.resolver.system(ns, t.spec.system ?? '');
    if (!system) problems.push(`spec.system: AgentSystem ${t.spec.system} not found in namespace ${ns}`);
    else {
      for (const p of validateSystem(system.spec, t)) problems.push(`AgentSystem ${system.metadata.name} ${p.field}: ${p.message}`);
      for (const agent of system.spec.agents ?? []) problems.push(...(await deps.resolver.agent(ns, agent)).problems);
    }
    if (problems.length) {
      const error = `invalid task: ${problems.join('; ')}`;
      await this.write((s, now, ctx) => {
        addTrace(s, ctx.attempt, [{ timestamp: ctx.now, type: 'task_validation_error', message: error, retryable: false }]);
        this.ending(endAttempt(s, ctx, deps.workerId, error, false, taskRetryPolicy(t.spec), now.getTime()));
      });
      return false;
    }
    this.system = system!.spec;
    this.policies = matchPolicies(await deps.resolver.policies(ns), { namespace: ns, task: t.metadata.name, system: system!.metadata.name });
    const entries = entryAgents(this.system);
    const kicked = await this.write((s, _now, ctx) => {
      if (attemptMessages(s, ctx.attempt).length) return false;
      const content = kickoffContent(t.spec.input ?? {}, ctx.name, ctx.attempt);
      const starts = entries.map((to, i) => newMessage(ctx, { from: 'system', to, type: 'task_start', content, branch: `b${pad3(i + 1)}` }));
      addMessages(s, starts);
      beginNew(this, s, ctx, starts, false);
      addTrace(s, ctx.attempt, starts.map((m) => ({ timestamp: ctx.now, type: 'task_runtime_kickoff', agent: m.to_agent, message_id: m.message_id, branch_id: m.branch_id, message: `kickoff to ${m.to_agent}` })));
      addHistory(s, 'runtime_kickoff', deps.workerId, `attempt ${ctx.attempt}: kickoff to ${entries.join(', ')}`, ctx.now);
      setOutput(s, { 'runtime.mode': 'message-driven', 'runtime.entry_agent': entries.join(','), system: system!.metadata.name });
    });
    if (kicked) {
      const message = `task transitioned Pending->Running system=${system!.metadata.name} attempt=${this.latest.status?.attempts} entry=${entries.join(',')}`;
      await deps.logs.append('Task', ns, t.metadata.name, message);
      await deps.events.publish({ source: 'task-controller', type: 'task.runtime_kickoff', kind: 'Task', name: t.metadata.name, namespace: ns, message, data: { phase: 'Running', attempts: this.latest.status?.attempts, claimedBy: deps.workerId } });
    }
    return !this.finished && !this.signal.aborted;
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), Math.max(1, Math.min(ms, 60_000)));
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.signal.aborted || this.finished) this.wake();
    });
  }

  /** A message that could not begin (or threw) waits 100 ms, then twice as long each time, up to 30 s. */
  private progress(id: string, progressed: boolean): void {
    if (progressed) {
      this.stalled.delete(id);
      return;
    }
    const backoffMs = Math.min((this.stalled.get(id)?.backoffMs ?? 50) * 2, 30_000);
    this.stalled.set(id, { until: this.deps.clock.now().getTime() + backoffMs, backoffMs });
  }

  private async loop(): Promise<void> {
    const { deps } = this;
    while (!this.signal.aborted && !this.finished) {
      const s = this.latest.status ?? {};
      if (s.phase !== 'Running') return;
      const attempt = Number(s.attempts) || 1;
      const now = deps.clock.now().getTime();
      let nextDue = Infinity;
      let open = 0;
      for (const m of messagesOf(s)) {
        if (m.attempt !== attempt || isTerminal(m)) continue;
        open++;
        if (this.inFlight.has(m.message_id)) continue;
        const due = Math.max(m.phase === 'RetryPending' ? Date.parse(m.next_attempt_at ?? '') || 0 : 0, this.stalled.get(m.message_id)?.until ?? 0);
        if (due > now) {
          nextDue = Math.min(nextDue, due);
          continue;
        }
        if (this.inFlight.size >= deps.branchConcurrency) break;
        const id = m.message_id;
        const begunHere = this.prebegun.delete(id);
        const p = processMessage(this, id, begunHere)
          .catch((e) => {
            // A full disk (logged once by the store) is retried with the same backoff, quietly.
            if (e instanceof InsufficientStorage) deps.log.debug('message waits for disk space', { task: this.key, message: id });
            else deps.log.error('message processing failed', { task: this.key, message: id, error: String((e as Error)?.message ?? e) });
            return false;
          })
          .then((progressed) => this.progress(id, progressed))
          .finally(() => {
            this.inFlight.delete(id);
            this.wake();
          });
        this.inFlight.set(id, p);
      }
      if (open === 0 && this.inFlight.size === 0) {
        // Everything is terminal but the task is still Running (e.g. resumed right before its
        // last write): settle it now.
        await this.write((st, _now, ctx) => this.ending(settleIfQuiet(st, ctx, deps.workerId)));
        continue;
      }
      await this.idle(nextDue - now);
    }
  }
}
