// `orrery cancel task NAME` and `orrery retry task NAME [--with-overrides k=v…]`: stop a task, or
// run a finished one again as a new task `<name>-retry-<n>` with the same spec.
import { CtlError } from '../errors';
import { formatOf, phase, serialize } from '../output';
import type { Register } from '../program';
import { enc, parseInputs, query, taskName } from '../task-args';

export const registerTaskActions: Register = (program, action) => {
  program
    .command('cancel')
    .description('stop a Pending, Running or WaitingApproval task (POST /v1/tasks/NAME/cancel)')
    .argument('<target...>', 'task NAME or task/NAME')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action(async (ctx, args, opts) => {
        const name = taskName(args, 'orrery cancel task NAME');
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const task = await ctx.client.call('POST', `/v1/tasks/${enc(name)}/cancel${query(ctx)}`);
        ctx.io.out(format === 'table' ? `task/${name} cancelled (${phase(ctx, task.status?.phase)})\n` : serialize(task, format));
      }),
    );

  program
    .command('retry')
    .description('create a new task from a finished task\'s spec, named <name>-retry-<n>')
    .argument('<target...>', 'task NAME or task/NAME')
    .option('--with-overrides <key=value...>', 'replace or add input values (repeatable)')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action(async (ctx, args, opts) => {
        const name = taskName(args, 'orrery retry task NAME [--with-overrides key=value]');
        const overrides = parseInputs(opts.withOverrides ?? [], '--with-overrides');
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const old = await ctx.client.get(`/v1/tasks/${enc(name)}${query(ctx)}`);
        const p = old.status?.phase ?? 'Pending';
        if (!['Succeeded', 'Failed', 'DeadLetter'].includes(p)) throw new CtlError(`task ${name} is ${p}: only a finished task can be retried (cancel it first)`);
        const ns = query(ctx, { namespace: old.metadata.namespace });
        let n = 1;
        while ((await ctx.client.raw('GET', `/v1/tasks/${enc(`${name}-retry-${n}`)}${ns}`)).status !== 404) n++;
        const manifest = {
          apiVersion: 'orloj.dev/v1',
          kind: 'Task',
          metadata: { name: `${name}-retry-${n}`, namespace: old.metadata.namespace, labels: { ...(old.metadata.labels ?? {}), 'orloj.dev/retry-of': name } },
          spec: { ...old.spec, input: { ...(old.spec?.input ?? {}), ...overrides } },
        };
        const created = await ctx.client.call('POST', `/v1/tasks${ns}`, manifest);
        ctx.io.out(format === 'table' ? `task/${created.metadata.name} created from task/${name}\n` : serialize(created, format));
      }),
    );
};
