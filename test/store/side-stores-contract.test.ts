// The side stores' contract: object logs, webhook dedupe, the step journal, memory entries, users
// and tokens, and the leader lease keep the same promises on SQLite and on PostgreSQL. Each backend
// runs the same assertions; PostgreSQL is a real server (test/support/postgres.ts), one fresh
// database per test.
import { afterAll, describe, expect, test } from 'bun:test';
import { SQL } from 'bun';
import { migrations } from '../../db/pg/migrations';
import { AuthStore } from '../../src/auth/store';
import { sha256Hex } from '../../src/auth/secrets';
import { AlreadyExists, Conflict, NotFound } from '../../src/errors';
import { openDatabase } from '../../src/store/database';
import { LeaderLease } from '../../src/store/leader-lease';
import { MemoryEntryStore, SEARCH_CANDIDATES } from '../../src/store/memory-entries';
import { logMessage, ObjectLogs } from '../../src/store/object-logs';
import { PgAuthStore } from '../../src/auth/pg-store';
import { PgLeaderLease } from '../../src/store/pg/leader-lease';
import { PgMemoryEntryStore } from '../../src/store/pg/memory-entries';
import { PgObjectLogs } from '../../src/store/pg/object-logs';
import { PgResourceStore } from '../../src/store/pg/resource-store';
import { PgTaskJournalStore } from '../../src/store/pg/task-journal';
import { PgWebhookDedupeStore } from '../../src/store/pg/webhook-dedupe';
import { ResourceStore, type NewResourceRow } from '../../src/store/resource-store';
import { TaskJournalStore } from '../../src/store/task-journal';
import { WebhookDedupeStore } from '../../src/store/webhook-dedupe';
import type { Clock } from '../../src/util/time';
import { freshDatabase } from '../support/postgres';

type Memory = Pick<MemoryEntryStore, 'put' | 'get' | 'list' | 'search' | 'delete' | 'deleteAll' | 'count' | 'scopes'> & {
  withEmbeddings(ns: string, memory: string): Iterable<{ key: string; embedding: Float32Array }> | AsyncIterable<{ key: string; embedding: Float32Array }>;
};
type Lease = Pick<LeaderLease, 'holder' | 'current' | 'acquire' | 'release'>;

interface Backend {
  store: Pick<ResourceStore, 'write' | 'insert'>;
  logs(clock: Clock): Pick<ObjectLogs, 'append' | 'read' | 'stored' | 'deleteOwner'>;
  dedupe: Pick<WebhookDedupeStore, 'findEndpoint' | 'get' | 'put' | 'prune'>;
  journal(clock: Clock): Pick<TaskJournalStore, 'get' | 'putIfAbsent' | 'count' | 'drop'>;
  memory: Memory;
  auth: Pick<AuthStore, keyof AuthStore>;
  lease(name: string, holder: string, ttlMs: number, clock: Clock): Lease;
  /** Runs SQL text that both engines accept. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function sqlite(): Promise<Backend> {
  const handle = openDatabase(':memory:');
  return {
    store: new ResourceStore(handle),
    logs: (clock) => new ObjectLogs(handle, clock),
    dedupe: new WebhookDedupeStore(handle),
    journal: (clock) => new TaskJournalStore(handle, clock),
    memory: new MemoryEntryStore(handle),
    auth: new AuthStore(handle),
    lease: (name, holder, ttl, clock) => new LeaderLease(handle.sqlite, name, holder, ttl, clock),
    exec: async (sql) => void handle.sqlite.exec(sql),
    close: async () => handle.close(),
  };
}

async function postgres(): Promise<Backend> {
  const pool = new SQL({ url: await freshDatabase('side'), max: 24 });
  for (const m of migrations) await pool.unsafe(m.sql.replaceAll('--> statement-breakpoint', ''));
  const store = new PgResourceStore(pool);
  return {
    store,
    logs: (clock) => new PgObjectLogs(store, clock),
    dedupe: new PgWebhookDedupeStore(store),
    journal: (clock) => new PgTaskJournalStore(store, clock),
    memory: new PgMemoryEntryStore(store),
    auth: new PgAuthStore(store),
    lease: (name, holder, ttl, clock) => new PgLeaderLease(store, name, holder, ttl, clock),
    exec: async (sql) => void (await pool.unsafe(sql)),
    close: () => pool.close(),
  };
}

/** A clock that moves one millisecond per reading. */
function steppingClock(start = '2026-03-04T05:06:07.000Z') {
  let t = Date.parse(start);
  return { now: () => new Date(t++) };
}

/** A clock set by hand. */
function manualClock(t = 1_000_000) {
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

const NOW = '2026-01-01T00:00:00Z';
const row = (kind: string, name: string): NewResourceRow =>
  ({ kind, namespace: 'default', name, uid: `uid-${name}`, generation: 1, labels: '{}', annotations: '{}', spec: '{}', status: '{}', createdAt: NOW, updatedAt: NOW });

const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

async function collect<T>(items: Iterable<T> | AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

// A small corpus for keyword ranking. Every query word below is in fewer than half of the entries,
// so FTS5's bm25 gives each a positive weight (it counts a word in most entries as nearly nothing,
// which ts_rank_cd does not). Keys k01…k10 in order.
const CORPUS = [
  ...['budget planning for the budget year', 'planning a holiday by the sea', 'the budget review', 'notes on gardening', 'recipes for bread'],
  ...['a walk in the park', 'meeting minutes from monday', 'car maintenance schedule', 'books to read next', 'travel checklist and packing list'],
].map((value, i) => [`k${String(i + 1).padStart(2, '0')}`, value]);

for (const [name, open] of [['sqlite', sqlite], ['postgres', postgres]] as const) {
  describe(`side stores contract: ${name}`, () => {
    const fresh = async () => {
      const b = await open();
      closers.push(b.close);
      return b;
    };

    test('object logs: "<ms time> <message>" lines, oldest first, one line per message, 4 KiB cut', async () => {
      const b = await fresh();
      const logs = b.logs(steppingClock());
      await logs.append('Task', 'default', 't', 'task claimed by worker=w1');
      await logs.append('Task', 'default', 't', 'first\nsecond\r\nthird');
      await logs.append('Agent', 'default', 'a', `${'a'.repeat(4093)}€tail`);
      expect(await logs.read('Task', 'default', 't')).toEqual(['2026-03-04T05:06:07.000Z task claimed by worker=w1', '2026-03-04T05:06:07.001Z first second third']);
      expect(await logs.read('Agent', 'default', 'a')).toEqual([`2026-03-04T05:06:07.002Z ${logMessage(`${'a'.repeat(4093)}€tail`)}`]);
      expect((await logs.read('Agent', 'default', 'a'))[0]).toEndWith(`${'a'.repeat(4093)}€`);
      expect(await logs.read('Task', 'default', 'other')).toEqual([]);
    });

    test('object logs: caps of 500 (Task) and 200 (Agent), trimmed every 32 appends; deleteOwner removes one owner', async () => {
      const b = await fresh();
      const logs = b.logs(steppingClock());
      for (let i = 0; i < 700; i++) {
        await logs.append('Task', 'default', 't', `task line ${i}`);
        await logs.append('Agent', 'default', 't', `agent line ${i}`);
      }
      const task = await logs.read('Task', 'default', 't');
      expect([task.length, task[0].split(' ').slice(1).join(' '), task[499].split(' ').slice(1).join(' ')]).toEqual([500, 'task line 200', 'task line 699']);
      const agent = await logs.read('Agent', 'default', 't');
      expect([agent.length, agent[0].split(' ').slice(1).join(' ')]).toEqual([200, 'agent line 500']);
      // The last trim ran at append 673: the cap plus the 27 lines written since.
      expect([await logs.stored('Task', 'default', 't'), await logs.stored('Agent', 'default', 't')]).toEqual([527, 227]);
      await logs.append('Task', 'team', 't', 'elsewhere');
      await logs.deleteOwner('Task', 'default', 't');
      expect(await logs.stored('Task', 'default', 't')).toBe(0);
      expect(await logs.stored('Agent', 'default', 't')).toBe(227);
      expect(await logs.read('Task', 'team', 't')).toHaveLength(1);
    });

    test('webhook dedupe: endpoint lookup, the first holder wins, expired rows are replaced, prune', async () => {
      const { dedupe, exec } = await fresh();
      const insert = (kind: string, name: string, status: string) =>
        exec(
          `INSERT INTO resources (kind, namespace, name, uid, resource_version, generation, labels, annotations, spec, status, created_at, updated_at) ` +
            `VALUES ('${kind}', 'default', '${name}', 'uid-${name}', 1, 1, '{}', '{}', '{}', '${status}', '${NOW}', '${NOW}')`,
        );
      await insert('TaskWebhook', 'hook', '{"endpointID":"ep-1","phase":"Ready"}');
      await insert('Task', 'not-a-hook', '{"endpointID":"ep-2"}');
      expect(await dedupe.findEndpoint('ep-1')).toEqual({ namespace: 'default', name: 'hook' });
      expect(await dedupe.findEndpoint('ep-2')).toBeUndefined();
      expect(await dedupe.findEndpoint('missing')).toBeUndefined();

      const t = (taskName: string) => ({ taskNamespace: 'default', taskName });
      expect(await dedupe.put('ep-1', 'ev-1', t('first'), 1000, 2000)).toEqual(t('first'));
      expect(await dedupe.put('ep-1', 'ev-1', t('second'), 1500, 2500)).toEqual(t('first'));
      expect(await dedupe.get('ep-1', 'ev-1', 1999)).toEqual(t('first'));
      expect(await dedupe.get('ep-1', 'ev-1', 2000)).toBeUndefined();
      // Expired: the key goes to the next delivery.
      expect(await dedupe.put('ep-1', 'ev-1', t('third'), 2000, 3000)).toEqual(t('third'));
      expect(await dedupe.get('ep-1', 'ev-1', 2500)).toEqual(t('third'));
      // A row expired on arrival holds nothing: the caller's task is returned and nothing found.
      expect(await dedupe.put('ep-1', 'ev-2', t('late'), 5000, 5000)).toEqual(t('late'));
      expect(await dedupe.get('ep-1', 'ev-2', 5000)).toBeUndefined();
      await dedupe.put('ep-1', 'ev-3', t('long'), 1000, 10_000);
      expect(await dedupe.prune(5000)).toBe(2);
      expect(await dedupe.prune(5000)).toBe(0);
      expect(await dedupe.get('ep-1', 'ev-3', 5000)).toEqual(t('long'));
    });

    test('webhook dedupe: the row commits or rolls back with the task; concurrent deliveries agree on one task', async () => {
      const { store, dedupe } = await fresh();
      const t = (taskName: string) => ({ taskNamespace: 'default', taskName });
      const failed = store.write(async () => {
        await store.insert(row('Task', 'doomed'));
        await dedupe.put('ep', 'ev-1', t('doomed'), 1000, 9000);
        throw new Error('task refused');
      });
      await expect(failed).rejects.toThrow('task refused');
      expect(await dedupe.get('ep', 'ev-1', 1000)).toBeUndefined();
      await store.write(async () => {
        await store.insert(row('Task', 'kept'));
        await dedupe.put('ep', 'ev-1', t('kept'), 1000, 9000);
      });
      expect(await dedupe.get('ep', 'ev-1', 1000)).toEqual(t('kept'));

      const deliver = (i: number) =>
        store.write(async () => {
          const holder = await dedupe.put('ep', 'ev-2', t(`run-${i}`), 1000, 9000);
          if (holder.taskName === `run-${i}`) await store.insert(row('Task', `run-${i}`));
          return holder.taskName;
        });
      const holders = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(deliver));
      expect(new Set(holders).size).toBe(1);
      expect(await dedupe.get('ep', 'ev-2', 1000)).toEqual(t(holders[0]));
    });

    test('task journal: write-once values per (task, key), count, drop', async () => {
      const b = await fresh();
      const journal = b.journal(steppingClock());
      expect(await journal.get('u1', 'step-1')).toBeUndefined();
      expect(await journal.putIfAbsent('u1', 'step-1', 'a')).toBe('a');
      expect(await journal.putIfAbsent('u1', 'step-1', 'b')).toBe('a');
      expect(await journal.get('u1', 'step-1')).toBe('a');
      const racing = await Promise.all(['x', 'y', 'z'].map((v) => journal.putIfAbsent('u1', 'step-2', v)));
      expect(new Set(racing).size).toBe(1);
      await journal.putIfAbsent('u2', 'step-1', 'other task');
      expect([await journal.count('u1'), await journal.count('u2'), await journal.count('none')]).toEqual([2, 1, 0]);
      await journal.drop('u1');
      expect([await journal.count('u1'), await journal.get('u1', 'step-1'), await journal.get('u2', 'step-1')]).toEqual([0, undefined, 'other task']);
    });

    test('memory entries: upsert, get with embedding, byte-ordered prefix listing, delete, counts, scopes', async () => {
      const { memory: m } = await fresh();
      const backing = new Float32Array([9, 1.5, -2, 0.25, 9]);
      await m.put('default', 'notes', 'a', 'first', backing.subarray(1, 4), NOW);
      expect(await m.get('default', 'notes', 'a')).toEqual({ key: 'a', value: 'first', embedding: new Float32Array([1.5, -2, 0.25]) });
      await m.put('default', 'notes', 'a', 'replaced', undefined, NOW);
      expect(await m.get('default', 'notes', 'a')).toEqual({ key: 'a', value: 'replaced' });
      expect(await m.get('default', 'notes', 'missing')).toBeUndefined();
      for (const key of ['b', 'B', 'a_x', 'a%y', 'ab', 'é', 'z']) await m.put('default', 'notes', key, `v ${key}`, key === 'ab' ? new Float32Array([1]) : undefined, NOW);
      await m.put('team', 'notes', 'a', 'other scope', undefined, NOW);
      await m.put('default', 'other', 'a', 'other memory', undefined, NOW);
      const keys = async (prefix: string, limit = 100) => (await m.list('default', 'notes', prefix, limit)).map((e) => e.key);
      // Byte order (as SQLite's BINARY): upper case before lower, 'é' (0xC3 0xA9) after 'z'.
      expect(await keys('')).toEqual(['B', 'a', 'a%y', 'a_x', 'ab', 'b', 'z', 'é']);
      expect(await keys('a')).toEqual(['a', 'a%y', 'a_x', 'ab']);
      expect(await keys('a_')).toEqual(['a_x']);
      expect(await keys('a%')).toEqual(['a%y']);
      expect(await keys('', 3)).toEqual(['B', 'a', 'a%y']);
      expect(await keys('q')).toEqual([]);
      expect((await m.list('default', 'notes', 'ab', 10))[0]).toEqual({ key: 'ab', value: 'v ab' });
      expect((await collect(m.withEmbeddings('default', 'notes'))).map((e) => [e.key, Array.from(e.embedding)])).toEqual([['ab', [1]]]);
      expect(await m.count('default', 'notes')).toBe(8);
      const scope = (namespace: string, memory: string) => ({ namespace, memory });
      expect(sorted(await m.scopes())).toEqual(sorted([scope('default', 'notes'), scope('team', 'notes'), scope('default', 'other')]));
      expect([await m.delete('default', 'notes', 'a'), await m.delete('default', 'notes', 'a')]).toEqual([true, false]);
      expect(await m.deleteAll('default', 'notes')).toBe(7);
      expect([await m.count('default', 'notes'), await m.count('team', 'notes')]).toEqual([0, 1]);
      expect(sorted(await m.scopes())).toEqual(sorted([scope('team', 'notes'), scope('default', 'other')]));
    });

    test('memory entries: keyword search finds the same entries, best first, scores relative to the best', async () => {
      const { memory: m } = await fresh();
      for (const [key, value] of CORPUS) await m.put('default', 'notes', key, value, undefined, NOW);
      await m.put('default', 'elsewhere', 'k01', 'budget planning budget planning', undefined, NOW);
      const search = (q: string, limit = 10) => m.search('default', 'notes', q, limit);

      // On this corpus both engines order every query below the same way; in general only the best
      // match is sure to agree: bm25 weighs words by their rarity across the whole table and
      // normalises by the average entry length, ts_rank_cd counts occurrences and normalises by the
      // entry's own length. The scores after the first differ between the engines, so only their
      // shape is asserted: the best is 1, then falling, all in (0, 1].
      const hits = await search('Budget PLANNING');
      expect(hits.map((h) => h.key)).toEqual(['k01', 'k03', 'k02']);
      expect(hits[0]).toEqual({ key: 'k01', value: 'budget planning for the budget year', score: 1 });
      for (const [i, h] of hits.entries()) {
        expect(h.score).toBeGreaterThan(0);
        expect(h.score).toBeLessThanOrEqual(1);
        if (i > 0) expect(h.score).toBeLessThan(hits[i - 1].score);
      }
      expect((await search('budget planning', 1)).map((h) => h.key)).toEqual(['k01']);
      expect((await search('budget')).map((h) => h.key)).toEqual(['k01', 'k03']);
      // A short entry outranks a longer one with the same single match ('the').
      expect((await search('the budget')).map((h) => h.key)).toEqual(['k01', 'k03', 'k06', 'k02']);
      expect((await search('sea planning')).map((h) => h.key)).toEqual(['k02', 'k01']);
      expect((await search('gardening')).map((h) => [h.key, h.score])).toEqual([['k04', 1]]);
      // Words are whole: 'list' is not found in 'checklist'.
      expect((await search('list')).map((h) => h.key)).toEqual(['k10']);
      expect((await search('check')).map((h) => h.key)).toEqual([]);
      // Query text is words only: operators, quotes and punctuation are plain text, never an error.
      expect((await search('"budget" AND NOT -planning* (year): \' \\ | & ! <-> ^')).map((h) => h.key).sort()).toEqual(['k01', 'k02', 'k03', 'k10']);
      for (const q of ['', '   ', '*', '"', "'", '()', '&|!']) expect(await search(q)).toEqual([]);
      expect(await search('budget', 0)).toEqual([]);
      expect(await search('nothing-matches-this')).toEqual([]);

      // The index follows upserts and deletes.
      await m.put('default', 'notes', 'k04', 'budget for seeds', undefined, NOW);
      expect((await search('gardening')).length).toBe(0);
      expect((await search('seeds')).map((h) => h.key)).toEqual(['k04']);
      await m.delete('default', 'notes', 'k01');
      expect((await search('budget')).map((h) => h.key).sort()).toEqual(['k03', 'k04']);
      expect((await m.search('default', 'elsewhere', 'planning', 10)).map((h) => h.key)).toEqual(['k01']);
    });

    test('memory entries: a near-universal word is left out next to a much rarer one; candidates are capped', async () => {
      const { store, memory: m } = await fresh();
      // 1100 entries with 'common'; the newest 150 also 'rare', the 50 before them 'scarce'.
      await store.write(async () => {
        for (let i = 0; i < 1100; i++) {
          const extra = i >= 950 ? ' rare' : i >= 900 ? ' scarce' : '';
          await m.put('default', 'big', `e${String(i).padStart(4, '0')}`, `common filler${extra}`, undefined, NOW);
        }
      });
      // 'common' (1100) is over max(1000, 10 × 50): only the 'scarce' entries are searched for.
      const scarce = await m.search('default', 'big', 'common scarce', 5000);
      expect([scarce.length, scarce.every((h) => h.value.endsWith('scarce'))]).toEqual([50, true]);
      // Not over max(1000, 10 × 150): 'common' stays, so every entry matches and the newest
      // SEARCH_CANDIDATES are ranked, those with both words first.
      const rare = await m.search('default', 'big', 'common rare', 5000);
      expect(rare.length).toBe(SEARCH_CANDIDATES);
      expect(rare.slice(0, 150).every((h) => h.value.endsWith('rare'))).toBe(true);
      expect(rare[0].score).toBe(1);
      expect(rare[150].score).toBeLessThan(1);
      // Two words both in every entry: neither is left out (counted past the first cap of 1001).
      expect((await m.search('default', 'big', 'common filler', 5000)).length).toBe(SEARCH_CANDIDATES);
      // A single word is never left out.
      expect((await m.search('default', 'big', 'common', 5000)).length).toBe(SEARCH_CANDIDATES);
    });

    test('auth: setup succeeds exactly once under concurrent calls; users, the last admin is protected', async () => {
      const { auth } = await fresh();
      const at = new Date('2026-01-01T00:00:00.123Z');
      expect(await auth.userCount()).toBe(0);
      const setups = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => auth.setupAdmin(`admin${i}`, 'hash', at)));
      const won = setups.filter((s) => s.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(setups.filter((s) => s.status === 'rejected' && s.reason instanceof Conflict)).toHaveLength(7);
      const admin = (won[0] as PromiseFulfilledResult<{ username: string }>).value.username;
      expect(await auth.userCount()).toBe(1);
      expect(await auth.findUser(admin)).toEqual({ username: admin, role: 'admin', created_at: '2026-01-01T00:00:00.123000000Z', updated_at: '2026-01-01T00:00:00.123000000Z', passwordHash: 'hash' });

      await auth.createUser('zed', 'reader', 'h2', at);
      await auth.createUser('Bob', 'writer', 'h3', at);
      await expect(auth.createUser('zed', 'admin', 'h4', at)).rejects.toBeInstanceOf(AlreadyExists);
      expect((await auth.listUsers()).map((u) => [u.username, u.role])).toEqual([['Bob', 'writer'], [admin, 'admin'], ['zed', 'reader']]);
      await expect(auth.deleteUser(admin)).rejects.toBeInstanceOf(Conflict);
      await expect(auth.deleteUser('nobody')).rejects.toBeInstanceOf(NotFound);
      await auth.deleteUser('zed');
      expect(await auth.findUser('zed')).toBeUndefined();

      // Two admins deleting each other at once: one delete goes through, the last admin stays.
      await auth.createUser('second', 'admin', 'h5', at);
      const deletes = await Promise.allSettled([auth.deleteUser(admin), auth.deleteUser('second')]);
      expect(deletes.filter((d) => d.status === 'fulfilled')).toHaveLength(1);
      expect(deletes.filter((d) => d.status === 'rejected' && d.reason instanceof Conflict)).toHaveLength(1);
      expect((await auth.listUsers()).filter((u) => u.role === 'admin')).toHaveLength(1);
    });

    test('auth: sessions expire and slide; a new password ends the other sessions and owned tokens', async () => {
      const { auth } = await fresh();
      const t0 = new Date('2026-01-01T00:00:00.000Z');
      const later = (ms: number) => new Date(t0.getTime() + ms);
      await auth.setupAdmin('ann', 'h', t0);
      const s1 = await auth.createSession('ann', 60_000, t0);
      const s2 = await auth.createSession('ann', 60_000, t0);
      expect(await auth.resolveSession(s1, 60_000, later(1000))).toEqual({ username: 'ann', role: 'admin', idHash: sha256Hex(s1) });
      expect(await auth.resolveSession('not-a-session', 60_000, t0)).toBeUndefined();
      // Used at 61.5 s, past its expiry at 60 s (never slid: 1 s is within the minute): gone.
      expect(await auth.resolveSession(s2, 60_000, later(61_500))).toBeUndefined();
      // Used at 70 s it slides from 120 s to 190 s, so it still lives at 150 s.
      const s3 = await auth.createSession('ann', 120_000, t0);
      expect(await auth.resolveSession(s3, 120_000, later(70_000))).toBeDefined();
      expect(await auth.resolveSession(s3, 120_000, later(150_000))).toBeDefined();
      await auth.deleteSession(s3);
      expect(await auth.resolveSession(s3, 120_000, later(150_000))).toBeUndefined();

      const keep = await auth.createSession('ann', 60_000, t0);
      const drop = await auth.createSession('ann', 60_000, t0);
      const { token } = await auth.createToken('ann-cli', 'writer', t0, 'ann');
      await auth.setPassword('ann', 'h2', later(10), sha256Hex(keep));
      expect((await auth.findUser('ann'))?.passwordHash).toBe('h2');
      expect(await auth.resolveSession(keep, 60_000, later(20))).toBeDefined();
      expect(await auth.resolveSession(drop, 60_000, later(20))).toBeUndefined();
      expect(await auth.tokenByHash(sha256Hex(token))).toBeUndefined();
      await expect(auth.setPassword('nobody', 'h', t0)).rejects.toBeInstanceOf(NotFound);
    });

    test('auth: tokens by digest, unique names, cached count, deleted with their owner', async () => {
      const { auth } = await fresh();
      const t0 = new Date('2026-01-01T00:00:00.000Z');
      await auth.setupAdmin('ann', 'h', t0);
      await auth.createUser('bob', 'writer', 'h', t0);
      expect(await auth.tokenCount()).toBe(0);
      const ci = await auth.createToken('ci', 'controller', t0);
      expect(ci.view).toEqual({ name: 'ci', role: 'controller', created_at: '2026-01-01T00:00:00.000000000Z' });
      const bob = await auth.createToken('bob-cli', 'writer', t0, 'bob');
      await expect(auth.createToken('ci', 'reader', t0)).rejects.toBeInstanceOf(AlreadyExists);
      expect(await auth.tokenByHash(sha256Hex(ci.token))).toEqual({ name: 'ci', role: 'controller' });
      expect(await auth.tokenByHash(sha256Hex('guess'))).toBeUndefined();
      expect((await auth.listTokens()).map((t) => t.name)).toEqual(['bob-cli', 'ci']);
      expect(await auth.tokenCount()).toBe(2);
      await auth.deleteUser('bob');
      expect(await auth.tokenByHash(sha256Hex(bob.token))).toBeUndefined();
      expect(await auth.tokenCount()).toBe(1);
      await auth.deleteToken('ci');
      await expect(auth.deleteToken('ci')).rejects.toBeInstanceOf(NotFound);
      expect([await auth.tokenCount(), (await auth.listTokens()).length]).toEqual([0, 0]);
    });

    test('leader lease: one holder at a time, renew, release, takeover after expiry; races have one winner', async () => {
      const { lease } = await fresh();
      const clock = manualClock();
      const a = lease('sched', 'a', 1000, clock);
      const b = lease('sched', 'b', 1000, clock);
      expect(await a.current()).toBeUndefined();
      // First ever: nobody holds it yet and everyone tries at once.
      const firsts = Array.from({ length: 6 }, (_, i) => lease('first', `h${i}`, 1000, clock));
      expect((await Promise.all(firsts.map((l) => l.acquire()))).filter(Boolean)).toHaveLength(1);

      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      clock.advance(500);
      expect(await a.acquire()).toBe(true); // renewed until 1500 from here
      expect(await a.current()).toEqual({ holder: 'a', expiresAt: clock.now().getTime() + 1000, version: 2 });
      clock.advance(999);
      expect(await b.acquire()).toBe(false);
      clock.advance(1);
      // Expired: two contenders race, exactly one takes it.
      const c = lease('sched', 'c', 1000, clock);
      const raced = await Promise.all([b.acquire(), c.acquire()]);
      expect(raced.filter(Boolean)).toHaveLength(1);
      const winner = raced[0] ? b : c;
      const loser = raced[0] ? c : b;
      expect((await a.current())?.holder).toBe(winner.holder);
      expect(await a.acquire()).toBe(false);
      // Release: the others take over at once, without waiting for expiry.
      await loser.release(); // not the holder: no effect
      expect((await a.current())?.holder).toBe(winner.holder);
      await winner.release();
      expect(await a.current()).toEqual({ holder: '', expiresAt: 0, version: 4 });
      expect(await loser.acquire()).toBe(true);
      expect(await winner.acquire()).toBe(false);
    });
  });
}

describe('memory entries on PostgreSQL: the pgvector column', () => {
  test('when vector.ts has added embedding_vector, put fills it (or clears it) with the embedding', async () => {
    const pool = new SQL({ url: await freshDatabase('side_vec'), max: 4 });
    closers.push(() => pool.close());
    for (const m of migrations) await pool.unsafe(m.sql.replaceAll('--> statement-breakpoint', ''));
    // The test server has no pgvector: a text domain named `vector` stands in for its type, which
    // reads the same '[x,y,…]' text form.
    await pool.unsafe('CREATE DOMAIN vector AS text');
    await pool.unsafe('ALTER TABLE memory_entries ADD COLUMN embedding_vector vector');
    const m = new PgMemoryEntryStore(new PgResourceStore(pool));
    await m.put('default', 'notes', 'a', 'alpha', new Float32Array([0.5, -1, 2]), NOW);
    await m.put('default', 'notes', 'b', 'beta', new Float32Array([Number.NaN]), NOW);
    const vectors = async () => (await pool`SELECT key, embedding_vector AS v FROM memory_entries ORDER BY key`).map((r: { key: string; v: string | null }) => [r.key, r.v]);
    expect(await vectors()).toEqual([['a', '[0.5,-1,2]'], ['b', null]]);
    await m.put('default', 'notes', 'a', 'alpha', undefined, NOW);
    expect((await vectors())[0]).toEqual(['a', null]);
    expect(await m.get('default', 'notes', 'a')).toEqual({ key: 'a', value: 'alpha' });
  });
});
