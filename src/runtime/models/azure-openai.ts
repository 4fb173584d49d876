// Provider `azure-openai`: Azure OpenAI deployments at
// {base_url}/openai/deployments/{deployment}/chat/completions?api-version=…, keyed by the `api-key` header.
import { intOption, openAIBody, parseOpenAIResponse } from './openai-wire';
import { ModelError, type ModelProvider } from './types';

export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

export const azureOpenAIProvider: ModelProvider = {
  name: 'azure-openai',
  aliases: ['azure_openai', 'azure'],
  async complete(endpoint, request, ctx) {
    const fail = (message: string, code: 'invalid_config' | 'auth_failed') =>
      new ModelError({ code, provider: 'azure-openai', retryable: false, message: `azure-openai: ${message}` });
    if (!endpoint.base_url) throw fail('base_url is required (https://<resource>.openai.azure.com)', 'invalid_config');
    if (!endpoint.apiKey) throw fail('endpoint has no API key (set auth.secretRef)', 'auth_failed');
    // The deployment name is the model; options.deployment overrides it for deployments named differently.
    const deployment = ctx.options.deployment || ctx.model;
    const version = ctx.options.api_version || DEFAULT_AZURE_API_VERSION;
    const base = endpoint.base_url.replace(/\/+$/, '');
    const url = `${base}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions?api-version=${encodeURIComponent(version)}`;
    const maxTokens = request.maxTokens ?? intOption(ctx.options, 'max_tokens');
    const body = openAIBody(request, deployment, maxTokens, 'max_tokens');
    const res = await ctx.postJson({ url, headers: { 'api-key': endpoint.apiKey }, body });
    return parseOpenAIResponse(res, deployment, 'azure-openai');
  },
};
