// POST /v1/task-schedules/{name}/trigger over HTTP: a writer starts a run now, a reader may not.
import { expect, test } from 'bun:test';
import { parseEnvTokens } from '../../src/auth/env-tokens';
import { testApp } from '../support/app';

const TOKENS = { writer: 'tok-writer-0123456789', reader: 'tok-reader-0123456789' };
const env = { ORLOJ_API_TOKENS: Object.entries(TOKENS).map(([role, tok]) => `${role}:${tok}:${role}`).join(',') };
const as = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });

test('trigger: writer 201 with the run task, reader 403, unknown schedule 404, missing template 409', async () => {
  const clock = { now: () => new Date('2026-01-02T03:04:05Z') };
  const { call } = testApp({ clock, auth: { envTokens: parseEnvTokens(env).tokens } });
  expect((await call('POST', '/v1/tasks', { metadata: { name: 'nightly' }, spec: { mode: 'template', system: 'pipeline' } }, as('writer'))).status).toBe(201);
  expect((await call('POST', '/v1/task-schedules', { metadata: { name: 'report' }, spec: { task_ref: 'nightly', schedule: '0 9 * * *', suspend: true } }, as('writer'))).status).toBe(201);
  expect((await call('POST', '/v1/task-schedules/report/trigger', undefined, as('reader'))).status).toBe(403);
  const r = await call('POST', '/v1/task-schedules/report/trigger', undefined, as('writer'));
  expect(r.status).toBe(201);
  expect(r.json.metadata).toMatchObject({ name: 'report-manual-20260102-030405', labels: { 'orloj.dev/task-schedule': 'report' } });
  expect(r.json.spec).toMatchObject({ mode: 'run', system: 'pipeline' });
  expect((await call('POST', '/v1/task-schedules/report/trigger', undefined, as('writer'))).status).toBe(409);
  expect((await call('POST', '/v1/task-schedules/nope/trigger', undefined, as('writer'))).status).toBe(404);
  expect((await call('POST', '/v1/task-schedules', { metadata: { name: 'orphan' }, spec: { task_ref: 'gone', schedule: '0 9 * * *' } }, as('writer'))).status).toBe(201);
  const orphan = await call('POST', '/v1/task-schedules/orphan/trigger', undefined, as('writer'));
  expect(orphan.status).toBe(409);
  expect(orphan.json.message).toContain('template task default/gone not found');
});
