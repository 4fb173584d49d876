// Clock injection and the RFC 3339 formats the API uses for timestamps.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** RFC 3339 in UTC with whole seconds, as Orloj writes createdAt and decision times. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
