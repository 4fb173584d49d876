// Provider `ollama`: Ollama's native chat API at {base_url}/api/chat, non-streaming. Tools use the
// OpenAI function shape; tool calls come back in message.tool_calls, usually without ids.
import { intOption, parseArguments, openAITools } from './openai-wire';
import { ModelError, type ModelProvider, type ModelRequest, type ProviderResult, type ToolCall } from './types';

export const DEFAULT_OLLAMA_BASE_URL = 'http://127.0.0.1:11434';

export function ollamaMessages(request: ModelRequest): unknown[] {
  const callNames = new Map<string, string>();
  for (const m of request.messages) for (const c of m.tool_calls ?? []) callNames.set(c.id, c.name);
  return request.messages.map((m) => {
    if (m.role === 'tool') {
      const toolName = m.name ?? (m.tool_call_id ? callNames.get(m.tool_call_id) : undefined);
      return { role: 'tool', content: m.content, ...(toolName ? { tool_name: toolName } : {}) };
    }
    if (m.role === 'assistant' && m.tool_calls?.length) {
      return { role: 'assistant', content: m.content, tool_calls: m.tool_calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) };
    }
    return { role: m.role, content: m.content };
  });
}

/** Ollama ids are absent or per-reply; when absent we number calls by their place in the conversation. */
function callId(raw: any, request: ModelRequest, i: number): string {
  if (typeof raw?.id === 'string' && raw.id) return raw.id;
  const turn = request.messages.filter((m) => m.role === 'assistant').length + 1;
  return `ollama_call_${turn}_${i + 1}`;
}

export function parseOllamaResponse(body: any, request: ModelRequest, model: string): ProviderResult {
  const message = body?.message;
  if (!message || typeof message !== 'object') {
    const detail = typeof body?.error === 'string' ? `: ${body.error}` : '';
    throw new ModelError({ code: 'invalid_response', provider: 'ollama', message: `ollama: response has no message${detail}` });
  }
  const toolCalls: ToolCall[] = (Array.isArray(message.tool_calls) ? message.tool_calls : [])
    .filter((c: any) => typeof c?.function?.name === 'string')
    .map((c: any, i: number) => ({ id: callId(c, request, i), name: c.function.name, arguments: parseArguments(c.function.arguments) }));
  const hasUsage = typeof body.prompt_eval_count === 'number' || typeof body.eval_count === 'number';
  const done = typeof body.done_reason === 'string' ? body.done_reason : 'stop';
  return {
    content: typeof message.content === 'string' ? message.content : '',
    toolCalls,
    ...(hasUsage ? { usage: { inputTokens: body.prompt_eval_count ?? 0, outputTokens: body.eval_count ?? 0 } } : {}),
    finishReason: toolCalls.length ? 'tool_calls' : done,
    model: typeof body.model === 'string' && body.model ? body.model : model,
  };
}

export const ollamaProvider: ModelProvider = {
  name: 'ollama',
  async complete(endpoint, request, ctx) {
    const base = (endpoint.base_url || DEFAULT_OLLAMA_BASE_URL).replace(/\/+$/, '');
    const tools = openAITools(request);
    const maxTokens = request.maxTokens ?? intOption(ctx.options, 'max_tokens');
    const modelOptions = {
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(maxTokens !== undefined ? { num_predict: maxTokens } : {}),
    };
    const body = {
      model: ctx.model,
      messages: ollamaMessages(request),
      stream: false,
      ...(tools ? { tools } : {}),
      // Ollama's structured outputs: `format` takes a JSON Schema.
      ...(request.outputSchema ? { format: request.outputSchema } : {}),
      ...(Object.keys(modelOptions).length ? { options: modelOptions } : {}),
      ...(ctx.options.keep_alive ? { keep_alive: ctx.options.keep_alive } : {}),
    };
    // Ollama has no auth of its own; a key is forwarded as Bearer for deployments behind a proxy.
    const headers: Record<string, string> = endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {};
    const res = await ctx.postJson({ url: `${base}/api/chat`, headers, body });
    return parseOllamaResponse(res, request, ctx.model);
  },
};
