// The model gateway's view of the egress rule in ../egress.ts: the endpoint's allowPrivate as an
// argument and a plain {allowed, reason} decision that http.ts turns into ModelError 'egress_denied'.
import { checkEgress as decide, type EgressOptions as Policy } from '../egress';

export { classifyAddress, type AddressClass } from '../egress';

/** The gateway-wide part of the rule; the endpoint's allowPrivate is passed per call. */
export type EgressOptions = Omit<Policy, 'allowPrivate'>;

export type EgressDecision = { allowed: true; addresses: string[] } | { allowed: false; reason: string };

/** Whether a model request to `url` may leave the process. Throws when the host does not resolve. */
export async function checkEgress(url: string, allowPrivate: boolean, opts: EgressOptions = {}): Promise<EgressDecision> {
  const d = await decide(url, { ...opts, allowPrivate });
  return d.allowed ? d : { allowed: false, reason: d.reason };
}
