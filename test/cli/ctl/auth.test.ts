// auth login/whoami/logout, admin user verbs and config profiles against a server in native auth
// mode: a login keeps only the token, never the password; tokens are masked when shown.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverForFile } from '../../support/server-process';
import { ctl } from './support';

const SETUP = 'setup-token-for-the-ctl-tests';
const PASSWORD = 'a-long-admin-password';
const server = serverForFile('ctl-auth', { env: { ORLOJ_EMBEDDED_WORKER: 'false', ORLOJ_AUTH_MODE: 'native', ORLOJ_SETUP_TOKEN: SETUP } });
const work = mkdtempSync(join(tmpdir(), 'orrery-ctl-auth-'));
const config = join(work, 'config.json');
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = () => ({ ORRERY_CONFIG: config });

beforeAll(async () => {
  const res = await fetch(`${server().url}/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD, setup_token: SETUP }) });
  expect(res.status).toBe(201);
});

test('config: set-profile, use, get (tokens masked), path, delete-profile', async () => {
  expect((await ctl(['config', 'path'], env())).out).toBe(`${config}\n`);
  expect((await ctl(['config', 'set-profile', 'lab', '--server', server().url], env())).out).toBe('profile lab saved (current)\n');
  expect((await ctl(['config', 'set-profile', 'spare', '--server', 'http://spare:8080', '--token', 'spare-secret-token-value'], env())).out).toBe('profile spare saved\n');
  const got = await ctl(['config', 'get'], env());
  expect(got.out).toContain(`* lab    ${server().url}`);
  expect(got.out).toContain('spar…(24 chars)');
  expect(got.out).not.toContain('spare-secret-token-value');
  expect(JSON.parse((await ctl(['config', 'get', '-o', 'json'], env())).out).profiles.spare.token).toBe('spar…(24 chars)');
  expect((await ctl(['config', 'use', 'nope'], env())).code).toBe(1);
  expect((await ctl(['config', 'set-profile', 'bad', '--server', 'ftp://x'], env())).code).toBe(2);
  expect((await ctl(['config', 'delete-profile', 'spare'], env())).out).toBe('profile spare deleted\n');
});

test('auth login stores a token and no password in the current profile; whoami; get tokens; logout', async () => {
  const before = await ctl(['auth', 'whoami'], env());
  expect(before.out).toBe(`not authenticated at ${server().url} (token: none)\n`);
  const wrong = await ctl(['auth', 'login', '--username', 'admin', '--password-stdin'], env(), { stdin: 'not-the-password\n' });
  expect(wrong.code).toBe(1);
  const login = await ctl(['auth', 'login', '--username', 'admin', '--password-stdin'], env(), { stdin: `${PASSWORD}\n` });
  expect([login.code, login.out]).toEqual([0, expect.stringMatching(/^logged in to .* as admin \(role admin\); token cli-admin-\d+ stored in profile lab\n$/)]);
  const file = readFileSync(config, 'utf8');
  expect(file).not.toContain(PASSWORD);
  expect(JSON.parse(file).profiles.lab).toEqual({ server: server().url, token: expect.any(String) });

  const me = await ctl(['auth', 'whoami'], env());
  expect(me.out).toMatch(new RegExp(`^NAME +ROLE +METHOD +SERVER\ncli-admin-\\d+ +admin +bearer +${server().url}\n$`));
  const tokens = await ctl(['get', 'tokens'], env());
  expect(tokens.out).toMatch(/^NAME +ROLE +AGE\ncli-admin-\d+ +admin +(just now|\d+s ago)\n$/);

  expect((await ctl(['auth', 'logout'], env())).out).toBe('token removed from profile lab\n');
  expect(JSON.parse(readFileSync(config, 'utf8')).profiles.lab.token).toBeUndefined();
  expect((await ctl(['get', 'agents'], env())).code).toBe(1);
});

test('admin: create-user (generated password shown once), list-users, reset-password, delete-user', async () => {
  await ctl(['auth', 'login', '--username', 'admin', '--password-stdin'], env(), { stdin: PASSWORD });
  const created = await ctl(['admin', 'create-user', 'bob', '--role', 'writer'], env());
  expect(created.out).toMatch(/^users\/bob created \(role writer\)\npassword: \S{12,}\n\(shown once: hand it over now\)\n$/);
  const list = await ctl(['admin', 'list-users'], env());
  expect(list.out).toMatch(/^USERNAME +ROLE +AGE\nadmin +admin +\S.*\nbob +writer +\S.*\n$/);
  const reset = await ctl(['admin', 'reset-password', '--username', 'bob', '--password-stdin'], env(), { stdin: 'bobs-new-long-password\n' });
  expect(reset.out).toBe('password of bob reset; their sessions and CLI tokens are ended\n');
  const bobLogin = await ctl(['auth', 'login', '--username', 'bob', '--password-stdin', '--profile', 'bob', '--server', server().url], env(), { stdin: 'bobs-new-long-password' });
  expect(bobLogin.out).toContain('as bob (role writer); token cli-bob-');
  expect(JSON.parse(readFileSync(config, 'utf8')).current).toBe('lab');
  const short = await ctl(['admin', 'reset-password', '--username', 'bob', '--new-password', 'short'], env());
  expect([short.code, short.err]).toEqual([1, expect.stringContaining('  new_password: must be at least 12 characters')]);
  expect((await ctl(['admin', 'delete-user', 'bob'], env())).out).toBe('users/bob deleted\n');
  expect((await ctl(['admin', 'create-user', 'carol', '--role', 'king'], env())).code).toBe(2);
});

test('status: health, auth mode, who you are, capabilities, namespaces, workers', async () => {
  const r = await ctl(['status'], env());
  expect(r.code).toBe(0);
  expect(r.out).toContain(`server:       ${server().url}\nhealth:       ok (version `);
  expect(r.out).toContain('auth mode:    native\nyou:          cli-admin-');
  expect(r.out).toMatch(/capabilities: \d+ of \d+ enabled/);
  expect(r.out).toContain('workers:      none');
  expect(JSON.parse((await ctl(['status', '-o', 'json'], env())).out).auth.mode).toBe('native');
});
