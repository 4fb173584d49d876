// `orrery memory-entries MEMORY`: search (--query) or list (--prefix) the entries of a Memory
// through GET /v1/memories/{name}/entries.
import { CtlError, UsageError } from '../errors';
import { clip, formatOf, serialize, table, type Format } from '../output';
import { query } from '../paths';
import type { Register } from '../program';
import type { CtlContext } from '../context';

export async function printEntries(ctx: CtlContext, memory: string, opts: { query?: string; prefix?: string; limit?: string }, format: Format): Promise<void> {
  if (opts.limit !== undefined && !/^\d+$/.test(String(opts.limit))) throw new UsageError(`--limit ${opts.limit}: must be a whole number from 1 to 1000`);
  const body = await ctx.client.get(`/v1/memories/${encodeURIComponent(memory)}/entries${query({ q: opts.query, prefix: opts.prefix, limit: opts.limit, namespace: ctx.namespace })}`);
  if (format === 'json' || format === 'yaml') return void ctx.io.out(serialize(body, format));
  const entries: any[] = body.entries ?? [];
  if (!entries.length) return void ctx.io.err(`No entries found in memories/${memory}.\n`);
  const scored = entries.some((e) => e.score !== undefined);
  const width = format === 'wide' ? 200 : 60;
  const headers = scored ? ['key', 'score', 'value'] : ['key', 'value'];
  ctx.io.out(table(headers, entries.map((e) => (scored ? [e.key, Number(e.score ?? 0).toFixed(3), clip(e.value, width)] : [e.key, clip(e.value, width)]))));
}

export const registerMemory: Register = (program, action) => {
  program
    .command('memory-entries')
    .description('search or list the entries of a Memory')
    .argument('<memory>', 'the Memory')
    .option('--query <q>', 'search text (best first, with scores)')
    .option('--prefix <p>', 'list keys starting with this (ignored with --query)')
    .option('--limit <n>', 'at most this many entries (1-1000, default 100)')
    .option('-o, --output <format>', 'table, wide, json or yaml', 'table')
    .action(
      action(async (ctx, args, opts) => {
        if (!args[0]) throw new CtlError('a Memory is required');
        await printEntries(ctx, args[0], opts, formatOf(opts.output));
      }),
    );
};
