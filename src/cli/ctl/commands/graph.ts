// `orrery graph system NAME` and `orrery graph task NAME`: the AgentSystem's graph as a tree of
// arrows; for a task, each agent's state (coloured on a terminal).
import { UsageError } from '../errors';
import { nodeStates, renderGraph } from '../graph-render';
import { phase } from '../output';
import type { Register } from '../program';
import { enc, query } from '../task-args';

export const registerGraph: Register = (program, action) => {
  program
    .command('graph')
    .description('draw an agent system, or a task with the state of each agent')
    .argument('<target...>', 'system NAME or task NAME (or KIND/NAME)')
    .action(
      action(async (ctx, args) => {
        const [first, second] = args;
        const [kind, name] = first?.includes('/') ? [first.split('/')[0], first.split('/').slice(1).join('/')] : [first, second];
        const k = (kind ?? '').toLowerCase();
        if (!name || !['system', 'systems', 'agent-system', 'agentsystem', 'sys', 'task', 'tasks', 'tk'].includes(k)) throw new UsageError('use orrery graph system NAME or orrery graph task NAME');
        if (!k.startsWith('t')) {
          const sys = await ctx.client.get(`/v1/agent-systems/${enc(name)}${query(ctx)}`);
          ctx.io.out(`system/${name}\n${renderGraph(sys.spec ?? {})}`);
          return;
        }
        const task = await ctx.client.get(`/v1/tasks/${enc(name)}${query(ctx)}`);
        const [sysNs, sysName] = String(task.spec.system).includes('/') ? String(task.spec.system).split('/', 2) : [task.metadata.namespace, task.spec.system];
        const sys = await ctx.client.get(`/v1/agent-systems/${enc(sysName)}${query(ctx, { namespace: sysNs })}`);
        const states = nodeStates(task);
        ctx.io.out(`task/${name} ${phase(ctx, task.status?.phase)} (system ${task.spec.system})\n`);
        ctx.io.out(renderGraph(sys.spec ?? {}, (a) => ` [${phase(ctx, states.get(a.toLowerCase()) ?? 'Pending')}]`));
      }),
    );
};
