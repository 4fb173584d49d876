// GET /v1/sealing-key/public: the public half of the sealing keypair, which `orrery seal` and
// other clients encrypt SealedSecret values to. 503 while no key is loaded.
import { Elysia } from 'elysia';
import { Type as t } from '@sinclair/typebox';
import { ServiceUnavailable } from '../errors';
import type { PublicSealingKey } from '../sealing/keys';
import { operation } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json } from './routing';

export const SealingPublicKeySchema = t.Object(
  {
    keyId: t.String({ description: 'Hex of the first 16 bytes of SHA-256 over the SPKI DER of the public key.' }),
    algorithm: t.Literal('rsa-oaep-sha256+aes-256-gcm'),
    publicKeyPEM: t.String({ description: 'PEM "PUBLIC KEY" (SPKI) of the RSA sealing key.' }),
  },
  { description: 'The public sealing key.' },
);

export interface SealingKeySource {
  publicKey(): PublicSealingKey | undefined;
  unavailableReason(): string;
}

export function sealingRoutes(keys: SealingKeySource, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-sealing' });
  const tag = 'sealing';
  addRoute(
    app,
    table,
    { method: 'GET', path: '/v1/sealing-key/public', tag, action: 'sealing-key' },
    () => {
      const key = keys.publicKey();
      if (!key) throw new ServiceUnavailable(keys.unavailableReason());
      return json(key);
    },
    operation({
      tag,
      summary: 'The public key SealedSecret values are sealed to',
      ok: { 200: { description: 'The active sealing key', content: { 'application/json': { schema: SealingPublicKeySchema } } } },
      errors: { 503: 'No sealing key is loaded (still generating, or it cannot be opened)' },
    }),
  );
  return app;
}

/** For apps built without a keypair (e.g. test builders): the route exists and answers 503. */
export const noSealingKeys: SealingKeySource = {
  publicKey: () => undefined,
  unavailableReason: () => 'sealing is not configured on this server',
};
