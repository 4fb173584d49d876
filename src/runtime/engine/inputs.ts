// The input map an agent run receives: the task input plus the inbox keys of the message it
// answers (and the gate keys when a join or delegation gate fired).
import type { TaskMessage } from './types';

/** What a kickoff message carries: the topic, or the whole input as `key: value` lines. */
export function kickoffContent(input: Record<string, string>, task: string, attempt: number): string {
  if (input.topic?.trim()) return input.topic;
  const lines = Object.entries(input).map(([k, v]) => `${k}: ${v}`);
  return lines.length ? lines.join('\n') : `task=${task} attempt=${attempt}`;
}

export function agentInputs(taskInput: Record<string, unknown>, m: TaskMessage, gate: Record<string, string> = {}): Record<string, string> {
  const input: Record<string, string> = {};
  for (const [k, v] of Object.entries(taskInput ?? {})) input[k] = typeof v === 'string' ? v : JSON.stringify(v);
  Object.assign(input, {
    'inbox.from': m.from_agent,
    'inbox.to': m.to_agent,
    'inbox.content': m.content,
    'inbox.message_id': m.message_id,
    'inbox.trace_id': m.trace_id,
    'inbox.branch_id': m.branch_id,
    ...(m.parent_branch_id ? { 'inbox.parent_branch_id': m.parent_branch_id } : {}),
    ...(m.from_agent !== 'system' ? { previous_agent: m.from_agent } : {}),
    ...gate,
  });
  return input;
}
