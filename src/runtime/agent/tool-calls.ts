// Tools as the model sees them (definitions) and the calls a reply asks for: native tool calls, or
// a JSON object in the text ({name|tool, input|arguments}, optionally fenced, or {tool_calls:[…]}).
import { createToolNameMap, type ToolCall, type ToolDefinition } from '../models';
import type { ToolRef } from '../tools';
import { canonicalJson } from './output-schema';

export const GENERIC_PARAMETERS: Record<string, unknown> = {
  type: 'object',
  properties: { input: { type: 'string' } },
  additionalProperties: true,
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function toolDefinition(tool: ToolRef): ToolDefinition {
  const description = typeof tool.spec.description === 'string' ? tool.spec.description.trim() : '';
  const schema = tool.spec.input_schema;
  return {
    name: tool.name,
    description: description || `Invoke tool ${tool.name}`,
    parameters: isObject(schema) && Object.keys(schema).length ? schema : GENERIC_PARAMETERS,
  };
}

function argumentsOf(raw: unknown): Record<string, unknown> {
  if (isObject(raw)) return raw;
  if (typeof raw === 'string') {
    try {
      const parsed = JSON.parse(raw);
      if (isObject(parsed)) return parsed;
    } catch {
      // plain text argument
    }
    return raw.trim() ? { input: raw } : {};
  }
  return raw === undefined || raw === null ? {} : { input: raw };
}

/** One entry: {name|tool, input|arguments} or the OpenAI shape {function: {name, arguments}}. */
function callFrom(entry: unknown, requireArgs: boolean): { name: string; arguments: Record<string, unknown> } | undefined {
  if (!isObject(entry)) return undefined;
  const fn = isObject(entry.function) ? entry.function : entry;
  const name = typeof fn.name === 'string' ? fn.name : typeof fn.tool === 'string' ? fn.tool : undefined;
  if (!name?.trim()) return undefined;
  // A lone object needs its arguments key too: {"name": …} alone is more likely an answer than a call.
  if (requireArgs && !('input' in fn || 'arguments' in fn)) return undefined;
  return { name: name.trim(), arguments: argumentsOf('input' in fn ? fn.input : fn.arguments) };
}

function jsonCandidates(text: string): unknown[] {
  const trimmed = text.trim();
  const out: unknown[] = [];
  const fence = trimmed.match(/^```(?:json|JSON)?[ \t]*\r?\n([\s\S]*?)\r?\n?```$/) ?? trimmed.match(/```(?:json|JSON)[ \t]*\r?\n([\s\S]*?)```/);
  for (const candidate of [trimmed, fence?.[1]?.trim()]) {
    if (!candidate || !candidate.startsWith('{')) continue;
    try {
      out.push(JSON.parse(candidate));
    } catch {
      // not JSON
    }
  }
  return out;
}

/**
 * Tool calls written into the reply text by models without native tool calling. Call ids are
 * made up (`text_s<step>_<n>`) so the results can be linked back like native ones.
 */
export function parseTextToolCalls(text: string, stepTag: string): ToolCall[] {
  for (const value of jsonCandidates(text)) {
    if (!isObject(value)) continue;
    const list = Array.isArray(value.tool_calls) ? value.tool_calls : Array.isArray(value.tools) ? value.tools : undefined;
    const calls = (list ?? [value]).map((e) => callFrom(e, !list)).filter((c): c is NonNullable<typeof c> => c !== undefined);
    if (calls.length) return calls.map((c, i) => ({ id: `text_${stepTag}_${i + 1}`, ...c }));
  }
  return [];
}

/**
 * The calls to run for a reply: native calls first, else calls parsed from the text (only while
 * tools are offered). Names written in the text may be the wire aliases the model saw: map them back.
 */
export function requestedCalls(native: ToolCall[], text: string, offered: ToolRef[], stepTag: string): ToolCall[] {
  if (native.length) return native;
  if (!offered.length) return [];
  const names = createToolNameMap(offered.map((t) => t.name));
  return parseTextToolCalls(text, stepTag).map((c) => ({ ...c, name: names.toName(c.name) }));
}

/**
 * What the tool receives: a lone string `input` argument is passed as that string (the tool
 * runtime wraps or parses it), anything else as the arguments object.
 */
export function toolInput(args: Record<string, unknown>): string | Record<string, unknown> {
  const keys = Object.keys(args);
  return keys.length === 1 && keys[0] === 'input' && typeof args.input === 'string' ? args.input : args;
}

/** Key-order-independent identity of a (tool, arguments) pair, for the short-circuit cache. */
export function callKey(name: string, args: Record<string, unknown>): string {
  return `${name}\u0000${canonicalJson(args)}`;
}
