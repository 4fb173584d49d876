// Example manifests for the OpenAPI document: the first YAML document of each
// examples/resources/<kind>.yaml, imported as text so the executable carries them.
import { parseAllDocuments } from 'yaml';
import agent from '../../examples/resources/agent.yaml' with { type: 'text' };
import agentSystem from '../../examples/resources/agent-system.yaml' with { type: 'text' };
import modelEndpoint from '../../examples/resources/model-endpoint.yaml' with { type: 'text' };
import tool from '../../examples/resources/tool.yaml' with { type: 'text' };
import secret from '../../examples/resources/secret.yaml' with { type: 'text' };
import sealedSecret from '../../examples/resources/sealed-secret.yaml' with { type: 'text' };
import memory from '../../examples/resources/memory.yaml' with { type: 'text' };
import mcpServer from '../../examples/resources/mcp-server.yaml' with { type: 'text' };
import agentPolicy from '../../examples/resources/agent-policy.yaml' with { type: 'text' };
import agentRole from '../../examples/resources/agent-role.yaml' with { type: 'text' };
import toolPermission from '../../examples/resources/tool-permission.yaml' with { type: 'text' };
import toolApproval from '../../examples/resources/tool-approval.yaml' with { type: 'text' };
import taskApproval from '../../examples/resources/task-approval.yaml' with { type: 'text' };
import task from '../../examples/resources/task.yaml' with { type: 'text' };
import taskSchedule from '../../examples/resources/task-schedule.yaml' with { type: 'text' };
import taskWebhook from '../../examples/resources/task-webhook.yaml' with { type: 'text' };
import worker from '../../examples/resources/worker.yaml' with { type: 'text' };

import type { BodyExample } from './openapi';

const SOURCES: Record<string, string> = { Agent: agent, AgentSystem: agentSystem, ModelEndpoint: modelEndpoint, Tool: tool, Secret: secret, SealedSecret: sealedSecret, Memory: memory, McpServer: mcpServer, AgentPolicy: agentPolicy, AgentRole: agentRole, ToolPermission: toolPermission, ToolApproval: toolApproval, TaskApproval: taskApproval, Task: task, TaskSchedule: taskSchedule, TaskWebhook: taskWebhook, Worker: worker };

/** The first non-empty document, parsed and as written (comments included), without what follows. */
function firstDocument(kind: string, text: string): BodyExample {
  const docs = parseAllDocuments(text);
  const i = docs.findIndex((d) => d.contents !== null);
  const doc = docs[i];
  if (!doc || doc.errors.length) throw new Error(`the ${kind} example in examples/resources is not valid YAML`);
  const start = i > 0 ? docs[i - 1].range[2] : 0;
  return { object: doc.toJS() as Record<string, unknown>, yaml: text.slice(start, doc.range[2]) };
}

/** Kind name → its example. */
export const kindExamples: Record<string, BodyExample> = Object.fromEntries(Object.entries(SOURCES).map(([kind, text]) => [kind, firstDocument(kind, text)]));
