// Tool: a capability agents call (http, mcp, cli, wasm, a2a, …) with its risk, runtime policy and
// auth; the parts it shares with McpServer live in tool-parts.ts.
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Spec } from '../registry/kind';
import { child, dedupe, isObj, lower, positiveOr, setDefault, trimFields } from '../registry/normalize';
import { defineFormat } from '../registry/validation';
import type { Cause } from '../errors';
import { Enum, StringList, StringMap, statusSchema, strict, Int, INT32_MAX } from './common';
import { HttpUrl, Ref, UrlOrHostPort } from './formats';
import { trimOrDrop } from './task';
import { ContainerResources, ToolAuth, ToolRuntime, authCauses, normalizeAuth, normalizeResources, normalizeRuntimeShape } from './tool-parts';

const PHASES = ['Pending', 'Ready', 'Error'] as const;
const TYPES = ['http', 'external', 'grpc', 'webhook-callback', 'mcp', 'wasm', 'cli', 'a2a'] as const;
const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export const OPERATION_CLASSES = ['read', 'write', 'delete', 'admin'] as const;
const WASM_DEFAULT_MEMORY = 64 * 1024 * 1024;
const WASM_DEFAULT_FUEL = 1_000_000;
// A 32-bit WebAssembly memory holds at most 65536 pages of 64 KiB.
const WASM_MAX_MEMORY = 4 * 1024 * 1024 * 1024;

const WASM_MODULE = defineFormat(
  'wasm-module',
  (v) => {
    const scheme = v.match(/^([a-z][a-z0-9+.-]*):\/\//i)?.[1]?.toLowerCase();
    return !scheme || scheme === 'https' || scheme === 'oci';
  },
  'must be a file path, an https:// URL or an oci:// reference',
);

const spec = strict({
  type: t.Optional(Enum(TYPES, 'Tool transport (default http).')),
  endpoint: t.Optional(UrlOrHostPort('URL or host:port the tool calls.')),
  description: t.Optional(t.String({ description: 'Shown to the model.' })),
  input_schema: t.Optional(t.Record(t.String(), t.Unknown(), { description: 'JSON Schema of the tool arguments.' })),
  mcp_server_ref: t.Optional(Ref('McpServer name (required for type mcp).')),
  mcp_tool_name: t.Optional(t.String({ description: 'Tool name on the MCP server (required for type mcp).' })),
  cli: t.Optional(
    strict({
      command: t.Optional(t.String({ description: 'Executable (required for type cli).' })),
      args: t.Optional(StringList('Argument templates, one argv entry each; no shell splitting.')),
      image: t.Optional(t.String({ description: 'Container image (required unless isolation_mode is none).' })),
      image_pull_secret: t.Optional(Ref('Secret with registry credentials.')),
      network: t.Optional(t.String({ description: 'Container network (default bridge).' })),
      stdin_from_input: t.Optional(t.Boolean({ description: 'Pipe the tool input to stdin.' })),
      output: t.Optional(Enum(['stdout', 'stderr', 'both'], 'What becomes the tool result (default stdout).')),
      working_dir: t.Optional(t.String()),
      env: t.Optional(StringMap('Plain environment variables.')),
      env_from: t.Optional(
        t.Array(
          strict({
            name: t.String({ minLength: 1, description: 'Environment variable name.' }),
            secretRef: Ref('Secret holding the value.', { minLength: 1 }),
            key: t.Optional(t.String({ description: 'Key inside the Secret.' })),
          }),
        ),
      ),
      resources: t.Optional(ContainerResources),
    }),
  ),
  wasm: t.Optional(
    strict({
      module: t.Optional(t.String({ format: WASM_MODULE, description: 'Module path, https:// URL or oci:// reference.' })),
      entrypoint: t.Optional(t.String({ description: 'Exported function (default run).' })),
      max_memory_bytes: t.Optional(Int(1, WASM_MAX_MEMORY, 'Memory cap in bytes, at most 4 GiB (default 64 MiB).')),
      fuel: t.Optional(Int(1, Number.MAX_SAFE_INTEGER, 'Instruction budget (default 1000000).')),
      enable_wasi: t.Optional(t.Boolean()),
      image_pull_secret: t.Optional(Ref('Secret with registry credentials (oci:// modules).')),
    }),
  ),
  a2a: t.Optional(
    strict({
      agent_url: t.Optional(HttpUrl('Remote A2A agent URL (required for type a2a).')),
      protocol_version: t.Optional(t.String()),
      prefer_streaming: t.Optional(t.Boolean()),
    }),
  ),
  capabilities: t.Optional(StringList('Capability tags, matched by permissions.')),
  operation_classes: t.Optional(t.Array(Enum(OPERATION_CLASSES), { description: 'Default: read for low/medium risk, write for high/critical.' })),
  risk_level: t.Optional(Enum(RISK_LEVELS, 'Default low.')),
  runtime: t.Optional(ToolRuntime),
  auth: t.Optional(ToolAuth),
});

/** A CLI tool without isolation runs processes on the host: writing one needs admin. */
export const toolNeedsAdmin = (s: Spec) => lower(s?.type) === 'cli' && lower(s?.runtime?.isolation_mode) === 'none';

function normalizeTypeBlocks(s: Spec): void {
  if (isObj(s.cli)) {
    trimFields(s.cli, ['command', 'image', 'working_dir', 'network']);
    trimOrDrop(s.cli, 'image_pull_secret');
    s.cli.output = lower(s.cli.output);
    if (Array.isArray(s.cli.env_from)) for (const ref of s.cli.env_from) if (isObj(ref)) trimFields(ref, ['name', 'secretRef', 'key']);
    if (isObj(s.cli.resources)) normalizeResources(s.cli.resources);
  }
  if (s.type === 'cli') {
    const cli = child(s, 'cli');
    if (cli) {
      setDefault(cli, 'output', 'stdout');
      setDefault(cli, 'network', 'bridge');
    }
  }
  if (isObj(s.wasm)) {
    trimFields(s.wasm, ['entrypoint']);
    trimOrDrop(s.wasm, 'module');
    trimOrDrop(s.wasm, 'image_pull_secret');
    // Without a wasm block the worker's --tool-wasm-* settings apply, so defaults go only into a block.
    if (s.type === 'wasm') {
      setDefault(s.wasm, 'entrypoint', 'run');
      positiveOr(s.wasm, 'max_memory_bytes', WASM_DEFAULT_MEMORY);
      positiveOr(s.wasm, 'fuel', WASM_DEFAULT_FUEL);
    }
  }
  if (isObj(s.a2a)) {
    trimFields(s.a2a, ['protocol_version']);
    trimOrDrop(s.a2a, 'agent_url');
  }
}

function typeCauses(s: Spec): Cause[] {
  const causes: Cause[] = [];
  const need = (ok: unknown, field: string, message: string) => {
    if (!ok) causes.push({ field, message });
  };
  if (s.type === 'mcp') {
    need(s.mcp_server_ref, 'spec.mcp_server_ref', 'is required when spec.type is mcp');
    need(s.mcp_tool_name, 'spec.mcp_tool_name', 'is required when spec.type is mcp');
  }
  if (s.type === 'cli') {
    need(s.cli?.command, 'spec.cli.command', 'is required when spec.type is cli');
    need(s.runtime?.isolation_mode === 'none' || s.cli?.image, 'spec.cli.image', 'is required when spec.type is cli and isolation_mode is not none');
    need(!s.auth?.profile && !s.auth?.secretRef, 'spec.auth', 'is not supported for cli tools; pass credentials with spec.cli.env_from');
  }
  need(!s.cli?.image_pull_secret || s.cli.image, 'spec.cli.image', 'is required when spec.cli.image_pull_secret is set');
  if (s.type === 'wasm' && s.wasm) need(s.wasm.module, 'spec.wasm.module', 'is required when spec.wasm is set');
  if (s.type === 'a2a') need(s.a2a?.agent_url, 'spec.a2a.agent_url', 'is required when spec.type is a2a');
  return causes;
}

export const tool = defineKind({
  kind: 'Tool',
  plural: 'tools',
  description: 'A capability agents can call: HTTP, MCP, CLI, WebAssembly or A2A, with risk level, runtime policy and auth.',
  spec,
  requiresAdmin: toolNeedsAdmin,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  normalize(s) {
    s.type = lower(s.type);
    setDefault(s, 'type', 'http');
    trimFields(s, ['mcp_tool_name']);
    trimOrDrop(s, 'endpoint');
    trimOrDrop(s, 'mcp_server_ref');
    if (s.capabilities !== undefined) s.capabilities = dedupe(s.capabilities);
    if (Array.isArray(s.operation_classes)) s.operation_classes = dedupe(s.operation_classes.map((o: unknown) => lower(o)));
    s.risk_level = lower(s.risk_level);
    setDefault(s, 'risk_level', 'low');
    const high = s.risk_level === 'high' || s.risk_level === 'critical';
    if (s.operation_classes === undefined || s.operation_classes === null || (Array.isArray(s.operation_classes) && !s.operation_classes.length)) {
      s.operation_classes = [high ? 'write' : 'read'];
    }
    normalizeTypeBlocks(s);
    const rt = child(s, 'runtime');
    if (rt) {
      normalizeRuntimeShape(rt);
      setDefault(rt, 'timeout', '30s');
      setDefault(rt, 'isolation_mode', s.type === 'cli' ? 'container' : high ? 'sandboxed' : 'none');
      const retry = child(rt, 'retry');
      if (retry) {
        positiveOr(retry, 'max_attempts', 1);
        setDefault(retry, 'backoff', '0s');
        setDefault(retry, 'max_backoff', '30s');
        setDefault(retry, 'jitter', 'none');
      }
    }
    if (isObj(s.auth)) normalizeAuth(s.auth);
    return s;
  },
  validate(s) {
    const causes = typeCauses(s);
    if (s.type !== 'cli') causes.push(...authCauses(s.auth, 'spec.auth'));
    return causes;
  },
});
