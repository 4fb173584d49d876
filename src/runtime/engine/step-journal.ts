// The StepJournal of one task over the journal store's text rows: a recorded step is replayed
// from its JSON, a new one runs and is recorded unless another worker recorded it first.
import type { StepJournal } from './types';
import type { Journal } from '../../store/backend';

export function stepJournal(rows: Pick<Journal, 'get' | 'putIfAbsent'>, uid: string): StepJournal {
  return {
    once: async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
      const recorded = await rows.get(uid, key);
      if (recorded !== undefined) return JSON.parse(recorded) as T;
      const value = await fn();
      return JSON.parse(await rows.putIfAbsent(uid, key, JSON.stringify(value ?? null))) as T;
    },
  };
}
