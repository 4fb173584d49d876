// `orrery logs`, `trace`, `messages`, `metrics`: what a task (or an agent) recorded, as aligned
// tables or exactly as the API answered (-o json|yaml).
import { clip, formatOf, phase, serialize, table } from '../output';
import type { Register } from '../program';
import type { CtlContext } from '../context';
import { countFlag, enc, query, taskName } from '../task-args';

const FORMATS = ['table', 'json', 'yaml'] as const;

/** Prints the answer as JSON/YAML, or the table the verb builds from it. */
function show(ctx: CtlContext, format: (typeof FORMATS)[number], body: unknown, asTable: () => string): void {
  ctx.io.out(format === 'table' ? asTable() : serialize(body, format));
}

const num = (v: unknown) => (v === undefined || v === null || v === '' ? '-' : String(v));
/** Times as HH:MM:SS.mmm (UTC): trace rows of one task are close together. */
export const clock = (iso: string | undefined) => (iso && !Number.isNaN(Date.parse(iso)) ? new Date(iso).toISOString().slice(11, 23) : '-');

export const registerObserve: Register = (program, action) => {
  program
    .command('logs')
    .description('log lines of an agent (AGENT) or a task (task/NAME)')
    .argument('<target...>', 'AGENT, task/NAME or task NAME')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--interval <seconds>', 'poll interval with -f', '1')
    .action(
      action(async (ctx, args, opts) => {
        const isTask = args[0]?.includes('/') || /^(tasks?|tk)$/i.test(args[0] ?? '');
        const path = isTask ? `/v1/tasks/${enc(taskName(args, 'orrery logs AGENT|task/NAME'))}/logs` : `/v1/agents/${enc(args[0])}/logs`;
        const interval = countFlag('--interval', opts.interval) ?? 1;
        let printed: string[] = [];
        for (;;) {
          const lines: string[] = (await ctx.client.get(`${path}${query(ctx)}`)).logs ?? [];
          // Lines are kept newest-last and trimmed from the front: continue after the last one seen.
          const at = printed.length ? lines.lastIndexOf(printed[printed.length - 1]) : -1;
          const fresh = at >= 0 ? lines.slice(at + 1) : printed.length ? lines.filter((l) => !printed.includes(l)) : lines;
          for (const l of fresh) ctx.io.out(`${l}\n`);
          printed = lines;
          if (!opts.follow) return 0;
          await Bun.sleep(Math.max(1, interval) * 1000);
        }
      }),
    );

  program
    .command('trace')
    .description('the trace rows of a task: time, agent, type, tool/model, tokens, latency, message')
    .argument('<target...>', 'task NAME or task/NAME')
    .option('-o, --output <format>', 'table, json or yaml (json/yaml: the rows as stored)', 'table')
    .action(
      action(async (ctx, args, opts) => {
        const format = formatOf(opts.output, FORMATS);
        const name = taskName(args, 'orrery trace task NAME');
        const rows: any[] = (await ctx.client.get(`/v1/tasks/${enc(name)}${query(ctx)}`)).status?.trace ?? [];
        show(ctx, format, rows, () =>
          rows.length
            ? table(
                ['time', 'step', 'agent', 'type', 'tool/model', 'tokens', 'latency', 'message'],
                rows.map((r) => [clock(r.timestamp), r.step_id ?? '-', r.agent ?? '-', r.type, r.tool ?? r.model ?? '-', num(r.tokens), r.latency_ms !== undefined ? `${r.latency_ms}ms` : '-', clip(r.error ?? r.message ?? '', 60)]),
              )
            : `task ${name} has no trace rows yet\n`,
        );
      }),
    );

  program
    .command('messages')
    .description('the agent messages of a task (GET /v1/tasks/NAME/messages)')
    .argument('<target...>', 'task/NAME or task NAME')
    .option('--agent <name>', 'messages from or to this agent')
    .option('--phase <list>', 'queued, running, retrypending, succeeded, deadletter (comma list)')
    .option('--limit <n>', 'the last N messages (0 = all)')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action(async (ctx, args, opts) => {
        const format = formatOf(opts.output, FORMATS);
        const name = taskName(args, 'orrery messages task/NAME');
        const params = { phase: opts.phase, limit: countFlag('--limit', opts.limit) };
        let body: any;
        if (opts.agent) {
          // The API filters on one side; --agent means either side, so ask twice and merge in order.
          const [from, to] = await Promise.all(['from_agent', 'to_agent'].map((k) => ctx.client.get(`/v1/tasks/${enc(name)}/messages${query(ctx, { ...params, [k]: opts.agent })}`)));
          const seen = new Set<string>();
          const all = [...from.messages, ...to.messages].filter((m: any) => !seen.has(m.message_id) && seen.add(m.message_id));
          all.sort((a: any, b: any) => String(a.timestamp).localeCompare(String(b.timestamp)));
          body = { ...to, total: all.length, messages: params.limit ? all.slice(-params.limit) : all };
        } else body = await ctx.client.get(`/v1/tasks/${enc(name)}/messages${query(ctx, params)}`);
        show(ctx, format, body, () =>
          table(
            ['time', 'from', 'to', 'phase', 'attempts', 'branch', 'content'],
            body.messages.map((m: any) => [clock(m.timestamp), m.from_agent || '-', m.to_agent || '-', phase(ctx, m.phase), `${m.attempts ?? 0}/${m.max_attempts ?? '-'}`, m.branch_id ?? '-', clip(m.last_error ?? m.content, 50)]),
          ),
        );
      }),
    );

  program
    .command('metrics')
    .description('message rollups of a task: totals, per agent, per edge (GET /v1/tasks/NAME/metrics)')
    .argument('<target...>', 'task/NAME or task NAME')
    .option('--phase <list>', 'only messages in these phases')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action(async (ctx, args, opts) => {
        const format = formatOf(opts.output, FORMATS);
        const name = taskName(args, 'orrery metrics task/NAME');
        const m = await ctx.client.get(`/v1/tasks/${enc(name)}/metrics${query(ctx, { phase: opts.phase })}`);
        const counts = ['queued', 'running', 'retrypending', 'succeeded', 'deadletter'];
        const lat = (r: any) => [num(r.latency_ms_avg), num(r.latency_ms_p95)];
        show(ctx, format, m, () =>
          [
            'TOTALS\n' + table(['messages', ...counts, 'in_flight', 'retries', 'avg_ms', 'p95_ms'], [[num(m.totals.messages), ...counts.map((c) => num(m.totals[c])), num(m.totals.in_flight), num(m.totals.retry_count), ...lat(m.totals)]]),
            'PER AGENT\n' + table(['agent', 'inbound', 'outbound', ...counts, 'retries', 'avg_ms', 'p95_ms'], m.per_agent.map((r: any) => [r.agent, num(r.inbound), num(r.outbound), ...counts.map((c) => num(r[c])), num(r.retry_count), ...lat(r)])),
            'PER EDGE\n' + table(['from', 'to', 'messages', ...counts, 'avg_ms'], m.per_edge.map((r: any) => [r.from_agent || '-', r.to_agent, num(r.messages), ...counts.map((c) => num(r[c])), num(r.latency_ms_avg)])),
          ].join('\n'),
        );
      }),
    );
};
