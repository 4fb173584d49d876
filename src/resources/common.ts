// Schema pieces shared by every kind: the common status fields, strict objects, enums, string
// lists and maps (formatted strings such as durations live in formats.ts).
import { Type as t, type TProperties } from '@sinclair/typebox';

export const StringList = (description?: string) => t.Array(t.String(), description ? { description } : {});
export const StringMap = (description?: string) => t.Record(t.String(), t.String(), description ? { description } : {});

/** Status of every kind: phase, lastError, observedGeneration, plus kind-specific fields. */
export function statusSchema(phases: readonly string[], extra: TProperties = {}) {
  return t.Object(
    {
      phase: t.Optional(t.String({ description: `One of: ${phases.join(', ')}` })),
      lastError: t.Optional(t.String()),
      observedGeneration: t.Optional(t.Integer()),
      ...extra,
    },
    { additionalProperties: true },
  );
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
