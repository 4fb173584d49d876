// A resource row as a store contract test inserts it directly (an Agent named `name`).
import type { NewResourceRow } from '../../src/store/resource-store';

export const agentRow = (name: string, extra: Partial<NewResourceRow> = {}): NewResourceRow => ({
  kind: 'Agent',
  namespace: 'default',
  name,
  uid: `uid-${name}`,
  generation: 1,
  labels: '{}',
  annotations: '{}',
  spec: '{"model_ref":"m"}',
  status: '{}',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...extra,
});
