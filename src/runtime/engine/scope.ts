// The view of one running task that message processing works against: the frozen system, the
// task's latest stored state, fenced writes, and where endings are reported.
import type { Status, StoredObject } from '../../registry/kind';
import type { EngineDeps } from './deps';
import type { Ending } from './endings';
import type { PolicyObject } from './governance';
import type { TaskCtx } from './records';
import type { StepJournal } from './types';

/** Mutates a copy of the status; returning false writes nothing. */
export type Mutation = (s: Status, now: Date, ctx: TaskCtx) => boolean | void;

export interface RunScope {
  deps: EngineDeps;
  /** The AgentSystem spec as it was when this run started. */
  system: Record<string, any>;
  /** AgentPolicies that apply to this task. */
  policies: PolicyObject[];
  journal: StepJournal;
  signal: AbortSignal;
  /** API keys seen by this run, scrubbed from everything recorded. */
  secrets: Set<string>;
  task(): StoredObject;
  /** A fenced, serialized write; resolves to the stored task, or undefined when nothing was written. */
  write(mutate: Mutation): Promise<StoredObject | undefined>;
  /** Called from inside a mutation when it ended the attempt or the task. */
  ending(e: Ending | undefined): void;
  /**
   * Called from inside a mutation that created messages already begun (Running, attempt 1) for
   * this run to process next, saving each its own begin write. Counts only once the write commits.
   */
  begun(id: string): void;
  /** How many more messages may be begun now: free branch slots (`finishing`: one is closing). */
  room(finishing: boolean): number;
}
