// Schema pieces shared by every kind: the common status fields, strict objects, enums, string
// lists and maps (formatted strings such as durations live in formats.ts).
import { Type as t, type TProperties } from '@sinclair/typebox';

export const StringList = (description?: string) => t.Array(t.String(), description ? { description } : {});
export const StringMap = (description?: string) => t.Record(t.String(), t.String(), description ? { description } : {});

/** The largest value most counts, limits and seconds fields take (a signed 32-bit int, as in Go). */
export const INT32_MAX = 2_147_483_647;

/**
 * A whole number from min to max. Every integer field is one: a bound is always set and never
 * past 2^53 − 1, so 1e308, 2^53 + 1 or 1.5 are refused instead of being stored inexactly.
 */
export const Int = (min: number, max: number, description?: string) =>
  t.Integer({ minimum: Math.max(min, Number.MIN_SAFE_INTEGER), maximum: Math.min(max, Number.MAX_SAFE_INTEGER), ...(description ? { description } : {}) });

/**
 * Status of every kind: phase, lastError, observedGeneration, plus kind-specific fields. Unknown
 * fields are refused, so a status write cannot smuggle in data no controller reads.
 */
export function statusSchema(phases: readonly string[], extra: TProperties = {}) {
  return strict({
    phase: t.Optional(t.String({ description: `One of: ${phases.join(', ')}` })),
    lastError: t.Optional(t.String()),
    observedGeneration: t.Optional(Int(0, Number.MAX_SAFE_INTEGER)),
    ...extra,
  });
}

/** Strict object: unknown fields are rejected so a typo is never silently dropped. */
export function strict(props: TProperties, description?: string) {
  return t.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
}

export const Enum = <const T extends readonly string[]>(values: T, description?: string) =>
  t.Union(
    values.map((v) => t.Literal(v)),
    description ? { description } : {},
  );
