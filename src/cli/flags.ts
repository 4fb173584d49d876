// Command-line flags: every flag has an ORLOJ_<FLAG> environment twin; flags win over the
// environment, which wins over defaults. The validators here are shared by every subcommand.
import { BadRequest } from '../errors';
import { LOG_LEVELS, type LogLevel } from '../log';
import { parseDuration } from '../util/duration';

export interface FlagSpec {
  name: string;
  description: string;
  default: string;
  validate?: (v: string) => string | undefined;
}

export const envName = (flag: string) => `ORLOJ_${flag.toUpperCase().replace(/-/g, '_')}`;

/** One line per flag for --help: name, description, default and environment twin. */
export const flagHelp = (specs: FlagSpec[]) => specs.map((f) => `  --${f.name.padEnd(24)} ${f.description} (default ${f.default || '""'}; env ${envName(f.name)})`).join('\n');

/** Parses `--flag value` and `--flag=value` against the specs; unknown flags are errors. */
export function parseFlags(args: string[], specs: FlagSpec[], env: Record<string, string | undefined>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const s of specs) values[s.name] = env[envName(s.name)] ?? s.default;
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      problems.push(`unexpected argument "${a}"`);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq >= 0 ? eq : undefined);
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      problems.push(`unknown flag --${name}`);
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) problems.push(`flag --${name} needs a value`);
    else values[name] = value;
  }
  for (const s of specs) {
    const err = s.validate?.(values[s.name]);
    if (err) problems.push(`--${s.name} (${envName(s.name)}) ${err}: "${values[s.name]}"`);
  }
  if (problems.length) throw new BadRequest(problems.join('; '));
  return values;
}

export function positiveInt(v: string): string | undefined {
  return /^\d+$/.test(v) && Number(v) > 0 ? undefined : 'must be a positive whole number';
}

/** A validator of positive durations whose message shows `example` (e.g. "15s or 24h"). */
export function positiveDuration(example: string): (v: string) => string | undefined {
  return (v) => {
    const ms = parseDuration(v);
    return ms !== undefined && ms > 0 ? undefined : `must be a positive duration such as ${example}`;
  };
}

const boolValue = (v: string) => (['true', '1', 'yes', 'on'].includes(v.toLowerCase()) ? true : ['false', '0', 'no', 'off'].includes(v.toLowerCase()) ? false : undefined);

export const isBool = (v: string) => (boolValue(v) === undefined ? 'must be true or false' : undefined);

export const parseBool = (v: string): boolean => boolValue(v) ?? false;

export const LOG_LEVEL_FLAG: FlagSpec = {
  name: 'log-level',
  description: `One of ${LOG_LEVELS.join(', ')}`,
  default: 'info',
  validate: (v) => (LOG_LEVELS.includes(v as LogLevel) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`),
};

/** Comma-separated entries, trimmed, empty ones dropped. */
export const splitList = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);
