// Secret: stringData folding, encryption at rest, redaction on every read and base64 rules.
import { describe, expect, test } from 'bun:test';
import { Invalid } from '../../src/errors';
import { b64, kindHelpers } from './helpers';

describe('Secret', () => {
  const apiKey = 'sk-live-0123456789abcdef';

  test('folds stringData into data, encrypts at rest and redacts every read', async () => {
    const { registry, kind, write, backend } = kindHelpers();
    const { object } = await write('secrets', { data: { other: b64('x'), value: b64('old') }, stringData: { value: apiKey } }, 'api');
    expect(object.spec).toEqual({ data: { other: '***', value: '***' } });
    expect((await registry.get(kind('secrets'), 'default', 'api')).spec).toEqual({ data: { other: '***', value: '***' } });
    expect((await registry.list(kind('secrets'), {})).items[0].spec.data.value).toBe('***');
    const decoded = await registry.getDecoded(kind('secrets'), 'default', 'api');
    expect(decoded.spec).toEqual({ data: { other: b64('x'), value: b64(apiKey) } });

    // What the store holds, read past the registry: the row and every change of the log.
    const rows = [(await backend.resources.get('Secret', 'default', 'api'))!];
    const changes = await backend.changes.readAfter(0, await backend.changes.lastRevision(), 100);
    const stored = [...rows.map((r) => r.spec), ...changes.map((c) => JSON.stringify(c.row))].join('\n');
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(b64(apiKey));
    expect(stored).not.toContain(b64('x'));
    const data = JSON.parse(rows[0].spec).data;
    expect(Object.values(data).every((v) => typeof v === 'string' && v.startsWith('enc:'))).toBe(true);
  });

  test('sending "***" back keeps the stored value', async () => {
    const { registry, kind, write } = kindHelpers();
    const created = (await write('secrets', { stringData: { value: apiKey, extra: 'e' } }, 'api')).object;
    const body = { ...created, spec: { data: { value: '***', extra: b64('changed') } } };
    const replaced = await registry.replace(kind('secrets'), 'api', body, {}, created.metadata.resourceVersion);
    expect(replaced.spec.data).toEqual({ value: '***', extra: '***' });
    expect((await registry.getDecoded(kind('secrets'), 'default', 'api')).spec.data).toEqual({ value: b64(apiKey), extra: b64('changed') });
    const again = await write('secrets', { data: { value: '***', extra: '***' } }, 'api');
    expect(again.created).toBe(false);
    expect((await registry.getDecoded(kind('secrets'), 'default', 'api')).metadata.generation).toBe(2);
  });

  test('"***" without a stored value is rejected', async () => {
    const { causes, write } = kindHelpers();
    expect(await causes('secrets', { data: { value: '***' } })).toEqual([
      { field: 'spec.data.value', message: 'is the redacted placeholder "***" but no stored value exists for this key' },
    ]);
    await write('secrets', { stringData: { value: 'v' } });
    expect((await causes('secrets', { data: { value: '***', other: '***' } })).map((c) => c.field)).toEqual(['spec.data.other']);
  });

  test('data values must be non-empty standard base64, one cause per key, never echoing the value', async () => {
    const { causes, write } = kindHelpers();
    let error: Invalid | undefined;
    try {
      await write('secrets', { data: { a: 'not base64!', b: '', c: 'abc', d: 'YWJj', 'api.key': 'YW=J' } });
    } catch (e) {
      error = e as Invalid;
    }
    expect(error).toBeInstanceOf(Invalid);
    expect(error!.causes.map((c) => c.field)).toEqual(['spec.data.a', 'spec.data.b', 'spec.data.c', 'spec.data["api.key"]']);
    expect(error!.message).not.toContain('not base64!');
    expect((await causes('secrets', { data: { a: 1 }, stringData: { b: 2 }, extra: {} })).map((c) => c.field).sort()).toEqual([
      'spec.data.a',
      'spec.extra',
      'spec.stringData.b',
    ]);
  });

  test('wrapped base64 and empty specs are accepted', async () => {
    const { registry, kind, write } = kindHelpers();
    await write('secrets', { data: { pem: 'QUJD\nREVG' } }, 'wrapped');
    expect((await registry.getDecoded(kind('secrets'), 'default', 'wrapped')).spec.data.pem).toBe('QUJDREVG');
    expect((await write('secrets', {}, 'empty')).object.spec).toEqual({ data: {} });
  });
});
