// The signature profiles of TaskWebhook spec.auth.profile, one file each.
import type { Verifier } from './common';
import { generic } from './generic';
import { github } from './github';
import { hmacProfile } from './hmac';
import { sharedToken } from './shared-token';

export type { SignedDelivery, Verifier } from './common';

export const profiles: Record<string, Verifier> = { generic, github, hmac: hmacProfile, shared_token: sharedToken };

/** The event-id header when the webhook names none. */
export const defaultEventHeader = (profile: string) => (profile === 'github' ? 'X-GitHub-Delivery' : 'X-Event-Id');
/** The dedupe window when the webhook names none: GitHub signs no timestamp, so it is longer. */
export const defaultWindowSeconds = (profile: string) => (profile === 'github' ? 259200 : 86400);
