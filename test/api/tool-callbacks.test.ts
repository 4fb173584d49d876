// The callback route of webhook-callback tools: a waiting call gets its result with the right
// token; wrong tokens, unknown request ids and bad bodies get clear Status errors.
import { expect, test } from 'bun:test';
import { CallbackBroker } from '../../src/runtime/tools';
import { testApp } from '../support/app';

test('POST /v1/tool-callbacks delivers to the waiting call, once, with its token', async () => {
  const broker = new CallbackBroker();
  const { call } = testApp({ callbacks: broker });
  const wait = broker.expect('default/t/a001/s01/report/1', 10_000);
  const path = `/v1/tool-callbacks?request_id=${encodeURIComponent('default/t/a001/s01/report/1')}`;
  const body = { tool_contract_version: 'v1', request_id: 'default/t/a001/s01/report/1', status: 'ok', output: { result: 'done' } };

  const wrong = await call('POST', path, body, { authorization: 'Bearer nope' });
  expect(wrong.status).toBe(401);
  expect(wrong.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', message: 'the callback token does not match this request' });
  const notObject = await call('POST', path, [1, 2], { authorization: `Bearer ${wait.token}` });
  expect(notObject.status).toBe(400);

  const ok = await call('POST', path, body, { authorization: `Bearer ${wait.token}` });
  expect(ok.status).toBe(202);
  expect(ok.json).toEqual({ request_id: 'default/t/a001/s01/report/1', status: 'accepted' });
  expect(await wait.result).toEqual(body);

  const again = await call('POST', path, body, { authorization: `Bearer ${wait.token}` });
  expect(again.status).toBe(404);
  expect(again.json.message).toBe('no tool call is waiting for request default/t/a001/s01/report/1');
  const missing = await call('POST', '/v1/tool-callbacks', body);
  expect(missing.status).toBe(400);
  expect(missing.json.details.causes).toEqual([{ field: 'request_id', message: 'is required' }]);
});
