// Capability flags served at GET /v1/capabilities: each says whether a feature really works in
// this build. Later features flip their flag here when they land.
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
  ['core.runtime.sequential', 'Tasks run agent pipelines', false],
  ['core.runtime.message_driven', 'Durable message-driven agent graph execution', false],
  ['core.governance.agent_roles', 'Agent roles, tool permissions and policies enforced at run time', false],
  ['core.ui.baseline', 'Built-in web UI', false],
];

export function capabilities(): Capability[] {
  return CATALOG.map(([id, description, enabled]) => ({ id, enabled, description, source: 'oss' }));
}
