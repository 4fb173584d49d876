// The MCP session pool of a process, reading McpServers and Secrets from the registry. The server
// builds one and shares it between its embedded worker and the McpServer controller; a worker
// process gets its own from startEngine.
import type { Logger } from '../../log';
import type { Registry } from '../../registry/registry';
import { McpSessions } from '../tools/mcp/sessions';
import { Resolver } from './resolve';
import type { EngineConfig } from './settings';

export function createMcpSessions(registry: Registry, config: Pick<EngineConfig, 'egressPrivate' | 'mcpCommandAllow'>, log: Logger): McpSessions {
  const def = registry.byPlural.get('mcp-servers')!;
  // Secrets of MCP servers come from Secret resources only (no ORLOJ_SECRET_* fallback), as for tools.
  const resolver = new Resolver(registry, {});
  return new McpSessions({
    server: (namespace, name) => registry.findDecoded(def, namespace, name),
    secrets: resolver.secrets,
    egress: { denyPrivate: config.egressPrivate === 'deny' },
    commandAllow: config.mcpCommandAllow ?? [],
    log,
  });
}
