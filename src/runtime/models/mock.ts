// Provider `mock`: offline and deterministic (same request → same reply), for the quickstart and
// tests. Tool selection follows the original's mock: keyword match first, else the first tool once;
// with an output schema the answer is the schema's minimal JSON instance.
import { minimalInstance } from './mock-json';
import type { ChatMessage, ModelProvider, ModelRequest, ProviderResult, ToolCall, ToolDefinition } from './types';

/** Checked in this order against the prompt + last user message and the offered tool names. */
const KEYWORDS = ['vector', 'search', 'web', 'db', 'echo'];

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const clip = (s: string, n: number) => {
  const t = oneLine(s);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

function lastOf(messages: ChatMessage[], role: ChatMessage['role']): ChatMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === role) return messages[i];
  return undefined;
}

function pickTool(request: ModelRequest, signal: string): ToolDefinition | undefined {
  const called = new Set(request.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.name)));
  const remaining = (request.tools ?? []).filter((t) => !called.has(t.name));
  for (const word of KEYWORDS) {
    if (!signal.includes(word)) continue;
    const hit = remaining.find((t) => t.name.toLowerCase().includes(word));
    if (hit) return hit;
  }
  // Without a keyword match, call the first tool once: only while no tool has answered yet.
  return request.messages.some((m) => m.role === 'tool') ? undefined : remaining[0];
}

/** A short, stable key for a text (FNV-1a 32): `mock-<8 hex digits>`. */
function mockKey(text: string): string {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return `mock-${h.toString(16).padStart(8, '0')}`;
}

/**
 * Arguments: every required string property (or `input`) gets the last user message, except a
 * property named `key` (memory.write, memory.read), which gets a short key derived from it.
 */
function mockArguments(tool: ToolDefinition, text: string): Record<string, unknown> {
  const props = (tool.parameters.properties ?? {}) as Record<string, { type?: unknown }>;
  const required = Array.isArray(tool.parameters.required) ? (tool.parameters.required as string[]) : [];
  const args: Record<string, unknown> = {};
  for (const key of required) {
    const type = props[key]?.type;
    if (type === undefined || type === 'string') args[key] = key === 'key' ? mockKey(text) : text;
  }
  return Object.keys(args).length ? args : { input: text };
}

export function mockComplete(request: ModelRequest, model: string, options: Record<string, string>): ProviderResult {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  const user = lastOf(request.messages, 'user')?.content ?? '';
  const toolsOn = !['false', 'off', 'no', '0', 'never'].includes((options.mock_tool_calls ?? '').toLowerCase());
  const tool = toolsOn && request.tools?.length ? pickTool(request, `${system}\n${user}`.toLowerCase()) : undefined;
  if (tool) {
    const priorCalls = request.messages.reduce((n, m) => n + (m.tool_calls?.length ?? 0), 0);
    const call: ToolCall = { id: `mock_call_${priorCalls + 1}`, name: tool.name, arguments: mockArguments(tool, user || 'mock input') };
    return { content: `[mock:${model}] calling ${tool.name}`, toolCalls: [call], finishReason: 'tool_calls', model };
  }
  // An explicit mock_response wins; otherwise a schema-bound answer is the schema's minimal instance.
  if (options.mock_response) return { content: options.mock_response, toolCalls: [], finishReason: 'stop', model };
  if (request.outputSchema) return { content: JSON.stringify(minimalInstance(request.outputSchema)), toolCalls: [], finishReason: 'stop', model };
  const parts = [`[mock:${model}]`, user.trim() ? `re: "${clip(user, 160)}"` : 'hello'];
  const persona = system.trim().split('\n')[0];
  if (persona) parts.push(`| system: "${clip(persona, 80)}"`);
  const lastTool = lastOf(request.messages, 'tool');
  if (lastTool) {
    const name = lastTool.name ?? request.messages.flatMap((m) => m.tool_calls ?? []).find((c) => c.id === lastTool.tool_call_id)?.name;
    parts.push(`| tool${name ? ` ${name}` : ''}: "${clip(lastTool.content, 120)}"`);
  }
  return { content: parts.join(' '), toolCalls: [], finishReason: 'stop', model };
}

export const mockProvider: ModelProvider = {
  name: 'mock',
  // No network, no key, no usage: the gateway estimates tokens for every mock call.
  async complete(_endpoint, request, ctx) {
    return mockComplete(request, ctx.model, ctx.options);
  },
};
