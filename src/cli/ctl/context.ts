// What every client verb works with: the resolved server, token and namespace, the HTTP client,
// and where output goes (colours only on a terminal and never with NO_COLOR).
import { ApiClient } from './client';
import { configPath, readConfig, type ConfigFile } from './config-file';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface GlobalOptions {
  server?: string;
  apiToken?: string;
  namespace?: string;
  profile?: string;
  color?: boolean;
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stdout is a terminal (tables get colours, progress lines may redraw). */
  tty: boolean;
  /** Standard input as text (for `-f -`); read once. */
  stdin: () => Promise<string>;
}

export interface CtlContext {
  server: string;
  token?: string;
  /** The namespace given with -n (or the profile's); undefined = the server's default. */
  namespace?: string;
  /** Where it came from, for `config get` and error messages. */
  sources: { server: string; token: string };
  client: ApiClient;
  io: Io;
  color: boolean;
  env: Record<string, string | undefined>;
  configPath: string;
  config: ConfigFile;
  now: () => Date;
}

/**
 * Server: --server, ORLOJCTL_SERVER, ORLOJ_SERVER, the profile's, then 127.0.0.1:8080. Token:
 * --api-token, ORLOJCTL_API_TOKEN, ORLOJ_API_TOKEN, the profile's token, then its token_env.
 */
export function createContext(opts: GlobalOptions, env: Record<string, string | undefined>, io: Io): CtlContext {
  const path = configPath(env);
  const config = readConfig(path);
  const profileName = opts.profile ?? config.current;
  const profile = profileName ? config.profiles[profileName] : undefined;
  const pick = (pairs: [string | undefined, string][], fallback: [string | undefined, string]) => pairs.find(([v]) => v && v.trim()) ?? fallback;
  const [server, serverSource] = pick(
    [
      [opts.server, '--server'],
      [env.ORLOJCTL_SERVER, 'ORLOJCTL_SERVER'],
      [env.ORLOJ_SERVER, 'ORLOJ_SERVER'],
      [profile?.server, `profile ${profileName}`],
    ],
    [DEFAULT_SERVER, 'default'],
  );
  const [token, tokenSource] = pick(
    [
      [opts.apiToken, '--api-token'],
      [env.ORLOJCTL_API_TOKEN, 'ORLOJCTL_API_TOKEN'],
      [env.ORLOJ_API_TOKEN, 'ORLOJ_API_TOKEN'],
      [profile?.token, `profile ${profileName}`],
      [profile?.token_env ? env[profile.token_env] : undefined, `${profile?.token_env} (profile ${profileName})`],
    ],
    [undefined, 'none'],
  );
  const base = server!.trim().replace(/\/+$/, '');
  const color = io.tty && opts.color !== false && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return {
    server: base,
    token: token?.trim(),
    namespace: opts.namespace?.trim() || undefined,
    sources: { server: serverSource, token: tokenSource },
    client: new ApiClient(base, token?.trim()),
    io,
    color,
    env,
    configPath: path,
    config,
    now: () => new Date(),
  };
}
