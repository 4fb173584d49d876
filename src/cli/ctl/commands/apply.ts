// `orrery apply -f FILE|DIR|-`: every document sent on its own (POST /v1/<plural> creates or
// updates), one line per object (created, configured, unchanged); failures are listed with their
// fields and the other files still go; exit 1 at the end when any failed.
import { ApiCallError } from '../errors';
import { checkManifest, comparable, sameJson } from '../offline';
import type { Register } from '../program';
import { collect } from '../options';
import { isRunnableTask, nameOf, namespaceOf, readManifests, type Document } from '../manifests';
import { getOrUndefined, listPath } from '../paths';
import type { CtlContext } from '../context';
import { paint } from '../output';
import type { KindDefinition } from '../../../registry/kind';

/** Prints a failed document: the message, then each cause with its field on its own line. */
export function reportFailure(ctx: CtlContext, doc: Document, message: string, lines: string[] = [], to: 'out' | 'err' = 'err'): void {
  const what = doc.def && nameOf(doc) ? `${doc.def.plural}/${nameOf(doc)}` : 'document';
  ctx.io[to]([`${paint(ctx, 'red', 'error')}: ${what} (${doc.source}): ${message}`, ...lines].join('\n') + '\n');
}

/** Failure text of a thrown error (the server's Status with its causes, or the message). */
export function failureOf(e: unknown): { message: string; lines: string[] } {
  // The causes follow on their own lines, so the message stops where the server starts listing them.
  if (e instanceof ApiCallError) return { message: (e.body?.message ?? e.message).replace(/(is invalid): .*$/s, e.lines.length ? '$1' : '$&'), lines: e.lines };
  throw e;
}

/** A progress line on stderr for long runs: redrawn in place on a terminal, nothing otherwise. */
function progress(ctx: CtlContext, total: number): { step: (i: number, source: string) => void; done: () => void } {
  const on = ctx.io.tty && total > 5;
  let width = 0;
  return {
    step: (i, source) => {
      if (!on) return;
      const line = `[${i + 1}/${total}] ${source}`;
      ctx.io.err(`\r${line}${' '.repeat(Math.max(0, width - line.length))}`);
      width = line.length;
    },
    done: () => void (on && width && ctx.io.err(`\r${' '.repeat(width)}\r`)),
  };
}

export const registerApply: Register = (program, action) => {
  program
    .command('apply')
    .description('create or update the objects of manifest files, directories or stdin')
    .option('-f, --file <path>', 'a file, a directory (walked recursively) or - for stdin; repeatable', collect)
    .option('--dry-run', 'say what would change (created, configured, unchanged) without writing')
    .option('--run', 'also apply runnable Tasks found in directories (templates are always applied)')
    .action(
      action(async (ctx, _args, opts) => {
        const docs = await readManifests(opts.file, ctx.io);
        const bar = progress(ctx, docs.length);
        let failed = 0;
        for (const [i, doc] of docs.entries()) {
          bar.step(i, doc.source);
          if (doc.problem || !doc.def) {
            bar.done();
            reportFailure(ctx, doc, doc.problem ?? 'unreadable');
            failed++;
            continue;
          }
          if (doc.fromDir && isRunnableTask(doc) && !opts.run) {
            bar.done();
            ctx.io.err(`skipped tasks/${nameOf(doc)} (${doc.source}): a runnable Task in a directory is applied only with --run\n`);
            continue;
          }
          const ns = namespaceOf(doc.body, ctx.namespace);
          try {
            const line = opts.dryRun ? await dryRun(ctx, doc, ns) : await applyObject(ctx, doc.def!, doc.body!, ns);
            bar.done();
            if (line) ctx.io.out(`${line}\n`);
            else failed++;
          } catch (e) {
            bar.done();
            const { message, lines } = failureOf(e);
            reportFailure(ctx, doc, message, lines);
            failed++;
          }
        }
        bar.done();
        if (failed) ctx.io.err(`${failed} of ${docs.length} object(s) failed\n`);
        return failed ? 1 : 0;
      }),
    );
};

/** Applies one manifest; says whether the object was created, configured or left unchanged. */
export async function applyObject(ctx: CtlContext, def: KindDefinition, body: Record<string, any>, ns: string | undefined): Promise<string> {
  const name = String(body.metadata?.name ?? '').trim();
  const before = name ? await getOrUndefined(ctx.client, def, name, ns) : undefined;
  const res = await ctx.client.call('POST', listPath(def, ns), body);
  const verb = !before ? 'created' : before.metadata?.resourceVersion === res?.metadata?.resourceVersion ? 'unchanged' : 'configured';
  return `${def.plural}/${res?.metadata?.name ?? name} ${verb}`;
}

async function dryRun(ctx: CtlContext, doc: Document, ns: string | undefined): Promise<string | undefined> {
  const def = doc.def!;
  const live = nameOf(doc) ? await getOrUndefined(ctx.client, def, nameOf(doc), ns) : undefined;
  const { causes, normal } = checkManifest(def, doc.body, ns, live);
  if (causes.length) {
    reportFailure(ctx, doc, `${def.kind} is invalid`, causes.map((c) => (c.field ? `  ${c.field}: ${c.message}` : `  ${c.message}`)));
    return undefined;
  }
  const verb = !live ? 'created' : sameJson(comparable(live), { labels: normal.labels, annotations: normal.annotations, spec: normal.spec }) ? 'unchanged' : 'configured';
  return `${def.plural}/${normal.name} ${verb} (dry run)`;
}
