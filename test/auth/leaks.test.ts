// No credential ever leaks: passwords, tokens, session ids and Secret values stay out of response
// bodies (beyond the one response that hands a generated credential over), log lines, events and
// the database file.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/api/app';
import { AuthService } from '../../src/auth/service';
import { AuthStore } from '../../src/auth/store';
import { createCore } from '../../src/core';
import { createLogger } from '../../src/log';
import { storeChecks } from '../../src/store/health';
import { openStore } from '../../src/store/open-store';
import { systemClock } from '../../src/util/time';
import { caller, objectLogs } from '../support/app';

const dir = mkdtempSync(join(tmpdir(), 'orrery-leaks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('passwords, tokens, session ids and secret values appear nowhere they should not', async () => {
  const lines: string[] = [];
  const log = createLogger('debug', (l) => lines.push(l));
  const p = openStore(dir, undefined);
  const core = createCore({ backend: p, clock: systemClock });
  const auth = new AuthService(new AuthStore(p.handle), { mode: 'native', envTokens: [], sessionTtlMs: 3_600_000, trustedProxies: [] }, systemClock);
  const logs = objectLogs(core, p.logs(systemClock));
  const app = createApp({ registry: core.registry, watch: core.watch, auth, storeChecks: storeChecks(p.handle), log, clock: systemClock, events: core.events, logs });
  const call = caller(app);
  const PW = 'admin-password-Xq7';
  const bodies: string[] = [];
  const keep = <R extends { text: string }>(r: R): R => (bodies.push(r.text), r);

  const setup = keep(await call('POST', '/v1/auth/setup', { username: 'root', password: PW }));
  const session = /orloj_session=([^;]+)/.exec(setup.headers.get('set-cookie')!)![1];
  const as = { cookie: `orloj_session=${session}` };
  const user = await call('POST', '/v1/auth/users', { username: 'gen', role: 'reader' }, as);
  const generated = user.json.password as string;
  const token = (await call('POST', '/v1/tokens', { name: 'ci', role: 'writer' }, as)).json.token as string;
  const cli = (await call('POST', '/v1/auth/cli-token', { username: 'root', password: PW })).json.token as string;
  keep(await call('POST', '/v1/auth/login', { username: 'root', password: PW }));
  keep(await call('POST', '/v1/auth/login', { username: 'root', password: `${PW}-wrong` }));
  keep(await call('POST', '/v1/secrets', { metadata: { name: 's' }, spec: { stringData: { v: 'secret-value-Zk9' } } }, { authorization: `Bearer ${token}` }));
  keep(await call('GET', '/v1/auth/users', undefined, as));
  keep(await call('GET', '/v1/tokens', undefined, as));
  keep(await call('GET', '/v1/auth/me', undefined, { authorization: `Bearer ${cli}` }));
  keep(await call('GET', '/v1/agents', undefined, { authorization: `Bearer ${token}x` }));
  keep(await call('POST', '/v1/auth/change-password', { current_password: PW, new_password: `${PW}-new` }, as));
  const events = p.handle.sqlite.query<{ data: string | null; message: string }, []>('SELECT data, message FROM events').all();
  core.stop();
  p.handle.close();

  const needles = [PW, `${PW}-new`, generated, token, cli, session, 'secret-value-Zk9', Buffer.from('secret-value-Zk9').toString('base64')];
  for (const n of needles) {
    for (const b of bodies) expect(b.includes(n), `a response body holds ${n}`).toBe(false);
    for (const l of lines) expect(l.includes(n), `a log line holds ${n}`).toBe(false);
    for (const e of events) expect(`${e.message}${e.data}`.includes(n), `an event holds ${n}`).toBe(false);
    for (const f of readdirSync(dir)) {
      expect(readFileSync(join(dir, f)).toString('latin1').includes(n), `${f} holds ${n}`).toBe(false);
    }
  }
});
