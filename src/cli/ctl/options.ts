// Option parsers shared by the verbs (kept apart from program.ts, which imports every verb).

/** Repeatable option values (`--from-literal a=1 --from-literal b=2`, `-f a -f b`). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
