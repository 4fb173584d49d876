// Bun macro: imported `with { type: 'macro' }`, it runs when the importing file is transpiled
// (`bun src/main.ts` and `bun build --compile` alike) and its result is inlined as string
// literals, so the web console's script and style travel inside the executable with no build step
// and no file beside it. Bun.build cannot run inside a macro (the bundler would wait on itself), so
// the macro runs `bun build` as a child process on src/console/main.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CONSOLE = join(import.meta.dir, '../console');

export function consoleBundle(): { js: string; css: string } {
  const built = Bun.spawnSync([process.execPath, 'build', join(CONSOLE, 'main.ts'), '--target=browser', '--format=esm', '--minify'], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (built.exitCode !== 0) throw new Error(`the web console did not build:\n${built.stderr.toString()}`);
  return { js: built.stdout.toString(), css: readFileSync(join(CONSOLE, 'console.css'), 'utf8') };
}
