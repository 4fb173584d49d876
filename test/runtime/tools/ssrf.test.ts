// Egress guard: address classes, literal and resolved hosts, and refusal through the runtime
// before any request reaches the tool.
import { afterEach, describe, expect, test } from 'bun:test';
import { ToolError } from '../../../src/runtime/tools/contract';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import { checkEgress, classifyAddress, type AddressClass } from '../../../src/runtime/tools/ssrf';
import { httpTool, json, noSecrets, okEnvelope, toolServer } from './helpers';

const servers: { stop(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
});

async function refusal(url: string, opts: Parameters<typeof checkEgress>[1] = {}): Promise<ToolError | undefined> {
  try {
    await checkEgress(url, opts);
    return undefined;
  } catch (e) {
    return e as ToolError;
  }
}

describe('address classes', () => {
  const table: [string, AddressClass][] = [
    ['169.254.169.254', 'forbidden'],
    ['169.254.1.2', 'forbidden'],
    ['0.0.0.0', 'forbidden'],
    ['100.100.100.200', 'forbidden'],
    ['fe80::1', 'forbidden'],
    ['fd00:ec2::254', 'forbidden'],
    ['fd20:ce::254', 'forbidden'],
    ['::', 'forbidden'],
    ['::ffff:169.254.169.254', 'forbidden'],
    ['::ffff:a9fe:a9fe', 'forbidden'],
    ['64:ff9b::a9fe:a9fe', 'forbidden'],
    ['127.0.0.1', 'private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['100.64.0.1', 'private'],
    ['::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
    ['fd00:ec2::253', 'private'],
  ];
  for (const [ip, cls] of table) test(`${ip} is ${cls}`, () => expect(classifyAddress(ip)).toBe(cls));
});

describe('checkEgress', () => {
  test('metadata and link-local targets are refused in every spelling', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://2852039166/', 'http://0xa9.0xfe.0xa9.0xfe/', 'http://[fd00:ec2::254]/', 'http://[::ffff:169.254.169.254]/', 'http://metadata.google.internal/']) {
      const err = await refusal(url);
      expect([url, err?.code, err?.retryable, err?.details?.cause]).toEqual([url, 'runtime_policy_invalid', false, 'egress_denied']);
    }
  });

  test('loopback and private targets are allowed by default, refused with denyPrivate unless allowPrivate', async () => {
    expect(await refusal('http://127.0.0.1:9/')).toBeUndefined();
    expect(await refusal('http://192.168.1.5/')).toBeUndefined();
    expect((await refusal('http://127.0.0.1:9/', { denyPrivate: true }))?.message).toBe('egress to 127.0.0.1 refused: private and loopback addresses are denied (--egress-private=deny)');
    expect(await refusal('http://10.0.0.8/', { denyPrivate: true, allowPrivate: true })).toBeUndefined();
    expect(await refusal('http://169.254.169.254/', { allowPrivate: true })).toBeInstanceOf(ToolError);
  });

  test('host names are checked by what they resolve to', async () => {
    const lookup = async (host: string) => (host === 'evil.test' ? ['93.184.216.34', '169.254.169.254'] : ['93.184.216.34']);
    expect((await refusal('https://evil.test/x', { lookup }))?.message).toBe('egress to evil.test (169.254.169.254) refused: link-local, unspecified and cloud metadata addresses are never allowed');
    expect(await refusal('https://fine.test/x', { lookup })).toBeUndefined();
    expect((await refusal('http://localhost:9/', { denyPrivate: true }))?.details?.cause).toBe('egress_denied');
  });

  test('only http and https are allowed', async () => {
    expect((await refusal('file:///etc/passwd'))?.message).toBe('endpoint scheme file is not allowed (http or https only)');
  });
});

describe('through the runtime', () => {
  test('169.254.169.254 is refused without sending anything', async () => {
    const res = await createToolRuntime().invoke(httpTool('http://169.254.169.254/latest/meta-data/iam'), { requestId: 'r' }, { secrets: noSecrets });
    expect(res.error).toEqual({
      code: 'runtime_policy_invalid',
      reason: 'tool_runtime_policy_invalid',
      retryable: false,
      message: 'egress to 169.254.169.254 refused: link-local, unspecified and cloud metadata addresses are never allowed',
      details: { cause: 'egress_denied', host: '169.254.169.254' },
    });
    expect(res.attempts).toBe(1);
  });

  test('with denyPrivate a loopback tool server is refused and never reached', async () => {
    const srv = toolServer(() => json(okEnvelope('r', { result: 'ok' })));
    servers.push(srv);
    const strict = await createToolRuntime({ egress: { denyPrivate: true } }).invoke(httpTool(srv.url), { requestId: 'r' }, { secrets: noSecrets });
    expect([strict.error?.code, strict.error?.details?.cause, srv.received.length]).toEqual(['runtime_policy_invalid', 'egress_denied', 0]);
    const open = await createToolRuntime().invoke(httpTool(srv.url), { requestId: 'r' }, { secrets: noSecrets });
    expect([open.status, srv.received.length]).toEqual(['ok', 1]);
  });

  test('an oauth2 token URL on a metadata address is refused too', async () => {
    const tool = httpTool('http://127.0.0.1:9/', { auth: { profile: 'oauth2_client_credentials', secretRef: 's', tokenURL: 'http://169.254.169.254/token' } });
    const res = await createToolRuntime().invoke(tool, { requestId: 'r' }, { secrets: async () => ({ client_id: 'a', client_secret: 'b' }) });
    expect([res.error?.code, res.error?.details?.cause]).toEqual(['runtime_policy_invalid', 'egress_denied']);
  });
});
