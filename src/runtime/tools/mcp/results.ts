// MCP replies in tool-runtime terms: a tools/call result as the text the model sees, and client
// failures as ToolErrors (transport failures retryable and marked so the session is replaced).
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolError } from '../contract';

/** Message excerpts of tool errors stay short; the model gets the essence, not a dump. */
const MAX_ERROR_TEXT = 1000;
/** JSON-RPC errors that mean the request itself was wrong: sending it again cannot help. */
const CALLER_ERRORS = new Set<number>([ErrorCode.ParseError, ErrorCode.InvalidRequest, ErrorCode.MethodNotFound, ErrorCode.InvalidParams]);

type Content = CallToolResult['content'][number];

/** A non-text item described without its payload (images and audio are base64 blobs). */
function summarize(item: Content): string {
  switch (item.type) {
    case 'image':
    case 'audio':
      return JSON.stringify({ type: item.type, mimeType: item.mimeType, bytes: Math.floor((item.data.length * 3) / 4) });
    case 'resource':
      return JSON.stringify({ type: 'resource', resource: item.resource });
    default:
      return JSON.stringify(item);
  }
}

/** Text items joined by newlines, other items as JSON; structuredContent when there is no content. */
export function resultText(result: CallToolResult): string {
  const items = result.content ?? [];
  if (!items.length && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return items
    .map((item) => (item.type === 'text' ? item.text : summarize(item)))
    .filter((text) => text !== '')
    .join('\n');
}

/** isError: the tool ran and failed; Orloj retries these (the failure may be transient). */
export function toolReportedError(server: string, tool: string, result: CallToolResult): ToolError {
  const text = resultText(result);
  const shown = text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
  return new ToolError('execution_failed', `MCP tool ${tool} on ${server} reported an error: ${shown || '(no text)'}`, {
    details: { mcp_server: server, mcp_tool: tool, cause: 'mcp_tool_error' },
  });
}

export interface MappedError {
  error: ToolError;
  /** The connection is unusable (closed, broken pipe, HTTP failure): the session is replaced. */
  transport: boolean;
}

/** A failure of a request on a session. */
export function requestError(server: string, method: string, e: unknown): MappedError {
  if (e instanceof ToolError) return { error: e, transport: false };
  const details = { mcp_server: server, mcp_method: method };
  if (e instanceof McpError) {
    if (e.code === ErrorCode.ConnectionClosed) {
      return { error: new ToolError('execution_failed', `MCP server ${server}: connection closed during ${method}`, { details }), transport: true };
    }
    if (e.code === ErrorCode.RequestTimeout) {
      return { error: new ToolError('timeout', `MCP server ${server}: ${method} timed out`, { details }), transport: false };
    }
    const retryable = !CALLER_ERRORS.has(e.code);
    return { error: new ToolError('execution_failed', `MCP server ${server}: ${method} failed: ${e.message}`, { retryable, details: { ...details, mcp_error_code: e.code } }), transport: false };
  }
  if (e instanceof StreamableHTTPError && (e.code === 401 || e.code === 403)) {
    const code = e.code === 401 ? 'auth_invalid' : 'auth_forbidden';
    return { error: new ToolError(code, `MCP server ${server} answered ${e.code} to ${method}: check spec.auth`, { status: e.code, details }), transport: true };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { error: new ToolError('execution_failed', `MCP server ${server}: ${method} failed on the transport: ${message}`, { details }), transport: true };
}

/** The text with every credential value (env Secrets, auth Secret values) replaced by ***. */
export function hideSecrets(text: string, values: ReadonlySet<string>): string {
  let out = text;
  for (const v of values) if (v) out = out.split(v).join('***');
  return out;
}

/** The same error with its message scrubbed of credential values. */
export function hiddenError(err: ToolError, values: ReadonlySet<string>): ToolError {
  const message = hideSecrets(err.message, values);
  if (message === err.message) return err;
  return new ToolError(err.code, message, { reason: err.reason, retryable: err.retryable, status: err.status, details: err.details, toolStatus: err.toolStatus });
}
