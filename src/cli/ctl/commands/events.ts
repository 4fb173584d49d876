// `orrery events`: the server's event stream (/v1/events/watch), filtered, resumable with --since,
// one line per event or the raw JSON.
import { CtlError } from '../errors';
import { paint } from '../output';
import type { Register } from '../program';
import type { TaskEvent } from '../progress';
import { countFlag, durationFlag, stopSignal } from '../task-args';
import { clock } from './observe';

export const registerEvents: Register = (program, action) => {
  program
    .command('events')
    .description('stream events (GET /v1/events/watch) until Ctrl-C, --once or --timeout')
    .option('--kind <kind>', 'only events about this kind (Task, Worker, …)')
    .option('--name <name>', 'only events about objects of this name')
    .option('--type <type>', 'only this event type (task.succeeded, resource.status, …)')
    .option('--source <source>', 'only events of this source (api, task-controller, …)')
    .option('--since <id>', 'replay the events after this id first')
    .option('--once', 'exit after the first matching event')
    .option('--timeout <duration>', 'stop after this long (exit 0); 0 = no limit', '0')
    .option('--raw', 'print each event as its JSON')
    .action(
      action(async (ctx, _args, opts) => {
        const since = countFlag('--since', opts.since);
        const stop = stopSignal(durationFlag('--timeout', opts.timeout));
        const q = new URLSearchParams();
        for (const k of ['kind', 'name', 'type', 'source'] as const) if (opts[k]) q.set(k, opts[k]);
        if (ctx.namespace) q.set('namespace', ctx.namespace);
        if (since !== undefined) q.set('since', String(since));
        try {
          for await (const frame of ctx.client.events(`/v1/events/watch?${q}`, stop.signal)) {
            if (!frame.data) continue;
            const e = JSON.parse(frame.data) as TaskEvent & { reason?: string };
            if (frame.event === 'error') throw new CtlError(`the event stream ended: ${e.message ?? e.reason}`);
            ctx.io.out(opts.raw ? `${frame.data}\n` : `${paint(ctx, 'gray', `${e.id} ${clock(e.timestamp)}`)}  ${e.type}  ${e.kind}/${e.namespace ? `${e.namespace}/` : ''}${e.name}  ${e.message ?? ''}\n`);
            if (opts.once) return 0;
          }
        } finally {
          stop.dispose();
        }
        return stop.reason() === 'interrupt' ? 130 : 0;
      }),
    );
};
