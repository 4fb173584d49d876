// Rows of a watch, printed as changes arrive: cells padded to fixed widths (the rows to come are
// unknown, so the table cannot be measured), or one JSON/YAML document per change.
import type { CtlContext } from './context';
import { serialize, type Format } from './output';
import { rowsOf } from './columns';

const pad = (cell: string, width: number) => cell + ' '.repeat(Math.max(1, width - cell.replace(/\u001b\[[0-9;]*m/g, '').length));

export async function watchRows(ctx: CtlContext, path: string, plural: string, format: Format, signal: AbortSignal): Promise<void> {
  const widths: number[] = [];
  let header = false;
  for await (const e of ctx.client.events(path, signal)) {
    if (e.event === 'error') {
      const body = JSON.parse(e.data || '{}');
      throw new Error(`the watch ended: ${body.message ?? body.reason ?? e.data}`);
    }
    if (e.event !== 'resource' || !e.data) continue;
    const frame = JSON.parse(e.data);
    if (format === 'json' || format === 'yaml') {
      ctx.io.out(format === 'json' ? `${JSON.stringify(frame)}\n` : `---\n${serialize(frame, 'yaml')}`);
      continue;
    }
    const { headers, rows } = rowsOf([frame.resource], plural, format === 'wide', ctx);
    const all = ['event', ...headers];
    const row = [frame.type, ...rows[0]];
    all.forEach((h, i) => (widths[i] ??= Math.max(h.length + 2, i === 0 ? 9 : 14)));
    if (!header) {
      ctx.io.out(all.map((h, i) => (i === all.length - 1 ? h.toUpperCase() : pad(h.toUpperCase(), widths[i]))).join('').trimEnd() + '\n');
      header = true;
    }
    ctx.io.out(row.map((c, i) => (i === row.length - 1 ? c : pad(c, widths[i]))).join('').trimEnd() + '\n');
  }
}
