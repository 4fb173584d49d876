// Annotations that tools write with a copy of the whole object — for a Secret, its values in
// plaintext. They must never travel into a SealedSecret (meant for git) or onto a Secret.
const UNSAFE = ['kubectl.kubernetes.io/last-applied-configuration'];

/** The annotations without the unsafe ones, and the keys that were dropped. */
export function safeAnnotations(annotations: Record<string, string> | undefined): { kept: Record<string, string> | undefined; dropped: string[] } {
  if (!annotations) return { kept: undefined, dropped: [] };
  const kept: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(annotations)) {
    if (UNSAFE.includes(k.toLowerCase())) dropped.push(k);
    else kept[k] = v;
  }
  return { kept, dropped };
}
