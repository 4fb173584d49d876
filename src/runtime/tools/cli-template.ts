// Argument templates of `cli` tools: Orloj's Go-template subset `{{ .field }}` / `{{ .a.b }}`, each
// template rendering to exactly one argv entry (never split by a shell); empty results are dropped.
import { ToolError } from './contract';

/** A parsed template: literal text and field paths, in order. */
type Part = string | { path: string[] };

const ACTION = /\{\{(.*?)\}\}/gs;
const FIELD_PATH = /^(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

const argField = (index: number) => `spec.cli.args[${index}]`;

function syntaxError(index: number, message: string): ToolError {
  return new ToolError('runtime_policy_invalid', `${argField(index)}: ${message}; only {{ .field }} and {{ .a.b }} are supported`, {
    details: { field: argField(index) },
  });
}

/** Parses one template, or throws a non-retryable runtime_policy_invalid error naming the arg index. */
export function parseArg(template: string, index: number): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(ACTION)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    const inner = m[1].trim();
    if (!FIELD_PATH.test(inner)) throw syntaxError(index, `unsupported template action {{${m[1]}}}`);
    parts.push({ path: inner.slice(1).split('.') });
    last = m.index + m[0].length;
  }
  const rest = template.slice(last);
  if (rest.includes('{{')) throw syntaxError(index, 'unclosed "{{"');
  if (rest) parts.push(rest);
  return parts;
}

/** The args of a spec as a list of strings; anything else is a policy error naming the field. */
export function argTemplates(args: unknown): string[] {
  if (args === undefined || args === null) return [];
  if (!Array.isArray(args)) throw new ToolError('runtime_policy_invalid', 'spec.cli.args must be a list of strings', { details: { field: 'spec.cli.args' } });
  return args.map((a, i) => {
    if (typeof a !== 'string') throw new ToolError('runtime_policy_invalid', `${argField(i)} must be a string`, { details: { field: argField(i) } });
    return a;
  });
}

/** Parses every template up front so that a bad one is refused before any attempt. */
export function checkArgs(args: unknown): void {
  argTemplates(args).forEach(parseArg);
}

function lookup(input: Record<string, unknown>, path: string[], index: number): unknown {
  let value: unknown = input;
  for (let i = 0; i < path.length; i++) {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      const at = `.${path.slice(0, i).join('.')}`;
      throw new ToolError('invalid_input', `${argField(index)}: cannot read .${path.join('.')}: ${at} is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not an object`, {
        details: { field: argField(index) },
      });
    }
    value = (value as Record<string, unknown>)[path[i]];
  }
  return value;
}

/** A value as argv text: strings as they are, null or missing as empty, anything else as JSON. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Renders the args against the tool input: one argv entry per template, those rendering empty
 * dropped. Values are never trimmed, split or interpreted, so shell syntax reaches the program as
 * plain bytes; only a NUL byte, which no argv entry can hold, is refused.
 */
export function renderArgs(args: unknown, input: Record<string, unknown>): string[] {
  const out: string[] = [];
  argTemplates(args).forEach((template, index) => {
    const rendered = parseArg(template, index)
      .map((p) => (typeof p === 'string' ? p : text(lookup(input, p.path, index))))
      .join('');
    if (rendered.includes('\0')) {
      throw new ToolError('invalid_input', `${argField(index)} renders a NUL byte, which a command argument cannot carry`, { details: { field: argField(index) } });
    }
    if (rendered !== '') out.push(rendered);
  });
  return out;
}
