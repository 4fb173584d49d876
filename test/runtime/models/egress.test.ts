// Egress: metadata and link-local addresses are always refused (before any connection), loopback and
// private ones allowed by default and refused under the `deny` mode unless the endpoint allows them.
import { afterEach, describe, expect, test } from 'bun:test';
import { checkEgress, classifyAddress, createModelGateway } from '../../../src/runtime/models';
import type { AddressClass } from '../../../src/runtime/models/egress';
import { openaiAnswer, startFakeServer, type FakeServer } from './fake-model-server';

describe('classifyAddress', () => {
  const cases: Array<[string, AddressClass]> = [
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
    ['fec0::1', 'private'],
    ['not-an-ip', 'public'],
  ];
  for (const [ip, cls] of cases) test(`${ip} → ${cls}`, () => expect(classifyAddress(ip)).toBe(cls));
});

describe('checkEgress', () => {
  test('literal metadata and link-local addresses are refused in every mode and with allowPrivate', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[fe80::1]:8080/', 'http://[fd00:ec2::254]/', 'http://2852039166/']) {
      for (const mode of ['allow', 'deny'] as const) {
        expect((await checkEgress(url, true, { privateAddresses: mode })).allowed).toBe(false);
      }
    }
    expect(await checkEgress('http://169.254.169.254/', false)).toEqual({ allowed: false, reason: '169.254.169.254 is a cloud metadata address' });
  });

  test('a host name resolving to a metadata address is refused', async () => {
    const lookup = async (host: string) => (host === 'metadata.internal.test' ? ['169.254.169.254'] : ['93.184.216.34']);
    expect(await checkEgress('http://metadata.internal.test/x', true, { lookup })).toEqual({
      allowed: false,
      reason: 'metadata.internal.test resolves to a cloud metadata address',
    });
    expect(await checkEgress('https://api.example.test/v1', false, { lookup })).toEqual({ allowed: true, addresses: ['93.184.216.34'] });
  });

  test('loopback and private: allowed by default; under deny only with allowPrivate', async () => {
    expect((await checkEgress('http://127.0.0.1:11434', false)).allowed).toBe(true);
    expect((await checkEgress('http://192.168.1.5:11434', false)).allowed).toBe(true);
    expect(await checkEgress('http://192.168.1.5:11434', false, { privateAddresses: 'deny' })).toEqual({
      allowed: false,
      reason: '192.168.1.5 is a private address (private egress is denied; set spec.allowPrivate)',
    });
    expect((await checkEgress('http://192.168.1.5:11434', true, { privateAddresses: 'deny' })).allowed).toBe(true);
    // localhost goes through the real resolver
    expect((await checkEgress('http://localhost:11434', false, { privateAddresses: 'deny' })).allowed).toBe(false);
    expect((await checkEgress('http://localhost:11434', false)).allowed).toBe(true);
  });

  test('non-http schemes are refused', async () => {
    expect(await checkEgress('file:///etc/passwd', true)).toEqual({ allowed: false, reason: 'scheme file: is not http or https' });
  });
});

describe('gateway', () => {
  let server: FakeServer | undefined;
  afterEach(() => server?.stop());

  test('a ModelEndpoint pointing at 169.254.169.254 fails egress_denied, not retryable, and never falls back', async () => {
    server = startFakeServer().script({ json: openaiAnswer('should not be reached') });
    const gateway = createModelGateway();
    const err = await gateway
      .completeWithFallback(
        [
          { provider: 'openai-compatible', base_url: 'http://169.254.169.254/v1', default_model: 'm', allowPrivate: true, name: 'ns/evil' },
          { provider: 'openai-compatible', base_url: `${server.url}/v1`, default_model: 'm' },
        ],
        { messages: [{ role: 'user', content: 'x' }] },
      )
      .catch((e) => e);
    expect(err.toJSON()).toEqual({
      code: 'egress_denied',
      provider: 'openai-compatible',
      status: undefined,
      retryable: false,
      endpoint: 'ns/evil',
      retryAfterMs: undefined,
      message: 'openai-compatible: egress refused: 169.254.169.254 is a cloud metadata address',
    });
    expect(server.requests).toHaveLength(0);
  });

  test('under deny mode a loopback endpoint needs allowPrivate', async () => {
    server = startFakeServer().script({ json: openaiAnswer('allowed') });
    const gateway = createModelGateway({ egress: { privateAddresses: 'deny' } });
    const ep = { provider: 'openai-compatible', base_url: `${server.url}/v1`, default_model: 'm' };
    const denied = await gateway.complete(ep, { messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect([denied.code, denied.retryable]).toEqual(['egress_denied', false]);
    const ok = await gateway.complete({ ...ep, allowPrivate: true }, { messages: [{ role: 'user', content: 'x' }] });
    expect(ok.content).toBe('allowed');
  });

  test('a redirect is never followed (it could point at a metadata address)', async () => {
    server = startFakeServer().script({ status: 307, headers: { location: 'http://169.254.169.254/' } });
    const gateway = createModelGateway();
    const err = await gateway.complete({ provider: 'openai-compatible', base_url: `${server.url}/v1`, default_model: 'm' }, { messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect([err.code, err.retryable, err.message]).toEqual(['invalid_response', false, 'openai-compatible: model endpoint answered a redirect (status=307)']);
  });
});
