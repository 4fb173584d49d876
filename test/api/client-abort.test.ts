// A client that stops sending halfway through a body (Content-Length larger than what arrives, or
// a chunked body never finished) and half-closes is a client abort: counted as code 499 in the
// request metric and logged at debug level, never an ERROR line or a 500.
import { expect, test } from 'bun:test';
import { connect } from 'node:net';
import { serverForFile } from '../support/server-process';

const server = serverForFile('abort');

/** Sends `head` and `body` on a raw socket, half-closes, and resolves when the server closes its end. */
function sendAndHalfClose(head: string, body: string): Promise<string> {
  const { hostname, port } = new URL(server().url);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(head + body);
      socket.end();
    });
    socket.setEncoding('utf8');
    socket.on('data', (d) => (answer += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

/** orrery_http_requests_total of POST /v1/agents by status code. */
async function requests(): Promise<Record<string, number>> {
  const text = await (await fetch(`${server().url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^orrery_http_requests_total\{method="POST",route="\/v1\/agents",code="(\d+)"\} (\d+)$/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** The counts once the server has finished (and counted) one more request than `before`. */
async function afterOneMore(before: Record<string, number>): Promise<Record<string, number>> {
  for (;;) {
    const now = await requests();
    if (total(now) > total(before)) return now;
    await Bun.sleep(20);
  }
}

const head = (extra: string) => `POST /v1/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}\r\n`;

test('a body shorter than its Content-Length, then a half-close, counts as 499 with no ERROR line', async () => {
  const before = await requests();
  await sendAndHalfClose(head('Content-Length: 1000\r\n'), '{"metadata"');
  expect(await afterOneMore(before)).toEqual({ ...before, 499: (before[499] ?? 0) + 1 });
  expect(server().log()).not.toContain(' ERROR ');
});

test('an unfinished chunked body, then a half-close, counts as 499 with no ERROR line', async () => {
  const before = await requests();
  await sendAndHalfClose(head('Transfer-Encoding: chunked\r\n'), 'a\r\n{"metadata\r\n');
  expect(await afterOneMore(before)).toEqual({ ...before, 499: (before[499] ?? 0) + 1 });
  expect(server().log()).not.toContain(' ERROR ');
});

test('a whole body on the same route still answers normally', async () => {
  const r = await fetch(`${server().url}/v1/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'whole' }, spec: { model_ref: 'm', prompt: 'p' } }) });
  expect(r.status).toBe(201);
});
