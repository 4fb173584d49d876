// GET /v1/capabilities says exactly what this build runs: the enabled list is pinned, and what the
// API only stores and validates is listed as disabled, saying so.
import { expect, test } from 'bun:test';
import { testApp } from '../support/app';

const ENABLED = [
  'core.api.crud',
  'core.self_host',
  'core.api.yaml',
  'core.api.openapi',
  'core.secrets.encryption_at_rest',
  'core.api.watch',
  'core.auth.native',
  'core.secrets.sealed',
  'core.runtime.sequential',
  'core.runtime.message_driven',
  'core.runtime.cancel',
  'core.governance.agent_policies',
  'core.governance.agent_roles',
  'core.governance.approvals',
  'runtime.models.openai',
  'runtime.models.azure_openai',
  'runtime.models.anthropic',
  'runtime.models.ollama',
  'runtime.models.mock',
  'runtime.tools.http',
  'runtime.tools.external',
  'runtime.tools.webhook_callback',
  'runtime.tools.mcp',
  'runtime.tools.cli',
  'runtime.tools.wasm',
  'core.runtime.task_schedules',
  'core.runtime.task_webhooks',
  'core.runtime.memory',
  'core.runtime.mcp_servers',
  'core.ui.baseline',
];

/** Stored and validated through the API, not yet run: none left. */
const STORED_NOT_RUN: string[] = [];

async function capabilities() {
  const r = await testApp().call('GET', '/v1/capabilities');
  expect(r.status).toBe(200);
  return r.json as { generated_at: string; capabilities: { id: string; enabled: boolean; description: string; source: string }[] };
}

test('exactly the features that run are enabled', async () => {
  const body = await capabilities();
  expect(body.capabilities.filter((c) => c.enabled).map((c) => c.id)).toEqual(ENABLED);
  expect(Number.isNaN(Date.parse(body.generated_at))).toBe(false);
});

test('what is stored and validated but not run is listed as disabled and says so', async () => {
  const byId = new Map((await capabilities()).capabilities.map((c) => [c.id, c]));
  for (const id of STORED_NOT_RUN) {
    const c = byId.get(id);
    expect(c, id).toBeDefined();
    expect(c!.enabled, id).toBe(false);
    expect(c!.description, id).toContain('stored and validated, but not yet run');
  }
  expect(byId.get('core.ui.baseline')).toEqual({ id: 'core.ui.baseline', enabled: true, description: 'Built-in web console at /ui: tasks, graphs, approvals, resources, workers and events, live', source: 'oss' });
  expect(byId.get('runtime.tools.isolation')?.enabled).toBe(false);
  expect(byId.get('runtime.tools.grpc')?.enabled).toBe(false);
});

test('ids are unique and every entry has a description and the oss source', async () => {
  const caps = (await capabilities()).capabilities;
  expect(new Set(caps.map((c) => c.id)).size).toBe(caps.length);
  for (const c of caps) {
    expect(c.description.length, c.id).toBeGreaterThan(10);
    expect(c.source).toBe('oss');
  }
});
