// Capability flags served at GET /v1/capabilities: each says whether a feature really works in
// this build. Later features flip their flag here when they land; tool types follow the runtime.
import { SUPPORTED_TOOL_TYPES } from './runtime/tools';
export interface Capability {
  id: string;
  enabled: boolean;
  description: string;
  source: 'oss';
}

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
  ['runtime.models.openai', 'Model providers openai and openai-compatible', true],
  ['runtime.models.azure_openai', 'Model provider azure-openai', true],
  ['runtime.models.anthropic', 'Model provider anthropic', true],
  ['runtime.models.ollama', 'Model provider ollama', true],
  ['runtime.models.mock', 'Offline, deterministic mock model provider', true],
  ...(['http', 'external', 'webhook-callback', 'mcp', 'cli', 'wasm', 'grpc'] as const).map((type): [string, string, boolean] => {
    const on = (SUPPORTED_TOOL_TYPES as readonly string[]).includes(type);
    return [`runtime.tools.${type.replace(/-/g, '_')}`, `Tool type ${type}${on ? '' : ' (calls answer tool_unsupported in this build)'}`, on];
  }),
  ['runtime.tools.isolation', 'Tool isolation sandboxed, container, kubernetes (calls answer isolation_unavailable)', false],
  ['core.governance.agent_roles', 'Agent roles, tool permissions and policies enforced at run time', false],
  ['core.ui.baseline', 'Built-in web UI', false],
];

export function capabilities(): Capability[] {
  return CATALOG.map(([id, description, enabled]) => ({ id, enabled, description, source: 'oss' }));
}
