// ModelEndpoint: provider aliases and default base URLs, option canonical forms, validation causes.
import { describe, expect, test } from 'bun:test';
import { kindHelpers } from './helpers';

const { apply, causes, fields } = kindHelpers();

describe('ModelEndpoint', () => {
  test('defaults provider, base URL and allowPrivate', async () => {
    expect((await apply('model-endpoints', { default_model: ' gpt-4o ' })).spec).toEqual({
      provider: 'openai',
      base_url: 'https://api.openai.com/v1',
      default_model: 'gpt-4o',
      allowPrivate: false,
    });
    expect((await apply('model-endpoints', { provider: ' Anthropic ', default_model: 'c' })).spec.base_url).toBe('https://api.anthropic.com/v1');
    expect((await apply('model-endpoints', { provider: 'OLLAMA', default_model: 'llama3.1' })).spec).toEqual({
      provider: 'ollama',
      base_url: 'http://127.0.0.1:11434',
      default_model: 'llama3.1',
      allowPrivate: true,
    });
    expect((await apply('model-endpoints', { provider: 'ollama', default_model: 'l', allowPrivate: false, base_url: ' http://gpu:11434 ' })).spec).toEqual({
      provider: 'ollama',
      base_url: 'http://gpu:11434',
      default_model: 'l',
      allowPrivate: false,
    });
  });

  test('folds provider aliases; providers without a known URL get none', async () => {
    expect((await apply('model-endpoints', { provider: 'OpenAI_Compatible', default_model: 'm' })).spec).toEqual({
      provider: 'openai-compatible',
      default_model: 'm',
      allowPrivate: false,
    });
    expect((await apply('model-endpoints', { provider: 'aws_bedrock', default_model: 'm' })).spec.provider).toBe('bedrock');
    expect((await apply('model-endpoints', { provider: 'acme', default_model: 'm' })).spec.provider).toBe('acme');
  });

  test('option keys are lower-cased and trimmed, values trimmed, empty keys dropped', async () => {
    const spec = (await apply('model-endpoints', {
      provider: 'mock',
      default_model: 'm',
      options: { ' Max_Tokens ': 1024, API_VERSION: ' 2024-10-21 ', ' ': 'gone', stream: true },
      auth: { secretRef: ' key ' },
    })).spec;
    expect(spec).toEqual({
      provider: 'mock',
      default_model: 'm',
      options: { max_tokens: '1024', api_version: '2024-10-21', stream: 'true' },
      auth: { secretRef: 'key' },
      allowPrivate: false,
    });
  });

  test('requires default_model and rejects unknown fields and wrong types', async () => {
    expect(await causes('model-endpoints', { default_model: '   ' })).toEqual([{ field: 'spec.default_model', message: 'is required' }]);
    expect(await fields('model-endpoints', { model: 'gpt', auth: { secret_ref: 's' }, options: { a: { b: 1 } }, allowPrivate: 'yes' })).toEqual([
      'spec.model',
      'spec.default_model',
      'spec.options.a',
      'spec.auth.secret_ref',
      'spec.allowPrivate',
    ]);
  });
});
