// The OpenAI chat-completions wire format, shared by openai, openai-compatible and azure-openai:
// request body building and response parsing.
import { ModelError, type ModelRequest, type ProviderResult, type ToolCall } from './types';

/** JSON text → arguments object; text that is not a JSON object is kept under `input`. */
export function parseArguments(raw: unknown): Record<string, unknown> {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>;
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    const v = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    // fall through
  }
  return { input: raw };
}

export function openAIMessages(request: ModelRequest): unknown[] {
  return request.messages.map((m) => {
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.tool_call_id ?? '', content: m.content };
    if (m.role === 'assistant' && m.tool_calls?.length) {
      return {
        role: 'assistant',
        content: m.content === '' ? null : m.content,
        tool_calls: m.tool_calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.arguments) },
        })),
      };
    }
    return { role: m.role, content: m.content };
  });
}

export function openAITools(request: ModelRequest): unknown[] | undefined {
  if (!request.tools?.length) return undefined;
  return request.tools.map((t) => ({
    type: 'function',
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
  }));
}

/** Body for POST /chat/completions. `maxTokensField` differs between OpenAI proper and older servers. */
export function openAIBody(
  request: ModelRequest,
  model: string,
  maxTokens: number | undefined,
  maxTokensField: 'max_tokens' | 'max_completion_tokens',
): Record<string, unknown> {
  const tools = openAITools(request);
  return {
    model,
    messages: openAIMessages(request),
    ...(tools ? { tools, tool_choice: 'auto' } : {}),
    ...(maxTokens !== undefined ? { [maxTokensField]: maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    // strict:false: strict mode rejects common schemas (optional properties, open objects).
    ...(request.outputSchema ? { response_format: { type: 'json_schema', json_schema: { name: 'output', schema: request.outputSchema, strict: false } } } : {}),
  };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: any) => (typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text : ''))
      .filter((s) => s !== '')
      .join('\n');
  }
  return '';
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function parseOpenAIResponse(body: any, model: string, provider: string): ProviderResult {
  const choice = body?.choices?.[0];
  const message = choice?.message;
  if (!message || typeof message !== 'object') {
    throw new ModelError({ code: 'invalid_response', provider, message: `${provider}: response has no choices[0].message` });
  }
  const toolCalls: ToolCall[] = (Array.isArray(message.tool_calls) ? message.tool_calls : [])
    .filter((c: any) => typeof c?.function?.name === 'string')
    .map((c: any, i: number) => ({
      id: typeof c.id === 'string' && c.id ? c.id : `call_${i + 1}`,
      name: c.function.name,
      arguments: parseArguments(c.function.arguments),
    }));
  const input = num(body?.usage?.prompt_tokens);
  const output = num(body?.usage?.completion_tokens);
  return {
    content: textOf(message.content),
    toolCalls,
    ...(input !== undefined || output !== undefined ? { usage: { inputTokens: input ?? 0, outputTokens: output ?? 0 } } : {}),
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : toolCalls.length ? 'tool_calls' : 'stop',
    model: typeof body.model === 'string' && body.model ? body.model : model,
  };
}

/** A positive integer option (e.g. max_tokens), or undefined when absent or not a number. */
export function intOption(options: Record<string, string>, key: string): number | undefined {
  const v = options[key];
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}
