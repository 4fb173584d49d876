// Kind strategies for AgentSystem, ModelEndpoint, Tool, Memory, McpServer, AgentPolicy, AgentRole,
// ToolPermission and Worker: defaults, canonical forms, validation causes and Orloj's examples.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { Invalid, type Cause } from '../../src/errors';
import { compileOutputPattern } from '../../src/resources/agent-system';
import { memoryBackendProblems } from '../../src/resources/memory';
import { mcpServer } from '../../src/resources/mcp-server';
import { toolNeedsAdmin } from '../../src/resources/tool';
import { testRegistry } from '../support/registry';

const { registry, kind } = testRegistry();

function apply(plural: string, spec: unknown, name = 'x') {
  return registry.apply(kind(plural), { apiVersion: 'orloj.dev/v1', metadata: { name }, spec }, {}).object;
}

function causes(plural: string, spec: unknown, name = 'x'): Cause[] {
  try {
    apply(plural, spec, name);
  } catch (e) {
    if (e instanceof Invalid) return e.causes;
    throw e;
  }
  throw new Error('expected the manifest to be rejected');
}

const fields = (plural: string, spec: unknown, name = 'x') => causes(plural, spec, name).map((c) => c.field);
const JOIN = { mode: 'wait_for_all', on_failure: 'deadletter' };

describe('AgentSystem', () => {
  test('writes an empty graph and a default join on every node', () => {
    expect(apply('agent-systems', {}).spec).toEqual({ graph: {} });
    const spec = apply('agent-systems', { agents: [' a ', 'b', 'a', ''], graph: { a: { next: ' b ' }, b: null } }).spec;
    expect(spec).toEqual({ agents: ['a', 'b'], graph: { a: { next: 'b', join: JOIN }, b: { join: JOIN } } });
  });

  test('normalizes routes, joins, delegation, reviews and a2a', () => {
    const spec = apply('agent-systems', {
      agents: ['lead', 'x', 'y'],
      graph: {
        lead: {
          edges: [
            { to: ' x ', condition: { output_json_path: ' $.route ', equals: 3, output_contains: '' } },
            { to: '  ' },
            { to: 'y', labels: { k: 'v' }, condition: { default: true } },
          ],
          delegates: [{ to: 'x' }, { to: 'y', condition: { output_matches: '(?i)^urgent' } }],
          join: { mode: 'QUORUM', quorum_count: -2, quorum_percent: 150, on_failure: 'Continue_Partial' },
          review: { checkpoint_id: ' Lead-Signoff ', display_name: ' Lead ' },
        },
      },
      completion_review: { checkpoint_id: 'final', ttl: '1h', allow_request_changes: false, max_review_cycles: 0 },
      context_adapter: ' scrubber ',
      a2a: { auth: 'PUBLIC' },
    }).spec;
    expect(spec).toEqual({
      agents: ['lead', 'x', 'y'],
      graph: {
        lead: {
          edges: [
            { to: 'x', condition: { output_json_path: '$.route', equals: '3' } },
            { to: 'y', labels: { k: 'v' }, condition: { default: true } },
          ],
          delegates: [{ to: 'x' }, { to: 'y', condition: { output_matches: '(?i)^urgent' } }],
          join: { mode: 'quorum', quorum_count: 0, quorum_percent: 100, on_failure: 'continue_partial' },
          delegate_join: JOIN,
          review: { checkpoint_id: 'Lead-Signoff', display_name: 'Lead', ttl: '10m', allow_request_changes: true, max_review_cycles: 3 },
        },
      },
      completion_review: { checkpoint_id: 'final', ttl: '1h', allow_request_changes: false, max_review_cycles: 3 },
      context_adapter: 'scrubber',
      a2a: { auth: 'public', enabled: false },
    });
    expect(apply('agent-systems', { a2a: { enabled: true } }).spec.a2a).toEqual({ enabled: true, auth: 'bearer' });
  });

  test('accepts graph nodes and targets that are not listed agents (checked at task time)', () => {
    expect(apply('agent-systems', { agents: ['a'], graph: { ghost: { next: 'phantom' } } }).spec.graph.ghost.next).toBe('phantom');
  });

  test('rejects unknown join values instead of coercing them', () => {
    expect(causes('agent-systems', { graph: { a: { join: { mode: 'fastest' }, delegates: [{ to: 'b' }], delegate_join: { on_failure: 'retry' } } } })).toEqual([
      { field: 'spec.graph.a.join.mode', message: 'must be one of: wait_for_all, quorum' },
      { field: 'spec.graph.a.delegate_join.on_failure', message: 'must be one of: deadletter, skip, continue_partial' },
    ]);
  });

  test('checks every condition rule and reports all problems at once', () => {
    const got = fields('agent-systems', {
      graph: {
        a: {
          edges: [
            { to: 'b', condition: { output_matches: 'x'.repeat(513) } },
            { to: 'c', condition: { output_matches: '(unclosed' } },
            { to: 'd', condition: { equals: 'billing' } },
            { to: 'e', condition: { output_json_path: '$.queue' } },
            { to: 'f', condition: { output_json_path: 'queue', not_equals: 'x' } },
            { to: 'g', condition: { output_json_path: '$.score', greater_than: 'high', less_than: '10' } },
            { to: 'h', condition: { default: true, output_contains: 'x' } },
            { to: 'i', condition: { default: true } },
            { to: 'j', condition: { default: true } },
          ],
        },
      },
    });
    expect(got).toEqual([
      'spec.graph.a.edges[0].condition.output_matches',
      'spec.graph.a.edges[1].condition.output_matches',
      'spec.graph.a.edges[2].condition.output_json_path',
      'spec.graph.a.edges[3].condition',
      'spec.graph.a.edges[4].condition.output_json_path',
      'spec.graph.a.edges[5].condition.greater_than',
      'spec.graph.a.edges[6].condition.default',
      'spec.graph.a.edges',
    ]);
  });

  test('checks delegates: conditions, one default, no self-delegation', () => {
    expect(
      causes('agent-systems', {
        graph: { Boss: { delegates: [{ to: 'boss' }, { to: 'w', condition: { less_than: '3' } }] } },
      }),
    ).toEqual([
      { field: 'spec.graph.Boss.delegates[0].to', message: 'a node cannot delegate to itself' },
      { field: 'spec.graph.Boss.delegates[1].condition.output_json_path', message: 'is required when a comparison operator is set' },
    ]);
  });

  test('review checkpoints need an id unique per system (case-insensitive) and a valid ttl', () => {
    expect(
      causes('agent-systems', {
        graph: {
          a: { review: { checkpoint_id: '  ' } },
          b: { review: { checkpoint_id: 'Sign' } },
          c: { review: { checkpoint_id: 'sign', ttl: 'soon' } },
        },
      }),
    ).toEqual([{ field: 'spec.graph.a.review.checkpoint_id', message: 'is required' }]);
    expect(
      causes('agent-systems', {
        graph: { b: { review: { checkpoint_id: 'Sign' } }, c: { review: { checkpoint_id: 'sign', ttl: 'soon' } } },
        completion_review: { checkpoint_id: 'SIGN' },
      }),
    ).toEqual([
      { field: 'spec.graph.c.review.checkpoint_id', message: '"sign" is already used by spec.graph.b.review' },
      { field: 'spec.graph.c.review.ttl', message: '"soon" is not a valid duration (use Go syntax such as 30s, 5m, 1h30m)' },
      { field: 'spec.completion_review.checkpoint_id', message: '"SIGN" is already used by spec.graph.b.review' },
    ]);
  });

  test('rejects unknown fields, bad a2a auth and malformed shapes', () => {
    expect(fields('agent-systems', { graph: { a: { edge: [] } }, a2a: { auth: 'oauth' }, agent: [] })).toEqual([
      'spec.agent',
      'spec.graph.a.edge',
      'spec.a2a.auth',
    ]);
    expect(fields('agent-systems', { graph: 'a->b' })).toEqual(['spec.graph']);
    expect(fields('agent-systems', { graph: { a: { edges: 'b', join: 3, review: 'yes' } } })).toEqual([
      'spec.graph.a.edges',
      'spec.graph.a.join',
      'spec.graph.a.review',
    ]);
  });

  test('output patterns use Go syntax: leading inline flags and (?P<name>) groups', () => {
    expect(compileOutputPattern('(?i)^URGENT').test('urgent: now')).toBe(true);
    expect(compileOutputPattern('(?P<q>billing|tech)').exec('tech')?.groups?.q).toBe('tech');
    expect(() => compileOutputPattern('(?U)a+')).toThrow();
  });
});

describe('ModelEndpoint', () => {
  test('defaults provider, base URL and allowPrivate', () => {
    expect(apply('model-endpoints', { default_model: ' gpt-4o ' }).spec).toEqual({
      provider: 'openai',
      base_url: 'https://api.openai.com/v1',
      default_model: 'gpt-4o',
      allowPrivate: false,
    });
    expect(apply('model-endpoints', { provider: ' Anthropic ', default_model: 'c' }).spec.base_url).toBe('https://api.anthropic.com/v1');
    expect(apply('model-endpoints', { provider: 'OLLAMA', default_model: 'llama3.1' }).spec).toEqual({
      provider: 'ollama',
      base_url: 'http://127.0.0.1:11434',
      default_model: 'llama3.1',
      allowPrivate: true,
    });
    expect(apply('model-endpoints', { provider: 'ollama', default_model: 'l', allowPrivate: false, base_url: ' http://gpu:11434 ' }).spec).toEqual({
      provider: 'ollama',
      base_url: 'http://gpu:11434',
      default_model: 'l',
      allowPrivate: false,
    });
  });

  test('folds provider aliases; providers without a known URL get none', () => {
    expect(apply('model-endpoints', { provider: 'OpenAI_Compatible', default_model: 'm' }).spec).toEqual({
      provider: 'openai-compatible',
      default_model: 'm',
      allowPrivate: false,
    });
    expect(apply('model-endpoints', { provider: 'aws_bedrock', default_model: 'm' }).spec.provider).toBe('bedrock');
    expect(apply('model-endpoints', { provider: 'acme', default_model: 'm' }).spec.provider).toBe('acme');
  });

  test('option keys are lower-cased and trimmed, values trimmed, empty keys dropped', () => {
    const spec = apply('model-endpoints', {
      provider: 'mock',
      default_model: 'm',
      options: { ' Max_Tokens ': 1024, API_VERSION: ' 2024-10-21 ', ' ': 'gone', stream: true },
      auth: { secretRef: ' key ' },
    }).spec;
    expect(spec).toEqual({
      provider: 'mock',
      default_model: 'm',
      options: { max_tokens: '1024', api_version: '2024-10-21', stream: 'true' },
      auth: { secretRef: 'key' },
      allowPrivate: false,
    });
  });

  test('requires default_model and rejects unknown fields and wrong types', () => {
    expect(causes('model-endpoints', { default_model: '   ' })).toEqual([{ field: 'spec.default_model', message: 'is required' }]);
    expect(fields('model-endpoints', { model: 'gpt', auth: { secret_ref: 's' }, options: { a: { b: 1 } }, allowPrivate: 'yes' })).toEqual([
      'spec.model',
      'spec.default_model',
      'spec.options.a',
      'spec.auth.secret_ref',
      'spec.allowPrivate',
    ]);
  });
});

const RUNTIME = { timeout: '30s', isolation_mode: 'none', retry: { max_attempts: 1, backoff: '0s', max_backoff: '30s', jitter: 'none' } };

describe('Tool', () => {
  test('defaults type, risk, operation classes and runtime policy', () => {
    expect(apply('tools', {}).spec).toEqual({ type: 'http', risk_level: 'low', operation_classes: ['read'], runtime: RUNTIME });
    expect(apply('tools', { risk_level: 'Critical', runtime: { retry: { max_attempts: 0 } } }).spec).toEqual({
      type: 'http',
      risk_level: 'critical',
      operation_classes: ['write'],
      runtime: { ...RUNTIME, isolation_mode: 'sandboxed' },
    });
  });

  test('lower-cases enums and dedupes lists', () => {
    const spec = apply('tools', {
      type: ' HTTP ',
      endpoint: ' https://api.example.com ',
      capabilities: ['web.read', ' Web.Read ', ''],
      operation_classes: ['Read', 'WRITE', 'read'],
      risk_level: 'MEDIUM',
      runtime: { timeout: '5s', isolation_mode: 'Container', retry: { max_attempts: 3, jitter: 'FULL' } },
      auth: { profile: 'API_KEY_HEADER', secretRef: ' k ', headerName: ' X-Key ', scopes: [' a ', '', 'a'] },
    }).spec;
    expect(spec).toEqual({
      type: 'http',
      endpoint: 'https://api.example.com',
      capabilities: ['web.read'],
      operation_classes: ['read', 'write'],
      risk_level: 'medium',
      runtime: { timeout: '5s', isolation_mode: 'container', retry: { max_attempts: 3, backoff: '0s', max_backoff: '30s', jitter: 'full' } },
      auth: { profile: 'api_key_header', secretRef: 'k', headerName: 'X-Key', scopes: ['a'] },
    });
    expect(apply('tools', { auth: { secretRef: 's' } }).spec.auth).toEqual({ profile: 'bearer', secretRef: 's' });
  });

  test('rejects unknown enum values, each at its own path', () => {
    expect(
      fields('tools', {
        type: 'queue',
        operation_classes: ['read', 'execute'],
        risk_level: 'extreme',
        runtime: { isolation_mode: 'vm', retry: { jitter: 'random' } },
        auth: { profile: 'digest', secretRef: 's' },
      }),
    ).toEqual([
      'spec.type',
      'spec.operation_classes[1]',
      'spec.risk_level',
      'spec.runtime.isolation_mode',
      'spec.runtime.retry.jitter',
      'spec.auth.profile',
    ]);
  });

  test('mcp tools need server and tool name; auth profiles need their fields; durations must parse', () => {
    expect(
      fields('tools', {
        type: 'mcp',
        auth: { profile: 'oauth2_client_credentials' },
        runtime: { timeout: 'soon', retry: { backoff: '5 seconds', max_backoff: '1m' } },
      }),
    ).toEqual(['spec.mcp_server_ref', 'spec.mcp_tool_name', 'spec.auth.secretRef', 'spec.auth.tokenURL', 'spec.runtime.timeout', 'spec.runtime.retry.backoff']);
    expect(fields('tools', { auth: { profile: 'api_key_header', secretRef: 's' } })).toEqual(['spec.auth.headerName']);
  });

  test('cli tools: defaults, image unless isolation none, no auth block, env_from and resources', () => {
    expect(apply('tools', { type: 'cli', cli: { command: ' jq ', image: 'ghcr.io/jq' } }).spec).toEqual({
      type: 'cli',
      cli: { command: 'jq', image: 'ghcr.io/jq', output: 'stdout', network: 'bridge' },
      risk_level: 'low',
      operation_classes: ['read'],
      runtime: { ...RUNTIME, isolation_mode: 'container' },
    });
    const host = apply('tools', { type: 'cli', cli: { command: 'ls', output: 'BOTH' }, runtime: { isolation_mode: 'none' } }).spec;
    expect(host.cli).toEqual({ command: 'ls', output: 'both', network: 'bridge' });
    expect(toolNeedsAdmin(host)).toBe(true);
    expect(
      causes('tools', {
        type: 'cli',
        cli: { image_pull_secret: 'pull', resources: { memory: 'lots', cpus: '0' } },
        auth: { secretRef: 's' },
      }),
    ).toEqual([
      { field: 'spec.cli.command', message: 'is required when spec.type is cli' },
      { field: 'spec.cli.image', message: 'is required when spec.type is cli and isolation_mode is not none' },
      { field: 'spec.auth', message: 'is not supported for cli tools; pass credentials with spec.cli.env_from' },
      { field: 'spec.cli.image', message: 'is required when spec.cli.image_pull_secret is set' },
      { field: 'spec.cli.resources.memory', message: 'must be a positive size such as 512m, 1g or 1048576' },
      { field: 'spec.cli.resources.cpus', message: 'must be a positive number' },
    ]);
    expect(fields('tools', { type: 'cli', cli: { command: 'x', image: 'i', output: 'file', env_from: [{ name: ' ', secretRef: 's' }, { name: 'A' }] } })).toEqual([
      'spec.cli.output',
      'spec.cli.env_from[0].name',
      'spec.cli.env_from[1].secretRef',
    ]);
  });

  test('wasm tools: a module is required only with a wasm block, which gets defaults', () => {
    expect(apply('tools', { type: 'wasm', runtime: { isolation_mode: 'wasm' } }).spec.wasm).toBeUndefined();
    expect(apply('tools', { type: 'wasm', wasm: { module: ' oci://ghcr.io/echo:1 ' } }).spec.wasm).toEqual({
      module: 'oci://ghcr.io/echo:1',
      entrypoint: 'run',
      max_memory_bytes: 64 * 1024 * 1024,
      fuel: 1_000_000,
    });
    expect(apply('tools', { type: 'wasm', wasm: { module: './echo.wasm', entrypoint: 'main', fuel: 5, enable_wasi: true } }).spec.wasm).toEqual({
      module: './echo.wasm',
      entrypoint: 'main',
      max_memory_bytes: 64 * 1024 * 1024,
      fuel: 5,
      enable_wasi: true,
    });
    expect(causes('tools', { type: 'wasm', wasm: { entrypoint: 'run' } })).toEqual([{ field: 'spec.wasm.module', message: 'is required when spec.wasm is set' }]);
    expect(fields('tools', { type: 'wasm', wasm: { module: 'http://x/echo.wasm' } })).toEqual(['spec.wasm.module']);
  });

  test('a2a tools need an http(s) agent_url', () => {
    expect(apply('tools', { type: 'A2A', a2a: { agent_url: ' https://agent.example.com ', prefer_streaming: true } }).spec.a2a).toEqual({
      agent_url: 'https://agent.example.com',
      prefer_streaming: true,
    });
    expect(causes('tools', { type: 'a2a' })).toEqual([{ field: 'spec.a2a.agent_url', message: 'is required when spec.type is a2a' }]);
    expect(causes('tools', { type: 'a2a', a2a: { agent_url: 'ftp://x' } })).toEqual([{ field: 'spec.a2a.agent_url', message: 'must be an http(s) URL' }]);
  });

  test('rejects unknown fields and malformed shapes without crashing', () => {
    expect(fields('tools', { endpiont: 'x', cli: { cmd: 'ls' }, runtime: 'fast', capabilities: 'web' })).toEqual([
      'spec.endpiont',
      'spec.cli.cmd',
      'spec.capabilities',
      'spec.runtime',
    ]);
  });
});

describe('Memory', () => {
  test('writes no defaults; trims and lower-cases the provider', () => {
    expect(apply('memories', {}).spec).toEqual({});
    expect(apply('memories', { type: ' vector ', provider: ' PGVector ', embedding_model: ' emb ', endpoint_secret_ref: ' dsn ', auth: { secretRef: ' pw ' } }).spec).toEqual({
      type: 'vector',
      provider: 'pgvector',
      embedding_model: 'emb',
      endpoint_secret_ref: 'dsn',
      auth: { secretRef: 'pw' },
    });
  });

  test('endpoint and endpoint_secret_ref are exclusive; providers need their settings', () => {
    expect(causes('memories', { provider: 'pgvector', endpoint: 'postgres://db', endpoint_secret_ref: 'dsn' })).toEqual([
      { field: 'spec.endpoint_secret_ref', message: 'cannot be combined with spec.endpoint; set only one' },
      { field: 'spec.embedding_model', message: 'is required when provider is pgvector' },
    ]);
    expect(causes('memories', { provider: 'HTTP' })).toEqual([
      { field: 'spec.endpoint', message: 'is required when provider is http (or set spec.endpoint_secret_ref)' },
    ]);
    expect(apply('memories', { provider: 'http', endpoint_secret_ref: 'url' }).spec.provider).toBe('http');
  });

  test('a pgvector memory without endpoint applies; the controller reports it', () => {
    const spec = apply('memories', { provider: 'pgvector', embedding_model: 'emb' }).spec;
    expect(memoryBackendProblems(spec)).toEqual([
      { field: 'spec.endpoint', message: 'is required when provider is pgvector (or set spec.endpoint_secret_ref)' },
    ]);
  });

  test('rejects unknown fields and wrong types', () => {
    expect(fields('memories', { dsn: 'x', auth: { token: 't' }, provider: 7 })).toEqual(['spec.dsn', 'spec.provider', 'spec.auth.token']);
  });
});

describe('McpServer', () => {
  test('needs admin and defaults idle_timeout and reconnect', () => {
    expect(mcpServer.writeRole).toBe('admin');
    expect(apply('mcp-servers', { transport: ' STDIO ', command: ' npx ', args: ['-y', 'server'], tool_filter: { include: [' echo ', '', 'echo'] } }).spec).toEqual({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', 'server'],
      tool_filter: { include: ['echo'] },
      idle_timeout: '0',
      reconnect: { max_attempts: 3, backoff: '2s' },
    });
  });

  test('transport is required and must be stdio or http', () => {
    expect(causes('mcp-servers', { command: 'x' })).toEqual([{ field: 'spec.transport', message: 'is required' }]);
    expect(causes('mcp-servers', { transport: 'grpc' })).toEqual([{ field: 'spec.transport', message: 'must be one of: stdio, http' }]);
  });

  test('transport-specific requirements and env mount paths', () => {
    expect(fields('mcp-servers', { transport: 'stdio' })).toEqual(['spec.command']);
    expect(apply('mcp-servers', { transport: 'stdio', image: 'ghcr.io/mcp', env: [{ name: 'KEY', secretRef: 's', mountPath: '/run/key' }] }).spec.image).toBe('ghcr.io/mcp');
    expect(causes('mcp-servers', { transport: 'http', image: 'i' })).toEqual([
      { field: 'spec.endpoint', message: 'is required for http transport' },
      { field: 'spec.image', message: 'is only supported for stdio transport' },
    ]);
    expect(
      causes('mcp-servers', { transport: 'stdio', command: 'x', image_pull_secret: 'p', env: [{ name: 'A', value: '1' }, { name: 'B', secretRef: 's', mountPath: 'rel' }] }),
    ).toEqual([
      { field: 'spec.image', message: 'is required when spec.image_pull_secret is set' },
      { field: 'spec.env[1].mountPath', message: 'requires spec.image' },
      { field: 'spec.env[1].mountPath', message: 'must be an absolute path' },
    ]);
  });

  test('auth, resources and durations', () => {
    const spec = apply('mcp-servers', {
      transport: 'http',
      endpoint: 'http://mcp:8080',
      auth: { profile: 'API_KEY_HEADER', secretRef: 'k' },
      default_tool_runtime: { isolation_mode: 'NONE', timeout: ' 10s ' },
      allowPrivate: true,
    }).spec;
    expect(spec.auth).toEqual({ profile: 'api_key_header', secretRef: 'k', headerName: 'X-API-Key' });
    expect(spec.default_tool_runtime).toEqual({ isolation_mode: 'none', timeout: '10s' });
    expect(
      fields('mcp-servers', {
        transport: 'http',
        endpoint: 'http://mcp',
        auth: { profile: 'bearer' },
        resources: { memory: '0m' },
        idle_timeout: 'never',
        reconnect: { backoff: 'x' },
        default_tool_runtime: { timeout: 'y' },
      }),
    ).toEqual(['spec.auth.secretRef', 'spec.resources.memory', 'spec.idle_timeout', 'spec.reconnect.backoff', 'spec.default_tool_runtime.timeout']);
  });

  test('status carries discovery fields and only its own phases', () => {
    const def = kind('mcp-servers');
    apply('mcp-servers', { transport: 'stdio', command: 'x' }, 'disc');
    const status = { phase: 'Connecting', discoveredTools: ['echo'], generatedTools: ['disc-echo'], lastSyncedAt: '2026-01-02T03:04:05Z' };
    expect(registry.replaceStatus(def, 'default', 'disc', { status }, '*').status).toEqual({ ...status, observedGeneration: 1 });
    expect(() => registry.replaceStatus(def, 'default', 'disc', { status: { phase: 'Running' } }, '*')).toThrow(Invalid);
  });

  test('rejects unknown fields', () => {
    expect(fields('mcp-servers', { transport: 'stdio', command: 'x', cmd: 'y', reconnect: { retries: 1 } })).toEqual(['spec.cmd', 'spec.reconnect.retries']);
  });
});

describe('AgentPolicy', () => {
  test('defaults apply_mode to scoped, dedupes lists and is Ready at once', () => {
    const obj = apply('agent-policies', { allowed_models: ['gpt-4o', ' GPT-4o '], target_systems: ['s'] });
    expect(obj.spec).toEqual({ apply_mode: 'scoped', allowed_models: ['gpt-4o'], target_systems: ['s'] });
    expect(obj.status.phase).toBe('Ready');
    expect(apply('agent-policies', { apply_mode: ' GLOBAL ', max_tokens_per_run: 100, max_child_depth: 2, max_child_tasks: 4 }).spec).toEqual({
      apply_mode: 'global',
      max_tokens_per_run: 100,
      max_child_depth: 2,
      max_child_tasks: 4,
    });
  });

  test('rejects unknown modes, negative limits and unknown fields', () => {
    expect(fields('agent-policies', { apply_mode: 'everywhere', max_tokens_per_run: -1, max_child_tasks: 1.5, blocked_tool: ['x'] })).toEqual([
      'spec.blocked_tool',
      'spec.max_tokens_per_run',
      'spec.apply_mode',
      'spec.max_child_tasks',
    ]);
  });
});

describe('AgentRole', () => {
  test('dedupes permissions case-insensitively and is Ready at once', () => {
    const obj = apply('agent-roles', { description: ' Reader ', permissions: ['tool:a:invoke', ' Tool:A:Invoke ', '', 'capability:web.read'] });
    expect(obj.spec).toEqual({ description: 'Reader', permissions: ['tool:a:invoke', 'capability:web.read'] });
    expect(obj.status.phase).toBe('Ready');
  });

  test('rejects unknown fields and wrong types', () => {
    expect(fields('agent-roles', { permissions: 'all', rules: [] })).toEqual(['spec.rules', 'spec.permissions']);
  });
});

describe('ToolPermission', () => {
  test('defaults tool_ref to the object name and fills every default', () => {
    const obj = apply('tool-permissions', { operation_rules: [{}, { operation_class: 'WRITE', verdict: 'Approval_Required' }] }, 'web_search');
    expect(obj.spec).toEqual({
      tool_ref: 'web_search',
      action: 'invoke',
      match_mode: 'all',
      apply_mode: 'global',
      operation_rules: [
        { operation_class: '*', verdict: 'allow' },
        { operation_class: 'write', verdict: 'approval_required' },
      ],
    });
    expect(obj.status.phase).toBe('Ready');
  });

  test('lower-cases action and modes, dedupes lists', () => {
    expect(
      apply('tool-permissions', {
        tool_ref: ' vector_db ',
        action: ' Query ',
        match_mode: 'ANY',
        apply_mode: 'Scoped',
        required_permissions: ['p', ' P ', ''],
        target_agents: ['a', 'A'],
      }).spec,
    ).toEqual({ tool_ref: 'vector_db', action: 'query', match_mode: 'any', apply_mode: 'scoped', required_permissions: ['p'], target_agents: ['a'] });
  });

  test('scoped needs target agents; enums are checked', () => {
    expect(causes('tool-permissions', { apply_mode: 'scoped', target_agents: [' '] })).toEqual([
      { field: 'spec.target_agents', message: 'is required when apply_mode is scoped' },
    ]);
    expect(fields('tool-permissions', { match_mode: 'some', operation_rules: [{ operation_class: 'exec', verdict: 'maybe' }], tool: 'x' })).toEqual([
      'spec.tool',
      'spec.match_mode',
      'spec.operation_rules[0].operation_class',
      'spec.operation_rules[0].verdict',
    ]);
  });
});

describe('Worker', () => {
  test('defaults max_concurrent_tasks when not positive', () => {
    expect(apply('workers', {}).spec).toEqual({ max_concurrent_tasks: 1 });
    expect(apply('workers', { region: ' eu ', max_concurrent_tasks: -2, capabilities: { gpu: true, supported_models: ['gpt-4o', 'gpt-4o'] } }).spec).toEqual({
      region: 'eu',
      max_concurrent_tasks: 1,
      capabilities: { gpu: true, supported_models: ['gpt-4o'] },
    });
  });

  test('status carries heartbeats and only worker phases', () => {
    const def = kind('workers');
    apply('workers', { region: 'a' }, 'w1');
    const status = { phase: 'NotReady', lastHeartbeat: '2026-01-02T03:04:05Z', currentTasks: 2 };
    expect(registry.replaceStatus(def, 'default', 'w1', { status }, '*').status).toEqual({ ...status, observedGeneration: 1 });
    expect(() => registry.replaceStatus(def, 'default', 'w1', { status: { phase: 'Error' } }, '*')).toThrow(Invalid);
  });

  test('rejects unknown fields and wrong types', () => {
    expect(fields('workers', { capabilities: { gpus: 2 }, max_concurrent_tasks: 'many' })).toEqual(['spec.capabilities.gpus', 'spec.max_concurrent_tasks']);
  });
});

describe('Orloj examples', () => {
  const MINE = new Set(['AgentSystem', 'ModelEndpoint', 'Tool', 'Memory', 'McpServer', 'AgentPolicy', 'AgentRole', 'ToolPermission', 'Worker']);
  const root = join(import.meta.dir, '../../../shared/orloj-examples');
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : /\.ya?ml$/.test(f) ? [p] : [];
    });
  const docs = walk(root).flatMap((file) =>
    YAML.parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS())
      .filter((m) => m && MINE.has(m.kind))
      .map((m) => ({ file: file.slice(root.length + 1), manifest: m })),
  );

  test('every example of these kinds is present', () => {
    expect(docs.length).toBe(31);
    expect(new Set(docs.map((d) => d.manifest.kind))).toEqual(MINE);
  });

  test.each(docs.map((d) => [d.file, d.manifest]))('%s applies unchanged', (_file, manifest) => {
    const { registry: fresh, kind: kindOf } = testRegistry();
    const def = fresh.byKind.get(String(manifest.kind).toLowerCase())!;
    const { object, created } = fresh.apply(kindOf(def.plural), manifest, {});
    expect(created).toBe(true);
    expect(object.metadata.name).toBe(manifest.metadata.name);
    // Normalization only adds defaults: every field the example wrote survives as written.
    expect(object.spec).toMatchObject(manifest.spec);
  });
});
