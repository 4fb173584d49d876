// Safe tool-name aliases: providers accept only ^[a-zA-Z0-9_-]{1,64}$, tool names may hold dots,
// slashes or run long. Aliases are deterministic for a set of names, collision-free and reversible.
import { createHash } from 'node:crypto';
import type { ChatMessage, ModelRequest, ToolCall } from './types';

const SAFE = /^[A-Za-z0-9_-]{1,64}$/;
const MAX = 64;

export interface ToolNameMap {
  toAlias(name: string): string;
  /** The original name of an alias; unknown names (a model inventing one) come back unchanged. */
  toName(alias: string): string;
}

function shortHash(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 8);
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[_-]+|[_-]+$/g, '');
}

/**
 * Names that are already safe keep themselves. Every other name becomes its sanitized form plus an
 * 8-hex hash of the original (so `a.b` and `a/b` differ), cut to 64 characters; a clash with a name
 * already taken gets a numeric suffix. Names are processed sorted, so input order does not matter.
 */
export function createToolNameMap(names: Iterable<string>): ToolNameMap {
  const unique = [...new Set(names)].sort();
  const toAlias = new Map<string, string>();
  const toName = new Map<string, string>();
  const take = (name: string, alias: string) => {
    toAlias.set(name, alias);
    toName.set(alias, name);
  };
  for (const name of unique) if (SAFE.test(name)) take(name, name);
  for (const name of unique) {
    if (toAlias.has(name)) continue;
    const suffix = `_${shortHash(name)}`;
    const base = (sanitize(name) || 'tool').slice(0, MAX - suffix.length) + suffix;
    let alias = base;
    for (let n = 2; toName.has(alias); n++) alias = base.slice(0, MAX - String(n).length - 1) + `_${n}`;
    take(name, alias);
  }
  return {
    toAlias: (name) => toAlias.get(name) ?? name,
    toName: (alias) => toName.get(alias) ?? alias,
  };
}

function names(request: ModelRequest): string[] {
  const out: string[] = (request.tools ?? []).map((t) => t.name);
  for (const m of request.messages) {
    for (const c of m.tool_calls ?? []) out.push(c.name);
    if (m.role === 'tool' && m.name) out.push(m.name);
  }
  return out;
}

/** Rewrites tool names in the tools list and the history to aliases; returns the map to undo it. */
export function aliasRequest(request: ModelRequest): { request: ModelRequest; map: ToolNameMap } {
  const map = createToolNameMap(names(request));
  const renameCalls = (calls?: ToolCall[]) => calls?.map((c) => ({ ...c, name: map.toAlias(c.name) }));
  const messages = request.messages.map((m): ChatMessage => {
    const out: ChatMessage = { ...m };
    if (m.tool_calls) out.tool_calls = renameCalls(m.tool_calls);
    if (m.role === 'tool' && m.name) out.name = map.toAlias(m.name);
    return out;
  });
  const tools = request.tools?.map((t) => ({ ...t, name: map.toAlias(t.name) }));
  return { request: { ...request, messages, ...(tools ? { tools } : {}) }, map };
}
