// Shared setup for the per-kind tests: a real registry over in-memory SQLite, and short ways to
// apply a spec of one kind and to read the causes of a rejected one.
import { Invalid, type Cause } from '../../src/errors';
import type { Clock } from '../../src/util/time';
import { testRegistry } from '../support/registry';

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export const manifest = (kind: string, name: string, spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'orloj.dev/v1',
  kind,
  metadata: { name, ...extra },
  spec,
});

/** A fresh registry (clock fixed at 2026-01-02T03:04:05Z unless given) with helpers keyed by plural. */
export function kindHelpers(clock?: Clock) {
  const t = testRegistry(clock);
  const body = (plural: string, spec: unknown, name: string, extra: Record<string, unknown> = {}) => manifest(t.kind(plural).kind, name, spec, extra);
  /** Applies `spec` as `name` (`extra` goes into metadata); returns the write result. */
  const write = (plural: string, spec: unknown, name = 'x', extra: Record<string, unknown> = {}) => t.registry.apply(t.kind(plural), body(plural, spec, name, extra), {});
  /** Applies `spec` as `name` and returns the stored object. */
  const apply = async (plural: string, spec: unknown, name = 'x') => (await write(plural, spec, name)).object;
  /** The causes of rejecting `spec` (`top` adds top-level fields); throws if it applies. */
  const causes = async (plural: string, spec: unknown, top: Record<string, unknown> = {}): Promise<Cause[]> => {
    try {
      await t.registry.apply(t.kind(plural), { ...body(plural, spec, 'x'), ...top }, {});
    } catch (e) {
      if (e instanceof Invalid) return e.causes;
      throw e;
    }
    throw new Error('expected the manifest to be rejected');
  };
  /** The causes of rejecting a status write of `status` over `spec` (statuses are written only so). */
  const statusCauses = async (plural: string, spec: unknown, status: unknown): Promise<Cause[]> => {
    await write(plural, spec);
    try {
      await t.registry.replaceStatus(t.kind(plural), 'default', 'x', { status }, '*');
    } catch (e) {
      if (e instanceof Invalid) return e.causes;
      throw e;
    }
    throw new Error('expected the status to be rejected');
  };
  /** The fields of the causes, in the order they are reported. */
  const fields = async (plural: string, spec: unknown) => (await causes(plural, spec)).map((c) => c.field);
  /** The fields of the causes, sorted (for rules whose report order is not the point). */
  const sortedFields = async (plural: string, spec: unknown) => (await fields(plural, spec)).sort();
  return { ...t, write, apply, causes, statusCauses, fields, sortedFields };
}
