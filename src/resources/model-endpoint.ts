// ModelEndpoint: a model provider connection (provider, base URL, default model, options, auth)
// that agents name in model_ref.
import { Type as t } from '@sinclair/typebox';
import { defineKind } from '../registry/kind';
import { isObj, lower, setDefault, trim, trimRequired } from '../registry/normalize';
import { StringMap, statusSchema, strict } from './common';
import { HttpUrl, SecretRef } from './formats';
import { trimOrDrop } from './task';

const PHASES = ['Pending', 'Ready', 'Error'] as const;

/** Spellings folded into the canonical provider name. */
const PROVIDER_ALIASES: Record<string, string> = {
  openai_compatible: 'openai-compatible',
  'aws-bedrock': 'bedrock',
  aws_bedrock: 'bedrock',
};

const DEFAULT_BASE_URLS: Record<string, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  ollama: 'http://127.0.0.1:11434',
};

const spec = strict({
  provider: t.Optional(
    t.String({ description: 'openai (default), openai-compatible, azure-openai, anthropic, ollama, bedrock, mock. Lower-cased.' }),
  ),
  base_url: t.Optional(HttpUrl('API base URL; defaults for openai, anthropic and ollama.')),
  default_model: t.String({ minLength: 1, description: 'Model used when the agent names none.' }),
  options: t.Optional(StringMap('Provider options (keys lower-cased), e.g. api_version, max_tokens, anthropic_version.')),
  auth: t.Optional(strict({ secretRef: t.Optional(SecretRef('Secret with the API key: name or namespace/name, optionally :key.')) })),
  allowPrivate: t.Optional(t.Boolean({ description: 'Allow private-network addresses under --egress-private=deny (default true for ollama).' })),
});

export const modelEndpoint = defineKind({
  kind: 'ModelEndpoint',
  plural: 'model-endpoints',
  description: 'A model provider endpoint: provider, base URL, default model, options and API key secret.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  normalize(s) {
    const provider = lower(s.provider);
    s.provider = typeof provider === 'string' ? (PROVIDER_ALIASES[provider] ?? provider) : provider;
    setDefault(s, 'provider', 'openai');
    s.base_url = trim(s.base_url);
    if (typeof s.provider === 'string' && DEFAULT_BASE_URLS[s.provider]) setDefault(s, 'base_url', DEFAULT_BASE_URLS[s.provider]);
    if (s.base_url === '') delete s.base_url;
    trimRequired(s, 'default_model');
    if (isObj(s.options)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.options)) {
        const key = k.trim().toLowerCase();
        if (!key) continue;
        // YAML turns `max_tokens: 1024` into a number; the option map holds strings.
        out[key] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : trim(v);
      }
      s.options = out;
    }
    if (isObj(s.auth)) trimOrDrop(s.auth, 'secretRef');
    if (s.allowPrivate === undefined || s.allowPrivate === null) s.allowPrivate = s.provider === 'ollama';
    return s;
  },
});
