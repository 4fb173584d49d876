// The Memory an agent run works with: its backend in this process, and the names of the memory
// tools it is granted (checked against AgentPolicy blocked_tools like the agent's own tools).
import { allowedOps } from '../agent/memory-tools';
import type { EngineDeps } from './deps';
import type { ResolvedAgent } from './resolve';
import type { AgentMemory, RunError } from './types';

/** The memory tool names spec.memory.allow grants, when the agent has a Memory. */
export function grantedMemoryTools(agent: ResolvedAgent): string[] {
  return agent.memory ? allowedOps(agent.spec).map((op) => `memory.${op}`) : [];
}

/**
 * The run's AgentMemory (undefined when the agent is granted no memory tools), or a non-retryable
 * validation error when this process cannot serve the Memory at all.
 */
export function agentMemory(deps: EngineDeps, agent: ResolvedAgent): { memory?: AgentMemory; error?: RunError } {
  const obj = agent.memory;
  if (!obj) return {};
  const ref = `${obj.metadata.namespace}/${obj.metadata.name}`;
  const backends = deps.memory;
  if (!backends) {
    const message = `agent ${agent.name}: spec.memory.ref ${agent.spec.memory.ref}: this process has no memory backends`;
    return { error: { code: 'validation', reason: 'memory_unavailable', retryable: false, message } };
  }
  return { memory: { ref, backend: () => backends.backendFor(obj) } };
}
