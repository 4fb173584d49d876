// Every resource kind the server knows, in the order of the API reference. Adding a kind means
// adding its file and one line here.
import type { KindDefinition } from '../registry/kind';
import { agent } from './agent';
import { agentSystem } from './agent-system';
import { modelEndpoint } from './model-endpoint';
import { tool } from './tool';
import { secret } from './secret';
import { sealedSecret } from './sealed-secret';
import { memory } from './memory';
import { mcpServer } from './mcp-server';
import { agentPolicy } from './agent-policy';
import { agentRole } from './agent-role';
import { toolPermission } from './tool-permission';
import { toolApproval } from './tool-approval';
import { taskApproval } from './task-approval';
import { task } from './task';
import { taskSchedule } from './task-schedule';
import { taskWebhook } from './task-webhook';
import { worker } from './worker';

export const kinds: KindDefinition[] = [
  agent,
  agentSystem,
  modelEndpoint,
  tool,
  secret,
  sealedSecret,
  memory,
  mcpServer,
  agentPolicy,
  agentRole,
  toolPermission,
  toolApproval,
  taskApproval,
  task,
  taskSchedule,
  taskWebhook,
  worker,
];
