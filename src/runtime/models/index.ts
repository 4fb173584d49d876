// The model gateway's public surface: a gateway with every built-in provider registered, and the types.
import { anthropicProvider } from './anthropic';
import { azureOpenAIProvider } from './azure-openai';
import { mockProvider } from './mock';
import { ollamaProvider } from './ollama';
import { openaiProvider } from './openai';
import { openaiCompatibleProvider } from './openai-compatible';
import { ModelGateway, type GatewayOptions } from './registry';
import type { ModelProvider } from './types';

export const builtinProviders: ModelProvider[] = [
  openaiProvider,
  openaiCompatibleProvider,
  azureOpenAIProvider,
  anthropicProvider,
  ollamaProvider,
  mockProvider,
];

export function createModelGateway(opts: GatewayOptions = {}): ModelGateway {
  const gateway = new ModelGateway(opts);
  for (const p of builtinProviders) gateway.register(p);
  return gateway;
}

export { ModelGateway, DEFAULT_MODEL_TIMEOUT_MS, type GatewayOptions } from './registry';
export { checkEgress, classifyAddress, type EgressOptions } from './egress';
export { createToolNameMap } from './tool-names';
export { redactSecrets } from './redact';
export * from './types';
