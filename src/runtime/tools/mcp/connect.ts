// Opens one MCP client connection for an McpServer spec: a stdio child process (command allow-list,
// environment from values and Secrets, nothing else inherited) or streamable HTTP (auth headers
// from a Secret, every request through the egress check). Container servers fail closed.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport as SdkTransport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { VERSION } from '../../../version';
import type { Logger } from '../../../log';
import { OAuth2TokenCache, bindAuth, pickValue, splitSecretRef } from '../auth';
import { ToolError } from '../contract';
import { checkEgress, type Lookup } from '../ssrf';
import type { SecretLookup } from '../types';
import { ProcessTransport } from './process';
import { hiddenError, hideSecrets, requestError } from './results';

/** The connect handshake (initialize) gets this long before the attempt counts as failed. */
export const CONNECT_TIMEOUT_MS = 30_000;
const END_SESSION_WAIT_MS = 2000;

export interface ConnectDeps {
  secrets: SecretLookup;
  egress: { denyPrivate?: boolean; lookup?: Lookup };
  /** --mcp-command-allow: empty allows any command. */
  commandAllow: string[];
  log: Logger;
  fetch: typeof fetch;
  tokens: OAuth2TokenCache;
  /** Aborted when the pool closes: a connect still in progress gives up. */
  stop: AbortSignal;
}

export interface Connection {
  client: Client;
  /** The stdio server's process id (its process group id too). */
  pid?: number;
  /** Credential values of this server (env Secrets, auth): scrubbed from results, errors and logs. */
  secrets: ReadonlySet<string>;
  close(): Promise<void>;
}

/** The server as a "namespace/name" label for messages and logs. */
export type ServerId = string;

/** A bare name matches a bare command; a path matches exactly (the cli tools' rule). */
export function commandAllowed(command: string, allow: string[]): boolean {
  return !allow.length || allow.includes(command);
}

async function childEnv(id: ServerId, spec: Record<string, any>, secrets: SecretLookup, seen: Set<string>): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  if (process.env.PATH) env.PATH = process.env.PATH;
  for (const [i, e] of (spec.env ?? []).entries()) {
    if (!e?.name) continue;
    if (e.secretRef) {
      const { ref, key } = splitSecretRef(e.secretRef);
      const data = await secrets(ref);
      const value = data ? pickValue(data, key) : undefined;
      if (value === undefined) {
        const what = data ? (key ? `has no key ${key}` : 'has no value') : 'was not found';
        throw new ToolError('secret_resolution_failed', `McpServer ${id}: spec.env[${i}] (${e.name}): secret ${ref} ${what}`);
      }
      env[e.name] = value;
      seen.add(value);
    } else env[e.name] = String(e.value ?? '');
  }
  return env;
}

function stdioTransport(id: ServerId, spec: Record<string, any>, env: Record<string, string>, deps: ConnectDeps, seen: Set<string>): ProcessTransport {
  const command = String(spec.command ?? '');
  return new ProcessTransport({
    command,
    args: (spec.args ?? []).map(String),
    env,
    onStderr: (line) => deps.log.info('mcp server stderr', { server: id, line: hideSecrets(line, seen) }),
  });
}

async function httpTransport(id: ServerId, spec: Record<string, any>, deps: ConnectDeps, seen: Set<string>): Promise<StreamableHTTPClientTransport> {
  let url: URL;
  try {
    url = new URL(String(spec.endpoint ?? ''));
  } catch {
    throw new ToolError('runtime_policy_invalid', `McpServer ${id}: spec.endpoint ${JSON.stringify(spec.endpoint ?? '')} is not a valid URL`);
  }
  const auth = spec.auth ? { ...spec.auth, ...(spec.auth.profile === 'api_key_header' ? { headerName: spec.auth.headerName || 'X-API-Key' } : {}) } : undefined;
  const binding = await bindAuth(auth, deps.secrets, deps.tokens);
  for (const v of binding.secrets) seen.add(v);
  const egress = { ...deps.egress, allowPrivate: spec.allowPrivate === true };
  // Every request (the POSTs, the GET stream, the session DELETE) passes the egress rule first.
  const guarded = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const target = new URL(String(input));
    await checkEgress(target, egress);
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(await binding.headers())) headers.set(k, v);
    return deps.fetch(target, { ...init, headers });
  };
  return new StreamableHTTPClientTransport(url, { fetch: guarded });
}

/** Tells an HTTP server the session is over (DELETE), without waiting long for an answer. */
function endSession(transport: StreamableHTTPClientTransport): () => Promise<void> {
  return async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, END_SESSION_WAIT_MS)));
    await Promise.race([transport.terminateSession().catch(() => undefined), late]);
    clearTimeout(timer);
  };
}

/**
 * Starts the transport and runs the initialize handshake. Spec problems (container image, command
 * not allowed, missing Secret) are non-retryable; anything else is a retryable execution_failed.
 */
export async function connect(id: ServerId, spec: Record<string, any>, deps: ConnectDeps, onClose: () => void): Promise<Connection> {
  let transport: SdkTransport;
  let pid: () => number | undefined = () => undefined;
  const seen = new Set<string>();
  if (spec.transport === 'http') transport = await httpTransport(id, spec, deps, seen);
  else {
    if (spec.image) {
      throw new ToolError('isolation_unavailable', `McpServer ${id}: spec.image needs a container runtime, which this server does not have; run the server as a local command (spec.command) instead`, {
        details: { mcp_server: id },
      });
    }
    const command = String(spec.command ?? '');
    if (!command) throw new ToolError('runtime_policy_invalid', `McpServer ${id}: spec.command is required for stdio transport`);
    if (!commandAllowed(command, deps.commandAllow)) {
      throw new ToolError('runtime_policy_invalid', `McpServer ${id}: command ${JSON.stringify(command)} is not allowed by --mcp-command-allow`, {
        details: { mcp_server: id, command },
      });
    }
    const p = stdioTransport(id, spec, await childEnv(id, spec, deps.secrets, seen), deps, seen);
    pid = () => p.pid;
    transport = p;
  }
  const client = new Client({ name: 'orrery', version: VERSION }, { capabilities: {} });
  client.onclose = onClose;
  client.onerror = (e) => deps.log.debug('mcp transport error', { server: id, error: e.message });
  // Closing the transport fails the pending initialize at once (and kills a just-started process).
  const onStop = () => void transport.close().catch(() => undefined);
  deps.stop.addEventListener('abort', onStop, { once: true });
  try {
    if (deps.stop.aborted) throw deps.stop.reason;
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
  } catch (e) {
    await transport.close().catch(() => undefined);
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      // Trying again in two seconds will not make the executable appear: the spec needs fixing.
      throw new ToolError('execution_failed', `McpServer ${id}: cannot start ${JSON.stringify(spec.command)}: ${code === 'ENOENT' ? 'not found' : 'permission denied'} (${code})`, {
        retryable: false,
        details: { mcp_server: id, command: spec.command },
      });
    }
    throw hiddenError(requestError(id, 'initialize', e).error, seen);
  } finally {
    deps.stop.removeEventListener('abort', onStop);
  }
  const end = transport instanceof StreamableHTTPClientTransport ? endSession(transport) : async () => undefined;
  return {
    client,
    pid: pid(),
    secrets: seen,
    close: async () => {
      await end();
      await client.close();
    },
  };
}
