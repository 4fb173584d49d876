// `orrery config path|get|use|set-profile|delete-profile`: the profile file (config-file.ts).
// `get` never prints a token in full.
import { CtlError, UsageError } from '../errors';
import { readConfig, writeConfig, type Profile } from '../config-file';
import { formatOf, serialize, table } from '../output';
import type { Register } from '../program';

/** The first four characters and the length: enough to tell tokens apart, useless to an onlooker. */
export function maskToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  return token.length <= 8 ? '****' : `${token.slice(0, 4)}…(${token.length} chars)`;
}

export const registerConfig: Register = (program, action) => {
  const config = program.command('config').description('profiles of servers and tokens in the client config file');
  config
    .command('path')
    .description('print the config file path')
    .action(action((ctx) => void ctx.io.out(`${ctx.configPath}\n`)));
  config
    .command('get')
    .description('show the profiles and what this invocation resolves to (tokens masked)')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action((ctx, _args, opts) => {
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const profiles = Object.fromEntries(Object.entries(ctx.config.profiles).map(([n, p]) => [n, { ...p, ...(p.token ? { token: maskToken(p.token) } : {}) }]));
        const resolved = { server: ctx.server, server_from: ctx.sources.server, token: maskToken(ctx.token) ?? null, token_from: ctx.sources.token };
        if (format !== 'table') return void ctx.io.out(serialize({ path: ctx.configPath, current: ctx.config.current ?? null, profiles, resolved }, format));
        const rows = Object.entries(profiles).map(([n, p]) => [n === ctx.config.current ? `* ${n}` : `  ${n}`, p.server ?? '-', p.token ?? '-', p.token_env ?? '-']);
        ctx.io.out(`config: ${ctx.configPath}\n`);
        ctx.io.out(rows.length ? table(['profile', 'server', 'token', 'token-env'], rows) : 'no profiles (orrery config set-profile NAME --server URL)\n');
        ctx.io.out(`using: ${resolved.server} (from ${resolved.server_from}), token ${resolved.token ?? 'none'} (from ${resolved.token_from})\n`);
      }),
    );
  config
    .command('use')
    .description('make a profile the current one')
    .argument('<name>', 'the profile')
    .action(
      action((ctx, args) => {
        const file = readConfig(ctx.configPath);
        if (!file.profiles[args[0]]) throw new CtlError(`no profile "${args[0]}" (known: ${Object.keys(file.profiles).join(', ') || 'none'})`);
        file.current = args[0];
        writeConfig(ctx.configPath, file);
        ctx.io.out(`current profile: ${args[0]}\n`);
      }),
    );
  config
    .command('set-profile')
    .description('create or update a profile (the first one becomes current)')
    .argument('<name>', 'the profile')
    .option('--server <url>', 'API server URL (the global --server, given here, is the profile\'s)')
    .option('--token <token>', 'bearer token (prefer --token-env: the file then holds no secret)')
    .option('--token-env <name>', 'environment variable holding the token, read at each call')
    .action(
      action((ctx, args, opts, cmd) => {
        // The root command owns --server, so the value arrives among the global options.
        opts = { ...opts, server: opts.server ?? cmd.optsWithGlobals().server };
        const name = args[0].trim();
        if (!name) throw new UsageError('a profile name is required');
        if (opts.server !== undefined && !/^https?:\/\/\S+$/.test(opts.server)) throw new UsageError(`--server ${opts.server}: use an http:// or https:// URL`);
        if (opts.tokenEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.tokenEnv)) throw new UsageError(`--token-env ${opts.tokenEnv}: must be an environment variable name`);
        const file = readConfig(ctx.configPath);
        const profile: Profile = { ...(file.profiles[name] ?? {}) };
        if (opts.server !== undefined) profile.server = opts.server.replace(/\/+$/, '');
        if (opts.token !== undefined) profile.token = opts.token;
        if (opts.tokenEnv !== undefined) profile.token_env = opts.tokenEnv;
        file.profiles[name] = profile;
        file.current ??= name;
        writeConfig(ctx.configPath, file);
        ctx.io.out(`profile ${name} saved${file.current === name ? ' (current)' : ''}\n`);
      }),
    );
  config
    .command('delete-profile')
    .description('remove a profile')
    .argument('<name>', 'the profile')
    .action(
      action((ctx, args) => {
        const file = readConfig(ctx.configPath);
        if (!file.profiles[args[0]]) throw new CtlError(`no profile "${args[0]}"`);
        delete file.profiles[args[0]];
        if (file.current === args[0]) delete file.current;
        writeConfig(ctx.configPath, file);
        ctx.io.out(`profile ${args[0]} deleted\n`);
      }),
    );
};
