// ObjectLogs on a real database file: line format, one line per message, the 4 KiB cap, the
// per-owner caps with cheap trimming, owner isolation, deletion and persistence across reopen.
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type OpenDatabase } from '../../src/store/database';
import { logMessage, ObjectLogs } from '../../src/store/object-logs';

const dirs: string[] = [];
const handles: OpenDatabase[] = [];
afterEach(() => {
  while (handles.length) handles.pop()!.close();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** A clock that moves one millisecond per reading, from 2026-03-04T05:06:07.000Z. */
function steppingClock() {
  let t = Date.parse('2026-03-04T05:06:07.000Z');
  return { now: () => new Date(t++) };
}

function open(dir = mkdtempSync(join(tmpdir(), 'orrery-logs-'))) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const handle = openDatabase(join(dir, 'orrery.db'));
  handles.push(handle);
  return { dir, handle, logs: new ObjectLogs(handle, steppingClock()) };
}

describe('ObjectLogs', () => {
  test('lines are "<RFC 3339 ms time> <message>", oldest first, one line per message', async () => {
    const { logs } = open();
    await logs.append('Task', 'default', 't', 'task claimed by worker=w1 lease=30s');
    await logs.append('Task', 'default', 't', 'first\nsecond\r\nthird\rfourth');
    expect(await logs.read('Task', 'default', 't')).toEqual([
      '2026-03-04T05:06:07.000Z task claimed by worker=w1 lease=30s',
      '2026-03-04T05:06:07.001Z first second third fourth',
    ]);
    expect(await logs.read('Task', 'default', 'other')).toEqual([]);
  });

  test('messages are capped at 4 KiB without splitting a character', async () => {
    expect(logMessage('x'.repeat(5000))).toBe('x'.repeat(4096));
    // 4095 ASCII bytes then a 3-byte character: it would end at byte 4098, so it is dropped whole.
    expect(logMessage(`${'a'.repeat(4095)}€tail`)).toBe('a'.repeat(4095));
    expect(logMessage(`${'a'.repeat(4093)}€tail`)).toBe(`${'a'.repeat(4093)}€`);
    const { logs } = open();
    await logs.append('Agent', 'default', 'a', 'y'.repeat(10_000));
    expect(await logs.read('Agent', 'default', 'a')).toEqual([`2026-03-04T05:06:07.000Z ${'y'.repeat(4096)}`]);
  });

  test('a task keeps its newest 500 lines and an agent its newest 200; trimming stays within 31 extra rows', async () => {
    const { logs } = open();
    for (let i = 0; i < 700; i++) {
      await logs.append('Task', 'default', 't', `task line ${i}`);
      await logs.append('Agent', 'default', 't', `agent line ${i}`);
    }
    const task = await logs.read('Task', 'default', 't');
    expect(task).toHaveLength(500);
    expect(task[0]).toEndWith(' task line 200');
    expect(task[499]).toEndWith(' task line 699');
    const agent = await logs.read('Agent', 'default', 't');
    expect(agent).toHaveLength(200);
    expect(agent[0]).toEndWith(' agent line 500');
    expect(agent[199]).toEndWith(' agent line 699');
    // Trims run on the 1st, 33rd, 65th, … append of an owner: after 700 appends the last trim
    // was at append 673, leaving the cap plus the 27 lines written since.
    expect(await logs.stored('Task', 'default', 't')).toBe(527);
    expect(await logs.stored('Agent', 'default', 't')).toBe(227);
  });

  test('owners are kept apart by kind, namespace and name; deleteOwner removes only one', async () => {
    const { logs } = open();
    await logs.append('Task', 'default', 'x', 'task default');
    await logs.append('Task', 'team', 'x', 'task team');
    await logs.append('Agent', 'default', 'x', 'agent default');
    await logs.append('Task', 'default', 'y', 'other task');
    await logs.deleteOwner('Task', 'default', 'x');
    expect(await logs.read('Task', 'default', 'x')).toEqual([]);
    expect(await logs.read('Task', 'team', 'x')).toEqual(['2026-03-04T05:06:07.001Z task team']);
    expect(await logs.read('Agent', 'default', 'x')).toEqual(['2026-03-04T05:06:07.002Z agent default']);
    expect(await logs.read('Task', 'default', 'y')).toEqual(['2026-03-04T05:06:07.003Z other task']);
  });

  test('lines survive closing and reopening the database; a new process trims on its first append', async () => {
    const first = open();
    for (let i = 0; i < 230; i++) await first.logs.append('Agent', 'ns', 'a', `before ${i}`);
    // The last trim ran at append 225, so 5 lines over the cap are still stored.
    expect(await first.logs.stored('Agent', 'ns', 'a')).toBe(205);
    first.handle.close();
    handles.splice(handles.indexOf(first.handle), 1);

    const second = open(first.dir);
    expect(await second.logs.read('Agent', 'ns', 'a')).toHaveLength(200);
    await second.logs.append('Agent', 'ns', 'a', 'after');
    expect(await second.logs.stored('Agent', 'ns', 'a')).toBe(200);
    const lines = await second.logs.read('Agent', 'ns', 'a');
    expect(lines[0]).toEndWith(' before 31');
    expect(lines[199]).toBe('2026-03-04T05:06:07.000Z after');
  });
});
