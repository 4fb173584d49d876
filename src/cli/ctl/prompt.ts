// Reading a line from the terminal (echoed, for a username) or a secret (not echoed, for a
// password), or the first line of standard input (--password-stdin).
import { CtlError } from './errors';
import type { Io } from './context';

function readTerminal(question: string, echo: boolean): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new CtlError(`no terminal to ask for ${question.replace(/:\s*$/, '').toLowerCase()} on: use --password-stdin (and --username)`);
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CtlError('cancelled', 130));
        if (ch === '\u007f' || ch === '\b') {
          if (value) {
            value = value.slice(0, -1);
            if (echo) process.stderr.write('\b \b');
          }
          continue;
        }
        value += ch;
        if (echo) process.stderr.write(ch);
      }
    };
    stdin.on('data', onData);
  });
}

export const askLine = (question: string) => readTerminal(question, true);
export const askSecret = (question: string) => readTerminal(question, false);

/** The first line of standard input, without its line end. */
export async function firstLineOfStdin(io: Io, what: string): Promise<string> {
  const line = (await io.stdin()).split(/\r?\n/)[0];
  if (!line) throw new CtlError(`${what}: standard input is empty`);
  return line;
}
