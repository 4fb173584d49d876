// Manifest files as a user sends them: every YAML file under a directory, split into documents
// whose text is kept exactly as written, and ways to apply them through the API or the registry.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import type { KindDefinition } from '../../src/registry/kind';
import type { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import type { caller } from './app';

export interface ManifestDoc {
  /** file#n, relative to the directory it was read from. */
  at: string;
  /** The document's text as written (comments included), as the API receives it. */
  text: string;
  manifest: any;
}

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []))
    .sort();
}

/** The documents of one file, split at `---` lines; empty documents are left out. */
export function documents(file: string, root = file): ManifestDoc[] {
  return readFileSync(file, 'utf8')
    .split(/^(?=---\s*$)/m)
    .map((text, i) => ({ at: `${relative(root, file) || file}#${i + 1}`, text, manifest: parse(text) }))
    .filter((d) => d.manifest != null);
}

/** Every document of every YAML file under `dir`, files in path order. */
export const manifestsUnder = (dir: string): ManifestDoc[] => yamlFiles(dir).flatMap((f) => documents(f, dir));

export const kindOf = (manifest: any): KindDefinition | undefined => kinds.find((k) => k.kind === manifest?.kind);

/**
 * POSTs each document's text unchanged as YAML to its kind's route; returns one line per document
 * answered with a status outside `accept` (or of an unknown kind), and calls `check` on the rest.
 */
export async function postAll(call: ReturnType<typeof caller>, docs: ManifestDoc[], accept: number[], check?: (doc: ManifestDoc, applied: any) => void): Promise<string[]> {
  const failures: string[] = [];
  for (const doc of docs) {
    const def = kindOf(doc.manifest);
    if (!def) {
      failures.push(`${doc.at}: unknown kind ${doc.manifest?.kind}`);
      continue;
    }
    const ns = doc.manifest.metadata?.namespace ?? 'default';
    const r = await call('POST', `/v1/${def.plural}?namespace=${ns}`, doc.text, { 'content-type': 'application/yaml' });
    if (!accept.includes(r.status)) failures.push(`${doc.at}: ${r.status} ${r.text}`);
    else check?.(doc, r.json);
  }
  return failures;
}

/** Applies the documents through the registry, Tasks last; returns the names of the run Tasks. */
export async function applyAll(registry: Registry, docs: ManifestDoc[]): Promise<string[]> {
  const ordered = [...docs].sort((a, b) => Number(a.manifest.kind === 'Task') - Number(b.manifest.kind === 'Task'));
  for (const doc of ordered) await registry.apply(registry.byPlural.get(kindOf(doc.manifest)!.plural)!, doc.manifest, {});
  return ordered.filter((d) => d.manifest.kind === 'Task' && (d.manifest.spec?.mode ?? 'run') === 'run').map((d) => d.manifest.metadata.name);
}
