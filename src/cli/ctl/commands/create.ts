// `orrery create secret NAME --from-literal k=v… [--from-file k=path…]` and `orrery create token
// NAME --role ROLE` (the token is printed once, on stdout alone, so scripts can capture it).
import { readFileSync } from 'node:fs';
import { CtlError, UsageError } from '../errors';
import { kindOf } from '../kinds';
import { applyObject } from './apply';
import type { Register } from '../program';
import { collect } from '../options';
import { parseInputs } from '../task-args';

const ROLES = ['reader', 'writer', 'admin', 'controller'];

export const registerCreate: Register = (program, action) => {
  const create = program.command('create').description('create a Secret from literals or files, or an API token');
  create
    .command('secret')
    .description('create or update a Secret from key=value literals and key=path files')
    .argument('<name>', 'name of the Secret')
    .option('--from-literal <key=value>', 'a key and its value; repeatable', collect)
    .option('--from-file <key=path>', 'a key and a file holding its value (binary is fine); repeatable', collect)
    .action(
      action(async (ctx, args, opts) => {
        const literals = parseInputs(opts.fromLiteral ?? [], '--from-literal');
        const files = parseInputs(opts.fromFile ?? [], '--from-file');
        if (!Object.keys(literals).length && !Object.keys(files).length) throw new UsageError('give at least one --from-literal key=value or --from-file key=path');
        const both = Object.keys(files).find((k) => k in literals);
        if (both) throw new UsageError(`key "${both}" is given by --from-literal and --from-file`);
        const data: Record<string, string> = {};
        for (const [key, path] of Object.entries(files)) {
          try {
            data[key] = readFileSync(path).toString('base64');
          } catch (e) {
            throw new CtlError(`--from-file ${key}=${path}: ${(e as Error).message}`);
          }
        }
        const body = { apiVersion: 'orloj.dev/v1', kind: 'Secret', metadata: { name: args[0] }, spec: { ...(Object.keys(data).length ? { data } : {}), ...(Object.keys(literals).length ? { stringData: literals } : {}) } };
        ctx.io.out(`${await applyObject(ctx, kindOf('secrets'), body, ctx.namespace)}\n`);
      }),
    );
  create
    .command('token')
    .description('create a named API token (admin); it is shown once')
    .argument('<name>', 'name of the token')
    .requiredOption('--role <role>', `role of the token: ${ROLES.join(', ')}`)
    .action(
      action(async (ctx, args, opts) => {
        const role = String(opts.role).trim().toLowerCase();
        if (!ROLES.includes(role)) throw new UsageError(`--role ${opts.role}: use one of ${ROLES.join(', ')}`);
        const res = await ctx.client.call('POST', '/v1/tokens', { name: args[0], role });
        ctx.io.err(`tokens/${res.name ?? args[0]} created (role ${res.role ?? role}); copy the token now, it is not shown again\n`);
        ctx.io.out(`${res.token}\n`);
      }),
    );
};
