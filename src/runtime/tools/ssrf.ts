// The tool runtime's view of the egress rule in ../egress.ts: three address classes and refusals
// thrown as ToolError runtime_policy_invalid (details.cause "egress_denied").
import { checkEgress as decide, classifyAddress as classify, EgressLookupError, isAlwaysRefused, type Lookup } from '../egress';
import { isIP } from 'node:net';
import { ToolError } from './contract';

export type { Lookup } from '../egress';
export type AddressClass = 'forbidden' | 'private' | 'public';

export interface EgressOptions {
  /** --egress-private=deny: loopback, RFC 1918, ULA and CGNAT are refused too. */
  denyPrivate?: boolean;
  /** Per-resource opt-in (spec.allowPrivate) that overrides denyPrivate. */
  allowPrivate?: boolean;
  /** DNS resolution; the system resolver by default. */
  lookup?: Lookup;
}

/** How an IP address is treated: forbidden always, private unless allowed, public always allowed. */
export function classifyAddress(ip: string): AddressClass {
  if (!isIP(ip.replace(/%.*$/, ''))) throw new TypeError(`not an IP address: ${ip}`);
  const cls = classify(ip);
  if (isAlwaysRefused(cls)) return 'forbidden';
  return cls === 'public' ? 'public' : 'private';
}

function refuse(host: string, why: string): never {
  throw new ToolError('runtime_policy_invalid', `egress to ${host} refused: ${why}`, { details: { cause: 'egress_denied', host } });
}

/**
 * Throws a non-retryable runtime_policy_invalid error (details.cause "egress_denied") when the
 * URL may not be contacted, and execution_failed when its host does not resolve.
 */
export async function checkEgress(target: URL | string, opts: EgressOptions = {}): Promise<void> {
  let d;
  try {
    d = await decide(target, { privateAddresses: opts.denyPrivate ? 'deny' : 'allow', allowPrivate: opts.allowPrivate, lookup: opts.lookup });
  } catch (e) {
    if (!(e instanceof EgressLookupError)) throw e;
    throw new ToolError('execution_failed', `cannot resolve ${e.host}: ${e.message}`, { details: { host: e.host } });
  }
  if (d.allowed) return;
  const r = d.refusal;
  switch (r.kind) {
    case 'invalid-url':
      throw new ToolError('runtime_policy_invalid', `endpoint ${JSON.stringify(String(target))} is not a valid URL`);
    case 'scheme':
      throw new ToolError('runtime_policy_invalid', `endpoint scheme ${r.scheme} is not allowed (http or https only)`);
    case 'metadata-name':
      return refuse(r.host, 'cloud metadata services are never allowed');
    case 'address': {
      const shown = r.address === r.host ? r.host : `${r.host} (${r.address})`;
      if (r.always) refuse(shown, 'link-local, unspecified and cloud metadata addresses are never allowed');
      refuse(shown, 'private and loopback addresses are denied (--egress-private=deny)');
    }
  }
}
