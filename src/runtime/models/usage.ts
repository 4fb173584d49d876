// Token usage: the provider's numbers when it reports them, otherwise a chars/4 estimate of the
// prompt (messages and tool schemas) and of the reply, flagged `estimated`.
import type { ModelRequest, ProviderResult, TokenUsage } from './types';

const tokens = (chars: number) => Math.ceil(chars / 4);

export function estimateInputTokens(request: ModelRequest): number {
  let chars = 0;
  for (const m of request.messages) {
    chars += m.content.length;
    for (const c of m.tool_calls ?? []) chars += c.name.length + JSON.stringify(c.arguments).length;
  }
  for (const t of request.tools ?? []) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  return tokens(chars);
}

export function estimateOutputTokens(result: Pick<ProviderResult, 'content' | 'toolCalls'>): number {
  let chars = result.content.length;
  for (const c of result.toolCalls) chars += c.name.length + JSON.stringify(c.arguments).length;
  return tokens(chars);
}

export function resolveUsage(request: ModelRequest, result: ProviderResult): TokenUsage {
  const u = result.usage;
  // A provider that answers all zeros has not really reported usage.
  if (u && u.inputTokens + u.outputTokens > 0) {
    return { inputTokens: Math.round(u.inputTokens), outputTokens: Math.round(u.outputTokens), estimated: false };
  }
  return { inputTokens: estimateInputTokens(request), outputTokens: estimateOutputTokens(result), estimated: true };
}
