// Tool authorization through the engine: a denied tool call fails the task non-retryably without
// reaching the tool, a granted one runs once, and an ungoverned agent runs tools freely
// (approval_required verdicts pause the task: tool-approvals.test.ts).
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { agentSpec, recordingTool, worldPerTest, type ModelCall } from './harness';

const { world } = worldPerTest();

const toolServer = recordingTool('3 results');
const { received } = toolServer;
afterEach(() => {
  received.length = 0;
});
afterAll(async () => await toolServer.stop());

/** Calls `search` once, then answers with text. */
const callsSearchOnce = (call: ModelCall) => (call.body.messages.some((m: any) => m.role === 'tool') ? 'found it' : { toolCalls: [{ name: 'search', arguments: { q: 'leases' } }] });

async function setup(agentExtra: Record<string, unknown>) {
  const { h, model } = await world(callsSearchOnce, []);
  const apply = async (plural: string, name: string, spec: Record<string, unknown>) => await h.r.registry.apply(h.r.kind(plural), { metadata: { name }, spec }, {});
  await h.apply('Tool', 'search', { type: 'http', endpoint: `${toolServer.url}/search`, capabilities: ['web.read'] });
  await h.apply('Agent', 'a', agentSpec('a', 'fake', { tools: ['search'], ...agentExtra }));
  await h.apply('AgentSystem', 'solo', { agents: ['a'] });
  return { h, model, apply };
}

const rowsOf = (t: any, type: string) => (t.status.trace as any[]).filter((r) => r.type === type);

describe('tool authorization in the engine', () => {
  test('deny: the role grants capability:docs.write, the ToolPermission needs tool:search:invoke', async () => {
    const { h, model, apply } = await setup({ roles: ['docs-writer'] });
    await apply('agent-roles', 'docs-writer', { permissions: ['capability:docs.write'] });
    await apply('tool-permissions', 'search-invoke', { tool_ref: 'search', required_permissions: ['tool:search:invoke'] });
    await h.apply('Task', 't', { system: 'solo', message_retry: { max_attempts: 3 } });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(received).toEqual([]);
    expect(model.calls.length).toBe(1);
    expect(t.status!.messages[0].attempts).toBe(1);
    expect(t.status!.lastError).toContain(
      'permission_denied: tool permission denied: agent=a step=1 tool=search: tool=search rule=search-invoke missing=tool:search:invoke',
    );
    const [denied] = rowsOf(t, 'tool_permission_denied');
    expect(denied).toMatchObject({
      type: 'tool_permission_denied',
      agent: 'a',
      tool: 'search',
      step: 1,
      error_code: 'permission_denied',
      error_reason: 'tool_permission_denied',
      retryable: false,
      message: 'tool=search rule=search-invoke missing=tool:search:invoke',
    });
    expect(rowsOf(t, 'agent_message_non_retryable')[0]).toMatchObject({ error_code: 'permission_denied', error_reason: 'tool_permission_denied', retryable: false });
  });

  test('a role that does not exist denies every tool outside allowed_tools', async () => {
    const { h } = await setup({ roles: ['ghost'] });
    await h.apply('Task', 't', { system: 'solo' });
    const t = await h.settled('t');
    expect([t.status!.phase, received.length]).toEqual(['Failed', 0]);
    expect(rowsOf(t, 'tool_permission_denied')[0].message).toBe('tool=search missing_roles=ghost');
  });

  test('allow: with tool:search:invoke the tool is called once and the task succeeds', async () => {
    const { h, apply } = await setup({ roles: ['searcher'] });
    await apply('agent-roles', 'searcher', { permissions: ['tool:search:invoke'] });
    await apply('tool-permissions', 'search-invoke', { tool_ref: 'search', required_permissions: ['tool:search:invoke'] });
    await h.apply('Task', 't', { system: 'solo' });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(received.length).toBe(1);
    expect(rowsOf(t, 'tool_call').map((r) => [r.tool, r.message])).toEqual([['search', 'success']]);
    expect(rowsOf(t, 'tool_permission_denied')).toEqual([]);
  });

  test('opt-in: no roles and no ToolPermission, the tool runs', async () => {
    const { h } = await setup({});
    await h.apply('Task', 't', { system: 'solo' });
    const t = await h.settled('t');
    expect([t.status!.phase, received.length]).toEqual(['Succeeded', 1]);
  });
});
