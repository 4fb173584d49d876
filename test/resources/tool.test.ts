// Tool: defaults, canonical enums and lists, and the rules of each tool type (http, mcp, cli, wasm, a2a).
import { describe, expect, test } from 'bun:test';
import { toolNeedsAdmin } from '../../src/resources/tool';
import { kindHelpers } from './helpers';

const { apply, causes, fields } = kindHelpers();

const DURATION = 'must be a duration such as 30s, 5m or 1h30m';
const RUNTIME = { timeout: '30s', isolation_mode: 'none', retry: { max_attempts: 1, backoff: '0s', max_backoff: '30s', jitter: 'none' } };

describe('Tool', () => {
  test('defaults type, risk, operation classes and runtime policy', async () => {
    expect((await apply('tools', {})).spec).toEqual({ type: 'http', risk_level: 'low', operation_classes: ['read'], runtime: RUNTIME });
    expect((await apply('tools', { risk_level: 'Critical', runtime: { retry: { max_attempts: 0 } } })).spec).toEqual({
      type: 'http',
      risk_level: 'critical',
      operation_classes: ['write'],
      runtime: { ...RUNTIME, isolation_mode: 'sandboxed' },
    });
  });

  test('lower-cases enums and dedupes lists', async () => {
    const spec = (await apply('tools', {
      type: ' HTTP ',
      endpoint: ' https://api.example.com ',
      capabilities: ['web.read', ' Web.Read ', ''],
      operation_classes: ['Read', 'WRITE', 'read'],
      risk_level: 'MEDIUM',
      runtime: { timeout: '5s', isolation_mode: 'Container', retry: { max_attempts: 3, jitter: 'FULL' } },
      auth: { profile: 'API_KEY_HEADER', secretRef: ' k ', headerName: ' X-Key ', scopes: [' a ', '', 'a'] },
    })).spec;
    expect(spec).toEqual({
      type: 'http',
      endpoint: 'https://api.example.com',
      capabilities: ['web.read'],
      operation_classes: ['read', 'write'],
      risk_level: 'medium',
      runtime: { timeout: '5s', isolation_mode: 'container', retry: { max_attempts: 3, backoff: '0s', max_backoff: '30s', jitter: 'full' } },
      auth: { profile: 'api_key_header', secretRef: 'k', headerName: 'X-Key', scopes: ['a'] },
    });
    expect((await apply('tools', { auth: { secretRef: 's' } })).spec.auth).toEqual({ profile: 'bearer', secretRef: 's' });
  });

  test('rejects unknown enum values, each at its own path', async () => {
    expect(
      await fields('tools', {
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

  test('mcp tools need server and tool name; auth profiles need their fields; durations must parse', async () => {
    expect(
      await causes('tools', {
        type: 'mcp',
        auth: { profile: 'oauth2_client_credentials' },
        runtime: { timeout: 'soon', retry: { backoff: '5 seconds', max_backoff: '1m' } },
      }),
    ).toEqual([
      { field: 'spec.runtime.timeout', message: DURATION },
      { field: 'spec.runtime.retry.backoff', message: DURATION },
      { field: 'spec.mcp_server_ref', message: 'is required when spec.type is mcp' },
      { field: 'spec.mcp_tool_name', message: 'is required when spec.type is mcp' },
      { field: 'spec.auth.secretRef', message: 'is required when auth.profile is set' },
      { field: 'spec.auth.tokenURL', message: 'is required when auth.profile is oauth2_client_credentials' },
    ]);
    expect(await fields('tools', { auth: { profile: 'api_key_header', secretRef: 's' } })).toEqual(['spec.auth.headerName']);
  });

  test('cli tools: defaults, image unless isolation none, no auth block, env_from and resources', async () => {
    expect((await apply('tools', { type: 'cli', cli: { command: ' jq ', image: 'ghcr.io/jq' } })).spec).toEqual({
      type: 'cli',
      cli: { command: 'jq', image: 'ghcr.io/jq', output: 'stdout', network: 'bridge' },
      risk_level: 'low',
      operation_classes: ['read'],
      runtime: { ...RUNTIME, isolation_mode: 'container' },
    });
    const host = (await apply('tools', { type: 'cli', cli: { command: 'ls', output: 'BOTH' }, runtime: { isolation_mode: 'none' } })).spec;
    expect(host.cli).toEqual({ command: 'ls', output: 'both', network: 'bridge' });
    expect(toolNeedsAdmin(host)).toBe(true);
    expect(
      await causes('tools', {
        type: 'cli',
        cli: { image_pull_secret: 'pull', resources: { memory: 'lots', cpus: '0' } },
        auth: { secretRef: 's' },
      }),
    ).toEqual([
      { field: 'spec.cli.resources.memory', message: 'must be a positive size such as 512m, 1g or 1048576' },
      { field: 'spec.cli.resources.cpus', message: 'must be a positive number' },
      { field: 'spec.cli.command', message: 'is required when spec.type is cli' },
      { field: 'spec.cli.image', message: 'is required when spec.type is cli and isolation_mode is not none' },
      { field: 'spec.auth', message: 'is not supported for cli tools; pass credentials with spec.cli.env_from' },
      { field: 'spec.cli.image', message: 'is required when spec.cli.image_pull_secret is set' },
    ]);
    expect(await fields('tools', { type: 'cli', cli: { command: 'x', image: 'i', output: 'file', env_from: [{ name: ' ', secretRef: 's' }, { name: 'A' }] } })).toEqual([
      'spec.cli.output',
      'spec.cli.env_from[0].name',
      'spec.cli.env_from[1].secretRef',
    ]);
  });

  test('wasm tools: a module is required only with a wasm block, which gets defaults', async () => {
    expect((await apply('tools', { type: 'wasm', runtime: { isolation_mode: 'wasm' } })).spec.wasm).toBeUndefined();
    expect((await apply('tools', { type: 'wasm', wasm: { module: ' oci://ghcr.io/echo:1 ' } })).spec.wasm).toEqual({
      module: 'oci://ghcr.io/echo:1',
      entrypoint: 'run',
      max_memory_bytes: 64 * 1024 * 1024,
      fuel: 1_000_000,
    });
    expect((await apply('tools', { type: 'wasm', wasm: { module: './echo.wasm', entrypoint: 'main', fuel: 5, enable_wasi: true } })).spec.wasm).toEqual({
      module: './echo.wasm',
      entrypoint: 'main',
      max_memory_bytes: 64 * 1024 * 1024,
      fuel: 5,
      enable_wasi: true,
    });
    expect(await causes('tools', { type: 'wasm', wasm: { entrypoint: 'run' } })).toEqual([{ field: 'spec.wasm.module', message: 'is required when spec.wasm is set' }]);
    expect(await fields('tools', { type: 'wasm', wasm: { module: 'http://x/echo.wasm' } })).toEqual(['spec.wasm.module']);
  });

  test('a2a tools need an http(s) agent_url', async () => {
    expect((await apply('tools', { type: 'A2A', a2a: { agent_url: ' https://agent.example.com ', prefer_streaming: true } })).spec.a2a).toEqual({
      agent_url: 'https://agent.example.com',
      prefer_streaming: true,
    });
    expect(await causes('tools', { type: 'a2a' })).toEqual([{ field: 'spec.a2a.agent_url', message: 'is required when spec.type is a2a' }]);
    expect(await causes('tools', { type: 'a2a', a2a: { agent_url: 'ftp://x' } })).toEqual([{ field: 'spec.a2a.agent_url', message: 'must be an http(s) URL' }]);
  });

  test('rejects unknown fields and malformed shapes without crashing', async () => {
    expect(await fields('tools', { endpiont: 'x', cli: { cmd: 'ls' }, runtime: 'fast', capabilities: 'web' })).toEqual([
      'spec.endpiont',
      'spec.cli.cmd',
      'spec.capabilities',
      'spec.runtime',
    ]);
  });
});
