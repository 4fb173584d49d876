// Memory: canonical forms and the settings each provider needs.
import { describe, expect, test } from 'bun:test';
import { memoryBackendProblems } from '../../src/resources/memory';
import { kindHelpers } from './helpers';

const { apply, causes, fields } = kindHelpers();

describe('Memory', () => {
  test('writes no defaults; trims and lower-cases the provider', async () => {
    expect((await apply('memories', {})).spec).toEqual({});
    expect((await apply('memories', { type: ' vector ', provider: ' PGVector ', embedding_model: ' emb ', endpoint_secret_ref: ' dsn ', auth: { secretRef: ' pw ' } })).spec).toEqual({
      type: 'vector',
      provider: 'pgvector',
      embedding_model: 'emb',
      endpoint_secret_ref: 'dsn',
      auth: { secretRef: 'pw' },
    });
  });

  test('endpoint and endpoint_secret_ref are exclusive; providers need their settings', async () => {
    expect(await causes('memories', { provider: 'pgvector', endpoint: 'postgres://db', endpoint_secret_ref: 'dsn' })).toEqual([
      { field: 'spec.endpoint_secret_ref', message: 'cannot be combined with spec.endpoint; set only one' },
      { field: 'spec.embedding_model', message: 'is required when provider is pgvector' },
    ]);
    expect(await causes('memories', { provider: 'HTTP' })).toEqual([
      { field: 'spec.endpoint', message: 'is required when provider is http (or set spec.endpoint_secret_ref)' },
    ]);
    expect((await apply('memories', { provider: 'http', endpoint_secret_ref: 'url' })).spec.provider).toBe('http');
  });

  test('a pgvector memory without endpoint applies; the controller reports it', async () => {
    const spec = (await apply('memories', { provider: 'pgvector', embedding_model: 'emb' })).spec;
    expect(memoryBackendProblems(spec)).toEqual([
      { field: 'spec.endpoint', message: 'is required when provider is pgvector (or set spec.endpoint_secret_ref)' },
    ]);
  });

  test('rejects unknown fields and wrong types', async () => {
    expect(await fields('memories', { dsn: 'x', auth: { token: 't' }, provider: 7 })).toEqual(['spec.dsn', 'spec.provider', 'spec.auth.token']);
  });
});
