// `orrery init NAME [--blueprint pipeline|…]`: writes NAME/ with a blueprint's manifests (built into
// the executable), every object renamed with the NAME prefix and paths pointing into NAME/.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BINARY_FILES, BLUEPRINTS } from '../blueprints';
import { CtlError, UsageError } from '../errors';
import { nameProblems } from '../../../registry/names';
import type { Register } from '../program';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** New names: the system's own name becomes NAME; `<system>-x` and `<agent prefix>-x` become `NAME-x`; the rest get `NAME-` in front. */
const docsOf = (files: Record<string, string>): any[] =>
  Object.entries(files)
    .filter(([f]) => /\.ya?ml$/.test(f))
    .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as any))
    .filter((d) => d?.metadata?.name);

export function renames(files: Record<string, string>, name: string): Map<string, string> {
  const docs = docsOf(files);
  const system = docs.find((d) => d.kind === 'AgentSystem')?.metadata.name as string | undefined;
  const prefixes = new Set(docs.filter((d) => d.kind === 'Agent').map((d) => String(d.metadata.name).split('-')[0]));
  const map = new Map<string, string>();
  for (const d of docs) {
    const old = String(d.metadata.name);
    const first = old.split('-')[0];
    let next: string;
    if (old === system) next = name;
    else if (system && old.startsWith(`${system}-`)) next = `${name}-${old.slice(system.length + 1)}`;
    else if (d.kind !== 'ModelEndpoint' && prefixes.has(first) && old.includes('-')) next = `${name}-${old.slice(first.length + 1)}`;
    else next = `${name}-${old}`;
    map.set(old, next);
  }
  return map;
}

/** The text with every old name (a whole name, not a part of a longer one) replaced; label values kept. */
export function rename(text: string, map: Map<string, string>, blueprint: string, dir: string): string {
  const names = [...map.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![A-Za-z0-9_./-])(${names.map(escape).join('|')})(?![A-Za-z0-9_]|-[A-Za-z0-9_])`, 'g');
  return text
    .replaceAll(`examples/blueprints/${blueprint}/`, `${dir}/`)
    .split('\n')
    .map((line) => (/orloj\.dev\/pattern:/.test(line) ? line : line.replace(pattern, (m) => map.get(m) ?? m)))
    .join('\n');
}

export const registerInit: Register = (program, action) => {
  program
    .command('init')
    .description('write a directory of manifests from a blueprint, named after NAME')
    .argument('<name>', 'directory to create and prefix of every object name')
    .option('--blueprint <blueprint>', Object.keys(BLUEPRINTS).join(', '), 'pipeline')
    .action(
      action(async (ctx, args, opts) => {
        const name = args[0];
        const problems = nameProblems(name, 'NAME');
        if (problems.length) throw new UsageError(`init ${name}: ${problems.map((p) => p.message).join('; ')}`);
        const files = BLUEPRINTS[opts.blueprint];
        if (!files) throw new UsageError(`--blueprint ${opts.blueprint}: use one of ${Object.keys(BLUEPRINTS).join(', ')}`);
        if (existsSync(name) && readdirSync(name).length) throw new CtlError(`${name}/ exists and is not empty: choose another NAME or remove it`);
        mkdirSync(name, { recursive: true });
        const map = renames(files, name);
        for (const [file, text] of Object.entries(files)) {
          writeFileSync(join(name, file), rename(text, map, opts.blueprint, name));
          ctx.io.out(`${join(name, file)}\n`);
        }
        for (const [file, path] of Object.entries(BINARY_FILES[opts.blueprint] ?? {})) {
          writeFileSync(join(name, file), new Uint8Array(await Bun.file(path).arrayBuffer()));
          ctx.io.out(`${join(name, file)}\n`);
        }
        const task = map.get(docsOf(files).find((d) => d.kind === 'Task')?.metadata.name);
        ctx.io.err(`created ${name}/ from the ${opts.blueprint} blueprint; apply it with: orrery apply -f ${name}${task ? ` --run   (starts tasks/${task})` : ''}\n`);
      }),
    );
};
