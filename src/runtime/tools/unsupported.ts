// Tool types and isolation modes this build cannot run yet: they fail closed, before any request
// is sent, with a non-retryable unsupported_tool / isolation_unavailable error.
import { ToolError } from './contract';
import type { ToolSpec } from './types';

/** Types with a transport in this build. */
export const SUPPORTED_TOOL_TYPES = ['http', 'external', 'webhook-callback'] as const;
/** Types the Tool kind accepts that later work will add (grpc is not planned). */
const LATER = new Set(['mcp', 'cli', 'wasm', 'a2a']);
/**
 * Isolation modes need a sandbox this server does not have. `sandboxed` (the default for high and
 * critical risk) is refused too: running such a tool unisolated must be an explicit choice.
 */
const UNAVAILABLE_ISOLATION = new Set(['sandboxed', 'container', 'kubernetes', 'wasm']);

/** The error that stops a call before it starts, or undefined when the tool can run. */
export function unsupportedError(spec: ToolSpec): ToolError | undefined {
  const type = (spec.type || 'http').toLowerCase();
  if (!(SUPPORTED_TOOL_TYPES as readonly string[]).includes(type)) {
    const why = LATER.has(type) ? 'is not available in this build yet' : 'is not supported by Orrery';
    return new ToolError('unsupported_tool', `tool type ${type} ${why}; supported types: ${SUPPORTED_TOOL_TYPES.join(', ')}`, {
      details: { tool_type: type },
    });
  }
  const isolation = (spec.runtime?.isolation_mode || 'none').toLowerCase();
  if (UNAVAILABLE_ISOLATION.has(isolation)) {
    return new ToolError(
      'isolation_unavailable',
      `isolation_mode ${isolation} is not available on this server (no sandbox backend); set spec.runtime.isolation_mode: none to call the tool directly`,
      { details: { isolation_mode: isolation } },
    );
  }
  return undefined;
}
