// What `orrery seal` seals: a Secret manifest (data and/or stringData) or --from-literal pairs,
// read into base64 entries plus the metadata to copy. Errors name keys, never values.
import { safeAnnotations } from '../sealing/unsafe-annotations';
import { parseAllDocuments } from 'yaml';
import { isStdBase64 } from '../resources/secret';

/** A problem with the command line or its input files: exit code 2. */
export class UsageError extends Error {}

export interface SealInput {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Entry key → the value as a Secret's spec.data holds it (standard base64). */
  data: Record<string, string>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** `key=value` pairs; the value may contain "=", the key is trimmed as the server trims it. */
export function literalsInput(literals: string[]): SealInput {
  const data: Record<string, string> = {};
  for (const lit of literals) {
    const eq = lit.indexOf('=');
    // The argument may be a bare secret value: never echo it.
    if (eq < 0) throw new UsageError('--from-literal needs key=value; one argument has no "="');
    const key = lit.slice(0, eq).trim();
    const value = lit.slice(eq + 1);
    if (!key) throw new UsageError('--from-literal needs a non-empty key before "="');
    if (key in data) throw new UsageError(`--from-literal key "${key}" is given more than once`);
    if (!value) throw new UsageError(`--from-literal ${key}= has an empty value; Secret values must not be empty`);
    data[key] = b64(value);
  }
  return { data };
}

/** One Secret manifest as YAML or JSON text (JSON is YAML). */
export function manifestInput(text: string, source: string): SealInput {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new UsageError(`${source}: cannot be read as YAML or JSON`);
  const real = docs.filter((d) => d.contents !== null);
  if (real.length !== 1) throw new UsageError(`${source}: must hold exactly one Secret manifest, found ${real.length} documents`);
  // Parse errors carry a snippet of the input, which may be a secret value: report only where.
  const parseErrors = real[0].errors;
  if (parseErrors.length) throw new UsageError(`${source}: invalid YAML at line ${parseErrors[0].linePos?.[0].line ?? '?'}`);
  const doc = real[0].toJS();
  if (!isObj(doc)) throw new UsageError(`${source}: must be a Secret manifest (an object)`);
  if (doc.kind !== undefined && (typeof doc.kind !== 'string' || doc.kind.toLowerCase() !== 'secret')) {
    throw new UsageError(`${source}: kind must be Secret, not ${JSON.stringify(doc.kind)}`);
  }
  const md = isObj(doc.metadata) ? doc.metadata : {};
  const spec = isObj(doc.spec) ? doc.spec : {};
  // Kubernetes Secrets keep data/stringData at the top level; accept them there too.
  const dataMap = spec.data ?? doc.data;
  const stringDataMap = spec.stringData ?? doc.stringData;
  const data: Record<string, string> = {};
  for (const [k, v] of entries(dataMap, `${source}: data`)) {
    const value = String(v).replace(/[\r\n]/g, '');
    if (!isStdBase64(value)) throw new UsageError(`${source}: data.${k} must be non-empty standard base64 (use stringData for plain text)`);
    data[k] = value;
  }
  for (const [k, v] of entries(stringDataMap, `${source}: stringData`)) {
    if (!v) throw new UsageError(`${source}: stringData.${k} is empty; Secret values must not be empty`);
    data[k] = b64(v);
  }
  const { kept, dropped } = safeAnnotations(metaMap(md.annotations, `${source}: metadata.annotations`));
  for (const k of dropped) process.stderr.write(`orrery seal: dropped annotation ${k} from ${source}: it holds the Secret in plaintext\n`);
  return {
    name: typeof md.name === 'string' && md.name.trim() ? md.name.trim() : undefined,
    namespace: typeof md.namespace === 'string' && md.namespace.trim() ? md.namespace.trim() : undefined,
    labels: metaMap(md.labels, `${source}: metadata.labels`),
    annotations: kept,
    data,
  };
}

function entries(map: unknown, what: string): [string, string][] {
  if (map === undefined || map === null) return [];
  if (!isObj(map)) throw new UsageError(`${what} must be a map of strings`);
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(map)) {
    const key = k.trim();
    if (!key) throw new UsageError(`${what} has an empty key`);
    if (typeof v !== 'string') throw new UsageError(`${what}.${key} must be a string (quote it in YAML)`);
    out.push([key, v]);
  }
  return out;
}

function metaMap(map: unknown, what: string): Record<string, string> | undefined {
  const list = entries(map, what);
  return list.length ? Object.fromEntries(list) : undefined;
}
