// The logs' contract on both backends: the change log, the event log and task record streams
// answer the same on SQLite and PostgreSQL; and on PostgreSQL the watch feeds publish every change
// made through another connection pool (another server) once, in revision order.
import { afterAll, describe, expect, test } from 'bun:test';
import { SQL } from 'bun';
import { nanoTimestamp } from '../../src/events/event';
import { ChangeLog } from '../../src/store/change-log';
import { openDatabase } from '../../src/store/database';
import { EventLog } from '../../src/store/event-log';
import { ChangeFeed, EventFeed } from '../../src/watch/feeds';
import type { KindDefinition, StoredObject } from '../../src/registry/kind';
import { PgChangeLog } from '../../src/store/pg/change-log';
import { applyPgMigrations } from '../../src/store/pg/migrate';
import { PgEventLog } from '../../src/store/pg/event-log';
import { PgResourceStore } from '../../src/store/pg/resource-store';
import { PgTaskRecordStore } from '../../src/store/pg/task-records';
import { ResourceStore, type ResourceRow } from '../../src/store/resource-store';
import { TaskRecordStore } from '../../src/store/task-records';
import type { Changes, Events, Records, Resources } from '../../src/store/backend';
import { freshDatabase } from '../support/postgres';
import { agentRow } from '../support/rows';

interface Backend {
  store: Resources;
  changes: Changes;
  events: Events;
  records: Records;
}

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});
const STREAMS = { messages: 'message_id', trace: '' };

async function sqlite(): Promise<Backend> {
  const handle = openDatabase(':memory:');
  closers.push(async () => handle.close());
  const store = new ResourceStore(handle);
  return { store, changes: new ChangeLog(handle), events: new EventLog(handle, store), records: new TaskRecordStore(handle, STREAMS) };
}

async function pgPool(url: string) {
  const pool = new SQL({ url, max: 16 });
  closers.push(() => pool.close());
  return pool;
}

async function postgres(url?: string): Promise<Backend & { pool: SQL; pg: PgResourceStore; pgChanges: PgChangeLog; pgEvents: PgEventLog }> {
  const pool = await pgPool(url ?? (await freshDatabase('logs')));
  await applyPgMigrations(pool);
  const pg = new PgResourceStore(pool);
  const pgChanges = new PgChangeLog(pg);
  const pgEvents = new PgEventLog(pg);
  return { store: pg, changes: pgChanges, events: pgEvents, records: new PgTaskRecordStore(pg, STREAMS), pool, pg, pgChanges, pgEvents };
}

const row = (name: string, at = '2026-01-01T00:00:00Z') => agentRow(name, { spec: '{}', createdAt: at, updatedAt: at });

for (const [name, open] of [
  ['sqlite', sqlite],
  ['postgres', () => postgres()],
] as const) {
  describe(`logs contract: ${name}`, () => {
    test('change log: read after a revision, sized pages, trim keeps a contiguous tail and the newest', async () => {
      const { store, changes } = await open();
      expect([await changes.lastRevision(), await changes.firstRevision()]).toEqual([0, undefined]);
      for (let i = 1; i <= 6; i++) await store.write(() => store.insert(row(`a${i}`, i <= 3 ? '2026-01-01T00:00:00Z' : '2026-06-01T00:00:00Z')));
      expect((await changes.readAfter(2, 5, 10)).map((c) => [c.revision, c.type, c.row.name])).toEqual([
        [3, 'added', 'a3'],
        [4, 'added', 'a4'],
        [5, 'added', 'a5'],
      ]);
      expect(await changes.rowsWithin(0, 6, 1, 10)).toBe(1);
      expect(await changes.rowsWithin(0, 6, 1 << 20, 4)).toBe(4);
      // Older than a month: only the first three; keep 1: never the newest.
      const trimmed = await store.write(() => changes.trim(1, 30 * 86_400_000, new Date('2026-06-02T00:00:00Z'), 100));
      expect(trimmed).toBe(3);
      expect([await changes.firstRevision(), await changes.lastRevision()]).toEqual([4, 6]);
    });

    test('event log: ids in order, a write of its own, replay after an id, trim', async () => {
      const { store, events } = await open();
      const now = new Date('2026-01-01T00:00:00Z');
      const a = await events.commit({ source: 't', type: 'x.one', data: { n: 1 } }, now);
      const b = await store.write(() => events.append({ source: 't', type: 'x.two', name: 'n', namespace: 'ns' }, now, nanoTimestamp));
      expect([a.id, b.id]).toEqual([1, 2]);
      expect(await events.lastId()).toBe(2);
      const read = await events.readAfter(0, 2, 10);
      expect(read.map((e) => [e.id, e.type, e.data ?? null, e.name ?? null])).toEqual([
        [1, 'x.one', { n: 1 }, null],
        [2, 'x.two', null, 'n'],
      ]);
      await events.commit({ source: 't', type: 'x.three' }, now);
      expect(await store.write(() => events.trim(1, 0, new Date('2026-02-01T00:00:00Z'), nanoTimestamp, 100))).toBe(2);
      expect(await events.firstId()).toBe(3);
    });

    test('record streams: replace, append with a cap, keyed upsert and remove, drop', async () => {
      const { store, records } = await open();
      await store.write(async () => {
        await records.apply('t1', [{ field: 'messages', replace: [{ message_id: 'm1', v: 1 }, { message_id: 'm2', v: 1 }] }]);
        await records.apply('t1', [{ field: 'trace', append: [1, 2, 3, 4], keep: 3 }]);
      });
      await store.write(() =>
        records.apply('t1', [
          { field: 'messages', upsert: [{ key: 'm2', value: { message_id: 'm2', v: 2 } }, { key: 'm3', value: { message_id: 'm3', v: 1 } }], remove: ['m1'] },
          { field: 'trace', append: [5], keep: 3 },
        ]),
      );
      expect(await records.load('t1')).toEqual({
        messages: [
          { message_id: 'm2', v: 2 },
          { message_id: 'm3', v: 1 },
        ],
        trace: [3, 4, 5],
      });
      await store.write(() => records.drop('t1'));
      expect(await records.load('t1')).toEqual({});
    });
  });
}

describe('watch feeds across servers (postgres)', () => {
  test("a server's feeds publish every change and event committed through another server's pool, once, in order", async () => {
    const url = await freshDatabase('feed');
    const a = await postgres(url);
    const b = await postgres(url);
    const reader = { byKind: new Map([['agent', { kind: 'Agent' } as KindDefinition]]), present: (_def: KindDefinition, r: ResourceRow) => ({ metadata: { name: r.name } }) as StoredObject };
    const changes = new ChangeFeed(a.pgChanges, reader);
    const events = new EventFeed(a.pgEvents);
    await Promise.all([changes.catchUp(), events.catchUp()]);
    const seen = changes.hub.subscribe(() => true, 10_000);
    const seenEvents = events.hub.subscribe(() => true, 10_000);
    // 60 concurrent writers through the other pool and 20 through this one (published locally as
    // they commit, as the registry does), with events in between.
    await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => b.store.write(() => b.store.insert(row(`b${i}`)))),
      ...Array.from({ length: 20 }, (_, i) =>
        a.store.write(
          () => a.store.insert(row(`a${i}`)),
          (c) => changes.committed(c.revision, c.type, reader.byKind.get('agent')!, { metadata: { name: c.name, namespace: 'default', labels: {} } } as unknown as StoredObject),
        ),
      ),
      ...Array.from({ length: 10 }, () => b.events.commit({ source: 't', type: 'x' }, new Date())),
    ]);
    // What NOTIFY (or the poll) triggers.
    await Promise.all([changes.catchUp(), events.catchUp()]);
    expect(seen.drain().map((c) => c.revision)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(seenEvents.drain().map((e) => e.event.id)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });
});
