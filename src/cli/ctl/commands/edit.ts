// `orrery edit KIND NAME`: the object (without status) in $VISUAL, $EDITOR or vi, then a PUT with
// If-Match of the version that was read. Nothing typed is lost: on a conflict or a refused edit the
// file stays and its path is printed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ApiCallError, CtlError } from '../errors';
import { kindAndName } from '../kinds';
import { sameJson } from '../offline';
import { objectPath } from '../paths';
import type { Register } from '../program';
import type { CtlContext } from '../context';

const HEADER = '# Edit the object below; save and quit to apply, or leave it unchanged to cancel.\n# The status is left out: only the spec, labels and annotations change.\n';

/** Runs the editor on a file with the terminal attached; the editor command may carry arguments. */
async function runEditor(ctx: CtlContext, path: string): Promise<void> {
  const editor = ctx.env.VISUAL?.trim() || ctx.env.EDITOR?.trim() || 'vi';
  const proc = Bun.spawn(['sh', '-c', `${editor} "$1"`, 'orrery-edit', path], { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', env: ctx.env as Record<string, string> });
  const code = await proc.exited;
  if (code !== 0) throw new CtlError(`the editor (${editor}) exited with code ${code}; your edits are kept in ${path}`);
}

export const registerEdit: Register = (program, action) => {
  program
    .command('edit')
    .description('edit one object in $VISUAL/$EDITOR and replace it (with If-Match of the version read)')
    .argument('<kind>', 'kind, or KIND/NAME')
    .argument('[name]', 'name of the object')
    .action(
      action(async (ctx, args) => {
        const { def, name } = kindAndName(args[0], args[1]);
        const live = await ctx.client.get(objectPath(def, name, ctx.namespace));
        const { status: _status, ...editable } = live;
        const version = String(live.metadata?.resourceVersion ?? '');
        const dir = mkdtempSync(join(tmpdir(), 'orrery-edit-'));
        const path = join(dir, `${def.plural}-${name}.yaml`);
        writeFileSync(path, HEADER + YAML.stringify(editable, { lineWidth: 0 }), { mode: 0o600 });
        await runEditor(ctx, path);
        let edited: unknown;
        try {
          edited = YAML.parse(readFileSync(path, 'utf8'));
        } catch (e) {
          throw new CtlError(`the edited file is not valid YAML (${(e as Error).message.split('\n')[0]}); your edits are kept in ${path}`);
        }
        if (edited === null || edited === undefined || sameJson(edited, editable)) {
          rmSync(dir, { recursive: true, force: true });
          ctx.io.out('edit cancelled, no changes\n');
          return 0;
        }
        try {
          await ctx.client.call('PUT', objectPath(def, name, live.metadata?.namespace ?? ctx.namespace), edited, { 'if-match': `"${version}"` });
        } catch (e) {
          if (!(e instanceof ApiCallError)) throw e;
          const why =
            e.status === 409
              ? `${def.plural}/${name} changed on the server since it was read (version ${version}): get it again and redo the edit`
              : `${def.plural}/${name} was not saved: ${e.body?.message ?? e.message}`;
          throw new CtlError(why, 1, [...e.lines, `your edits are kept in ${path}`]);
        }
        rmSync(dir, { recursive: true, force: true });
        ctx.io.out(`${def.plural}/${name} edited\n`);
      }),
    );
};
