// `orrery seal`: turns a Secret manifest or --from-literal pairs into a SealedSecret manifest
// sealed to a server's public key. Talks to the server over HTTP only; never prints plaintext.
import { readFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { nameProblems } from '../registry/names';
import { sealValue } from '../sealing/crypto';
import { literalsInput, manifestInput, UsageError, type SealInput } from './seal-input';
import { fetchKey, keyFromPem, ServerError, type SealingKey } from './seal-key';

export const SEAL_HELP = `Usage:
  orrery seal --server URL [--namespace NS] --name NAME --from-literal key=value [--from-literal …]
  orrery seal --server URL -f secret.yaml [--name NAME] [--namespace NS]

Writes a SealedSecret manifest to stdout. Only the server holding the private key can unseal it.

Flags:
  --server URL          server to fetch the public key from (env ORLOJ_SERVER)
  --cert FILE           read the public key (PEM) from a file instead of the server
  --token TOKEN         bearer token for the server (env ORLOJ_API_TOKEN)
  -f, --filename FILE   a Secret manifest (YAML or JSON) with data and/or stringData; "-" is stdin
  --from-literal k=v    a plain-text value (repeatable); cannot be combined with -f
  --name NAME           name of the Secret (default: metadata.name of the file)
  -n, --namespace NS    namespace (default: metadata.namespace of the file, else "default")
  -o, --output FORMAT   yaml (default) or json
`;

export interface SealIo {
  out(text: string): void;
  err(text: string): void;
  stdin(): Promise<string>;
}

const processIo: SealIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  stdin: () => Bun.stdin.text(),
};

interface SealArgs {
  server?: string;
  cert?: string;
  token?: string;
  file?: string;
  literals: string[];
  name?: string;
  namespace?: string;
  output: 'yaml' | 'json';
  help: boolean;
}

const VALUE_FLAGS: Record<string, keyof SealArgs> = {
  '--server': 'server',
  '--cert': 'cert',
  '--token': 'token',
  '-f': 'file',
  '--filename': 'file',
  '--file': 'file',
  '--from-literal': 'literals',
  '--name': 'name',
  '-n': 'namespace',
  '--namespace': 'namespace',
  '-o': 'output',
  '--output': 'output',
};

export function parseSealArgs(args: string[], env: Record<string, string | undefined>): SealArgs {
  const out: SealArgs = { literals: [], output: 'yaml', help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const field = VALUE_FLAGS[flag];
    if (!field) throw new UsageError(arg.startsWith('-') ? `unknown flag ${flag}` : `unexpected argument "${arg}"`);
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i];
    else throw new UsageError(`flag ${flag} needs a value`);
    if (field === 'literals') out.literals.push(value);
    else if (field === 'output') {
      if (value !== 'yaml' && value !== 'json') throw new UsageError(`-o must be yaml or json, got "${value}"`);
      out.output = value;
    } else (out as any)[field] = value;
  }
  out.server ??= env.ORLOJ_SERVER?.trim() || undefined;
  out.token ??= env.ORLOJ_API_TOKEN?.trim() || undefined;
  return out;
}

export async function sealCommand(args: string[], env: Record<string, string | undefined>, io: SealIo = processIo): Promise<number> {
  try {
    const opts = parseSealArgs(args, env);
    if (opts.help) {
      io.out(SEAL_HELP);
      return 0;
    }
    const input = await readInput(opts, io);
    const name = (opts.name ?? input.name)?.trim();
    const namespace = (opts.namespace ?? input.namespace ?? 'default').trim();
    const problems = [...nameProblems(name, 'name'), ...nameProblems(namespace, 'namespace', true)];
    if (problems.length) throw new UsageError(problems.map((p) => `${p.field} ${p.message}`).join('; ') + (name ? '' : ' (pass --name)'));
    if (!Object.keys(input.data).length) throw new UsageError('nothing to seal: give --from-literal key=value or a Secret manifest with data or stringData');
    const key = await resolveKey(opts);
    io.out(render(sealedManifest(key, name!, namespace, input), opts.output));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`orrery seal: ${e.message}\n\n${SEAL_HELP}`);
      return 2;
    }
    if (e instanceof ServerError) {
      io.err(`orrery seal: ${e.message}\n`);
      return 1;
    }
    // Unexpected (e.g. a key too small for OAEP): crypto messages never contain input values.
    io.err(`orrery seal: failed: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

async function readInput(opts: SealArgs, io: SealIo): Promise<SealInput> {
  if (opts.file !== undefined && opts.literals.length) throw new UsageError('use either -f or --from-literal, not both');
  if (opts.file !== undefined) {
    const source = opts.file === '-' ? 'stdin' : opts.file;
    let text: string;
    try {
      text = opts.file === '-' ? await io.stdin() : await readFile(opts.file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return manifestInput(text, source);
  }
  if (!opts.literals.length) throw new UsageError('give --from-literal key=value or -f secret.yaml');
  return literalsInput(opts.literals);
}

async function resolveKey(opts: SealArgs): Promise<SealingKey> {
  if (opts.cert !== undefined) {
    let pem: string;
    try {
      pem = await readFile(opts.cert, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --cert ${opts.cert}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return keyFromPem(pem, opts.cert);
  }
  if (!opts.server) throw new UsageError('--server URL (or ORLOJ_SERVER) or --cert FILE is required');
  return fetchKey(opts.server, opts.token);
}

export function sealedManifest(key: SealingKey, name: string, namespace: string, input: SealInput) {
  const encryptedData: Record<string, ReturnType<typeof sealValue>> = {};
  for (const k of Object.keys(input.data).sort()) {
    encryptedData[k] = sealValue(key.publicKeyPEM, key.keyId, namespace, name, k, input.data[k]);
  }
  const template: Record<string, Record<string, string>> = {};
  if (input.labels) template.labels = input.labels;
  if (input.annotations) template.annotations = input.annotations;
  return {
    apiVersion: 'orloj.dev/v1',
    kind: 'SealedSecret',
    metadata: { name, namespace },
    spec: { encryptedData, ...(Object.keys(template).length ? { template } : {}) },
  };
}

function render(manifest: object, output: 'yaml' | 'json'): string {
  // Long base64 lines stay on one line, so the manifest diffs cleanly in git.
  return output === 'json' ? JSON.stringify(manifest, null, 2) + '\n' : stringify(manifest, { lineWidth: 0 });
}
