// Limits every kind shares: each integer field has exact bounds, statuses are closed, and the
// generated Secret metadata of a SealedSecret follows the label and annotation rules.
import { describe, expect, test } from 'bun:test';
import type { TSchema } from '@sinclair/typebox';
import { kinds } from '../../src/resources';
import { kindHelpers } from './helpers';

/** Every sub-schema with its path, e.g. "Agent.spec.limits.max_steps". */
function* schemas(schema: TSchema, path: string): Generator<[string, TSchema]> {
  yield [path, schema];
  for (const [k, s] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>)) yield* schemas(s, `${path}.${k}`);
  if (schema.items) yield* schemas(schema.items, `${path}[]`);
  for (const s of [...(schema.anyOf ?? []), ...(schema.allOf ?? [])]) yield* schemas(s, path);
  for (const s of Object.values((schema.patternProperties ?? {}) as Record<string, TSchema>)) yield* schemas(s, `${path}.*`);
  if (typeof schema.additionalProperties === 'object') yield* schemas(schema.additionalProperties, `${path}.*`);
}

describe('every kind', () => {
  test('integer fields have a minimum and a maximum within the exact (safe) range; there are no bare numbers', () => {
    const loose: string[] = [];
    for (const def of kinds) {
      for (const [path, s] of [...schemas(def.spec, `${def.kind}.spec`), ...schemas(def.status, `${def.kind}.status`)]) {
        if (s.type === 'number') loose.push(`${path}: number`);
        if (s.type !== 'integer') continue;
        if (!Number.isSafeInteger(s.minimum) || !Number.isSafeInteger(s.maximum)) loose.push(`${path}: ${s.minimum}..${s.maximum}`);
      }
    }
    expect(loose).toEqual([]);
  });

  test('statuses refuse unknown fields', () => {
    expect(kinds.filter((def) => def.status.additionalProperties !== false).map((def) => def.kind)).toEqual([]);
  });
});

describe('SealedSecret template metadata', () => {
  test('follows the label and annotation rules of the Secret it generates', async () => {
    const { causes, write } = kindHelpers();
    expect(await causes('sealed-secrets', { template: { labels: { 'Bad Key': 'x', ok: 'a'.repeat(64) }, annotations: { 'x/': '' } } })).toEqual([
      { field: 'spec.template.labels["Bad Key"]', message: 'key name must be alphanumerics, "-", "_" and ".", starting and ending with an alphanumeric' },
      { field: 'spec.template.labels.ok', message: 'value must be at most 63 characters' },
      { field: 'spec.template.annotations["x/"]', message: 'key name (after any prefix/) must not be empty' },
    ]);
    expect((await write('sealed-secrets', { template: { labels: { 'app.kubernetes.io/part-of': 'ai' }, annotations: { note: 'free text' } } })).created).toBe(true);
  });
});
