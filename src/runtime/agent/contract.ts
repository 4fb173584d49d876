// Execution contracts: the `contract` profile's ordered tool_sequence and required output markers,
// and the duplicate-call rule (deny vs short_circuit) that applies to every profile.
import type { AgentSettings } from './settings';

export type CallVerdict = { ok: true } | { ok: false; reason: string };

export class ContractState {
  /** Index of the next tool the sequence expects. */
  private position = 0;

  constructor(private readonly settings: AgentSettings) {}

  get active(): boolean {
    return this.settings.contract;
  }

  /** Sequence tools not yet called successfully, in order (empty outside the contract profile). */
  remaining(): string[] {
    return this.active ? this.settings.toolSequence.slice(this.position) : [];
  }

  /** Required markers absent from the text (case-insensitive); empty outside the contract profile. */
  missingMarkers(text: string): string[] {
    if (!this.active) return [];
    const lower = text.toLowerCase();
    return this.settings.requiredMarkers.filter((m) => !lower.includes(m.toLowerCase()));
  }

  /** Sequence finished and every marker present in the text. */
  satisfiedBy(text: string): boolean {
    return this.active && this.remaining().length === 0 && this.missingMarkers(text).length === 0;
  }

  /**
   * May this tool run now? Outside the sequence, or ahead of its turn, is a violation; a tool of the
   * sequence already done is a duplicate and judged by the duplicate rule instead.
   */
  checkCall(tool: string): CallVerdict {
    if (!this.active) return { ok: true };
    const seq = this.settings.toolSequence;
    const index = seq.indexOf(tool);
    if (index < 0) return { ok: false, reason: `tool ${tool} is not in execution.tool_sequence (${seq.join(', ')})` };
    if (index > this.position) return { ok: false, reason: `tool ${tool} called out of order: ${seq[this.position]} must come first` };
    return { ok: true };
  }

  /** Records a successful call; only the tool the sequence expects next advances it. */
  succeeded(tool: string): void {
    if (this.active && this.settings.toolSequence[this.position] === tool) this.position++;
  }

  /** The duplicate rule for a tool that already succeeded in this run. */
  checkDuplicate(tool: string, alreadySucceeded: boolean): CallVerdict {
    if (!alreadySucceeded || this.settings.duplicatePolicy !== 'deny') return { ok: true };
    return { ok: false, reason: `duplicate call of tool ${tool} denied by duplicate_tool_call_policy=deny` };
  }
}
