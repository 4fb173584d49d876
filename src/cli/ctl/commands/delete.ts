// `orrery delete KIND NAME…` (or KIND/NAME…): one line per deleted object; --ignore-not-found
// makes a missing one no error.
import { ApiCallError, UsageError } from '../errors';
import { findKind, kindOf } from '../kinds';
import { objectPath } from '../paths';
import type { Register } from '../program';
import type { KindDefinition } from '../../../registry/kind';
import type { CtlContext } from '../context';

/** `delete token NAME…`: revokes API tokens (admin). */
async function deleteTokens(ctx: CtlContext, names: string[], ignoreNotFound: boolean): Promise<number> {
  if (!names.length) throw new UsageError('a name is required: delete token NAME…');
  let failed = 0;
  for (const name of names) {
    try {
      await ctx.client.call('DELETE', `/v1/tokens/${encodeURIComponent(name)}`);
      ctx.io.out(`tokens/${name} deleted\n`);
    } catch (e) {
      if (!(e instanceof ApiCallError)) throw e;
      if (e.status === 404 && ignoreNotFound) continue;
      ctx.io.err([`error: tokens/${name}: ${e.body?.message ?? e.message}`, ...e.lines].join('\n') + '\n');
      failed++;
    }
  }
  return failed ? 1 : 0;
}

/** `kind name1 name2` or `kind/name1 kind/name2`. */
function targets(args: string[]): { def: KindDefinition; name: string }[] {
  if (!args.length) throw new UsageError('delete KIND NAME… or KIND/NAME…');
  if (args.every((a) => a.includes('/'))) {
    return args.map((a) => {
      const [k, ...rest] = a.split('/');
      if (!rest.join('/')) throw new UsageError(`"${a}" names no object: use KIND/NAME`);
      return { def: kindOf(k), name: rest.join('/') };
    });
  }
  const def = kindOf(args[0]);
  const names = args.slice(1);
  if (!names.length) throw new UsageError(`a name is required: delete ${args[0]} NAME…`);
  const slashed = names.find((n) => n.includes('/') && findKind(n.split('/')[0]));
  if (slashed) throw new UsageError(`"${slashed}": give either KIND NAME… or KIND/NAME…, not both`);
  return names.map((name) => ({ def, name }));
}

export const registerDelete: Register = (program, action) => {
  program
    .command('delete')
    .description('delete objects by KIND NAME… or KIND/NAME…')
    .argument('<targets...>', 'KIND NAME… or KIND/NAME…')
    .option('--ignore-not-found', 'a missing object is not an error')
    .action(
      action(async (ctx, args, opts) => {
        if (/^tokens?$/.test(args[0] ?? '')) return deleteTokens(ctx, args.slice(1), Boolean(opts.ignoreNotFound));
        let failed = 0;
        for (const { def, name } of targets(args)) {
          try {
            await ctx.client.call('DELETE', objectPath(def, name, ctx.namespace));
            ctx.io.out(`${def.plural}/${name} deleted\n`);
          } catch (e) {
            if (!(e instanceof ApiCallError)) throw e;
            if (e.status === 404 && opts.ignoreNotFound) continue;
            ctx.io.err([`error: ${def.plural}/${name}: ${e.body?.message ?? e.message}`, ...e.lines].join('\n') + '\n');
            failed++;
          }
        }
        return failed ? 1 : 0;
      }),
    );
};
