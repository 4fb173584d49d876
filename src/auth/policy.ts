// The role each route needs (reference §3.2, first match wins), decided from method and path.
// Routes may override it (for example kinds whose writes need admin).
import type { Requirement } from './roles';

export function requirementFor(method: string, path: string): Requirement {
  if (path === '/healthz' || path === '/readyz') return 'none';
  if (path === '/metrics') return 'reader';
  if (path.startsWith('/swagger')) return 'none';
  if (path === '/v1/auth' || path.startsWith('/v1/auth/')) return 'none';
  if (path === '/v1/tokens' || path.startsWith('/v1/tokens/')) return 'admin';
  if (path.startsWith('/v1/webhook-deliveries/')) return 'none';
  // Tool results delivered later: authorized by the call's single-use callback token instead.
  if (path === '/v1/tool-callbacks') return 'none';
  if (method !== 'GET' && (path === '/v1/mcp-servers' || path.startsWith('/v1/mcp-servers/'))) return 'admin';
  if (method === 'GET') return 'reader';
  if (path.endsWith('/status')) return 'controller';
  return 'writer';
}
