// Tool types without a registered transport and isolation modes without a backend fail closed,
// before any request is sent, with a non-retryable unsupported_tool / isolation_unavailable error.
import { ToolError } from './contract';
import type { ToolSpec, Transport } from './types';

/** Types the server and worker processes of this build register (see src/runtime/engine/index.ts). */
export const SUPPORTED_TOOL_TYPES = ['http', 'external', 'webhook-callback', 'cli', 'mcp', 'wasm'] as const;
/** Types the Tool kind accepts that this project does not plan to run. */
const NOT_PLANNED = new Set(['grpc', 'a2a', 'queue']);

/** The error that stops a call before it starts, or undefined when the tool can run. */
export function unsupportedError(spec: ToolSpec, transports: ReadonlyMap<string, Transport>): ToolError | undefined {
  const type = (spec.type || 'http').toLowerCase();
  const transport = transports.get(type);
  if (!transport) {
    const why = NOT_PLANNED.has(type) ? 'is not supported by Orrery' : 'is not available in this process';
    return new ToolError('unsupported_tool', `tool type ${type} ${why}; supported types: ${[...transports.keys()].sort().join(', ')}`, {
      details: { tool_type: type },
    });
  }
  const isolation = (spec.runtime?.isolation_mode || 'none').toLowerCase();
  if (isolation !== 'none' && !(transport.isolation ?? []).includes(isolation)) {
    return new ToolError(
      'isolation_unavailable',
      `isolation_mode ${isolation} is not available on this server (no sandbox backend); set spec.runtime.isolation_mode: none to call the tool directly`,
      { details: { isolation_mode: isolation } },
    );
  }
  return undefined;
}
