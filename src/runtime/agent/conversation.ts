// The conversation the loop sends: the system prompt, one user message rendering the input map
// readably (task input, upstream message, join/delegation payloads, review feedback), and the
// assistant / tool / correction messages added as the run goes.
import type { ChatMessage, ToolCall } from '../models';

/** Tool output beyond this many bytes is cut before it goes back to the model. */
export const MAX_TOOL_OUTPUT_BYTES = 64 * 1024;
const TRUNCATED = '[output truncated]';

/** Keys that carry routing plumbing or are rendered in their own section, not as task input. */
const RESERVED_PREFIXES = ['inbox.', 'review.', 'join.', 'delegation.'];
const RESERVED_KEYS = new Set(['previous_agent', 'previous_agent_last_event']);

function valueLines(key: string, value: string): string {
  if (!value.includes('\n')) return `${key}: ${value}`;
  return `${key}:\n${value.split('\n').map((l) => `  ${l}`).join('\n')}`;
}

/**
 * "a:one | b:two" → [[a, one], [b, two]]. Payloads may themselves contain " | ", so entries are
 * split only where the next entry starts with a known source name.
 */
export function splitPayloads(payloads: string, sources: string[]): Array<[string, string]> {
  const names = sources.filter(Boolean).sort((a, b) => b.length - a.length);
  if (!names.length) return [];
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const entries = payloads.split(new RegExp(` \\| (?=(?:${escaped}):)`));
  const out: Array<[string, string]> = [];
  for (const entry of entries) {
    const name = names.find((n) => entry.startsWith(`${n}:`));
    if (!name) return [];
    out.push([name, entry.slice(name.length + 1)]);
  }
  return out;
}

function gatheredSection(title: string, input: Record<string, string>, prefix: string): string {
  const mode = input[`${prefix}.mode`];
  const received = input[`${prefix}.received`];
  const required = input[`${prefix}.required`];
  const sources = (input[`${prefix}.sources`] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const facts = [mode, received && required ? `${received} of ${required} received` : ''].filter(Boolean).join(', ');
  const header = `## ${title}${sources.length ? ` from ${sources.join(', ')}` : ''}${facts ? ` (${facts})` : ''}`;
  const payloads = input[`${prefix}.payloads`] ?? '';
  const entries = splitPayloads(payloads, sources);
  if (!entries.length) return payloads ? `${header}\n${payloads}` : header;
  return [header, ...entries.map(([name, text]) => `### From ${name}\n${text}`)].join('\n\n');
}

function reviewSection(input: Record<string, string>): string | undefined {
  const feedback = input['review.feedback'];
  const previous = input['review.previous_output'];
  if (!feedback && !previous) return undefined;
  const by = input['review.requested_by'];
  const cycle = input['review.cycle'];
  const facts = [cycle ? `cycle ${cycle}` : '', by ? `from ${by}` : ''].filter(Boolean).join(', ');
  const parts = [`## Changes requested by a reviewer${facts ? ` (${facts})` : ''}`];
  if (feedback) parts.push(feedback);
  if (previous) parts.push(`### Your previous output\n${previous}`);
  return parts.join('\n\n');
}

/** The one user message that opens the conversation. */
export function renderInput(input: Record<string, string>): string {
  const sections: string[] = [];
  const taskKeys = Object.keys(input)
    .filter((k) => !RESERVED_KEYS.has(k) && !RESERVED_PREFIXES.some((p) => k.startsWith(p)) && input[k] !== '')
    .sort();
  if (taskKeys.length) sections.push(['## Task input', ...taskKeys.map((k) => valueLines(k, input[k]))].join('\n'));

  const joined = input['inbox.join.enabled'] === 'true';
  const delegated = input['inbox.delegation.enabled'] === 'true';
  // A fired gate's payloads already hold the triggering message, so it is not repeated; nor is a
  // kickoff that only restates the task input shown above.
  const content = input['inbox.content'] ?? '';
  const kickoffRepeat =
    input['inbox.from'] === 'system' && (content === input.topic || content.split('\n').every((line) => taskKeys.some((k) => line === `${k}: ${input[k]}`)));
  if (!joined && !delegated && input['inbox.content'] && !kickoffRepeat) {
    const from = input['inbox.from'] || input.previous_agent;
    sections.push(`## Message from ${from || 'the previous step'}\n${input['inbox.content']}`);
  }
  if (joined) sections.push(gatheredSection('Joined results', input, 'inbox.join'));
  if (delegated) sections.push(gatheredSection('Delegation results', input, 'inbox.delegation'));
  const review = reviewSection(input);
  if (review) sections.push(review);
  return sections.length ? sections.join('\n\n') : 'No input was given. Follow your instructions.';
}

export function openingMessages(prompt: string, input: Record<string, string>): ChatMessage[] {
  return [...(prompt ? [{ role: 'system' as const, content: prompt }] : []), { role: 'user', content: renderInput(input) }];
}

export function assistantMessage(text: string, calls: ToolCall[]): ChatMessage {
  return calls.length ? { role: 'assistant', content: text, tool_calls: calls } : { role: 'assistant', content: text };
}

/** Cuts text to at most `max` UTF-8 bytes without splitting a character, marking the cut. */
export function truncateOutput(text: string, max = MAX_TOOL_OUTPUT_BYTES): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= max) return text;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return `${new TextDecoder().decode(bytes.subarray(0, end))}\n${TRUNCATED}`;
}

export function toolResultMessage(call: ToolCall, text: string): ChatMessage {
  return { role: 'tool', tool_call_id: call.id, name: call.name, content: `<tool_result>${truncateOutput(text)}</tool_result>` };
}

export function toolErrorMessage(call: ToolCall, text: string): ChatMessage {
  return { role: 'tool', tool_call_id: call.id, name: call.name, content: `<tool_error>${truncateOutput(text)}</tool_error>` };
}

export function schemaCorrection(problems: string[]): ChatMessage {
  return {
    role: 'user',
    content: [
      'Your answer does not match the required output schema:',
      ...problems.map((p) => `- ${p}`),
      'Reply again with only a JSON value that matches the schema.',
    ].join('\n'),
  };
}

export function contractReminder(remaining: string[], missingMarkers: string[]): ChatMessage {
  const lines: string[] = [];
  if (remaining.length) lines.push(`You have not finished the required tool sequence. Call ${remaining[0]} next (remaining, in order: ${remaining.join(', ')}).`);
  if (missingMarkers.length) lines.push(`Your final answer must contain: ${missingMarkers.join(', ')}.`);
  return { role: 'user', content: lines.join('\n') };
}
