// Egress guard for tool calls: link-local and cloud-metadata addresses are always refused;
// loopback/private ones only under --egress-private=deny. Checks literal IPs and resolved names.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ToolError } from './contract';

export type AddressClass = 'forbidden' | 'private' | 'public';
export type Lookup = (host: string) => Promise<string[]>;

export interface EgressOptions {
  /** --egress-private=deny: loopback, RFC 1918, ULA and CGNAT are refused too. */
  denyPrivate?: boolean;
  /** Per-resource opt-in (spec.allowPrivate) that overrides denyPrivate. */
  allowPrivate?: boolean;
  /** DNS resolution; the system resolver by default. */
  lookup?: Lookup;
}

type Range = [base: bigint, bits: number];

const V4_FORBIDDEN = ['0.0.0.0/8', '169.254.0.0/16', '100.100.100.200/32'];
const V4_PRIVATE = ['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];
// Unspecified, link-local, and the AWS and GCP IPv6 metadata endpoints.
const V6_FORBIDDEN = ['::/128', 'fe80::/10', 'fd00:ec2::254/128', 'fd20:ce::254/128'];
const V6_PRIVATE = ['::1/128', 'fc00::/7'];
/** Names of metadata services, refused even when the local resolver does not know them. */
const FORBIDDEN_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBig(ip: string): bigint {
  let s = ip.replace(/%.*$/, '');
  const v4Tail = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4Tail) {
    const n = v4ToBig(v4Tail[1]);
    s = s.slice(0, -v4Tail[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function ranges(list: string[], v6: boolean): Range[] {
  return list.map((cidr) => {
    const [base, bits] = cidr.split('/');
    return [v6 ? v6ToBig(base) : v4ToBig(base), Number(bits)];
  });
}

const R = {
  v4Forbidden: ranges(V4_FORBIDDEN, false),
  v4Private: ranges(V4_PRIVATE, false),
  v6Forbidden: ranges(V6_FORBIDDEN, true),
  v6Private: ranges(V6_PRIVATE, true),
};

function inRanges(n: bigint, list: Range[], width: number): boolean {
  return list.some(([base, bits]) => {
    const shift = BigInt(width - bits);
    return n >> shift === base >> shift;
  });
}

/** The embedded IPv4 of an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) address. */
function embeddedV4(n: bigint): bigint | undefined {
  const prefix = n >> 32n;
  if (prefix === 0xffffn || prefix === 0x64ff9b0000000000000000n) return n & 0xffffffffn;
  return undefined;
}

function classifyV4(n: bigint): AddressClass {
  if (inRanges(n, R.v4Forbidden, 32)) return 'forbidden';
  return inRanges(n, R.v4Private, 32) ? 'private' : 'public';
}

/** How an IP address is treated: forbidden always, private unless allowed, public always allowed. */
export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip.replace(/%.*$/, ''));
  if (family === 4) return classifyV4(v4ToBig(ip));
  if (family !== 6) throw new TypeError(`not an IP address: ${ip}`);
  const n = v6ToBig(ip);
  const v4 = embeddedV4(n);
  if (v4 !== undefined) return classifyV4(v4);
  if (inRanges(n, R.v6Forbidden, 128)) return 'forbidden';
  return inRanges(n, R.v6Private, 128) ? 'private' : 'public';
}

const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

function refuse(host: string, why: string): never {
  throw new ToolError('runtime_policy_invalid', `egress to ${host} refused: ${why}`, { details: { cause: 'egress_denied', host } });
}

/**
 * Throws a non-retryable runtime_policy_invalid error (details.cause "egress_denied") when the
 * URL may not be contacted. Names are resolved here and every address must pass; fetch resolves
 * again, so a name that changes its answer in between (DNS rebinding) is not fully covered.
 */
export async function checkEgress(target: URL | string, opts: EgressOptions = {}): Promise<void> {
  let url: URL;
  try {
    url = typeof target === 'string' ? new URL(target) : target;
  } catch {
    throw new ToolError('runtime_policy_invalid', `endpoint ${JSON.stringify(String(target))} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ToolError('runtime_policy_invalid', `endpoint scheme ${url.protocol.replace(/:$/, '')} is not allowed (http or https only)`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (FORBIDDEN_NAMES.has(host)) refuse(host, 'cloud metadata services are never allowed');
  let addresses: string[];
  if (isIP(host.replace(/%.*$/, ''))) addresses = [host];
  else {
    try {
      addresses = await (opts.lookup ?? systemLookup)(host);
    } catch (e) {
      throw new ToolError('execution_failed', `cannot resolve ${host}: ${e instanceof Error ? e.message : String(e)}`, { details: { host } });
    }
    if (!addresses.length) throw new ToolError('execution_failed', `cannot resolve ${host}: no addresses`, { details: { host } });
  }
  const denyPrivate = opts.denyPrivate && !opts.allowPrivate;
  for (const address of addresses) {
    const cls = classifyAddress(address);
    const shown = address === host ? host : `${host} (${address})`;
    if (cls === 'forbidden') refuse(shown, 'link-local, unspecified and cloud metadata addresses are never allowed');
    if (cls === 'private' && denyPrivate) refuse(shown, 'private and loopback addresses are denied (--egress-private=deny)');
  }
}
