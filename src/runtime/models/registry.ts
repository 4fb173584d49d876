// ModelGateway: the provider registry plus the call path every model request takes (provider
// lookup, tool-name aliasing, HTTP settings, usage, error shaping) and fallback across endpoints.
import { systemClock, type Clock } from '../../util/time';
import { parseDuration } from '../../util/duration';
import type { EgressOptions } from './egress';
import { createPostJson } from './http';
import { redactSecrets } from './redact';
import { aliasRequest } from './tool-names';
import { resolveUsage } from './usage';
import { ModelError, type EndpointConfig, type ModelProvider, type ModelRequest, type ModelResponse } from './types';

export const DEFAULT_MODEL_TIMEOUT_MS = 30_000;

export interface GatewayOptions {
  clock?: Clock;
  /** Per-request timeout unless the endpoint sets options.timeout (Go duration). Default 30s. */
  timeoutMs?: number;
  egress?: EgressOptions;
  fetch?: typeof fetch;
}

const key = (name: string) => name.trim().toLowerCase();

export class ModelGateway {
  private readonly providers = new Map<string, ModelProvider>();
  private readonly clock: Clock;

  constructor(private readonly opts: GatewayOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Adds a provider under its name and aliases; a later registration of a name replaces the earlier one. */
  register(provider: ModelProvider): this {
    for (const name of [provider.name, ...(provider.aliases ?? [])]) this.providers.set(key(name), provider);
    return this;
  }

  /** The provider for a spec.provider value (empty means openai, as in ModelEndpoint defaults). */
  provider(name: string | undefined): ModelProvider | undefined {
    return this.providers.get(key(name || 'openai'));
  }

  async complete(endpoint: EndpointConfig, request: ModelRequest): Promise<ModelResponse> {
    const providerName = endpoint.provider || 'openai';
    const provider = this.provider(providerName);
    const fail = (code: ModelError['code'], message: string) =>
      new ModelError({ code, provider: provider?.name ?? providerName, endpoint: endpoint.name, retryable: false, message });
    if (!provider) throw fail('unknown_provider', `unknown model provider "${providerName}"`);
    const model = request.model || endpoint.default_model;
    if (!model) throw fail('invalid_config', `${provider.name}: no model (set default_model)`);
    if (request.signal?.aborted) throw fail('aborted', `${provider.name}: model request aborted`);

    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(endpoint.options ?? {})) options[key(k)] = String(v).trim();
    const optionTimeout = options.timeout ? parseDuration(options.timeout) : undefined;
    const timeoutMs = optionTimeout && optionTimeout > 0 ? optionTimeout : (this.opts.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS);
    const secrets = endpoint.apiKey ? [endpoint.apiKey] : [];
    const postJson = createPostJson({
      provider: provider.name,
      endpoint: endpoint.name,
      timeoutMs,
      signal: request.signal,
      requestId: request.requestId,
      secrets,
      egress: this.opts.egress ?? {},
      allowPrivate: endpoint.allowPrivate ?? false,
      fetch: this.opts.fetch ?? fetch,
      clock: this.clock,
    });

    const { request: aliased, map } = aliasRequest({ ...request, model });
    const started = this.clock.now().getTime();
    let result;
    try {
      result = await provider.complete(endpoint, aliased, { postJson, options, model });
    } catch (e) {
      if (e instanceof ModelError) {
        e.endpoint ??= endpoint.name;
        throw e;
      }
      // A provider bug or an unexpected body shape: report it without leaking anything.
      throw fail('invalid_response', `${provider.name}: ${redactSecrets(String((e as Error)?.message ?? e), secrets)}`);
    }
    const toolCalls = result.toolCalls.map((c) => ({ ...c, name: map.toName(c.name) }));
    if (!result.content.trim() && toolCalls.length === 0) {
      throw new ModelError({ code: 'empty_response', provider: provider.name, endpoint: endpoint.name, message: `${provider.name}: model returned no text and no tool calls` });
    }
    return {
      content: result.content,
      toolCalls,
      usage: resolveUsage(aliased, result),
      finishReason: result.finishReason,
      model: result.model || model,
      provider: provider.name,
      ...(endpoint.name ? { endpoint: endpoint.name } : {}),
      latencyMs: Math.max(0, this.clock.now().getTime() - started),
    };
  }

  /**
   * Tries each endpoint in order, moving on only after a retryable failure (429, 5xx, timeout,
   * network); any other failure, or the last endpoint's, is thrown. `request.model` applies to the
   * first endpoint only: a fallback endpoint always uses its own default_model.
   */
  async completeWithFallback(endpoints: EndpointConfig[], request: ModelRequest): Promise<ModelResponse & { failedAttempts?: ModelError[] }> {
    if (!endpoints.length) throw new ModelError({ code: 'invalid_config', provider: 'none', retryable: false, message: 'no model endpoints given' });
    const failed: ModelError[] = [];
    for (let i = 0; i < endpoints.length; i++) {
      try {
        const res = await this.complete(endpoints[i], i === 0 ? request : { ...request, model: undefined });
        return failed.length ? { ...res, failedAttempts: failed } : res;
      } catch (e) {
        const last = i === endpoints.length - 1;
        if (!(e instanceof ModelError) || !e.retryable || last || request.signal?.aborted) throw e;
        failed.push(e);
      }
    }
    throw new Error('unreachable');
  }
}
