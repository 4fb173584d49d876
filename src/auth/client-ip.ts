// The client's address for rate limits: the peer address, unless the peer is a trusted proxy, in
// which case X-Forwarded-For is read right to left up to the first untrusted hop.
export interface Cidr {
  bytes: Uint8Array;
  bits: number;
}

function ipBytes(ip: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((n) => n <= 255) ? new Uint8Array(b) : undefined;
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return ipBytes(mapped[1]);
  if (!ip.includes(':')) return undefined;
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if (!ip.includes('::') && h.length !== 8) return undefined;
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 255;
  });
  return out;
}

export function parseCidr(text: string): Cidr | undefined {
  const [ip, bitsText] = text.trim().split('/');
  const bytes = ipBytes(ip);
  if (!bytes) return undefined;
  const bits = bitsText === undefined ? bytes.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8) return undefined;
  return { bytes, bits };
}

export function inCidrs(ip: string, cidrs: Cidr[]): boolean {
  const b = ipBytes(ip);
  if (!b) return false;
  return cidrs.some((c) => {
    if (c.bytes.length !== b.length) return false;
    for (let i = 0; i < c.bits; i++) {
      const mask = 0x80 >> i % 8;
      if ((b[i >> 3] & mask) !== (c.bytes[i >> 3] & mask)) return false;
    }
    return true;
  });
}

export function clientIp(request: Request, peer: string | undefined, trusted: Cidr[]): string {
  const remote = peer ?? 'unknown';
  if (!trusted.length || !inCidrs(remote, trusted)) return remote;
  const hops = (request.headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!inCidrs(hops[i], trusted)) return hops[i];
  return request.headers.get('x-real-ip')?.trim() || hops[0] || remote;
}

/** HTTPS as the client sees it: only a trusted proxy may say so with X-Forwarded-Proto. */
export function isHttps(request: Request, peer: string | undefined, trusted: Cidr[]): boolean {
  if (new URL(request.url).protocol === 'https:') return true;
  return !!peer && inCidrs(peer, trusted) && request.headers.get('x-forwarded-proto')?.toLowerCase() === 'https';
}
