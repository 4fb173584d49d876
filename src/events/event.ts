// The event object of the event stream (reference §4.2), one TypeBox shape for storage, SSE
// frames and the OpenAPI document.
import { Type as t, type Static } from '@sinclair/typebox';

export const EventSchema = t.Object(
  {
    id: t.Integer({ description: 'Monotonically increasing; survives restarts.' }),
    timestamp: t.String({ description: 'RFC 3339 with nanosecond precision.' }),
    source: t.String({ description: 'apiserver, task-controller, worker-controller, …' }),
    type: t.String({ description: 'resource.created, resource.updated, resource.deleted, resource.status, …' }),
    kind: t.Optional(t.String()),
    name: t.Optional(t.String()),
    namespace: t.Optional(t.String()),
    action: t.Optional(t.String()),
    message: t.Optional(t.String()),
    data: t.Optional(t.Unknown()),
  },
  { description: 'One event; empty fields are omitted.' },
);
export type OrreryEvent = Static<typeof EventSchema>;

/** What a publisher supplies; the log assigns id and timestamp. */
export type NewEvent = Omit<OrreryEvent, 'id' | 'timestamp'> & { timestamp?: string };

/** RFC 3339 with nine fractional digits, as Go's RFC3339Nano prints them. */
export function nanoTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
