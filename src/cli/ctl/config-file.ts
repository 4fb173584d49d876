// The client's profile file: `$XDG_CONFIG_HOME/orrery/config.json` (default ~/.config): named
// profiles with a server and a token (or the name of an environment variable holding one), and the
// current profile. Written with mode 0600; a password is never stored.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CtlError } from './errors';

export interface Profile {
  server?: string;
  token?: string;
  token_env?: string;
}

export interface ConfigFile {
  current?: string;
  profiles: Record<string, Profile>;
}

export function configPath(env: Record<string, string | undefined>): string {
  if (env.ORRERY_CONFIG) return env.ORRERY_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'orrery', 'config.json');
}

export function readConfig(path: string): ConfigFile {
  if (!existsSync(path)) return { profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8'));
    const profiles = parsed && typeof parsed.profiles === 'object' && parsed.profiles ? parsed.profiles : {};
    return { current: typeof parsed.current === 'string' ? parsed.current : undefined, profiles };
  } catch (e) {
    throw new CtlError(`the config file ${path} is not valid JSON (${(e as Error).message}): fix or remove it`);
  }
}

/** Writes atomically (a temporary file renamed over the old one), readable by the owner only. */
export function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
