// `orrery wait KIND/NAME --for condition=<phase>|delete [--timeout 5m]`: follows the object's watch
// until it reaches the phase (or is deleted); exit 0 when reached, 1 on timeout (saying the last
// phase seen) or when a Task ends in another phase.
import { CtlError, UsageError } from '../errors';
import { kindAndName } from '../kinds';
import { getOrUndefined, query } from '../paths';
import type { Register } from '../program';
import { durationFlag, stopSignal } from '../task-args';

/** Phase aliases (as orlojctl takes them): Complete/Completed/Done mean a Task succeeded, other kinds are Ready. */
export function targetPhase(kind: string, value: string): string {
  const v = value.trim();
  if (/^(complete|completed|done)$/i.test(v)) return kind === 'Task' ? 'Succeeded' : 'Ready';
  return v;
}

const TASK_ENDS = new Set(['Succeeded', 'Failed', 'DeadLetter']);

function parseFor(value: string | undefined): { delete: true } | { phase: string } {
  const v = (value ?? 'condition=Complete').trim();
  if (v === 'delete') return { delete: true };
  const m = /^condition=(.+)$/i.exec(v);
  if (!m || !m[1].trim()) throw new UsageError(`--for ${value}: use condition=<phase> (e.g. condition=Succeeded, condition=Ready) or delete`);
  return { phase: m[1].trim() };
}

export const registerWait: Register = (program, action) => {
  program
    .command('wait')
    .description('wait until an object reaches a phase or is deleted (exit 1 on timeout)')
    .argument('<target>', 'KIND/NAME (or KIND NAME)')
    .argument('[name]', 'name, when KIND is given on its own')
    .option('--for <condition>', 'condition=<phase> (Complete = Succeeded for tasks, Ready otherwise) or delete', 'condition=Complete')
    .option('--timeout <duration>', 'give up after this long (0 = never)', '5m')
    .action(
      action(async (ctx, args, opts) => {
        const { def, name } = kindAndName(args[0], args[1]);
        const want = parseFor(opts.for);
        const timeoutMs = durationFlag('--timeout', opts.timeout);
        const id = `${def.plural}/${name}`;
        const goal = 'delete' in want ? 'deleted' : targetPhase(def.kind, want.phase);
        const reached = (phase: string | undefined) => 'phase' in want && (phase ?? '').toLowerCase() === goal.toLowerCase();
        const current = await getOrUndefined(ctx.client, def, name, ctx.namespace);
        if (!current) {
          if ('delete' in want) return void ctx.io.out(`${id} deleted\n`);
          throw new CtlError(`${id} not found`);
        }
        let last: string | undefined = current.status?.phase;
        if (reached(last)) return void ctx.io.out(`${id} condition met: ${last}\n`);
        const stop = stopSignal(timeoutMs);
        try {
          const path = `/v1/${def.plural}/watch${query({ namespace: current.metadata?.namespace, name, resourceVersion: current.metadata?.resourceVersion })}`;
          for await (const e of ctx.client.events(path, stop.signal)) {
            if (e.event === 'error') throw new CtlError(`the watch of ${id} ended: ${JSON.parse(e.data || '{}').message ?? e.data}`);
            if (e.event !== 'resource' || !e.data) continue;
            const frame = JSON.parse(e.data);
            if (frame.type === 'deleted') {
              if ('delete' in want) return void ctx.io.out(`${id} deleted\n`);
              throw new CtlError(`${id} was deleted while waiting for ${goal} (last phase: ${last ?? 'none'})`);
            }
            last = frame.resource?.status?.phase;
            if (reached(last)) return void ctx.io.out(`${id} condition met: ${last}\n`);
            if (def.kind === 'Task' && last && TASK_ENDS.has(last)) throw new CtlError(`${id} ended ${last}, not ${goal}`);
          }
        } finally {
          stop.dispose();
        }
        if (stop.reason() === 'interrupt') return 130;
        throw new CtlError(`timed out after ${opts.timeout} waiting for ${id} to be ${goal} (last phase: ${last ?? 'none'})`);
      }),
    );
};
