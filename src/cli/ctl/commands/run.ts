// `orrery run --system NAME [key=value…]`: creates a Task and follows it live until it ends, then
// prints its answer. Exit codes: 0 Succeeded, 1 Failed or DeadLetter, 3 cancelled or --timeout,
// 130 Ctrl-C (the task keeps running).
import { CtlError, UsageError } from '../errors';
import { paint, phase } from '../output';
import { aboutTask, openEvents, TaskFollower, TERMINAL, watchTask } from '../progress';
import type { Register } from '../program';
import type { CtlContext } from '../context';
import { durationFlag, merge, parseInputs, stopSignal } from '../task-args';

export const EXIT_TIMEOUT_OR_CANCELLED = 3;
export const EXIT_INTERRUPTED = 130;

export const registerRun: Register = (program, action) => {
  program
    .command('run')
    .description('create a task for an agent system and follow it live until it ends')
    .argument('[input...]', 'task input as key=value pairs (values are text)')
    .requiredOption('--system <name>', 'the AgentSystem to run')
    .option('--name <name>', 'name of the task (default: <system>-<random>)')
    .option('--timeout <duration>', 'stop waiting after this long (exit 3; the task keeps running); 0 = no limit', '5m')
    .option('--detach', 'create the task and return without following it')
    .action(
      action(async (ctx, args, opts) => {
        const input = parseInputs(args);
        const timeoutMs = durationFlag('--timeout', opts.timeout);
        const system = String(opts.system).trim();
        if (!system) throw new UsageError('--system: name an AgentSystem');
        const name = opts.name?.trim() || `${system}-${Math.random().toString(36).slice(2, 8)}`;
        const manifest = { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name, ...(ctx.namespace ? { namespace: ctx.namespace } : {}) }, spec: { system, input } };
        if (opts.detach) {
          await createTask(ctx, manifest);
          ctx.io.out(`task/${name} created\nfollow it:  orrery get task ${name} -w    cancel it: orrery cancel task ${name}\n`);
          return 0;
        }
        return follow(ctx, manifest, timeoutMs);
      }),
    );
};

async function createTask(ctx: CtlContext, manifest: { metadata: { name: string } }): Promise<void> {
  await ctx.client.call('POST', `/v1/tasks${ctx.namespace ? `?namespace=${encodeURIComponent(ctx.namespace)}` : ''}`, manifest);
}

async function follow(ctx: CtlContext, manifest: { metadata: { name: string }; spec: { system: string } }, timeoutMs: number): Promise<number> {
  const name = manifest.metadata.name;
  const stop = stopSignal(timeoutMs);
  const params = new URLSearchParams({ namespace: ctx.namespace ?? 'default' });
  const query = `?${params}`;
  try {
    // Subscribed before the task exists, so its first steps are not missed.
    const events = await openEvents(ctx, params, stop.signal);
    await createTask(ctx, manifest);
    ctx.io.out(`task/${name} created (system ${manifest.spec.system})\n`);
    const follower = new TaskFollower(ctx);
    const print = (lines: string[]) => lines.forEach((l) => ctx.io.out(`${l}\n`));
    // Step events arrive during an agent's turn; watch frames carry the trace rows and phases.
    for await (const { from, value } of merge([events, watchTask(ctx, name, stop.signal)])) {
      if (!value.data) continue;
      const body = JSON.parse(value.data);
      if (from === 0) {
        if (value.event === 'event' && aboutTask(body, name)) print(follower.event(body));
        continue;
      }
      if (value.event === 'error') throw new CtlError(`the task watch ended: ${body.message ?? body.reason}`);
      if (body.type === 'deleted') throw new CtlError(`task ${name} was deleted while running`);
      // Frames carry the task's summary; its trace rows and messages come with a read of it.
      const task = await ctx.client.get(`/v1/tasks/${encodeURIComponent(name)}${query}`);
      print(follower.task(task));
      if (TERMINAL.has(task.status?.phase)) return ending(ctx, task);
    }
    return interrupted(ctx, name, stop.reason());
  } catch (e) {
    if (stop.signal.aborted) return interrupted(ctx, name, stop.reason());
    throw e;
  } finally {
    stop.dispose();
  }
}

function ending(ctx: CtlContext, task: any): number {
  const s = task.status ?? {};
  const name = task.metadata.name;
  const tokens = s.output?.tokens_used_total;
  ctx.io.out(`task/${name} ${phase(ctx, s.phase)}${tokens !== undefined ? ` (${tokens} tokens)` : ''}\n`);
  if (s.phase === 'Succeeded') {
    ctx.io.out(`\n${s.output?.result ?? ''}\n`);
    return 0;
  }
  if (s.lastError === 'cancelled') {
    ctx.io.err(`error: task ${name} was cancelled\n`);
    return EXIT_TIMEOUT_OR_CANCELLED;
  }
  ctx.io.err(`error: task ${name} ${s.phase}: ${s.lastError ?? 'no error recorded'}\n`);
  return 1;
}

function interrupted(ctx: CtlContext, name: string, why: 'timeout' | 'interrupt' | undefined): number {
  const ns = ctx.namespace ? ` -n ${ctx.namespace}` : '';
  const hint = `the task keeps running: follow it with \`orrery get task ${name} -w${ns}\`, stop it with \`orrery cancel task ${name}${ns}\``;
  if (why === 'timeout') {
    ctx.io.err(`error: --timeout reached before task ${name} ended; ${hint}\n`);
    return EXIT_TIMEOUT_OR_CANCELLED;
  }
  ctx.io.err(`${paint(ctx, 'yellow', 'stopped watching')}; ${hint}\n`);
  return why === 'interrupt' ? EXIT_INTERRUPTED : 1;
}
