// Reads the parts of an Agent spec the loop uses (prompt, execution profile, limits) into one typed,
// defaulted settings object, tolerating specs that skipped normalization.
import { parseDuration } from '../../util/duration';

export const DEFAULT_MAX_STEPS = 10;

export interface AgentSettings {
  prompt: string;
  maxSteps: number;
  /** Undefined when the agent sets no (or a zero) limits.timeout. */
  timeoutMs?: number;
  contract: boolean;
  toolSequence: string[];
  requiredMarkers: string[];
  duplicatePolicy: 'short_circuit' | 'deny';
  onViolation: 'observe' | 'non_retryable_error';
  stopOnFirstTool: boolean;
  outputSchema?: Record<string, unknown>;
}

const obj = (v: unknown): Record<string, any> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : {});
const word = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : '');
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? [...new Set(v.filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter(Boolean))] : [];

export function readSettings(spec: Record<string, any>): AgentSettings {
  const execution = obj(spec.execution);
  const limits = obj(spec.limits);
  const steps = Number(limits.max_steps);
  const timeout = typeof limits.timeout === 'string' ? parseDuration(limits.timeout) : undefined;
  const schema = execution.output_schema;
  return {
    prompt: typeof spec.prompt === 'string' ? spec.prompt.trim() : '',
    maxSteps: Number.isInteger(steps) && steps > 0 ? steps : DEFAULT_MAX_STEPS,
    ...(timeout !== undefined && timeout > 0 ? { timeoutMs: timeout } : {}),
    contract: word(execution.profile) === 'contract',
    toolSequence: strings(execution.tool_sequence),
    requiredMarkers: strings(execution.required_output_markers),
    duplicatePolicy: word(execution.duplicate_tool_call_policy) === 'deny' ? 'deny' : 'short_circuit',
    onViolation: word(execution.on_contract_violation) === 'observe' ? 'observe' : 'non_retryable_error',
    stopOnFirstTool: word(execution.tool_use_behavior) === 'stop_on_first_tool',
    ...(schema && typeof schema === 'object' && !Array.isArray(schema) ? { outputSchema: schema as Record<string, unknown> } : {}),
  };
}
