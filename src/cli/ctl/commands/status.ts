// `orrery status`: one view of a server: health, auth mode and who you are, capabilities enabled,
// workers with their phase, and the namespaces that hold objects.
import { ApiCallError } from '../errors';
import { ago, formatOf, paint, phase, serialize, table } from '../output';
import type { Register } from '../program';
import type { CtlContext } from '../context';

/** An answer, or the reason there is none (a Status message), so one refusal does not hide the rest. */
async function attempt(ctx: CtlContext, path: string): Promise<{ ok: true; body: any } | { ok: false; error: string }> {
  try {
    return { ok: true, body: await ctx.client.get(path) };
  } catch (e) {
    if (e instanceof ApiCallError) return { ok: false, error: e.body?.message ?? `HTTP ${e.status}` };
    throw e;
  }
}

export const registerStatus: Register = (program, action) => {
  program
    .command('status')
    .description('a composite view: health, auth, capabilities, workers, namespaces')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action(async (ctx, _args, opts) => {
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const health = await attempt(ctx, '/healthz');
        const [authConfig, me, capabilities, workers, namespaces] = await Promise.all(['/v1/auth/config', '/v1/auth/me', '/v1/capabilities', '/v1/workers', '/v1/namespaces'].map((p) => attempt(ctx, p)));
        const value = (r: { ok: boolean; body?: any; error?: string }) => (r.ok ? r.body : { error: r.error });
        if (format !== 'table') {
          ctx.io.out(serialize({ server: ctx.server, health: value(health), auth: value(authConfig), me: value(me), capabilities: value(capabilities), workers: value(workers), namespaces: value(namespaces) }, format));
          return health.ok ? 0 : 1;
        }
        const lines: string[][] = [];
        lines.push(['server', ctx.server]);
        lines.push(['health', health.ok ? paint(ctx, 'green', `ok (version ${health.body.version ?? '?'})`) : paint(ctx, 'red', health.error)]);
        lines.push(['auth mode', authConfig.ok ? `${authConfig.body.mode}${authConfig.body.setup_required ? ' (admin setup required)' : ''}` : authConfig.error]);
        lines.push(['you', me.ok ? (me.body.authenticated ? `${me.body.username ?? me.body.name ?? 'anonymous'} (${[me.body.role, me.body.method].filter(Boolean).join(', ')})` : 'not authenticated') : me.error]);
        if (capabilities.ok) {
          const caps: any[] = capabilities.body.capabilities ?? [];
          lines.push(['capabilities', `${caps.filter((c) => c.enabled).length} of ${caps.length} enabled`]);
        } else lines.push(['capabilities', capabilities.error]);
        lines.push(['namespaces', namespaces.ok ? (namespaces.body.namespaces ?? []).join(', ') || '-' : namespaces.error]);
        ctx.io.out(lines.map(([k, v]) => `${`${k}:`.padEnd(14)}${v}`).join('\n') + '\n');
        if (!workers.ok) ctx.io.out(`workers:      ${workers.error}\n`);
        else if (!workers.body.items?.length) ctx.io.out('workers:      none\n');
        else {
          ctx.io.out('\n');
          ctx.io.out(table(['worker', 'phase', 'region', 'tasks', 'heartbeat'], workers.body.items.map((w: any) => [w.metadata.name, phase(ctx, w.status?.phase), w.spec?.region ?? '-', `${w.status?.currentTasks ?? 0}/${w.spec?.max_concurrent_tasks ?? 1}`, ago(w.status?.lastHeartbeat, ctx.now())])));
        }
        return health.ok ? 0 : 1;
      }),
    );
};
