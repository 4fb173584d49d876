// Provider `anthropic`: the Messages API at {base_url}/messages. System prompts go top-level, tool
// calls are `tool_use` blocks and tool results `tool_result` blocks inside a user turn.
import { intOption } from './openai-wire';
import { ModelError, type ModelProvider, type ModelRequest, type ProviderResult, type ToolCall } from './types';

export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com/v1';
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 1024;

type Block = Record<string, unknown>;
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

/** Anthropic wants alternating turns, and every tool result of one assistant turn in the next user turn. */
export function anthropicMessages(request: ModelRequest): { system?: string; messages: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn['role'], blocks: Block[]) => {
    if (!blocks.length) return;
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const m of request.messages) {
    if (m.role === 'system') {
      if (m.content.trim()) system.push(m.content);
    } else if (m.role === 'tool') {
      push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: m.content }]);
    } else if (m.role === 'assistant') {
      const blocks: Block[] = m.content ? [{ type: 'text', text: m.content }] : [];
      for (const c of m.tool_calls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
      push('assistant', blocks);
    } else if (m.content) {
      push('user', [{ type: 'text', text: m.content }]);
    }
  }
  // A turn holding a single text block is sent as a plain string, the API's simplest form.
  const messages = turns.map((t) =>
    t.content.length === 1 && t.content[0].type === 'text' ? { role: t.role, content: t.content[0].text as any } : t,
  );
  return { ...(system.length ? { system: system.join('\n\n') } : {}), messages };
}

const FINISH: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', tool_use: 'tool_calls', max_tokens: 'length', refusal: 'content_filter' };
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function parseAnthropicResponse(body: any, model: string): ProviderResult {
  if (!Array.isArray(body?.content)) {
    throw new ModelError({ code: 'invalid_response', provider: 'anthropic', message: 'anthropic: response has no content blocks' });
  }
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of body.content) {
    if (block?.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    if (block?.type === 'tool_use' && typeof block.name === 'string') {
      const input = block.input && typeof block.input === 'object' && !Array.isArray(block.input) ? block.input : {};
      toolCalls.push({ id: String(block.id ?? `toolu_${toolCalls.length + 1}`), name: block.name, arguments: input });
    }
  }
  const u = body.usage;
  const usage =
    u && typeof u === 'object'
      ? {
          // Cache writes and reads are input the model read too.
          inputTokens: num(u.input_tokens) + num(u.cache_creation_input_tokens) + num(u.cache_read_input_tokens),
          outputTokens: num(u.output_tokens),
        }
      : undefined;
  const stop = typeof body.stop_reason === 'string' ? body.stop_reason : '';
  return {
    content: texts.join('\n'),
    toolCalls,
    ...(usage ? { usage } : {}),
    finishReason: FINISH[stop] ?? (stop || (toolCalls.length ? 'tool_calls' : 'stop')),
    model: typeof body.model === 'string' && body.model ? body.model : model,
  };
}

/**
 * Anthropic has no stable structured-output field, so the schema travels as an instruction in the
 * system text; the agent loop validates the answer either way.
 */
export function schemaInstruction(schema: Record<string, unknown>): string {
  return `When you give your final answer, reply with only a JSON value (no prose, no code fence) that matches this JSON Schema:\n${JSON.stringify(schema)}`;
}

/**
 * The API rejects a history holding tool_use/tool_result blocks when the request defines no tools,
 * which happens once an agent's tools are withdrawn after use. The tools named in the history are
 * then declared with a bare schema and disabled with tool_choice none.
 */
export function historyOnlyTools(request: ModelRequest): { tools: Block[]; tool_choice: Block } | undefined {
  if (request.tools?.length) return undefined;
  const names = new Set(request.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.name)));
  if (!names.size) return undefined;
  return { tools: [...names].map((name) => ({ name, input_schema: { type: 'object' } })), tool_choice: { type: 'none' } };
}

export const anthropicProvider: ModelProvider = {
  name: 'anthropic',
  async complete(endpoint, request, ctx) {
    if (!endpoint.apiKey) {
      throw new ModelError({ code: 'auth_failed', provider: 'anthropic', retryable: false, message: 'anthropic: endpoint has no API key (set auth.secretRef)' });
    }
    const base = (endpoint.base_url || DEFAULT_ANTHROPIC_BASE_URL).replace(/\/+$/, '');
    const { system: prompt, messages } = anthropicMessages(request);
    const system = request.outputSchema ? [prompt, schemaInstruction(request.outputSchema)].filter(Boolean).join('\n\n') : prompt;
    const tools = request.tools?.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.parameters }));
    const body = {
      model: ctx.model,
      max_tokens: request.maxTokens ?? intOption(ctx.options, 'max_tokens') ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
      ...(system ? { system } : {}),
      messages,
      ...(tools?.length ? { tools } : historyOnlyTools(request)),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };
    const headers = { 'x-api-key': endpoint.apiKey, 'anthropic-version': ctx.options.anthropic_version || DEFAULT_ANTHROPIC_VERSION };
    const res = await ctx.postJson({ url: `${base}/messages`, headers, body });
    return parseAnthropicResponse(res, ctx.model);
  },
};
