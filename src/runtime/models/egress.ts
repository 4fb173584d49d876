// Outbound address rule (decisions.md → Egress): link-local and cloud-metadata addresses are always
// refused; loopback and private ranges are allowed unless the private-egress mode is `deny`.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export type AddressClass = 'metadata' | 'link-local' | 'loopback' | 'private' | 'unspecified' | 'public';

export interface EgressOptions {
  /** `allow` (default): loopback/private allowed. `deny`: they need the endpoint's allowPrivate. */
  privateAddresses?: 'allow' | 'deny';
  /** Host → addresses; defaults to the system resolver. Injected only to test names that don't resolve. */
  lookup?: (host: string) => Promise<string[]>;
}

export type EgressDecision = { allowed: true; addresses: string[] } | { allowed: false; reason: string };

const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200']);
// AWS's IPv6 instance-metadata address; it sits inside the ULA range, so it needs its own entry.
const METADATA_V6 = new Set(['fd00:ec2:0:0:0:0:0:254']);

function v4Octets(ip: string): number[] | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const n = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return n.every((x) => x >= 0 && x <= 255) ? n : undefined;
}

function classifyV4(ip: string): AddressClass {
  const o = v4Octets(ip);
  if (!o) return 'public';
  const [a, b] = o;
  if (METADATA_V4.has(o.join('.'))) return 'metadata';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) {
    return 'private';
  }
  return 'public';
}

/** Expands an IPv6 literal to eight 16-bit groups (an embedded dotted IPv4 tail becomes two groups). */
export function expandV6(ip: string): number[] | undefined {
  let s = ip.split('%')[0].toLowerCase();
  const tail = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail) {
    const o = v4Octets(tail[1]);
    if (!o) return undefined;
    s = s.slice(0, -tail[1].length) + `${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 0) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill(0), ...rest];
  return groups.every((g) => Number.isInteger(g)) ? groups : undefined;
}

function classifyV6(ip: string): AddressClass {
  const g = expandV6(ip);
  if (!g) return 'public';
  const embeddedV4 = () => `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  if (METADATA_V6.has(g.map((x) => x.toString(16)).join(':'))) return 'metadata';
  const zeroPrefix = (n: number) => g.slice(0, n).every((x) => x === 0);
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address.
  if (zeroPrefix(5) && g[5] === 0xffff) return classifyV4(embeddedV4());
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(embeddedV4());
  if (zeroPrefix(7)) return g[7] === 1 ? 'loopback' : 'unspecified';
  if (zeroPrefix(6) && g[6] !== 0) return classifyV4(embeddedV4());
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0] & 0xfe00) === 0xfc00 || (g[0] & 0xffc0) === 0xfec0) return 'private';
  return 'public';
}

/** Classifies a literal IP address; anything that is not one is `public`. */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.replace(/^\[|\]$/g, '');
  const v = isIP(bare.split('%')[0]);
  if (v === 4) return classifyV4(bare);
  if (v === 6) return classifyV6(bare);
  return 'public';
}

function refusal(cls: AddressClass, mode: 'allow' | 'deny', allowPrivate: boolean): string | undefined {
  if (cls === 'metadata') return 'cloud metadata address';
  if (cls === 'link-local') return 'link-local address';
  if (cls === 'public' || mode === 'allow' || allowPrivate) return undefined;
  return `${cls} address (private egress is denied; set spec.allowPrivate)`;
}

const systemLookup = async (host: string) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Decides whether a request to `url` may leave the process. A literal IP is checked directly; a host
 * name is resolved and every address must pass (a name resolving to a metadata address is refused).
 */
export async function checkEgress(url: string, allowPrivate: boolean, opts: EgressOptions = {}): Promise<EgressDecision> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { allowed: false, reason: 'invalid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { allowed: false, reason: `scheme ${parsed.protocol} is not http or https` };
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const mode = opts.privateAddresses ?? 'allow';
  const addresses = isIP(host) ? [host] : await (opts.lookup ?? systemLookup)(host);
  for (const address of addresses) {
    const reason = refusal(classifyAddress(address), mode, allowPrivate);
    if (reason) return { allowed: false, reason: `${host} ${address === host ? 'is' : 'resolves to'} a ${reason}` };
  }
  return { allowed: true, addresses };
}
