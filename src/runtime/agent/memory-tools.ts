// The built-in memory tools (memory.read/write/search/list/ingest): which ones an agent is offered,
// their model-facing schemas, and running one call in-process against the agent's Memory backend.
import { MemoryError, memoryKeyProblem, memoryValueProblem } from '../memory/types';
import { CONTRACT_VERSION, ToolError, type ToolRef, type ToolResult } from '../tools';
import type { AgentMemory, AgentRunInput } from '../engine/types';
import { chunkKey, chunkText } from './memory-chunks';

/** Marks a ToolRef as a built-in memory tool (not a Tool type anyone can declare). */
export const MEMORY_TOOL_TYPE = 'builtin-memory';
export const MEMORY_OPS = ['read', 'write', 'search', 'list', 'ingest'] as const;
export type MemoryOp = (typeof MEMORY_OPS)[number];
export const DEFAULT_TOP_K = 10;
/** The most entries memory.list returns in one call. */
export const MAX_LIST_ENTRIES = 1000;
/** The largest document memory.ingest accepts (UTF-8 bytes). */
export const MAX_INGEST_BYTES = 10 * 1024 * 1024;

const str = (description: string) => ({ type: 'string', description });
const int = (description: string) => ({ type: 'integer', description });
const object = (properties: Record<string, unknown>, required: string[]) => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  additionalProperties: false,
});

/** What the model sees for each tool: hard-coded, never taken from a Tool resource. */
export const MEMORY_TOOL_SCHEMAS: Record<MemoryOp, { description: string; parameters: Record<string, unknown> }> = {
  read: { description: 'Read a value from memory by key.', parameters: object({ key: str('The exact memory key to read.') }, ['key']) },
  write: {
    description: 'Write a key-value pair into memory.',
    parameters: object({ key: str('The memory key to write.'), value: str('The value to store at the key.') }, ['key', 'value']),
  },
  search: {
    description: 'Search memory entries by query text.',
    parameters: object({ query: str('The search query.'), top_k: int(`Maximum number of results to return (default ${DEFAULT_TOP_K}).`) }, ['query']),
  },
  list: { description: 'List memory entries, optionally filtered by key prefix.', parameters: object({ prefix: str('Optional key prefix filter.') }, []) },
  ingest: {
    description: 'Ingest a source document into memory by chunking and storing it.',
    parameters: object(
      {
        source: str('Short source label for the ingested content.'),
        content: str('Full text content to ingest into memory.'),
        chunk_size: int('Characters per chunk (default 1000).'),
        overlap: int('Characters shared by consecutive chunks (default 0).'),
      },
      ['source', 'content'],
    ),
  },
};

const opOf = (name: string): MemoryOp | undefined => MEMORY_OPS.find((op) => `memory.${op}` === name);

export const isMemoryTool = (tool: ToolRef) => tool.spec.type === MEMORY_TOOL_TYPE && opOf(tool.name) !== undefined;

/** The operations spec.memory.allow grants (`read` or `memory.read`, any case). */
export function allowedOps(spec: Record<string, any>): MemoryOp[] {
  const allow: unknown[] = Array.isArray(spec.memory?.allow) ? spec.memory.allow : [];
  const named = new Set(allow.filter((a): a is string => typeof a === 'string').map((a) => a.trim().toLowerCase().replace(/^memory\./, '')));
  return MEMORY_OPS.filter((op) => named.has(op));
}

/** The memory tools of a run: none without a Memory, else one per allowed operation. */
export function memoryToolRefs(spec: Record<string, any>, memory: AgentMemory | undefined): ToolRef[] {
  if (!memory) return [];
  return allowedOps(spec).map((op) => ({
    name: `memory.${op}`,
    spec: { type: MEMORY_TOOL_TYPE, description: MEMORY_TOOL_SCHEMAS[op].description, input_schema: MEMORY_TOOL_SCHEMAS[op].parameters },
  }));
}

/** Entries a successful call stored, read back from its (journaled) result text. */
export function memoryWrites(tool: string, text: string): number {
  if (tool === 'memory.write') return 1;
  if (tool !== 'memory.ingest') return 0;
  try {
    const n = JSON.parse(text).chunks_stored;
    return typeof n === 'number' ? n : 0;
  } catch {
    return 0;
  }
}

type Args = Record<string, unknown>;

const invalid = (message: string) => new ToolError('invalid_input', message);

function argsOf(op: MemoryOp, input: string | Args | undefined): Args {
  if (input === undefined) return {};
  if (typeof input !== 'string') return input;
  if (!input.trim()) return {};
  try {
    const parsed = JSON.parse(input);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // reported below
  }
  throw invalid(`memory.${op}: input must be a JSON object with the fields ${Object.keys(MEMORY_TOOL_SCHEMAS[op].parameters.properties as object).join(', ')}`);
}

function text(op: MemoryOp, args: Args, field: string, required: boolean): string | undefined {
  const v = args[field];
  if (v === undefined || v === null) {
    if (required) throw invalid(`memory.${op}: ${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(`memory.${op}: ${field} must be a string`);
  if (required && !v.trim()) throw invalid(`memory.${op}: ${field} is required`);
  return v;
}

function integer(op: MemoryOp, args: Args, field: string): number | undefined {
  const v = args[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`memory.${op}: ${field} must be an integer`);
  return v;
}

/** Refuses what no backend may store (the limits the entries API applies too). */
function storable(op: MemoryOp, field: string, problem: string | undefined): void {
  if (problem) throw invalid(`memory.${op}: ${field} ${problem}`);
}

/** One operation against the backend; the result object the model receives as JSON. */
async function perform(op: MemoryOp, args: Args, memory: AgentMemory, signal: AbortSignal): Promise<Record<string, unknown>> {
  switch (op) {
    case 'read': {
      const key = text(op, args, 'key', true)!.trim();
      const entry = await (await memory.backend()).get(key, signal);
      return entry ? { found: true, key, value: entry.value } : { found: false, key };
    }
    case 'write': {
      const key = text(op, args, 'key', true)!.trim();
      const value = text(op, args, 'value', false) ?? '';
      storable(op, 'key', memoryKeyProblem(key));
      storable(op, 'value', memoryValueProblem(value));
      await (await memory.backend()).put(key, value, signal);
      return { status: 'ok', key };
    }
    case 'search': {
      const query = text(op, args, 'query', true)!.trim();
      const topK = integer(op, args, 'top_k');
      const found = await (await memory.backend()).search(query, topK && topK > 0 ? topK : DEFAULT_TOP_K, signal);
      const results = found.map((e) => ({ key: e.key, value: e.value, score: e.score ?? 0 }));
      return { results, count: results.length };
    }
    case 'list': {
      const prefix = text(op, args, 'prefix', false) ?? '';
      const entries = (await (await memory.backend()).list(prefix, MAX_LIST_ENTRIES, signal)).map((e) => ({ key: e.key, value: e.value }));
      return { entries, count: entries.length };
    }
    case 'ingest': {
      const source = text(op, args, 'source', true)!.trim();
      const content = text(op, args, 'content', true)!;
      const chunkSize = integer(op, args, 'chunk_size');
      const overlap = integer(op, args, 'overlap');
      if (Buffer.byteLength(content) > MAX_INGEST_BYTES) throw invalid(`memory.ingest: content must be at most ${MAX_INGEST_BYTES} bytes`);
      const chunks = chunkText(content, chunkSize, overlap);
      // Checked before the first write: a refused document stores nothing.
      const lastKey = memoryKeyProblem(chunkKey(source, chunks.length - 1));
      storable(op, 'source', lastKey && `${lastKey} (with its /chunk-NNNN suffix)`);
      chunks.forEach((c, i) => storable(op, `chunk ${i}`, memoryValueProblem(c)));
      const backend = await memory.backend();
      for (const [i, chunk] of chunks.entries()) {
        try {
          await backend.put(chunkKey(source, i), chunk, signal);
        } catch (e) {
          if (e instanceof MemoryError) throw new MemoryError(`failed writing chunk ${i} of ${chunks.length}: ${e.message}`, e.retryable, e.field);
          throw e;
        }
      }
      return { status: 'ok', source, chunks_stored: chunks.length };
    }
  }
}

/** A backend failure as a tool error: retryable when the MemoryError says so. */
function backendError(op: MemoryOp, e: unknown): ToolError {
  if (e instanceof ToolError) return e;
  const message = `memory.${op}: ${e instanceof Error ? e.message : String(e)}`;
  return new ToolError('execution_failed', message, { retryable: e instanceof MemoryError ? e.retryable : false });
}

/**
 * Runs one memory tool call in-process, with the result shape the tool runtime gives (one attempt,
 * contract v1 trace fields). Never throws: bad input and backend failures come back as tool errors.
 */
export async function invokeMemoryTool(
  input: AgentRunInput,
  tool: ToolRef,
  call: { requestId: string; input?: string | Args },
  signal: AbortSignal,
): Promise<ToolResult> {
  const started = input.clock.now().getTime();
  const op = opOf(tool.name)!;
  const base = () => ({ attempts: 1, latencyMs: Math.max(0, input.clock.now().getTime() - started), contractVersion: CONTRACT_VERSION, requestId: call.requestId });
  const trace = { tool_contract_version: CONTRACT_VERSION, tool_request_id: call.requestId, tool_attempt: 1 };
  try {
    if (!input.memory) throw new ToolError('runtime_policy_invalid', `memory.${op}: the agent has no memory (spec.memory.ref)`);
    const output = await perform(op, argsOf(op, call.input), input.memory, signal);
    return { status: 'ok', output, text: JSON.stringify(output), ...base(), trace };
  } catch (e) {
    const err = backendError(op, e);
    return {
      status: 'error',
      text: `tool "${tool.name}" failed: ${err.canonicalText()}`,
      error: { ...err.toBody(), reason: err.reason, retryable: err.retryable, message: err.message },
      ...base(),
      trace: { ...trace, error_code: err.code, error_reason: err.reason, retryable: err.retryable },
    };
  }
}
