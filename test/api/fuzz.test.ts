// Seeded, deterministic fuzzing of every kind's create route: invalid UTF-8, lone surrogates,
// huge and fractional numbers in integer fields, oversized labels and annotations, unknown fields
// and wrong types. Never a 5xx; every refusal is a Status naming fields; every stored object reads
// back as written and re-applies (POST, and PUT with its resourceVersion) as a no-op.
import { describe, expect, test } from 'bun:test';
import type { TSchema } from '@sinclair/typebox';
import { kinds } from '../../src/resources';
import { fieldPath } from '../../src/registry/validation';
import { fixtures } from '../fixtures/kinds';
import { testApp } from '../support/app';

const PER_KIND = 40;
const SEED = 0x0e1e;

/** mulberry32: small, fast and the same sequence on every run. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}
type Rng = ReturnType<typeof random>;

type Path = string[];
const pointer = (p: Path) => '/' + p.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const field = (p: Path) => fieldPath('', pointer(p));

/** Paths of the integer fields reachable through plain object properties (not lists or maps). */
function integerPaths(schema: TSchema, path: Path): Path[] {
  if (schema.type === 'integer') return [path];
  return Object.entries((schema.properties ?? {}) as Record<string, TSchema>).flatMap(([k, s]) => integerPaths(s, [...path, k]));
}

/** Paths of the strings in a JSON value. */
function stringPaths(v: unknown, path: Path): Path[] {
  if (typeof v === 'string') return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...path, String(i)]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...path, k]));
  return [];
}

function setAt(obj: any, path: Path, value: unknown): void {
  let o = obj;
  for (const k of path.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  o[path[path.length - 1]] = value;
}

const HUGE = ['1e308', '9007199254740993', '123456789012345678901234567890', '-1', '1.5', '0', '2147483648', '-1e308'];
const BAD_BYTES = [[0xff], [0xc0, 0xaf], [0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];
const SURROGATES = ['\ud800', '\udfff', 'x\udbff', '\udc00y'];
const WRONG = [7, -0.5, true, null, [], {}, ['x'], { a: 1 }, 'text'];

interface Mutation {
  what: string;
  body: string | Uint8Array;
  /** Must be refused, with a cause on this field (or one of its parents). */
  refuse?: string;
  /** The labels and annotations the object must hold if it is stored. */
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

function mutate(rng: Rng, plural: string, name: string): Mutation {
  const def = kinds.find((k) => k.plural === plural)!;
  const base: any = { apiVersion: 'orloj.dev/v1', kind: def.kind, metadata: { name }, spec: structuredClone(fixtures[plural].spec) };
  const strings = stringPaths(base.spec, ['spec']);
  const ints = integerPaths(def.spec, ['spec']);
  const text = (o: unknown) => JSON.stringify(o);
  switch (rng.int(9)) {
    case 0: {
      // Invalid UTF-8 spliced into the name's bytes.
      const json = new TextEncoder().encode(text(base));
      const at = new TextEncoder().encode(`{"apiVersion":"orloj.dev/v1","kind":"${def.kind}","metadata":{"name":"`).length + rng.int(name.length);
      return { what: 'invalid UTF-8', body: new Uint8Array([...json.slice(0, at), ...rng.pick(BAD_BYTES), ...json.slice(at)]), refuse: '(body)' };
    }
    case 1: {
      const target = rng.pick([['metadata', 'name'], ['metadata', 'namespace'], ['metadata', 'labels', 'k'], ['metadata', 'annotations', 'a'], ...strings]);
      setAt(base, target, rng.pick(SURROGATES));
      return { what: `lone surrogate in ${field(target)}`, body: text(base), refuse: field(target) };
    }
    case 2: {
      const key = rng.pick(SURROGATES);
      setAt(base, ['metadata', rng.pick(['labels', 'annotations']), key], 'v');
      return { what: 'lone surrogate in a key', body: text(base), refuse: 'metadata' };
    }
    case 3: {
      if (!ints.length) {
        base.spec.count = 1e308;
        return { what: 'a number in an unknown field', body: text(base), refuse: 'spec.count' };
      }
      const target = rng.pick(ints);
      const n = rng.pick(HUGE);
      // Spliced as text, so 2^53 + 1 reaches the server exactly as typed.
      setAt(base, target, '@N@');
      const body = text(base).replace('"@N@"', n);
      const value = Number(n);
      return Number.isSafeInteger(value) && value <= 2147483647 ? { what: `${n} in ${field(target)}`, body } : { what: `${n} in ${field(target)}`, body, refuse: field(target) };
    }
    case 4: {
      const big = rng.int(2) === 0;
      if (rng.int(2) === 0) {
        const labels = { [big ? 'k'.repeat(64 + rng.int(400)) : 'ok']: big ? 'v' : 'x'.repeat(64 + rng.int(70_000)) };
        base.metadata.labels = labels;
        return { what: 'an oversized label', body: text(base), refuse: 'metadata.labels' };
      }
      base.metadata.annotations = { a: 'x'.repeat(256 * 1024), b: 'y'.repeat(1 + rng.int(1000)) };
      return { what: 'oversized annotations', body: text(base), refuse: 'metadata.annotations' };
    }
    case 5: {
      const where = rng.pick([[], ['metadata'], ['spec']]);
      const key = rng.pick(['extra', 'Spec', 'model-ref', 'x_y', '__typo']);
      setAt(base, [...where, key], rng.pick(WRONG));
      return { what: `unknown field ${field([...where, key])}`, body: text(base), refuse: field([...where, key]) };
    }
    case 6: {
      // A wrong type may also be accepted where the kind reads it as "not set" (null, empty).
      const target = strings.length ? rng.pick(strings) : ['spec', 'x'];
      setAt(base, target, rng.pick(WRONG));
      return { what: `wrong type in ${field(target)}`, body: text(base) };
    }
    case 7: {
      base.status = { phase: 'Ready', lastError: 'forged', extra: { by: 'me' } };
      return { what: 'a forged status', body: text(base) };
    }
    default: {
      const labels = { 'app.kubernetes.io/name': `n${rng.int(1000)}`, tier: rng.pick(['', 'web', 'a.b_c-d']) };
      const annotations = { note: `free text ${'é'.repeat(rng.int(50))} 🪐`, 'example.com/x': '' };
      base.metadata.labels = labels;
      base.metadata.annotations = annotations;
      return { what: 'valid metadata', body: text(base), metadata: { labels, annotations } };
    }
  }
}

/** Every number of a stored value is exact, and no U+FFFD appears that was not sent. */
function faithful(v: unknown, sent: string): string[] {
  const bad: string[] = [];
  const walk = (x: unknown, path: string) => {
    if (typeof x === 'number' && Number.isInteger(x) && !Number.isSafeInteger(x)) bad.push(`${path}: inexact ${x}`);
    if (typeof x === 'string' && x.includes('\ufffd') && !sent.includes('\ufffd')) bad.push(`${path}: U+FFFD`);
    if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) walk(y, `${path}.${k}`);
  };
  walk(v, '');
  return bad;
}

describe('fuzzing every kind', () => {
  for (const def of kinds) {
    test(def.plural, async () => {
      const { call, app } = testApp();
      /** POSTs raw bytes or text (the test caller would JSON-encode a byte array). */
      const post = async (body: string | Uint8Array) => {
        const res = await app.handle(new Request(`http://localhost/v1/${def.plural}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }));
        const text = await res.text();
        return { status: res.status, text, json: JSON.parse(text) };
      };
      const rng = random(SEED ^ def.plural.length * 7919 ^ def.kind.charCodeAt(0));
      const problems: string[] = [];
      let stored = 0;
      for (let i = 0; i < PER_KIND; i++) {
        const name = `f${i}`;
        const m = mutate(rng, def.plural, name);
        const r = await post(m.body);
        const where = `#${i} ${m.what}`;
        if (r.status >= 500) {
          problems.push(`${where}: ${r.status} ${r.text.slice(0, 200)}`);
          continue;
        }
        if (r.status !== 201) {
          const causes = r.json?.details?.causes;
          const okStatus = r.json?.kind === 'Status' && r.json.code === r.status && r.status >= 400 && r.status < 500;
          const named = Array.isArray(causes) && causes.length > 0 && causes.every((c: any) => typeof c.field === 'string' && c.field !== '' && typeof c.message === 'string');
          if (!okStatus || !named) problems.push(`${where}: ${r.status} without causes: ${r.text.slice(0, 200)}`);
          else if (m.refuse && !causes.some((c: any) => c.field.startsWith(m.refuse!) || m.refuse!.startsWith(c.field))) problems.push(`${where}: no cause on ${m.refuse}: ${JSON.stringify(causes)}`);
          continue;
        }
        stored++;
        if (m.refuse) problems.push(`${where}: stored, expected a refusal on ${m.refuse}`);
        const sent = typeof m.body === 'string' ? m.body : '';
        const read = await call('GET', `/v1/${def.plural}/${name}`);
        if (JSON.stringify(read.json) !== JSON.stringify(r.json)) problems.push(`${where}: read-back differs from the create answer`);
        problems.push(...faithful(read.json, sent).map((p) => `${where}: ${p}`));
        if (m.metadata && (JSON.stringify(read.json.metadata.labels) !== JSON.stringify(m.metadata.labels) || JSON.stringify(read.json.metadata.annotations) !== JSON.stringify(m.metadata.annotations))) {
          problems.push(`${where}: labels or annotations altered`);
        }
        if (read.json.status.extra !== undefined || read.json.status.lastError === 'forged') problems.push(`${where}: the body's status was stored`);
        // Sending back what was read changes nothing, by apply and (where offered) by PUT.
        const again = await post(read.text);
        if (again.status !== 200 || JSON.stringify(again.json) !== read.text) problems.push(`${where}: re-apply was not a no-op (${again.status})`);
        if (def.allowPut !== false) {
          const put = await call('PUT', `/v1/${def.plural}/${name}`, read.text);
          if (put.status !== 200 || JSON.stringify(put.json) !== read.text) problems.push(`${where}: PUT with its resourceVersion was not a no-op (${put.status})`);
        }
      }
      expect(problems).toEqual([]);
      // The generator reaches both sides: some mutations are stored, most are refused.
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(PER_KIND);
    });
  }
});
