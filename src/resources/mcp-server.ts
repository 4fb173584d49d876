// McpServer: a Model Context Protocol server (stdio process or container, or streamable HTTP) whose
// tools the controller discovers and turns into Tool resources. Writes need the admin role.
import { Type as t } from '@sinclair/typebox';
import { defineKind } from '../registry/kind';
import { child, dedupe, isObj, lower, positiveOr, setDefault, trim, trimFields, trimRequired } from '../registry/normalize';
import { defineFormat } from '../registry/validation';
import type { Cause } from '../errors';
import { Enum, StringList, statusSchema, strict, Int, INT32_MAX } from './common';
import { Duration, HttpUrl, Ref, SecretRef } from './formats';
import { trimOrDrop } from './task';
import { ContainerResources, ToolAuth, ToolRuntime, authCauses, normalizeAuth, normalizeResources, normalizeRuntimeShape } from './tool-parts';

const PHASES = ['Pending', 'Connecting', 'Ready', 'Error'] as const;
const ABSOLUTE_PATH = defineFormat('absolute-path', (v) => v.startsWith('/'), 'must be an absolute path');

const spec = strict({
  transport: Enum(['stdio', 'http'], 'stdio: a local process (or container with image); http: streamable HTTP endpoint.'),
  command: t.Optional(t.String({ description: 'Executable for stdio (or set image).' })),
  args: t.Optional(StringList('Arguments of the command.')),
  env: t.Optional(
    t.Array(
      strict({
        name: t.String({ minLength: 1 }),
        value: t.Optional(t.String()),
        secretRef: t.Optional(SecretRef('Secret supplying the value: name or namespace/name, optionally :key.')),
        mountPath: t.Optional(t.String({ format: ABSOLUTE_PATH, description: 'Mount the secret as a file at this absolute path (needs image).' })),
      }),
      { description: 'Environment of the server process.' },
    ),
  ),
  endpoint: t.Optional(HttpUrl('Server URL (required for http).')),
  image: t.Optional(t.String({ description: 'Run the stdio server in this container image.' })),
  image_pull_secret: t.Optional(Ref('Secret with registry credentials.')),
  idle_timeout: t.Optional(Duration('Stop an idle connection after this long; "0" (default) keeps it open.')),
  auth: t.Optional(ToolAuth),
  tool_filter: t.Optional(strict({ include: t.Optional(StringList('Tools to import; empty imports all.')) })),
  reconnect: t.Optional(
    strict({
      max_attempts: t.Optional(Int(1, INT32_MAX, 'Default 3.')),
      backoff: t.Optional(Duration('Default 2s.')),
    }),
  ),
  resources: t.Optional(ContainerResources),
  default_tool_runtime: t.Optional(ToolRuntime),
  allowPrivate: t.Optional(t.Boolean({ description: 'Allow private-network addresses for http under --egress-private=deny.' })),
});

export const mcpServer = defineKind({
  kind: 'McpServer',
  plural: 'mcp-servers',
  description: 'An MCP server whose tools are discovered and generated as Tool resources.',
  spec,
  status: statusSchema(PHASES, {
    discoveredTools: t.Optional(StringList('Tool names the server reported.')),
    generatedTools: t.Optional(StringList('Tool resources generated from them.')),
    lastSyncedAt: t.Optional(t.String({ description: 'RFC 3339 time of the last discovery.' })),
  }),
  phases: [...PHASES],
  writeRole: 'admin',
  normalize(s) {
    s.transport = lower(s.transport);
    trimRequired(s, 'transport');
    trimFields(s, ['command', 'image']);
    trimOrDrop(s, 'endpoint');
    trimOrDrop(s, 'image_pull_secret');
    for (const e of Array.isArray(s.env) ? s.env : []) {
      if (!isObj(e)) continue;
      trimFields(e, ['name', 'value']);
      trimOrDrop(e, 'secretRef');
      trimOrDrop(e, 'mountPath');
    }
    if (isObj(s.tool_filter) && s.tool_filter.include !== undefined) s.tool_filter.include = dedupe(s.tool_filter.include, true);
    s.idle_timeout = trim(s.idle_timeout);
    setDefault(s, 'idle_timeout', '0');
    const rc = child(s, 'reconnect');
    if (rc) {
      positiveOr(rc, 'max_attempts', 3);
      rc.backoff = trim(rc.backoff);
      setDefault(rc, 'backoff', '2s');
    }
    if (isObj(s.auth)) {
      normalizeAuth(s.auth);
      if (s.auth.profile === 'api_key_header') setDefault(s.auth, 'headerName', 'X-API-Key');
    }
    if (isObj(s.resources)) normalizeResources(s.resources);
    if (isObj(s.default_tool_runtime)) normalizeRuntimeShape(s.default_tool_runtime);
    return s;
  },
  validate(s) {
    const causes: Cause[] = [];
    if (s.transport === 'stdio' && !s.command && !s.image) {
      causes.push({ field: 'spec.command', message: 'is required for stdio transport (or set spec.image)' });
    }
    if (s.transport === 'http') {
      if (!s.endpoint) causes.push({ field: 'spec.endpoint', message: 'is required for http transport' });
      if (s.image) causes.push({ field: 'spec.image', message: 'is only supported for stdio transport' });
    }
    if (s.image_pull_secret && !s.image) causes.push({ field: 'spec.image', message: 'is required when spec.image_pull_secret is set' });
    (s.env ?? []).forEach((e: Record<string, any>, i: number) => {
      if (!e.mountPath) return;
      if (!s.image) causes.push({ field: `spec.env[${i}].mountPath`, message: 'requires spec.image' });
    });
    causes.push(...authCauses(s.auth, 'spec.auth', false));
    return causes;
  },
});
