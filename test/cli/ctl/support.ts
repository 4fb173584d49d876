// Runs client verbs in-process against a server, capturing stdout, stderr and the exit code.
import { runCtl } from '../../../src/cli/ctl/program';

export interface CtlRun {
  code: number;
  out: string;
  err: string;
}

export async function ctl(argv: string[], env: Record<string, string | undefined> = {}, opts: { stdin?: string; tty?: boolean } = {}): Promise<CtlRun> {
  let out = '';
  let err = '';
  const code = await runCtl(argv, { ORRERY_CONFIG: '/nonexistent/orrery-test-config.json', ...env }, {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    tty: opts.tty ?? false,
    stdin: async () => opts.stdin ?? '',
  });
  return { code, out, err };
}
