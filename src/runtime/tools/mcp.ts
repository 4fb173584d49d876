// Transport for `type: mcp`: calls spec.mcp_tool_name on the McpServer named by spec.mcp_server_ref
// (in the Tool's namespace, else the call's, or `namespace/name`) through the process's session pool.
import { ToolError, type ToolOutput } from './contract';
import type { McpSessions } from './mcp/sessions';
import type { AttemptContext, ToolRef, Transport } from './types';

function serverRef(ref: string, namespace: string): { namespace: string; name: string } {
  const i = ref.indexOf('/');
  return i < 0 ? { namespace, name: ref.trim() } : { namespace: ref.slice(0, i).trim(), name: ref.slice(i + 1).trim() };
}

export interface McpTransportOptions {
  /** Close the pool with the tool runtime: true when the engine built the pool for itself. */
  ownsSessions?: boolean;
}

export function mcpTransport(sessions: McpSessions, opts: McpTransportOptions = {}): Transport {
  return {
    check(tool: ToolRef) {
      for (const field of ['mcp_server_ref', 'mcp_tool_name'] as const) {
        if (typeof tool.spec[field] !== 'string' || !tool.spec[field].trim()) {
          return new ToolError('runtime_policy_invalid', `spec.${field} is required for mcp tools`, { details: { field: `spec.${field}` } });
        }
      }
      return undefined;
    },
    async call(ctx: AttemptContext): Promise<ToolOutput> {
      const spec = ctx.tool.spec;
      // The reference is relative to the Tool (generated Tools live beside their server), which may
      // sit in another namespace than the task calling it.
      const ref = serverRef(String(spec.mcp_server_ref), ctx.tool.namespace || ctx.namespace);
      const text = await sessions.callTool(ref.namespace, ref.name, String(spec.mcp_tool_name), ctx.input, ctx.signal, ctx.timeoutMs);
      return { output: { result: text }, text };
    },
    ...(opts.ownsSessions ? { close: () => sessions.close() } : {}),
  };
}
