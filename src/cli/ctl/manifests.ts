// Manifests named with -f: files (several YAML documents or one JSON value each, or a JSON list),
// directories walked in sorted path order, or standard input ("-"). Each document is sent on its
// own: the server takes one manifest per request.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findKind } from './kinds';
import type { KindDefinition } from '../../registry/kind';
import { CtlError, UsageError } from './errors';
import type { Io } from './context';

const EXTENSIONS = /\.(ya?ml|json)$/i;

export interface Document {
  /** Where it came from, for messages: `dir/file.yaml` or `dir/file.yaml#2` for the second document. */
  source: string;
  /** The manifest; undefined when the document could not be read (see `problem`). */
  body?: Record<string, any>;
  def?: KindDefinition;
  /** Why it cannot be sent (unparsable, no kind, an unknown kind). */
  problem?: string;
  /** Came from a directory walk (runnable Tasks are skipped there unless asked). */
  fromDir: boolean;
}

/** Every manifest file under a directory (recursively, sorted by path, .git skipped). */
export function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name === '.git') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile() && EXTENSIONS.test(entry.name)) out.push(path);
  }
  return out;
}

/** The documents of one text (YAML stream, or JSON: one object or a list of objects). */
export function splitDocuments(text: string, source: string, fromDir: boolean): Document[] {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const real = list.filter((d) => d.contents !== null || d.errors.length > 0);
  const out: Document[] = [];
  real.forEach((doc, i) => {
    const where = real.length > 1 ? `${source}#${i + 1}` : source;
    if (doc.errors.length) {
      const e = doc.errors[0];
      const line = e.linePos?.[0]?.line ?? (e.pos ? text.slice(0, e.pos[0]).split('\n').length : undefined);
      const at = line ? ` at line ${line}` : '';
      out.push({ source: where, problem: `not valid YAML or JSON${at} (${e.code})`, fromDir });
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, j) => out.push(describe(item, items.length > 1 ? `${where}[${j}]` : where, fromDir)));
  });
  return out;
}

function describe(value: unknown, source: string, fromDir: boolean): Document {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { source, problem: 'a manifest must be an object with kind, metadata and spec', fromDir };
  const body = value as Record<string, any>;
  if (typeof body.kind !== 'string' || !body.kind.trim()) return { source, body, problem: 'kind: required (e.g. "Agent")', fromDir };
  const def = findKind(body.kind);
  if (!def) return { source, body, problem: `kind: unknown kind "${body.kind}"`, fromDir };
  return { source, body, def, fromDir };
}

/** Every document named by the -f values, in order. */
export async function readManifests(files: string[] | undefined, io: Io): Promise<Document[]> {
  if (!files?.length) throw new UsageError('-f FILE|DIR|- is required (repeatable)');
  const out: Document[] = [];
  for (const f of files) {
    if (f === '-') {
      out.push(...splitDocuments(await io.stdin(), 'stdin', false));
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(f).isDirectory();
    } catch {
      throw new CtlError(`-f ${f}: no such file or directory`);
    }
    const paths = isDir ? walk(f) : [f];
    for (const path of paths) out.push(...splitDocuments(readFileSync(path, 'utf8'), path, isDir));
  }
  return out;
}

/** A Task that would start running when applied (spec.mode "run" or no mode), not a template. */
export function isRunnableTask(doc: Document): boolean {
  if (doc.def?.kind !== 'Task') return false;
  const mode = doc.body?.spec?.mode;
  return mode === undefined || mode === null || String(mode).trim().toLowerCase() === 'run' || String(mode).trim() === '';
}

/** The namespace a document goes to: its own, else -n, else the server's default. */
export function namespaceOf(body: Record<string, any> | undefined, flag: string | undefined): string | undefined {
  const own = body?.metadata?.namespace;
  return (typeof own === 'string' && own.trim()) || flag;
}

export const nameOf = (doc: Document) => String(doc.body?.metadata?.name ?? '').trim();
