// Secret redaction for anything a model call may put into an error: the endpoint's own key wherever
// it appears, plus the usual credential shapes (bearer tokens, api-key headers, sk-… keys).
const MASK = '[REDACTED]';

const PATTERNS: RegExp[] = [
  /(bearer\s+)[^\s"',;]+/gi,
  /((?:authorization|x-api-key|api-key|api_key|apikey|access_token|token|secret|password)["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi,
  /\b(sk-)[A-Za-z0-9_\-*]{6,}/g,
];

/** Masks every known secret value and credential-looking token in `text`. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would mask ordinary words; keys are never that short.
    if (secret && secret.length >= 4) out = out.split(secret).join(MASK);
  }
  for (const re of PATTERNS) out = out.replace(re, (_m, prefix: string) => `${prefix}${MASK}`);
  return out;
}
