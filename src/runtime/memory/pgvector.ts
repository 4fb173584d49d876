// Provider `pgvector`: accepted by the Memory kind (Orloj manifests use it) but not run here: it
// needs PostgreSQL, and this server stores everything in SQLite. Building it fails with an error
// naming spec.provider and the providers that work, so the Memory reports phase Error.
import { MemoryError } from './types';

export function pgvectorRefusal(namespace: string, name: string): MemoryError {
  return new MemoryError(
    `spec.provider: Memory ${namespace}/${name} uses pgvector, which needs a PostgreSQL store that this server does not have yet; ` +
      'use sqlite (the default: entries in the server\'s database, keyword search and embeddings), in-memory, or http (your own service behind the adapter protocol)',
    false,
    'spec.provider',
  );
}
