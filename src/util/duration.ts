// Go-syntax durations ("250ms", "30s", "1h30m", "0") used by flags, environment and spec fields.
const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a Go duration into milliseconds; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  let s = text.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== start) return undefined;
    total += Number(m[1]) * UNITS[m[2]];
  }
  return sign * total;
}

/** True when the value is a string holding a valid, non-negative Go duration. */
export function isDuration(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const ms = parseDuration(value);
  return ms !== undefined && ms >= 0;
}

/** Formats milliseconds the way Go prints durations (e.g. 90000 → "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  const h = Math.floor(rest / 3_600_000);
  if (h) parts.push(`${h}h`);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  if (m) parts.push(`${m}m`);
  rest -= m * 60_000;
  if (rest) parts.push(rest % 1000 === 0 ? `${rest / 1000}s` : parts.length ? `${rest / 1000}s` : `${rest}ms`);
  return parts.join('');
}
