// McpServer: admin-only writes, transport rules, auth, durations and discovery status.
import { describe, expect, test } from 'bun:test';
import { Invalid } from '../../src/errors';
import { mcpServer } from '../../src/resources/mcp-server';
import { kindHelpers } from './helpers';

const { registry, kind, apply, causes, fields } = kindHelpers();

const DURATION = 'must be a duration such as 30s, 5m or 1h30m';

describe('McpServer', () => {
  test('needs admin and defaults idle_timeout and reconnect', async () => {
    expect(mcpServer.writeRole).toBe('admin');
    expect((await apply('mcp-servers', { transport: ' STDIO ', command: ' npx ', args: ['-y', 'server'], tool_filter: { include: [' echo ', '', 'echo'] } })).spec).toEqual({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', 'server'],
      tool_filter: { include: ['echo'] },
      idle_timeout: '0',
      reconnect: { max_attempts: 3, backoff: '2s' },
    });
  });

  test('transport is required and must be stdio or http', async () => {
    expect(await causes('mcp-servers', { command: 'x' })).toEqual([{ field: 'spec.transport', message: 'is required' }]);
    expect(await causes('mcp-servers', { transport: 'grpc' })).toEqual([{ field: 'spec.transport', message: 'must be one of: stdio, http' }]);
  });

  test('transport-specific requirements and env mount paths', async () => {
    expect(await fields('mcp-servers', { transport: 'stdio' })).toEqual(['spec.command']);
    expect((await apply('mcp-servers', { transport: 'stdio', image: 'ghcr.io/mcp', env: [{ name: 'KEY', secretRef: 's', mountPath: '/run/key' }] })).spec.image).toBe('ghcr.io/mcp');
    expect(await causes('mcp-servers', { transport: 'http', image: 'i' })).toEqual([
      { field: 'spec.endpoint', message: 'is required for http transport' },
      { field: 'spec.image', message: 'is only supported for stdio transport' },
    ]);
    expect(
      await causes('mcp-servers', { transport: 'stdio', command: 'x', image_pull_secret: 'p', env: [{ name: 'A', value: '1' }, { name: 'B', secretRef: 's', mountPath: 'rel' }] }),
    ).toEqual([
      { field: 'spec.env[1].mountPath', message: 'must be an absolute path' },
      { field: 'spec.image', message: 'is required when spec.image_pull_secret is set' },
      { field: 'spec.env[1].mountPath', message: 'requires spec.image' },
    ]);
  });

  test('auth, resources and durations', async () => {
    const spec = (await apply('mcp-servers', {
      transport: 'http',
      endpoint: 'http://mcp:8080',
      auth: { profile: 'API_KEY_HEADER', secretRef: 'k' },
      default_tool_runtime: { isolation_mode: 'NONE', timeout: ' 10s ' },
      allowPrivate: true,
    })).spec;
    expect(spec.auth).toEqual({ profile: 'api_key_header', secretRef: 'k', headerName: 'X-API-Key' });
    expect(spec.default_tool_runtime).toEqual({ isolation_mode: 'none', timeout: '10s' });
    expect(
      await causes('mcp-servers', {
        transport: 'http',
        endpoint: 'http://mcp',
        auth: { profile: 'bearer' },
        resources: { memory: '0m' },
        idle_timeout: 'never',
        reconnect: { backoff: 'x' },
        default_tool_runtime: { timeout: 'y' },
      }),
    ).toEqual([
      { field: 'spec.idle_timeout', message: DURATION },
      { field: 'spec.reconnect.backoff', message: DURATION },
      { field: 'spec.resources.memory', message: 'must be a positive size such as 512m, 1g or 1048576' },
      { field: 'spec.default_tool_runtime.timeout', message: DURATION },
      { field: 'spec.auth.secretRef', message: 'is required when auth.profile is set' },
    ]);
  });

  test('status carries discovery fields and only its own phases', async () => {
    const def = kind('mcp-servers');
    await apply('mcp-servers', { transport: 'stdio', command: 'x' }, 'disc');
    const status = { phase: 'Connecting', discoveredTools: ['echo'], generatedTools: ['disc-echo'], lastSyncedAt: '2026-01-02T03:04:05Z' };
    expect((await registry.replaceStatus(def, 'default', 'disc', { status }, '*')).status).toEqual({ ...status, observedGeneration: 1 });
    await expect(registry.replaceStatus(def, 'default', 'disc', { status: { phase: 'Running' } }, '*')).rejects.toThrow(Invalid);
  });

  test('rejects unknown fields', async () => {
    expect(await fields('mcp-servers', { transport: 'stdio', command: 'x', cmd: 'y', reconnect: { retries: 1 } })).toEqual(['spec.cmd', 'spec.reconnect.retries']);
  });
});
