// Name and namespace rules of decisions.md: 1–253 characters, no "/", no whitespace or control
// characters, no leading ".", and (for names) none of the words our routes use as sub-resources.
import type { Cause } from '../errors';

const RESERVED = new Set([
  'status',
  'logs',
  'watch',
  'approve',
  'deny',
  'request-changes',
  'entries',
  'messages',
  'metrics',
]);
// Whitespace, C0/C1 controls, and invisible or direction-changing format characters that would
// make two different names look alike.
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff/]/;

export function nameProblems(value: unknown, field: string, isNamespace = false): Cause[] {
  if (typeof value !== 'string' || value.length === 0) return [{ field, message: 'is required' }];
  const out: Cause[] = [];
  if (value.length > 253) out.push({ field, message: 'must be at most 253 characters' });
  if (BAD_CHARS.test(value)) out.push({ field, message: 'must not contain "/", whitespace or control characters' });
  if (value.startsWith('.')) out.push({ field, message: 'must not start with "."' });
  if (!isNamespace && RESERVED.has(value.toLowerCase()))
    out.push({ field, message: `"${value}" is reserved for sub-resource routes` });
  return out;
}
