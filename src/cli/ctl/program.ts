// The client verbs of the executable (`orrery get`, `orrery run`, …), parsed with commander: global
// flags, one module per group of verbs (commands/), and one place that turns errors into output
// and exit codes (0 done, 1 failed, 2 usage).
import { Command, CommanderError } from 'commander';
import { VERSION } from '../../version';
import { COMMANDS } from './commands';
import { createContext, type CtlContext, type GlobalOptions, type Io } from './context';
import { describeError } from './errors';

export type Action = (ctx: CtlContext, args: string[], opts: Record<string, any>, cmd: Command) => Promise<number | void> | number | void;

/** The registration of one group of verbs. */
export type Register = (program: Command, action: (fn: Action) => (...args: any[]) => Promise<void>) => void;

/** Repeatable option values (`--from-literal a=1 --from-literal b=2`). */
export { collect } from './options';

export function buildProgram(env: Record<string, string | undefined>, io: Io, exit: { code: number }): Command {
  const program = new Command('orrery')
    .description('orrery client: talk to an orrery (or Orloj) server over its HTTP API')
    .option('--server <url>', 'API server URL (ORLOJCTL_SERVER, ORLOJ_SERVER, the profile, http://127.0.0.1:8080)')
    .option('--api-token <token>', 'bearer token (ORLOJCTL_API_TOKEN, ORLOJ_API_TOKEN, the profile)')
    .option('-n, --namespace <ns>', 'namespace of the objects (default: the server\'s, "default")')
    .option('--profile <name>', 'profile of the config file to use (default: the current one)')
    .option('--no-color', 'no colours, also on a terminal (NO_COLOR does the same)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showSuggestionAfterError(true);

  const action =
    (fn: Action) =>
    async (...args: any[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.opts();
      const positional = args.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a : a === undefined ? [] : [a]));
      const ctx = createContext(cmd.optsWithGlobals() as GlobalOptions, env, io);
      const code = await fn(ctx, positional, opts, cmd);
      exit.code = typeof code === 'number' ? code : 0;
    };
  for (const register of COMMANDS) register(program, action);
  program.version(VERSION, '--version', 'print the version');
  return program;
}

/** Names of the client verbs (the dispatcher of the executable routes these here). */
export function ctlVerbs(): Set<string> {
  const program = buildProgram({}, { out: () => {}, err: () => {}, tty: false, stdin: async () => '' }, { code: 0 });
  return new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
}

export async function runCtl(argv: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  const exit = { code: 0 };
  const program = buildProgram(env, io, exit);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version were printed already; anything else commander refused is a usage error.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    const { text, exitCode } = describeError(e);
    io.err(text);
    return exitCode;
  }
}

/** The process's own terminal and streams. */
export function processIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    tty: Boolean(process.stdout.isTTY),
    stdin: async () => await Bun.stdin.text(),
  };
}
