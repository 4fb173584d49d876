// `orrery get KIND [NAME]`: tables per kind (NAME, PHASE, AGE and the kind's own columns; -o wide
// adds more), the exact API answer with -o json|yaml, label selectors, and -w to follow the
// server's watch until Ctrl-C. Also `get tokens` and `get memory-entries MEMORY`.
import { UsageError } from '../errors';
import { kindOf } from '../kinds';
import { formatOf, serialize, table, ago } from '../output';
import { listPath, objectPath, query } from '../paths';
import type { Register } from '../program';
import { rowsOf } from '../columns';
import { watchRows } from '../watch-rows';
import { stopSignal } from '../task-args';
import { printEntries } from './memory';
import type { CtlContext } from '../context';

async function getTokens(ctx: CtlContext, format: string): Promise<void> {
  const body = await ctx.client.get('/v1/tokens');
  if (format === 'json' || format === 'yaml') return void ctx.io.out(serialize(body, format));
  ctx.io.out(table(['name', 'role', 'age'], (body.items ?? []).map((t: any) => [t.name, t.role, ago(t.created_at, ctx.now())])));
}

export const registerGet: Register = (program, action) => {
  program
    .command('get')
    .description('list objects of a kind, or show one (also: get tokens, get memory-entries MEMORY)')
    .argument('<kind>', 'kind: plural, singular or short name (see orrery get --help)')
    .argument('[name]', 'one object (or the Memory for memory-entries)')
    .option('-o, --output <format>', 'table, wide, json or yaml', 'table')
    .option('-l, --selector <selector>', 'label selector, e.g. env=dev,tier!=db')
    .option('-w, --watch', 'print a row per change until Ctrl-C')
    .option('--query <q>', 'memory-entries: search text')
    .option('--prefix <p>', 'memory-entries: key prefix')
    .option('--limit <n>', 'memory-entries: at most this many')
    .action(
      action(async (ctx, args, opts) => {
        const format = formatOf(opts.output);
        const [word, name] = args;
        if (word === 'tokens' || word === 'token') return getTokens(ctx, format);
        if (word === 'memory-entries') {
          if (!name) throw new UsageError('a Memory is required: orrery get memory-entries MEMORY');
          return printEntries(ctx, name, opts, format);
        }
        const def = kindOf(word);
        if (opts.watch) {
          const stop = stopSignal(0);
          try {
            await watchRows(ctx, `/v1/${def.plural}/watch${query({ namespace: ctx.namespace, name, labelSelector: opts.selector })}`, def.plural, format, stop.signal);
          } finally {
            stop.dispose();
          }
          return 0;
        }
        if (name) {
          const o = await ctx.client.get(objectPath(def, name, ctx.namespace));
          if (format === 'json' || format === 'yaml') return void ctx.io.out(serialize(o, format));
          const { headers, rows } = rowsOf([o], def.plural, format === 'wide', ctx);
          return void ctx.io.out(table(headers, rows));
        }
        const list = await ctx.client.get(listPath(def, ctx.namespace, { labelSelector: opts.selector }));
        if (format === 'json' || format === 'yaml') return void ctx.io.out(serialize(list, format));
        if (!list.items?.length) return void ctx.io.err(`No ${def.plural} found${ctx.namespace ? ` in namespace ${ctx.namespace}` : ''}.\n`);
        const { headers, rows } = rowsOf(list.items, def.plural, format === 'wide', ctx);
        ctx.io.out(table(headers, rows));
      }),
    );
};
