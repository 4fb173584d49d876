// `orrery top tasks|workers`: tasks counted by phase with the running ones (age, agent), or the
// workers with their phase, capacity, running tasks and last heartbeat.
import { UsageError } from '../errors';
import { ago, formatOf, phase, serialize, table } from '../output';
import type { Register } from '../program';
import { query } from '../task-args';

const PHASES = ['Pending', 'Running', 'WaitingApproval', 'Succeeded', 'Failed', 'DeadLetter'];

export const registerTop: Register = (program, action) => {
  program
    .command('top')
    .description('quick summaries: top tasks | top workers')
    .argument('<what>', 'tasks or workers')
    .option('-o, --output <format>', 'table, json or yaml (the summary as data)', 'table')
    .action(
      action(async (ctx, args, opts) => {
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const what = args[0]?.toLowerCase();
        if (what !== 'tasks' && what !== 'workers') throw new UsageError(`top ${args[0]}: use orrery top tasks or orrery top workers`);
        const items: any[] = [];
        let after: string | undefined;
        do {
          const page = await ctx.client.get(`/v1/${what}${query(ctx, { limit: 500, after })}`);
          items.push(...(page.items ?? []));
          after = page.continue ?? page.metadata?.continue;
        } while (after);
        const now = ctx.now();
        if (what === 'tasks') {
          const counts: Record<string, number> = Object.fromEntries(PHASES.map((p) => [p, 0]));
          for (const t of items) counts[t.status?.phase || 'Pending'] = (counts[t.status?.phase || 'Pending'] ?? 0) + 1;
          // Lists carry each task's summary; the messages of the running ones come with a read of each.
          const open = items.filter((t) => ['Running', 'WaitingApproval'].includes(t.status?.phase));
          const whole = await Promise.all(open.map((t) => ctx.client.get(`/v1/tasks/${encodeURIComponent(t.metadata.name)}${query(ctx, { namespace: t.metadata.namespace })}`).catch(() => t)));
          const running = whole
            .map((t) => {
              const active = (t.status?.messages ?? []).filter((m: any) => m.phase === 'Running' || m.phase === 'WaitingApproval').map((m: any) => m.to_agent);
              return { namespace: t.metadata.namespace, name: t.metadata.name, phase: t.status.phase, system: t.spec?.system, agents: active, worker: t.status?.claimedBy ?? t.status?.assignedWorker, startedAt: t.status?.startedAt };
            });
          if (format !== 'table') return void ctx.io.out(serialize({ counts, running }, format));
          ctx.io.out(table(Object.keys(counts), [Object.values(counts).map(String)]));
          if (running.length) ctx.io.out('\n' + table(['namespace', 'name', 'phase', 'system', 'agent', 'worker', 'age'], running.map((r) => [r.namespace, r.name, phase(ctx, r.phase), r.system ?? '-', r.agents.join(',') || '-', r.worker ?? '-', ago(r.startedAt, now).replace(' ago', '')])));
          return;
        }
        const rows = items.map((w) => ({ name: w.metadata.name, phase: w.status?.phase, region: w.spec?.region, capacity: w.spec?.max_concurrent_tasks ?? 1, running: w.status?.currentTasks ?? 0, lastHeartbeat: w.status?.lastHeartbeat }));
        if (format !== 'table') return void ctx.io.out(serialize(rows, format));
        ctx.io.out(table(['name', 'phase', 'region', 'running', 'capacity', 'heartbeat'], rows.map((r) => [r.name, phase(ctx, r.phase), r.region ?? '-', String(r.running), String(r.capacity), ago(r.lastHeartbeat, now)])));
      }),
    );
};
