// Resolving what an agent needs at run time: model API keys come from Secrets or ORLOJ_SECRET_*
// variables, never from the server's own configuration variables.
import { describe, expect, test } from 'bun:test';
import { Resolver } from '../../../src/runtime/engine/resolve';
import { systemClock } from '../../../src/util/time';
import { testRegistry } from '../../support/registry';

describe('secretRef environment fallback', () => {
  // Resolver.apiKey falls back to ORLOJ_SECRET_<REF>, then <REF> and the raw ref: anyone who may write
  // a ModelEndpoint can name a server variable (the at-rest key, the admin token) as its secretRef and
  // point base_url at a host of their choosing; the value leaves as the Authorization header.
  test('server configuration variables are not readable as model API keys', async () => {
    const r = testRegistry(systemClock);
    try {
      const resolver = new Resolver(r.registry, { ORLOJ_SECRET_ENCRYPTION_KEY: 'at-rest-key', ORLOJ_API_TOKEN: 'admin-token', ORLOJ_SECRET_OPENAI: 'sk-ok' });
      expect(await resolver.apiKey('default', 'openai')).toBe('sk-ok');
      expect(await resolver.apiKey('default', 'ORLOJ_API_TOKEN')).toBeUndefined();
      expect(await resolver.apiKey('default', 'encryption-key')).toBeUndefined();
    } finally {
      r.close();
    }
  });
});
