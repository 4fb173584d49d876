// `orrery health`: the server's /healthz, as a table or exactly as answered.
import { formatOf, paint, serialize, table } from '../output';
import type { Register } from '../program';

export const registerHealth: Register = (program, action) => {
  program
    .command('health')
    .description('check that the server answers (/healthz)')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action(async (ctx, _args, opts) => {
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const res = await ctx.client.raw('GET', '/healthz');
        const body: any = await res.json().catch(() => ({}));
        if (format !== 'table') ctx.io.out(serialize(body, format));
        else ctx.io.out(table(['server', 'status'], [[ctx.server, res.ok ? paint(ctx, 'green', body.status ?? 'ok') : paint(ctx, 'red', body.status ?? `HTTP ${res.status}`)]]));
        return res.ok ? 0 : 1;
      }),
    );
};
