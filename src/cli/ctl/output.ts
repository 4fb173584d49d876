// Printing: aligned tables, human times ("3m ago"), phase colours on a terminal, and exact API
// output for -o json|yaml.
import YAML from 'yaml';
import { UsageError } from './errors';
import type { CtlContext } from './context';

export type Format = 'table' | 'wide' | 'json' | 'yaml';
export const FORMATS: Format[] = ['table', 'wide', 'json', 'yaml'];

export function formatOf<F extends Format = Format>(value: string | undefined, allowed: readonly F[] = FORMATS as F[]): F {
  const f = (value ?? 'table').toLowerCase() as F;
  if (!allowed.includes(f)) throw new UsageError(`-o ${value}: use one of ${allowed.join(', ')}`);
  return f;
}

/** JSON (two-space indent) or YAML of an API answer, exactly as the server sent it. */
export function serialize(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : YAML.stringify(value, { lineWidth: 0 });
}

const CODES: Record<string, string> = { red: '31', green: '32', yellow: '33', blue: '34', gray: '90', bold: '1' };

export function paint(ctx: Pick<CtlContext, 'color'>, color: keyof typeof CODES, text: string): string {
  return ctx.color ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

const PHASE_COLORS: Record<string, keyof typeof CODES> = {
  Succeeded: 'green',
  Ready: 'green',
  Approved: 'green',
  Running: 'blue',
  Connecting: 'blue',
  Pending: 'gray',
  WaitingApproval: 'yellow',
  RetryPending: 'yellow',
  ChangesRequested: 'yellow',
  Failed: 'red',
  DeadLetter: 'red',
  Error: 'red',
  Denied: 'red',
  Expired: 'red',
};

export function phase(ctx: Pick<CtlContext, 'color'>, value: string | undefined): string {
  const v = value || 'Pending';
  const c = PHASE_COLORS[v];
  return c ? paint(ctx, c, v) : v;
}

/** "just now", "45s ago", "3m ago", "2h ago", "4d ago"; "-" without a time. */
export function ago(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (s < 2) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

// ANSI colour codes take no room on the screen.
const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

/** Columns padded to the widest cell (two spaces apart); headers in capitals; no trailing spaces. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers.map((h) => h.toUpperCase()), ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => visible(r[i] ?? '').length)));
  return (
    all
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - visible(cell).length)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** One line, at most `n` characters (for answers and messages in tables). */
export function clip(text: unknown, n: number): string {
  const s = String(text ?? '').replace(/\s+/g, ' ').trim();
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
