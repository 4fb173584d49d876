// Errors of the client verbs and how they end the process: a usage error exits 2, anything the
// server or the work refused exits 1, each cause of a Status on its own line with its field.

/** Wrong arguments: exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** The work failed (a refused request, a task that failed, a timeout): exit code 1 unless given. */
export class CtlError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly lines: string[] = [],
  ) {
    super(message);
  }
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

/** A non-2xx answer of the server, carrying its Status. */
export class ApiCallError extends CtlError {
  constructor(
    readonly status: number,
    readonly body: StatusBody | undefined,
    what: string,
  ) {
    const causes = (body?.details?.causes ?? []).map((c) => (c.field ? `  ${c.field}: ${c.message ?? c.reason ?? ''}` : `  ${c.message ?? c.reason ?? ''}`));
    super(`${what}: ${body?.message ?? `HTTP ${status}`}${body?.reason ? ` (${body.reason})` : ''}`, 1, causes);
  }
}

/** The text printed on stderr for an error, and the exit code. */
export function describeError(e: unknown): { text: string; exitCode: number } {
  if (e instanceof UsageError) return { text: `error: ${e.message}\nRun \`orrery <command> --help\` for usage.\n`, exitCode: 2 };
  if (e instanceof CtlError) return { text: [`error: ${e.message}`, ...e.lines].join('\n') + '\n', exitCode: e.exitCode };
  const err = e as { code?: string; message?: string };
  if (err?.code === 'ConnectionRefused' || /Unable to connect|ECONNREFUSED/i.test(err?.message ?? '')) {
    return { text: `error: cannot reach the server (${err.message}); start one with \`orrery serve\` or pass --server\n`, exitCode: 1 };
  }
  return { text: `error: ${err?.message ?? String(e)}\n`, exitCode: 1 };
}
