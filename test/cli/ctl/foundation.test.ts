// The client's foundation: kind names, server and token resolution, tables and times, exit codes.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext } from '../../../src/cli/ctl/context';
import { writeConfig } from '../../../src/cli/ctl/config-file';
import { findKind, kindAndName } from '../../../src/cli/ctl/kinds';
import { ago, table } from '../../../src/cli/ctl/output';
import { serverForFile, NO_WORKER } from '../../support/server-process';
import { ctl } from './support';

const server = serverForFile('ctl-foundation', NO_WORKER);
const work = mkdtempSync(join(tmpdir(), 'orrery-ctl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const io = { out: () => {}, err: () => {}, tty: true, stdin: async () => '' };

test('kinds by plural, singular, Kind and short name; KIND/NAME or two words', () => {
  for (const word of ['agents', 'agent', 'Agent', 'ag', 'AG']) expect(findKind(word)?.plural).toBe('agents');
  for (const word of ['memories', 'memory', 'mem']) expect(findKind(word)?.plural).toBe('memories');
  for (const word of ['tasks', 'task', 'tk']) expect(findKind(word)?.plural).toBe('tasks');
  expect(findKind('mcp-server')?.kind).toBe('McpServer');
  expect(findKind('agentsystem')?.kind).toBe('AgentSystem');
  expect(findKind('nope')).toBeUndefined();
  expect(kindAndName('task/brief').name).toBe('brief');
  expect(kindAndName('tk', 'brief').def.kind).toBe('Task');
  expect(() => kindAndName('tk')).toThrow('a name is required');
  expect(() => kindAndName('bogus/x')).toThrow('unknown resource kind "bogus"');
});

test('server and token: flag, ORLOJCTL_*, ORLOJ_*, the profile (token or token_env), then the default', () => {
  const path = join(work, 'config.json');
  writeConfig(path, { current: 'lab', profiles: { lab: { server: 'http://lab:8080/', token_env: 'LAB_TOKEN' }, other: { server: 'http://other', token: 't-other' } } });
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const env = { ORRERY_CONFIG: path, LAB_TOKEN: 't-lab' };
  expect(createContext({}, env, io)).toMatchObject({ server: 'http://lab:8080', token: 't-lab' });
  expect(createContext({ profile: 'other' }, env, io)).toMatchObject({ server: 'http://other', token: 't-other' });
  expect(createContext({}, { ...env, ORLOJ_SERVER: 'http://env', ORLOJ_API_TOKEN: 'a' }, io)).toMatchObject({ server: 'http://env', token: 'a' });
  expect(createContext({}, { ...env, ORLOJ_SERVER: 'http://env', ORLOJCTL_SERVER: 'http://ctl', ORLOJCTL_API_TOKEN: 'c', ORLOJ_API_TOKEN: 'a' }, io)).toMatchObject({ server: 'http://ctl', token: 'c' });
  expect(createContext({ server: 'http://flag', apiToken: 'f' }, { ...env, ORLOJCTL_SERVER: 'http://ctl' }, io)).toMatchObject({ server: 'http://flag', token: 'f' });
  expect(createContext({}, { ORRERY_CONFIG: join(work, 'none.json') }, io)).toMatchObject({ server: 'http://127.0.0.1:8080', token: undefined });
  writeFileSync(join(work, 'bad.json'), '{');
  expect(() => createContext({}, { ORRERY_CONFIG: join(work, 'bad.json') }, io)).toThrow('is not valid JSON');
});

test('colours only on a terminal, never with NO_COLOR or --no-color', () => {
  const env = { ORRERY_CONFIG: join(work, 'none.json') };
  expect(createContext({}, env, io).color).toBe(true);
  expect(createContext({}, { ...env, NO_COLOR: '' }, io).color).toBe(false);
  expect(createContext({ color: false }, env, io).color).toBe(false);
  expect(createContext({}, env, { ...io, tty: false }).color).toBe(false);
});

test('tables align on visible width; times read like people say them', () => {
  expect(table(['name', 'phase'], [['a', '\u001b[32mReady\u001b[0m'], ['longer-name', 'Pending']])).toBe('NAME         PHASE\na            \u001b[32mReady\u001b[0m\nlonger-name  Pending\n');
  const now = new Date('2026-01-01T12:00:00Z');
  expect(['2026-01-01T12:00:00Z', '2026-01-01T11:59:15Z', '2026-01-01T11:57:00Z', '2026-01-01T09:00:00Z', '2025-12-28T12:00:00Z', undefined].map((t) => ago(t, now))).toEqual([
    'just now',
    '45s ago',
    '3m ago',
    '3h ago',
    '4d ago',
    '-',
  ]);
});

test('health: exit 0 against a live server, 1 when unreachable, 2 on a usage error', async () => {
  const ok = await ctl(['health', '--server', server().url]);
  expect([ok.code, ok.out]).toEqual([0, table(['server', 'status'], [[server().url, 'ok']])]);
  const json = await ctl(['health', '-o', 'json'], { ORLOJ_SERVER: server().url });
  expect(JSON.parse(json.out)).toMatchObject({ status: 'ok' });
  const down = await ctl(['health', '--server', 'http://127.0.0.1:1']);
  expect([down.code, down.err]).toEqual([1, expect.stringContaining('cannot reach the server')]);
  const usage = await ctl(['health', '-o', 'xml', '--server', server().url]);
  expect([usage.code, usage.err]).toEqual([2, expect.stringContaining('-o xml: use one of table, json, yaml')]);
  const unknown = await ctl(['health', '--bogus']);
  expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining("unknown option '--bogus'")]);
});
