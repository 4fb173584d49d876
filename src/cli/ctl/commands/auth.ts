// `orrery auth login|whoami|logout` and `orrery admin create-user|list-users|delete-user|
// reset-password`. A login trades a username and password for an API token
// (POST /v1/auth/cli-token) and keeps only the token, in the current profile.
import { UsageError } from '../errors';
import { readConfig, writeConfig } from '../config-file';
import { ago, formatOf, serialize, table } from '../output';
import type { Register } from '../program';
import { askLine, askSecret, firstLineOfStdin } from '../prompt';
import type { CtlContext } from '../context';
import type { Command } from 'commander';

const ROLES = ['reader', 'writer', 'admin', 'controller'];

/** The profile a verb writes to: --profile, the current one, else "default" (created, made current). */
function profileName(ctx: CtlContext, cmd: Command): string {
  return (cmd.optsWithGlobals().profile as string | undefined) ?? ctx.config.current ?? 'default';
}

export const registerAuth: Register = (program, action) => {
  const auth = program.command('auth').description('log in to a server, see who you are, log out');
  auth
    .command('login')
    .description('trade a username and password for an API token, kept in the current profile (the password is never stored)')
    .option('--username <name>', 'user to log in as (asked when missing)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(
      action(async (ctx, _args, opts, cmd) => {
        const username = opts.username ?? (await askLine('Username: '));
        if (!username.trim()) throw new UsageError('a username is required (--username)');
        const password = opts.passwordStdin ? await firstLineOfStdin(ctx.io, '--password-stdin') : await askSecret('Password: ');
        const res = await ctx.client.call('POST', '/v1/auth/cli-token', { username: username.trim(), password });
        const name = profileName(ctx, cmd);
        const config = readConfig(ctx.configPath);
        const profile = config.profiles[name] ?? {};
        config.profiles[name] = { ...profile, server: profile.server ?? ctx.server, token: res.token };
        config.current ??= name;
        writeConfig(ctx.configPath, config);
        ctx.io.out(`logged in to ${ctx.server} as ${res.username ?? username} (role ${res.role}); token ${res.name} stored in profile ${name}\n`);
      }),
    );
  auth
    .command('whoami')
    .description('who the server takes you for (/v1/auth/me)')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action(async (ctx, _args, opts) => {
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const me = await ctx.client.get('/v1/auth/me');
        if (format !== 'table') return void ctx.io.out(serialize(me, format));
        if (!me.authenticated) return void ctx.io.out(`not authenticated at ${ctx.server} (token: ${ctx.sources.token})\n`);
        ctx.io.out(table(['name', 'role', 'method', 'server'], [[String(me.username ?? me.name ?? '-'), String(me.role ?? '-'), String(me.method ?? '-'), ctx.server]]));
      }),
    );
  auth
    .command('logout')
    .description('drop the token from the current profile')
    .action(
      action(async (ctx, _args, _opts, cmd) => {
        const name = profileName(ctx, cmd);
        const config = readConfig(ctx.configPath);
        if (!config.profiles[name]?.token) return void ctx.io.out(`profile ${name} holds no token\n`);
        delete config.profiles[name].token;
        writeConfig(ctx.configPath, config);
        ctx.io.out(`token removed from profile ${name}\n`);
      }),
    );

  const admin = program.command('admin').description('manage the users of a server in native auth mode (admin)');
  admin
    .command('create-user')
    .description('create a user; without --password-stdin the server generates a password, shown once')
    .argument('<username>', 'the new user')
    .option('--role <role>', `role: ${ROLES.join(', ')}`, 'reader')
    .option('--password-stdin', 'read the password (12+ characters) from standard input')
    .action(
      action(async (ctx, args, opts) => {
        const role = String(opts.role).toLowerCase();
        if (!ROLES.includes(role)) throw new UsageError(`--role ${opts.role}: use one of ${ROLES.join(', ')}`);
        const password = opts.passwordStdin ? await firstLineOfStdin(ctx.io, '--password-stdin') : undefined;
        const res = await ctx.client.call('POST', '/v1/auth/users', { username: args[0], role, ...(password ? { password } : {}) });
        ctx.io.out(`users/${res.username} created (role ${res.role})\n`);
        if (res.password) ctx.io.out(`password: ${res.password}\n(shown once: hand it over now)\n`);
      }),
    );
  admin
    .command('list-users')
    .description('list users')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(
      action(async (ctx, _args, opts) => {
        const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
        const body = await ctx.client.get('/v1/auth/users');
        if (format !== 'table') return void ctx.io.out(serialize(body, format));
        ctx.io.out(table(['username', 'role', 'age'], (body.items ?? []).map((u: any) => [u.username, u.role, ago(u.created_at, ctx.now())])));
      }),
    );
  admin
    .command('delete-user')
    .description('delete a user (the last admin cannot be deleted)')
    .argument('<username>', 'the user')
    .action(
      action(async (ctx, args) => {
        await ctx.client.call('DELETE', `/v1/auth/users/${encodeURIComponent(args[0])}`);
        ctx.io.out(`users/${args[0]} deleted\n`);
      }),
    );
  admin
    .command('reset-password')
    .description("reset a user's password; without a new one the server generates it (shown once)")
    .requiredOption('--username <name>', 'the user')
    .option('--new-password <password>', 'the new password (visible in the shell history: prefer --password-stdin)')
    .option('--password-stdin', 'read the new password from standard input')
    .action(
      action(async (ctx, _args, opts) => {
        if (opts.newPassword && opts.passwordStdin) throw new UsageError('give --new-password or --password-stdin, not both');
        const password = opts.passwordStdin ? await firstLineOfStdin(ctx.io, '--password-stdin') : opts.newPassword;
        const res = await ctx.client.call('POST', '/v1/auth/admin/reset-password', { username: opts.username, ...(password ? { new_password: password } : {}) });
        ctx.io.out(`password of ${opts.username} reset; their sessions and CLI tokens are ended\n`);
        if (res.password) ctx.io.out(`password: ${res.password}\n(shown once: hand it over now)\n`);
      }),
    );
};
