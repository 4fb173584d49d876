// MCP client side of the tool runtime: the per-process session pool and what it reports.
export { McpSessions, MAX_LIST_PAGES, type McpSessionsDeps, type McpToolInfo } from './sessions';
export { commandAllowed } from './connect';
