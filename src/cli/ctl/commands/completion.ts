// `orrery completion bash|zsh|fish`: completion scripts built from this very program.
import { UsageError } from '../errors';
import { bashScript, completionModel, fishScript, zshScript } from '../completion';
import type { Register } from '../program';

export const registerCompletion: Register = (program, action) => {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .action(
      action((ctx, args) => {
        const model = completionModel(program);
        const scripts: Record<string, () => string> = { bash: () => bashScript(model), zsh: () => zshScript(model), fish: () => fishScript(model) };
        const make = scripts[args[0]];
        if (!make) throw new UsageError(`completion ${args[0]}: use bash, zsh or fish`);
        ctx.io.out(make());
      }),
    );
};
