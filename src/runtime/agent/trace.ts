// The run's trace rows: stamped with the agent and a time, message text redacted (known secrets and
// credential shapes) and clipped, and capped at 300 rows with agent_end always kept last.
import { redactSecrets } from '../models';
import type { TraceRow } from '../engine/types';

export const MAX_TRACE_ROWS = 300;
const MAX_MESSAGE_CHARS = 4000;

export type RowInit = Omit<TraceRow, 'timestamp' | 'agent'>;

export class TraceRecorder {
  readonly rows: TraceRow[] = [];
  private dropped = 0;

  constructor(
    private readonly agent: string,
    private readonly secrets: readonly string[],
    private readonly onRow?: (row: TraceRow) => void,
  ) {}

  /** Redacted and clipped text for a trace row or an error message. */
  clean(text: string): string {
    const redacted = redactSecrets(text, this.secrets);
    return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS)}…` : redacted;
  }

  private build(row: RowInit, at: string): TraceRow {
    const out: TraceRow = { timestamp: at, type: row.type, agent: this.agent };
    for (const [k, v] of Object.entries(row)) if (v !== undefined && k !== 'type') (out as any)[k] = v;
    if (typeof out.message === 'string') out.message = this.clean(out.message);
    return out;
  }

  /** Adds a row unless the cap is reached (one place is always left for agent_end). */
  add(row: RowInit, at: string): void {
    if (this.rows.length >= MAX_TRACE_ROWS - 1) {
      this.dropped++;
      return;
    }
    const built = this.build(row, at);
    this.rows.push(built);
    this.onRow?.(built);
  }

  /** The closing row; it notes how many rows the cap dropped. */
  end(row: RowInit, at: string): void {
    const note = this.dropped ? `${this.dropped} trace rows dropped (limit ${MAX_TRACE_ROWS})` : '';
    const message = [row.message, note].filter(Boolean).join('; ');
    this.rows.push(this.build({ ...row, ...(message ? { message } : {}) }, at));
  }
}
