// `orrery validate -f …` (offline, with the server's own checks) and `orrery diff -f …` (the live
// object against the manifest, both in the server's normal form, status left out; exit 1 when they
// differ, like `kubectl diff`).
import YAML from 'yaml';
import { checkManifest, comparable, sortKeys } from '../offline';
import type { Register } from '../program';
import { collect } from '../options';
import { isRunnableTask, nameOf, namespaceOf, readManifests } from '../manifests';
import { getOrUndefined } from '../paths';
import { unifiedDiff } from '../unified-diff';
import { failureOf, reportFailure } from './apply';
import type { Cause } from '../../../errors';

const causeLines = (causes: Cause[]) => causes.map((c) => (c.field ? `  ${c.field}: ${c.message}` : `  ${c.message}`));
const view = (o: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string>; spec: Record<string, any> }) =>
  YAML.stringify(
    sortKeys({
      metadata: { name: o.name, namespace: o.namespace, ...(Object.keys(o.labels).length ? { labels: o.labels } : {}), ...(Object.keys(o.annotations).length ? { annotations: o.annotations } : {}) },
      spec: o.spec,
    }),
    { lineWidth: 0 },
  );

export const registerCheck: Register = (program, action) => {
  program
    .command('validate')
    .description('check manifests offline with the server\'s own rules (no server needed)')
    .option('-f, --file <path>', 'a file, a directory or - for stdin; repeatable', collect)
    .action(
      action(async (ctx, _args, opts) => {
        const docs = await readManifests(opts.file, ctx.io);
        let failed = 0;
        for (const doc of docs) {
          if (doc.problem || !doc.def) {
            reportFailure(ctx, doc, doc.problem ?? 'unreadable', [], 'out');
            failed++;
            continue;
          }
          const { causes, normal } = checkManifest(doc.def, doc.body, namespaceOf(doc.body, ctx.namespace));
          if (causes.length) {
            reportFailure(ctx, doc, `${doc.def.kind} is invalid`, causeLines(causes), 'out');
            failed++;
          } else ctx.io.out(`${doc.def.plural}/${normal.name} valid (${doc.source})\n`);
        }
        if (failed) ctx.io.out(`${failed} of ${docs.length} manifest(s) invalid\n`);
        return failed ? 1 : 0;
      }),
    );

  program
    .command('diff')
    .description('show what apply would change: a unified diff of live objects and manifests (exit 1 when they differ)')
    .option('-f, --file <path>', 'a file, a directory or - for stdin; repeatable', collect)
    .option('--run', 'also compare runnable Tasks found in directories (as apply --run would apply them)')
    .action(
      action(async (ctx, _args, opts) => {
        const docs = await readManifests(opts.file, ctx.io);
        let differs = false;
        let failed = false;
        for (const doc of docs) {
          if (doc.problem || !doc.def) {
            reportFailure(ctx, doc, doc.problem ?? 'unreadable');
            failed = true;
            continue;
          }
          if (doc.fromDir && isRunnableTask(doc) && !opts.run) continue;
          const ns = namespaceOf(doc.body, ctx.namespace);
          let live: any;
          try {
            live = nameOf(doc) ? await getOrUndefined(ctx.client, doc.def, nameOf(doc), ns) : undefined;
          } catch (e) {
            const { message, lines } = failureOf(e);
            reportFailure(ctx, doc, message, lines);
            failed = true;
            continue;
          }
          const { causes, normal } = checkManifest(doc.def, doc.body, ns, live);
          if (causes.length) {
            reportFailure(ctx, doc, `${doc.def.kind} is invalid`, causeLines(causes));
            failed = true;
            continue;
          }
          const id = `${doc.def.plural}/${normal.name}`;
          const before = live ? view({ name: live.metadata.name, namespace: live.metadata.namespace, ...comparable(live) }) : '';
          const text = unifiedDiff(before, view(normal), live ? `live ${id}` : '/dev/null', `${doc.source} ${id}`);
          if (text) {
            differs = true;
            ctx.io.out(text);
          }
        }
        return failed ? 2 : differs ? 1 : 0;
      }),
    );
};
