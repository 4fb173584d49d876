// When a kind's cross-field rules run next to its schema, and how their causes merge: rules run
// unless a value has the wrong shape, a cause is listed once, schema causes come first.
import { describe, expect, test } from 'bun:test';
import { Type as t } from '@sinclair/typebox';
import { Invalid, type Cause } from '../../src/errors';
import { defineKind, type Spec } from '../../src/registry/kind';
import { Registry } from '../../src/registry/registry';
import { addCauses, checkSchema, defineFormat } from '../../src/registry/validation';
import { openDatabase } from '../../src/store/database';
import { sqliteBackend } from '../../src/store/sqlite-backend';
import { SecretCipher } from '../../src/store/secret-cipher';

const EVEN = defineFormat('test-even-digits', (v) => /^\d*[02468]$/.test(v), 'must be an even number');

const spec = t.Object(
  {
    count: t.Optional(t.String({ format: EVEN })),
    other: t.Optional(t.String({ format: EVEN })),
    size: t.Optional(t.Integer()),
    mode: t.Optional(t.Union([t.Literal('a'), t.Literal('b')])),
  },
  { additionalProperties: false },
);

/** A kind whose rule repeats the format cause of `count` and adds one of its own. */
const probe = defineKind({
  kind: 'Probe',
  plural: 'probes',
  description: 'test kind',
  spec,
  status: t.Object({ phase: t.Optional(t.String()) }, { additionalProperties: true }),
  phases: ['Pending'],
  validate(s: Spec): Cause[] {
    const causes: Cause[] = [];
    if (s.count !== undefined && !/[02468]$/.test(s.count)) causes.push({ field: 'spec.count', message: 'must be an even number' });
    if (s.count !== undefined && s.size === undefined) causes.push({ field: 'spec.size', message: 'is required when spec.count is set' });
    return causes;
  },
});

async function probeCauses(specValue: unknown): Promise<Cause[]> {
  const registry = new Registry([probe], sqliteBackend(openDatabase(':memory:'), SecretCipher.random()), { now: () => new Date('2026-01-02T03:04:05Z') });
  try {
    await registry.apply(probe, { apiVersion: 'orloj.dev/v1', kind: 'Probe', metadata: { name: 'p' }, spec: specValue }, {});
  } catch (e) {
    if (e instanceof Invalid) return e.causes;
    throw e;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('checkSchema', () => {
  test('a value that fails only formats is well typed', () => {
    expect(checkSchema(spec, { count: '3', other: '5', size: 1 }, 'spec')).toEqual({
      causes: [
        { field: 'spec.count', message: 'must be an even number' },
        { field: 'spec.other', message: 'must be an even number' },
      ],
      wellTyped: true,
    });
    expect(checkSchema(spec, { count: '4' }, 'spec')).toEqual({ causes: [], wellTyped: true });
  });

  test('a wrong type, an enumeration miss or an unknown field is not, whatever else fails', () => {
    for (const value of [{ count: '3', size: 'big' }, { count: '3', mode: 'c' }, { count: '3', extra: 1 }, { count: 3 }]) {
      expect(checkSchema(spec, value, 'spec').wellTyped).toBe(false);
    }
  });
});

describe('registry rules next to the schema', () => {
  test('a bad format does not hold the rules back; the repeated cause is listed once, schema first', async () => {
    expect(await probeCauses({ count: '3' })).toEqual([
      { field: 'spec.count', message: 'must be an even number' },
      { field: 'spec.size', message: 'is required when spec.count is set' },
    ]);
  });

  test('a shape problem holds the rules back', async () => {
    expect(await probeCauses({ count: '3', mode: 'c' })).toEqual([
      { field: 'spec.count', message: 'must be an even number' },
      { field: 'spec.mode', message: 'must be one of: a, b' },
    ]);
  });

  test('addCauses keeps the first of equal causes and the order of the rest', () => {
    const causes: Cause[] = [{ field: 'a', message: 'x' }];
    addCauses(causes, [
      { field: 'b', message: 'y' },
      { field: 'a', message: 'x' },
      { field: 'a', message: 'z' },
      { field: 'b', message: 'y' },
    ]);
    expect(causes).toEqual([
      { field: 'a', message: 'x' },
      { field: 'b', message: 'y' },
      { field: 'a', message: 'z' },
    ]);
  });
});
