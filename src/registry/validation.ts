// Turns TypeBox schema errors into Status causes with dotted field paths, one cause per problem,
// tells format problems from shape problems, and holds the named string formats (durations, time
// zones, base64, …) schemas refer to.
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/value';
import type { Cause } from '../errors';
import type { KindDefinition, Spec, WriteContext } from './kind';

/** What a cause says about a value that fails a format: it may use the value, never echo a secret. */
export type FormatMessage = (value: string) => string;

const formatMessages = new Map<string, FormatMessage>();

/**
 * Registers a string format that schemas name with `{ format }`. Being part of the schema check,
 * a bad value is reported together with every other shape problem of the same request.
 * Names must not clash with the formats Elysia registers (date, uri, duration, byte, regex, …).
 */
export function defineFormat(name: string, check: (value: string) => boolean, message: string | FormatMessage): string {
  FormatRegistry.Set(name, check);
  formatMessages.set(name, typeof message === 'string' ? () => message : message);
  return name;
}

/** "/spec/tools/0/name" under prefix "" → "spec.tools[0].name". */
export function fieldPath(prefix: string, pointer: string): string {
  let out = prefix;
  for (const seg of pointer.split('/').slice(1)) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_\-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** The path of one key under prefix: "spec.data" + "a.b" → 'spec.data["a.b"]', + "x" → "spec.data.x". */
export const keyPath = (prefix: string, key: string) => fieldPath(prefix, '/' + key.replace(/~/g, '~0').replace(/\//g, '~1'));

function describe(e: { type: ValueErrorType; message: string; schema: TSchema; value: unknown }): string {
  if (e.value === undefined) return 'is required';
  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field';
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.Union:
      if (Array.isArray(e.schema.anyOf) && e.schema.anyOf.every((s: TSchema) => 'const' in s)) {
        return `must be one of: ${e.schema.anyOf.map((s: TSchema) => s.const).join(', ')}`;
      }
      return e.message.toLowerCase();
    case ValueErrorType.Integer:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return wholeNumberMessage(e.schema);
    case ValueErrorType.StringFormat: {
      const message = formatMessages.get(e.schema.format);
      if (message) return message(String(e.value));
    }
    // falls through: a format nobody described keeps TypeBox's wording
    default:
      return e.message.charAt(0).toLowerCase() + e.message.slice(1);
  }
}

/** One wording for every problem of an integer field: the type, the range, or a value past 2^53. */
function wholeNumberMessage(schema: TSchema): string {
  const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
  if (minimum !== undefined && maximum !== undefined) return `must be a whole number from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `must be a whole number of at least ${minimum}`;
  return 'must be a whole number';
}

// Schemas are compiled once: a compiled check of a valid spec costs a few microseconds, and the
// slower error walk only runs for invalid input.
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

/** A value's schema causes, and whether its types and shapes are right (only formats fail). */
export interface SchemaReport {
  causes: Cause[];
  /**
   * True when every problem is a format problem: each value has its declared type and only its
   * content is wrong (a bad duration, URL, reference…). Cross-field rules can run on such a value.
   */
  wellTyped: boolean;
}

export function checkSchema(schema: TSchema, value: unknown, prefix: string): SchemaReport {
  const check = checker(schema);
  if (check.Check(value)) return { causes: [], wellTyped: true };
  const causes: Cause[] = [];
  const seen = new Set<string>();
  let wellTyped = true;
  for (const e of check.Errors(value)) {
    // Every error counts here, also the ones a field's first cause hides below.
    if (e.type !== ValueErrorType.StringFormat) wellTyped = false;
    // A union reports the union error and then each branch's errors; the first is the useful one.
    const field = fieldPath(prefix, e.path);
    if (seen.has(field)) continue;
    seen.add(field);
    causes.push({ field, message: describe(e) });
  }
  return { causes, wellTyped };
}

export function schemaCauses(schema: TSchema, value: unknown, prefix: string): Cause[] {
  return checkSchema(schema, value, prefix).causes;
}

/** Appends the causes of `more` that `causes` does not hold yet (same field and message), in order. */
export function addCauses(causes: Cause[], more: Cause[]): void {
  const known = new Set(causes.map(causeKey));
  for (const c of more) {
    const key = causeKey(c);
    if (known.has(key)) continue;
    known.add(key);
    causes.push(c);
  }
}

const causeKey = (c: Cause) => JSON.stringify([c.field, c.message]);

/**
 * A manifest's spec in the server's normal form, collecting every problem in `causes`: the kind's
 * prepare, normalize, schema and cross-field rules, in that order. Cross-field rules assume the
 * declared types and shapes, not valid formats: they also run when only formats fail, so one
 * request lists every problem (a rule repeating a format cause is not listed twice).
 */
export function buildSpec(def: KindDefinition, input: Spec, ctx: WriteContext, causes: Cause[]): Spec {
  let spec = input;
  if (def.prepare) {
    const prepared = def.prepare(spec, ctx);
    spec = prepared.spec;
    if (prepared.causes) causes.push(...prepared.causes);
  }
  if (def.normalize) spec = def.normalize(spec, ctx);
  const schema = checkSchema(def.spec, spec, 'spec');
  causes.push(...schema.causes);
  if (def.validate && schema.wellTyped) addCauses(causes, def.validate(spec, ctx));
  return spec;
}
