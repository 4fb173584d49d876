// Provider `openai`: OpenAI chat completions at {base_url}/chat/completions with a Bearer key.
import { intOption, openAIBody, parseOpenAIResponse } from './openai-wire';
import { ModelError, type ModelProvider } from './types';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

export const openaiProvider: ModelProvider = {
  name: 'openai',
  async complete(endpoint, request, ctx) {
    if (!endpoint.apiKey) {
      throw new ModelError({ code: 'auth_failed', provider: 'openai', retryable: false, message: 'openai: endpoint has no API key (set auth.secretRef)' });
    }
    const base = (endpoint.base_url || DEFAULT_OPENAI_BASE_URL).replace(/\/+$/, '');
    const maxTokens = request.maxTokens ?? intOption(ctx.options, 'max_tokens');
    // Current OpenAI models reject `max_tokens` in favour of `max_completion_tokens`.
    const body = openAIBody(request, ctx.model, maxTokens, 'max_completion_tokens');
    const res = await ctx.postJson({ url: `${base}/chat/completions`, headers: { authorization: `Bearer ${endpoint.apiKey}` }, body });
    return parseOpenAIResponse(res, ctx.model, 'openai');
  },
};
