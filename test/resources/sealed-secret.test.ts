// SealedSecret: canonical entries and template metadata, and the shape of each sealed value.
import { describe, expect, test } from 'bun:test';
import { kindHelpers } from './helpers';

describe('SealedSecret', () => {
  const sealed = { keyId: ' 0123abcd ', wrappedKey: 'd3JhcHBlZA==', ciphertext: 'Y2lwaGVy' };

  test('trims entries, drops empty keys and trims template metadata', async () => {
    const { write } = kindHelpers();
    const { object } = await write('sealed-secrets', {
      encryptedData: { ' value ': sealed, ' ': sealed },
      template: { labels: { ' team ': ' ai ', ' ': 'x' }, annotations: {} },
    });
    expect(object.spec).toEqual({
      encryptedData: { value: { keyId: '0123abcd', wrappedKey: 'd3JhcHBlZA==', ciphertext: 'Y2lwaGVy' } },
      template: { labels: { team: 'ai' } },
    });
    expect(object.status).toEqual({ phase: 'Pending' });
    expect((await write('sealed-secrets', {}, 'empty')).object.spec).toEqual({ encryptedData: {} });
  });

  test('every sealed value needs keyId, wrappedKey and ciphertext in standard base64', async () => {
    const { causes } = kindHelpers();
    const BASE64 = 'must be valid standard base64';
    expect(await causes('sealed-secrets', { encryptedData: { a: { wrappedKey: ' ', ciphertext: 'x' }, b: { ...sealed, iv: 'x' } } })).toEqual([
      { field: 'spec.encryptedData.a.wrappedKey', message: 'is required' },
      { field: 'spec.encryptedData.a.keyId', message: 'is required' },
      { field: 'spec.encryptedData.a.ciphertext', message: BASE64 },
      { field: 'spec.encryptedData.b.iv', message: 'unknown field' },
    ]);
    expect(await causes('sealed-secrets', { encryptedData: { a: { ...sealed, wrappedKey: 'not-base64', ciphertext: 'abc' } } })).toEqual([
      { field: 'spec.encryptedData.a.wrappedKey', message: BASE64 },
      { field: 'spec.encryptedData.a.ciphertext', message: BASE64 },
    ]);
  });
});
