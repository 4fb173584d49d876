// Memory: the backend agents' memory tools read and write (sqlite, in-memory, http, pgvector, …).
// Backend reachability is the controller's job; apply checks only what a manifest alone can get wrong.
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Spec } from '../registry/kind';
import { isObj, lower, trimFields } from '../registry/normalize';
import type { Cause } from '../errors';
import { statusSchema, strict } from './common';
import { HTTP_URL_MESSAGE, Ref, SecretRef, isHttpUrl } from './formats';
import { trimOrDrop } from './task';

const PHASES = ['Pending', 'Ready', 'Error'] as const;

const spec = strict({
  type: t.Optional(t.String({ description: 'Informational category, e.g. vector or kv.' })),
  provider: t.Optional(
    t.String({
      description:
        'sqlite (used when empty on this server: entries in its database, kept across restarts), in-memory (this process only), http (a service speaking the memory adapter protocol), or pgvector (accepted, but refused at run time: it needs PostgreSQL). Lower-cased.',
    }),
  ),
  embedding_model: t.Optional(Ref('ModelEndpoint that computes embeddings (required for pgvector).')),
  endpoint: t.Optional(t.String({ description: 'Postgres DSN (pgvector) or http(s) service URL (http).' })),
  endpoint_secret_ref: t.Optional(SecretRef('Secret holding the endpoint instead of spec.endpoint.')),
  auth: t.Optional(strict({ secretRef: t.Optional(SecretRef('Secret with the backend credential.')) })),
});

/**
 * Everything the chosen backend needs before it can work. The Memory controller reports these as
 * phase Error; apply rejects only those that no server configuration can supply (see validate).
 */
export function memoryBackendProblems(s: Spec): Cause[] {
  const causes: Cause[] = [];
  const hasEndpoint = Boolean(s.endpoint || s.endpoint_secret_ref);
  if (s.provider === 'pgvector' && !s.embedding_model) causes.push({ field: 'spec.embedding_model', message: 'is required when provider is pgvector' });
  if ((s.provider === 'pgvector' || s.provider === 'http') && !hasEndpoint) {
    causes.push({ field: 'spec.endpoint', message: `is required when provider is ${s.provider} (or set spec.endpoint_secret_ref)` });
  }
  return causes;
}

export const memory = defineKind({
  kind: 'Memory',
  plural: 'memories',
  description: 'A memory backend for agents: provider, embedding model and connection.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  normalize(s) {
    trimFields(s, ['type', 'embedding_model', 'endpoint', 'endpoint_secret_ref']);
    s.provider = lower(s.provider);
    for (const k of ['type', 'provider', 'embedding_model', 'endpoint', 'endpoint_secret_ref']) if (s[k] === '') delete s[k];
    if (isObj(s.auth)) trimOrDrop(s.auth, 'secretRef');
    return s;
  },
  validate(s) {
    const causes: Cause[] = [];
    if (s.endpoint && s.endpoint_secret_ref) {
      causes.push({ field: 'spec.endpoint_secret_ref', message: 'cannot be combined with spec.endpoint; set only one' });
    }
    if (s.provider === 'http' && s.endpoint && !isHttpUrl(s.endpoint)) causes.push({ field: 'spec.endpoint', message: HTTP_URL_MESSAGE });
    // The published pgvector example names no endpoint, so its connection is checked at run time.
    const deferred = (c: Cause) => !(s.provider === 'pgvector' && c.field === 'spec.endpoint');
    causes.push(...memoryBackendProblems(s).filter(deferred));
    return causes;
  },
});
