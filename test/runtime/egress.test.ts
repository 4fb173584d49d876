// The merged egress rule (src/runtime/egress.ts): every range either former guard classified, the
// always-refused classes, the deny mode with its opt-in, metadata names and resolved names.
import { describe, expect, test } from 'bun:test';
import { addressAllowed, checkEgress, classifyAddress, EgressLookupError, isAlwaysRefused, type AddressClass } from '../../src/runtime/egress';

describe('classifyAddress: the merged table', () => {
  const table: Array<[string, AddressClass]> = [
    // IPv4 cloud metadata, before the ranges that contain them
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['169.254.170.23', 'metadata'],
    ['100.100.100.200', 'metadata'],
    // IPv4 link-local 169.254.0.0/16
    ['169.254.0.0', 'link-local'],
    ['169.254.1.2', 'link-local'],
    ['169.254.255.255', 'link-local'],
    // 0.0.0.0/8
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    // loopback 127.0.0.0/8
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    // RFC 1918 and CGNAT, with their edges
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.32.0.1', 'public'],
    ['192.168.0.1', 'private'],
    ['192.168.255.255', 'private'],
    ['192.169.0.1', 'public'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['8.8.8.8', 'public'],
    ['1.0.0.1', 'public'],
    // IPv6 metadata twins (they sit inside the ULA range)
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2:0:0:0:0:0:254', 'metadata'],
    ['fd00:ec2::23', 'metadata'],
    ['fd20:ce::254', 'metadata'],
    ['fd00:ec2::253', 'private'],
    // IPv6 special addresses and ranges
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'private'],
    ['fec0::1', 'private'],
    ['feff::1', 'private'],
    ['fbff::1', 'public'],
    ['2606:4700::1111', 'public'],
    ['[2606:4700::1111]', 'public'],
    // IPv4-mapped ::ffff:0:0/96, in both spellings
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:169.254.1.1', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    // NAT64 64:ff9b::/96
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::808:808', 'public'],
    // IPv4-compatible ::/96 (apart from :: and ::1 themselves)
    ['::169.254.169.254', 'metadata'],
    ['::a9fe:a9fe', 'metadata'],
    ['::127.0.0.1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['::2', 'unspecified'],
    // not an address at all
    ['not-an-ip', 'public'],
    ['1.2.3.256', 'public'],
  ];
  for (const [ip, cls] of table) test(`${ip} → ${cls}`, () => expect(classifyAddress(ip)).toBe(cls));
});

describe('addressAllowed', () => {
  test('metadata, link-local and unspecified are refused in every mode and with the opt-in', () => {
    for (const cls of ['metadata', 'link-local', 'unspecified'] as const) {
      expect(isAlwaysRefused(cls)).toBe(true);
      for (const privateAddresses of ['allow', 'deny'] as const) {
        for (const allowPrivate of [false, true]) expect(addressAllowed(cls, { privateAddresses, allowPrivate })).toBe(false);
      }
    }
  });

  test('loopback and private: allowed by default, under deny only with allowPrivate; public always', () => {
    for (const cls of ['loopback', 'private'] as const) {
      expect(isAlwaysRefused(cls)).toBe(false);
      expect(addressAllowed(cls)).toBe(true);
      expect(addressAllowed(cls, { privateAddresses: 'deny' })).toBe(false);
      expect(addressAllowed(cls, { privateAddresses: 'deny', allowPrivate: true })).toBe(true);
    }
    expect(addressAllowed('public', { privateAddresses: 'deny' })).toBe(true);
  });
});

describe('checkEgress', () => {
  const lookup = async (host: string) =>
    ({ 'evil.test': ['93.184.216.34', '169.254.169.254'], 'fine.test': ['93.184.216.34', '2606:4700::1111'], 'lan.test': ['192.168.1.5'], 'zero.test': ['0.0.0.0'] })[host] ?? [];

  test('literal addresses in every spelling the URL parser accepts', async () => {
    for (const url of ['http://169.254.169.254/', 'http://2852039166/', 'http://0xa9.0xfe.0xa9.0xfe/', 'http://[::ffff:169.254.169.254]/', 'http://[fd20:ce::254]/', 'http://0.0.0.0:8080/', 'http://[::]/']) {
      const d = await checkEgress(url, { allowPrivate: true });
      expect([url, d.allowed, !d.allowed && d.refusal.kind === 'address' && d.refusal.always]).toEqual([url, false, true]);
    }
    expect(await checkEgress('http://169.254.169.254/')).toEqual({
      allowed: false,
      reason: '169.254.169.254 is a cloud metadata address',
      refusal: { kind: 'address', host: '169.254.169.254', address: '169.254.169.254', class: 'metadata', always: true },
    });
  });

  test('metadata host names are refused without resolving them', async () => {
    const never = async () => {
      throw new Error('looked up');
    };
    for (const url of ['http://metadata.google.internal/computeMetadata/v1/', 'http://METADATA.GOOGLE.INTERNAL./', 'http://metadata.goog/', 'http://metadata/']) {
      const d = await checkEgress(url, { lookup: never, allowPrivate: true });
      expect([url, d.allowed, !d.allowed && d.refusal.kind]).toEqual([url, false, 'metadata-name']);
    }
  });

  test('every resolved address must pass', async () => {
    expect(await checkEgress('https://evil.test/x', { lookup })).toMatchObject({ allowed: false, reason: 'evil.test resolves to a cloud metadata address' });
    expect(await checkEgress('https://zero.test/x', { lookup, allowPrivate: true })).toMatchObject({ allowed: false, reason: 'zero.test resolves to a unspecified address' });
    expect(await checkEgress('https://fine.test/x', { lookup, privateAddresses: 'deny' })).toEqual({ allowed: true, addresses: ['93.184.216.34', '2606:4700::1111'] });
  });

  test('the deny mode and the opt-in', async () => {
    expect((await checkEgress('http://lan.test/', { lookup })).allowed).toBe(true);
    expect(await checkEgress('http://lan.test/', { lookup, privateAddresses: 'deny' })).toMatchObject({
      allowed: false,
      reason: 'lan.test resolves to a private address (private egress is denied; set spec.allowPrivate)',
      refusal: { kind: 'address', class: 'private', always: false },
    });
    expect((await checkEgress('http://lan.test/', { lookup, privateAddresses: 'deny', allowPrivate: true })).allowed).toBe(true);
    expect(await checkEgress('http://127.0.0.1:9/', { privateAddresses: 'deny' })).toMatchObject({ allowed: false, reason: '127.0.0.1 is a loopback address (private egress is denied; set spec.allowPrivate)' });
    expect((await checkEgress('http://[::1]:9/', { privateAddresses: 'deny', allowPrivate: true })).allowed).toBe(true);
  });

  test('bad URLs and schemes', async () => {
    expect(await checkEgress('not a url')).toEqual({ allowed: false, reason: 'invalid URL', refusal: { kind: 'invalid-url' } });
    expect(await checkEgress('file:///etc/passwd')).toEqual({ allowed: false, reason: 'scheme file: is not http or https', refusal: { kind: 'scheme', scheme: 'file' } });
  });

  test('a name that does not resolve, resolves to nothing or to garbage throws EgressLookupError', async () => {
    const failing = async () => {
      throw new Error('ENOTFOUND');
    };
    for (const [url, lk] of [['http://nowhere.test/', failing], ['http://empty.test/', lookup], ['http://odd.test/', async () => ['not-an-ip']]] as const) {
      const err = await checkEgress(url, { lookup: lk }).catch((e) => e);
      expect([url, err instanceof EgressLookupError, err.host]).toEqual([url, true, new URL(url).hostname]);
    }
  });
});
