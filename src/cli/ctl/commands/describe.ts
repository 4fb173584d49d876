// `orrery describe KIND NAME`: a summary for people (metadata, phase, key spec fields, status
// conditions and last error, the object's recent events), then the object as YAML.
import YAML from 'yaml';
import { kindAndName } from '../kinds';
import { ago, clip, formatOf, phase, serialize, table } from '../output';
import { objectPath, query } from '../paths';
import type { Register } from '../program';
import type { CtlContext } from '../context';

/**
 * The object's recorded events: replayed from the start of the event log (or from its oldest kept
 * event when older ones were trimmed), read until the replay goes quiet.
 */
export async function recentEvents(ctx: CtlContext, kind: string, name: string, namespace: string, quietMs = 300, limit = 10): Promise<any[]> {
  const events: any[] = [];
  let since = 0;
  for (let round = 0; round < 2; round++) {
    const stop = new AbortController();
    let timer = setTimeout(() => stop.abort(), quietMs * 4);
    let oldest: number | undefined;
    try {
      for await (const e of ctx.client.events(`/v1/events/watch${query({ kind, name, namespace, since })}`, stop.signal)) {
        if (e.event === 'error') {
          oldest = Number(/oldest (\d+)/.exec(e.data)?.[1]) || undefined;
          break;
        }
        if (e.event === 'event' && e.data) events.push(JSON.parse(e.data));
        clearTimeout(timer);
        timer = setTimeout(() => stop.abort(), quietMs);
      }
    } catch {
      // Events are a bonus: a server without the event stream still gets described.
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
    if (oldest === undefined) break;
    since = oldest - 1;
  }
  return events.slice(-limit);
}

const SKIP_SPEC = new Set(['prompt', 'input_schema', 'task_template', 'graph']);

function specLines(spec: Record<string, any>): [string, string][] {
  return Object.entries(spec)
    .filter(([k]) => !SKIP_SPEC.has(k))
    .map(([k, v]) => [k, typeof v === 'object' && v !== null ? clip(JSON.stringify(v), 80) : clip(v, 80)]);
}

export const registerDescribe: Register = (program, action) => {
  program
    .command('describe')
    .description('show one object for people: summary, status, recent events, then its YAML')
    .argument('<kind>', 'kind, or KIND/NAME')
    .argument('[name]', 'name of the object')
    .option('-o, --output <format>', 'table (the summary and the YAML), json or yaml (the object only)', 'table')
    .action(
      action(async (ctx, args, opts) => {
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const { def, name } = kindAndName(args[0], args[1]);
        const o = await ctx.client.get(objectPath(def, name, ctx.namespace));
        if (format !== 'table') return void ctx.io.out(serialize(o, format));
        const md = o.metadata ?? {};
        const st = o.status ?? {};
        const now = ctx.now();
        const out: string[] = [];
        const field = (k: string, v: unknown) => out.push(`${`${k}:`.padEnd(16)}${v === undefined || v === '' ? '-' : v}`);
        field('Kind', o.kind);
        field('Name', md.name);
        field('Namespace', md.namespace);
        field('Created', md.createdAt ? `${md.createdAt} (${ago(md.createdAt, now)})` : undefined);
        field('Generation', md.generation);
        field('Version', md.resourceVersion);
        if (md.labels && Object.keys(md.labels).length) field('Labels', Object.entries(md.labels).map(([k, v]) => `${k}=${v}`).join(', '));
        field('Phase', phase(ctx, st.phase));
        if (st.lastError) field('Last error', st.lastError);
        const spec = specLines(o.spec ?? {});
        if (spec.length) out.push('Spec:', ...spec.map(([k, v]) => `  ${`${k}:`.padEnd(14)}${v}`));
        if (Array.isArray(st.conditions) && st.conditions.length) {
          out.push('Conditions:', ...table(['type', 'status', 'reason', 'message'], st.conditions.map((c: any) => [String(c.type ?? '-'), String(c.status ?? '-'), String(c.reason ?? '-'), clip(c.message ?? '', 60)])).trimEnd().split('\n').map((l) => `  ${l}`));
        }
        const events = await recentEvents(ctx, o.kind, md.name, md.namespace);
        if (events.length) out.push('Events:', ...table(['age', 'type', 'source', 'message'], events.map((e) => [ago(e.timestamp, now), String(e.type ?? '-'), String(e.source ?? '-'), clip(e.message ?? '', 70)])).trimEnd().split('\n').map((l) => `  ${l}`));
        else out.push('Events:         <none>');
        ctx.io.out(`${out.join('\n')}\n---\n${YAML.stringify(o, { lineWidth: 0 })}`);
      }),
    );
};
