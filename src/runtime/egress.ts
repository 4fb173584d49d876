// The one outbound-address rule (decisions.md → Egress) for models, tools, OAuth2 token URLs and
// callbacks: how an IP address is classified, and whether a URL may be contacted.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export type AddressClass = 'metadata' | 'link-local' | 'unspecified' | 'loopback' | 'private' | 'public';
export type Lookup = (host: string) => Promise<string[]>;

export interface EgressOptions {
  /** `allow` (default): loopback/private allowed. `deny` (--egress-private=deny): they need allowPrivate. */
  privateAddresses?: 'allow' | 'deny';
  /** The resource's opt-in (spec.allowPrivate); it never lifts the always-refused classes. */
  allowPrivate?: boolean;
  /** Host → addresses; the system resolver by default. */
  lookup?: Lookup;
}

/** Why a URL was refused, for callers that word their own messages. */
export type EgressRefusal =
  | { kind: 'invalid-url' }
  | { kind: 'scheme'; scheme: string }
  | { kind: 'metadata-name'; host: string }
  | { kind: 'address'; host: string; address: string; class: AddressClass; always: boolean };

export type EgressDecision = { allowed: true; addresses: string[] } | { allowed: false; reason: string; refusal: EgressRefusal };

/** A host name that could not be resolved (or resolved to nothing); not a policy refusal. */
export class EgressLookupError extends Error {
  constructor(readonly host: string, message: string) {
    super(message);
    this.name = 'EgressLookupError';
  }
}

// First match wins. Metadata entries come before the ranges that contain them.
const V4_TABLE: Array<[string, AddressClass]> = [
  ['169.254.169.254/32', 'metadata'], // AWS, Azure, GCP, OCI, DigitalOcean … instance metadata
  ['169.254.170.2/32', 'metadata'], // AWS ECS task credentials
  ['169.254.170.23/32', 'metadata'], // AWS EKS Pod Identity
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud (inside CGNAT)
  ['169.254.0.0/16', 'link-local'],
  ['0.0.0.0/8', 'unspecified'], // "this network": 0.0.0.0 reaches the local host
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'private'], // CGNAT (Tailscale lives here)
];
const V6_TABLE: Array<[string, AddressClass]> = [
  ['fd00:ec2::254/128', 'metadata'], // AWS instance metadata (inside ULA)
  ['fd00:ec2::23/128', 'metadata'], // AWS EKS Pod Identity
  ['fd20:ce::254/128', 'metadata'], // GCP instance metadata
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['fc00::/7', 'private'], // ULA
  ['fec0::/10', 'private'], // deprecated site-local
];
/** IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it. */
const V6_EMBEDDING_V4 = ['::ffff:0:0/96', '64:ff9b::/96', '::/96']; // mapped, NAT64, IPv4-compatible
/** Names of metadata services, refused even when the local resolver does not know them. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);
const ALWAYS_REFUSED = new Set<AddressClass>(['metadata', 'link-local', 'unspecified']);

function v4ToBig(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

/** An IPv6 literal (zone dropped, dotted IPv4 tail allowed) as a 128-bit number. */
function v6ToBig(ip: string): bigint | undefined {
  let s = ip.split('%')[0].toLowerCase();
  const tail = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail) {
    const n = v4ToBig(tail[1]);
    if (n === undefined) return undefined;
    s = s.slice(0, -tail[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':'));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 0) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...rest];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

type Range = [base: bigint, bits: number];
const toRange = (cidr: string, v6: boolean): Range => {
  const [base, bits] = cidr.split('/');
  return [(v6 ? v6ToBig(base) : v4ToBig(base))!, Number(bits)];
};
const inRange = (n: bigint, [base, bits]: Range, width: number) => n >> BigInt(width - bits) === base >> BigInt(width - bits);

const V4 = V4_TABLE.map(([cidr, cls]) => [toRange(cidr, false), cls] as const);
const V6 = V6_TABLE.map(([cidr, cls]) => [toRange(cidr, true), cls] as const);
const EMBEDDING = V6_EMBEDDING_V4.map((cidr) => toRange(cidr, true));

function classifyV4(n: bigint): AddressClass {
  return V4.find(([r]) => inRange(n, r, 32))?.[1] ?? 'public';
}

function classifyV6(n: bigint): AddressClass {
  // :: and ::1 sit inside ::/96 but are IPv6's own unspecified and loopback addresses.
  if (n > 1n && EMBEDDING.some((r) => inRange(n, r, 128))) return classifyV4(n & 0xffffffffn);
  return V6.find(([r]) => inRange(n, r, 128))?.[1] ?? 'public';
}

/** Classifies a literal IP address (brackets and an IPv6 zone are ignored); anything else is `public`. */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = isIP(bare.split('%')[0]);
  const n = family === 4 ? v4ToBig(bare) : family === 6 ? v6ToBig(bare) : undefined;
  if (n === undefined) return 'public';
  return family === 4 ? classifyV4(n) : classifyV6(n);
}

/** Metadata, link-local and unspecified addresses are refused whatever the mode or opt-in. */
export function isAlwaysRefused(cls: AddressClass): boolean {
  return ALWAYS_REFUSED.has(cls);
}

/** Whether an address of this class may be contacted under the given mode and opt-in. */
export function addressAllowed(cls: AddressClass, opts: Pick<EgressOptions, 'privateAddresses' | 'allowPrivate'> = {}): boolean {
  if (isAlwaysRefused(cls)) return false;
  if (cls === 'public') return true;
  return (opts.privateAddresses ?? 'allow') === 'allow' || opts.allowPrivate === true;
}

const CLASS_REASON: Record<AddressClass, string> = {
  metadata: 'cloud metadata address',
  'link-local': 'link-local address',
  unspecified: 'unspecified address',
  loopback: 'loopback address (private egress is denied; set spec.allowPrivate)',
  private: 'private address (private egress is denied; set spec.allowPrivate)',
  public: 'public address',
};

const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

function refused(reason: string, refusal: EgressRefusal): EgressDecision {
  return { allowed: false, reason, refusal };
}

/**
 * Decides whether a request to `url` may leave the process. A literal IP is checked directly; a
 * host name is resolved and every address must pass. Throws EgressLookupError when a name does not
 * resolve. fetch resolves again, so a name that changes its answer in between is not fully covered.
 */
export async function checkEgress(url: URL | string, opts: EgressOptions = {}): Promise<EgressDecision> {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return refused('invalid URL', { kind: 'invalid-url' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return refused(`scheme ${parsed.protocol} is not http or https`, { kind: 'scheme', scheme: parsed.protocol.replace(/:$/, '') });
  }
  const target = parsed.hostname.replace(/^\[|\]$/g, '');
  const host = target.toLowerCase().replace(/\.$/, '');
  if (METADATA_NAMES.has(host)) return refused(`${host} is a cloud metadata host name`, { kind: 'metadata-name', host });
  let addresses: string[];
  if (isIP(host.split('%')[0])) addresses = [host];
  else {
    try {
      addresses = await (opts.lookup ?? systemLookup)(target);
    } catch (e) {
      throw new EgressLookupError(host, e instanceof Error ? e.message : String(e));
    }
    if (!addresses.length) throw new EgressLookupError(host, 'no addresses');
  }
  for (const address of addresses) {
    if (!isIP(address.split('%')[0])) throw new EgressLookupError(host, `resolver answered ${JSON.stringify(address)}, not an address`);
    const cls = classifyAddress(address);
    if (addressAllowed(cls, opts)) continue;
    const reason = `${host} ${address === host ? 'is' : 'resolves to'} a ${CLASS_REASON[cls]}`;
    return refused(reason, { kind: 'address', host, address, class: cls, always: isAlwaysRefused(cls) });
  }
  return { allowed: true, addresses };
}
