// Subcommand dispatch for the single executable.
import { ApiError } from '../errors';
import { SERVE_FLAGS, serveConfig } from './config';
import { flagHelp } from './flags';
import { createLogger } from '../log';
import { KeyError } from '../store/secret-cipher';
import { startServer } from '../server';
import { VERSION } from '../version';
import { sealCommand } from './seal';
import { workerCommand } from './worker';
import { ctlVerbs, processIo, runCtl } from './ctl/program';

/** Words of `text` in lines of at most `width` characters, each indented by `indent` spaces. */
function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

export function helpText(): string {
  const flags = flagHelp(SERVE_FLAGS);
  return `orrery ${VERSION}: run multi-agent AI systems on one machine (orloj.dev/v1 API)

Usage:
  orrery [serve] [flags]   start the API server (the default command)
  orrery worker [flags]    run tasks from the servers' database (orrery worker --help)
  orrery seal [flags]      seal a Secret into a SealedSecret manifest (orrery seal --help)
  orrery migrate [flags]   apply pending schema migrations (orrery migrate --help)
  orrery export [flags]    write a database's objects and state as JSON Lines (orrery export --help)
  orrery import [flags]    load an export into an empty database (orrery import --help)
  orrery version           print the version
  orrery --help            show this help
  orrery <verb> [args]     a client verb against a running server (orrery <verb> --help):
${wrap([...ctlVerbs()].sort().join(', '), 27, 96)}

Serve flags:
${flags}

Environment:
  ORLOJ_SECRET_ENCRYPTION_KEY  64 hex chars or base64 of 32 bytes; default: a key file
                               generated in the data directory (required, and the same
                               for every process, with --database-url)
  ORLOJ_SECRET_<NAME>          API key of a model endpoint whose auth.secretRef NAME has no
                               Secret with a value
  ORLOJ_API_TOKEN              one bearer token with the admin role
  ORLOJ_API_TOKENS             several: comma-separated token:role or name:token:role entries;
                               roles admin, writer, controller, reader (default reader)
  ORLOJ_SETUP_TOKEN            with --auth-mode native: the first-admin setup call
                               (POST /v1/auth/setup) must present it as setup_token

Any bearer token turns authentication on, also with --auth-mode off.
`;
}

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (cmd === 'seal') return sealCommand(rest, env);
  if (cmd === 'worker') return workerCommand(rest, env);
  // Loaded on use: other commands start without the export and import code.
  if (cmd === 'migrate') return (await import('./migrate')).migrateCommand(rest, env);
  if (cmd === 'export') return (await import('./export')).exportCommand(rest, env);
  if (cmd === 'import') return (await import('./import')).importCommand(rest, env);
  if (cmd === 'version' || cmd === '--version') {
    process.stdout.write(`orrery ${VERSION}\n`);
    return 0;
  }
  if (cmd !== undefined && ctlVerbs().has(cmd)) return runCtl(argv, env, processIo());
  if (cmd === undefined || cmd === 'serve' || cmd.startsWith('--')) {
    return serve(cmd === 'serve' ? rest : argv, env);
  }
  process.stderr.write(`orrery: unknown command "${cmd}"\n\n${helpText()}`);
  return 2;
}

async function serve(args: string[], env: Record<string, string | undefined>): Promise<number> {
  let config;
  try {
    if (args.includes('--help') || args.includes('-h')) {
      process.stdout.write(helpText());
      return 0;
    }
    config = serveConfig(args, env);
  } catch (e) {
    process.stderr.write(`orrery: ${e instanceof ApiError ? e.message : String(e)}\nRun \`orrery --help\` for the flags and their environment variables.\n`);
    return 2;
  }
  const log = createLogger(config.logLevel);
  let server;
  try {
    server = await startServer(config, log);
  } catch (e) {
    log.error(e instanceof KeyError ? e.message : `cannot start: ${(e as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      log.info(`received ${sig}`);
      void server!.stop().then(resolve);
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
  return 0;
}
