// Capability flags served at GET /v1/capabilities: each says whether a feature really works in
// this build. Later features flip their flag here when they land; tool types follow the runtime.
import { SUPPORTED_TOOL_TYPES } from './runtime/tools';
export interface Capability {
  id: string;
  enabled: boolean;
  description: string;
  source: 'oss';
}

/** Kinds the API stores and validates whose behaviour this build does not run yet. */
const notRun = (what: string, effect: string) => `${what}: stored and validated, but not yet run by this build (${effect})`;

const TOOL_TYPES = ['http', 'external', 'webhook-callback', 'mcp', 'cli', 'wasm', 'grpc'] as const;

const CATALOG: [id: string, description: string, enabled: boolean][] = [
  ['core.api.crud', 'Create, apply, read, list, replace and delete every orloj.dev/v1 kind', true],
  ['core.self_host', 'Single executable with an embedded SQLite store; no external services', true],
  ['core.api.yaml', 'Manifests accepted as JSON or YAML', true],
  ['core.api.openapi', 'OpenAPI document at /swagger/json and Swagger UI at /swagger', true],
  ['core.secrets.encryption_at_rest', 'Secret values encrypted with AES-256-GCM in the store', true],
  ['core.api.watch', 'Server-sent event watches and the event stream, with exact resume', true],
  ['core.auth.native', 'Native users, sessions, roles and API tokens', true],
  ['core.secrets.sealed', 'SealedSecrets unsealed into Secrets by a controller', true],
  ['core.runtime.sequential', 'Tasks run agent pipelines (by the one message-driven engine)', true],
  ['core.runtime.message_driven', 'Durable message-driven agent graph execution: fan-out, joins, loops, conditions, delegation', true],
  ['core.runtime.cancel', 'POST /v1/tasks/{name}/cancel stops a task and aborts its in-flight calls', true],
  ['core.governance.agent_policies', 'AgentPolicy allowed models, blocked tools and token budgets enforced at run time', true],
  [
    'core.governance.agent_roles',
    'Every tool call authorized against the agent\'s AgentRoles and the namespace\'s ToolPermissions: denied calls fail the task; approval_required pauses it for a ToolApproval',
    true,
  ],
  [
    'core.governance.approvals',
    'Human approvals pause a task and resume or end it: a ToolApproval for an approval_required tool call, a TaskApproval at a review checkpoint (node review or completion_review) with approve, deny, request-changes (the agent runs again with the feedback) and expiry',
    true,
  ],
  ['runtime.models.openai', 'Model providers openai and openai-compatible', true],
  ['runtime.models.azure_openai', 'Model provider azure-openai', true],
  ['runtime.models.anthropic', 'Model provider anthropic', true],
  ['runtime.models.ollama', 'Model provider ollama', true],
  ['runtime.models.mock', 'Offline, deterministic mock model provider', true],
  ...TOOL_TYPES.map((type): [string, string, boolean] => {
    const on = (SUPPORTED_TOOL_TYPES as readonly string[]).includes(type);
    return [`runtime.tools.${type.replace(/-/g, '_')}`, on ? `Tool type ${type}` : notRun(`Tool type ${type}`, 'calls answer tool_unsupported'), on];
  }),
  ['runtime.tools.isolation', 'Tool isolation sandboxed, container, kubernetes: no sandbox backend, calls answer isolation_unavailable (wasm tools run in their own WebAssembly sandbox)', false],
  [
    'core.runtime.task_schedules',
    'TaskSchedules create run tasks at each cron slot in their IANA time zone (DST-safe), with suspend, starting deadlines, forbid/allow/replace concurrency, history limits, a leader lease so one process fires, and POST /v1/task-schedules/{name}/trigger',
    true,
  ],
  [
    'core.runtime.task_webhooks',
    'TaskWebhooks accept signed deliveries at POST /v1/webhook-deliveries/{endpoint_id} (public; profiles generic, github, hmac for Stripe- and Slack-style signatures, shared_token) and create exactly one run task per event id within the dedupe window, durable across restarts; per-endpoint rate limit, 1 MiB bodies',
    true,
  ],
  [
    'core.runtime.memory',
    'Memory resources run: provider sqlite (the default; entries in the server\'s database shared with workers, FTS5 keyword search, hybrid ranking with an embedding_model), in-memory and http (the adapter protocol); pgvector is refused with phase Error. Entries at GET/PUT/DELETE /v1/memories/{name}/entries; a controller reports Ready or Error and deletes a deleted Memory\'s entries',
    true,
  ],
  [
    'core.runtime.mcp_servers',
    'McpServers over stdio (a local process; --mcp-command-allow) or streamable HTTP (bearer or API-key auth, egress rule with allowPrivate): the server discovers their tools as generated Tools <server>--<tool> (tool_filter.include, re-synced on tools/list_changed) and every worker calls them through one session per server per process, with reconnect and idle_timeout; container images (spec.image) are refused',
    true,
  ],
  ['core.ui.baseline', 'Built-in web console at /ui: tasks, graphs, approvals, resources, workers and events, live', true],
];

export function capabilities(): Capability[] {
  return CATALOG.map(([id, description, enabled]) => ({ id, enabled, description, source: 'oss' }));
}
