// Annotations that must never reach a sealed or unsealed object: kubectl's last-applied copy holds
// the plaintext a SealedSecret exists to hide.
import { expect, test } from 'bun:test';
import { safeAnnotations } from '../../src/sealing/unsafe-annotations';

test('sealing never carries the plaintext copy kubectl keeps in an annotation', () => {
  const { kept, dropped } = safeAnnotations({ 'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"k":"plain"}}', team: 'a' });
  expect(kept).toEqual({ team: 'a' });
  expect(dropped).toEqual(['kubectl.kubernetes.io/last-applied-configuration']);
});
