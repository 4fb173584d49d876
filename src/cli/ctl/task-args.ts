// Shared pieces of the task verbs: `key=value` inputs, `task/NAME` targets, durations, namespace
// queries, merging live streams, and stopping them on a timeout or Ctrl-C.
import { parseDuration } from '../../util/duration';
import { UsageError } from './errors';
import type { CtlContext } from './context';

/**
 * `key=value` pairs as task input. Values stay strings (Task `spec.input` is a string map); a
 * value may itself contain `=`. A key is required and may appear once.
 */
export function parseInputs(pairs: string[], what = 'input'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`${what} "${p}": use key=value`);
    const key = p.slice(0, eq).trim();
    if (!key) throw new UsageError(`${what} "${p}": the key is empty`);
    if (key in out) throw new UsageError(`${what} "${key}" is given twice`);
    out[key] = p.slice(eq + 1);
  }
  return out;
}

/** A duration flag (`5m`, `90s`, `0` = none) in milliseconds. */
export function durationFlag(flag: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 0) throw new UsageError(`${flag} ${value}: use a duration like 30s, 5m or 1h (0 = no limit)`);
  return ms;
}

/** A non-negative integer flag. */
export function countFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} ${value}: must be a non-negative integer`);
  return Number(value);
}

/** The task a verb is about: `task/NAME`, `task NAME`, or (where `bare` is allowed) just `NAME`. */
export function taskName(args: string[], usage: string, bare = false): string {
  const [first, second] = args;
  if (first?.includes('/')) {
    const [k, ...rest] = first.split('/');
    if (!/^(tasks?|tk)$/i.test(k) || !rest.join('/')) throw new UsageError(`"${first}": use ${usage}`);
    return rest.join('/');
  }
  if (first && /^(tasks?|tk)$/i.test(first) && second) return second;
  if (bare && first && !second) return first;
  throw new UsageError(`a task is required: ${usage}`);
}

/** `?namespace=…` (and more query parameters) for the context's namespace. */
export function query(ctx: CtlContext, params: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  if (ctx.namespace) q.set('namespace', ctx.namespace);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

/** Items of several async streams as they arrive, each tagged with the index of its stream. */
export async function* merge<T>(streams: AsyncIterator<T>[]): AsyncGenerator<{ from: number; value: T }> {
  const pending = new Map<number, Promise<{ from: number; r: IteratorResult<T> }>>();
  const pull = (i: number) => pending.set(i, streams[i].next().then((r) => ({ from: i, r })));
  streams.forEach((_, i) => pull(i));
  while (pending.size) {
    const { from, r } = await Promise.race(pending.values());
    if (r.done) {
      pending.delete(from);
      continue;
    }
    pull(from);
    yield { from, value: r.value };
  }
}

/** An AbortSignal that fires on the timeout (if any) and on Ctrl-C; `reason()` says which. */
export function stopSignal(timeoutMs: number): { signal: AbortSignal; reason: () => 'timeout' | 'interrupt' | undefined; dispose: () => void } {
  const ctrl = new AbortController();
  let why: 'timeout' | 'interrupt' | undefined;
  const timer = timeoutMs > 0 ? setTimeout(() => ((why = 'timeout'), ctrl.abort()), timeoutMs) : undefined;
  const onInt = () => ((why = 'interrupt'), ctrl.abort());
  process.once('SIGINT', onInt);
  return {
    signal: ctrl.signal,
    reason: () => why,
    dispose: () => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onInt);
      ctrl.abort(); // ends the streams still open

    },
  };
}
