// Kubernetes' rules for label and annotation keys and label values, and the annotation size
// limit: keys and values stay short and selector-safe, and metadata cannot carry megabytes.
import type { Cause } from '../errors';
import { keyPath } from './validation';

export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
const NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_RULE = 'alphanumerics, "-", "_" and ".", starting and ending with an alphanumeric';

/** What is wrong with a label or annotation key: `[prefix/]name`, prefix a DNS subdomain ≤ 253, name ≤ 63. */
export function qualifiedKeyProblems(key: string): string[] {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const out: string[] = [];
  if (prefix !== undefined) {
    if (prefix.length > 253) out.push('key prefix must be at most 253 characters');
    else if (!DNS_SUBDOMAIN.test(prefix)) out.push('key prefix must be a DNS subdomain (lower-case alphanumerics, "-" and ".", e.g. example.com)');
  }
  if (name.length === 0) out.push('key name (after any prefix/) must not be empty');
  else if (name.length > 63) out.push('key name must be at most 63 characters');
  else if (!NAME.test(name)) out.push(`key name must be ${NAME_RULE}`);
  return out;
}

/** Label values: empty, or at most 63 characters of the key name's characters. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return 'value must be at most 63 characters';
  if (!NAME.test(value)) return `value must be empty or ${NAME_RULE}`;
  return undefined;
}

export function labelCauses(labels: Record<string, string>, field = 'metadata.labels'): Cause[] {
  const causes: Cause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const problems = qualifiedKeyProblems(k);
    const valueProblem = labelValueProblem(v);
    if (valueProblem) problems.push(valueProblem);
    for (const message of problems) causes.push({ field: keyPath(field, k), message });
  }
  return causes;
}

export function annotationCauses(annotations: Record<string, string>, field = 'metadata.annotations'): Cause[] {
  const causes: Cause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const message of qualifiedKeyProblems(k)) causes.push({ field: keyPath(field, k), message });
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > MAX_ANNOTATIONS_BYTES) causes.push({ field, message: `must hold at most ${MAX_ANNOTATIONS_BYTES} bytes of keys and values in total (holds ${size})` });
  return causes;
}
