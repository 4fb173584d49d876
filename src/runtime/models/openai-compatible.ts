// Provider `openai-compatible`: any server speaking OpenAI chat completions (vLLM, LM Studio,
// llama.cpp, LiteLLM, …). base_url is required; the Bearer key is sent only when one is configured.
import { intOption, openAIBody, parseOpenAIResponse } from './openai-wire';
import { ModelError, type ModelProvider } from './types';

export const openaiCompatibleProvider: ModelProvider = {
  name: 'openai-compatible',
  aliases: ['openai_compatible'],
  async complete(endpoint, request, ctx) {
    if (!endpoint.base_url) {
      throw new ModelError({ code: 'invalid_config', provider: 'openai-compatible', retryable: false, message: 'openai-compatible: base_url is required' });
    }
    const base = endpoint.base_url.replace(/\/+$/, '');
    const maxTokens = request.maxTokens ?? intOption(ctx.options, 'max_tokens');
    const body = openAIBody(request, ctx.model, maxTokens, 'max_tokens');
    const headers: Record<string, string> = endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {};
    const res = await ctx.postJson({ url: `${base}/chat/completions`, headers, body });
    return parseOpenAIResponse(res, ctx.model, 'openai-compatible');
  },
};
