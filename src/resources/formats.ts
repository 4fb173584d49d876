// The string formats spec fields share (durations, time zones, base64, URLs, references, header
// names) and the schema pieces that name them. A value that does not parse is a schema cause on
// its own field, so it is listed together with every other problem of the request.
import { Type as t, type StringOptions } from '@sinclair/typebox';
import { nameProblems } from '../registry/names';
import { defineFormat } from '../registry/validation';
import { isDuration } from '../util/duration';

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// RFC 9110 token: the characters a header name may hold.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** True for non-empty standard (padded, +/) base64; line breaks are ignored as Go does. */
export function isStdBase64(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const s = v.replace(/[\r\n]/g, '');
  return s.length > 0 && STD_BASE64.test(s);
}

/** The canonical spelling of an IANA zone name, or undefined when the runtime does not know it. */
export function resolveTimeZone(tz: string): string | undefined {
  // Intl also accepts UTC offsets such as "+01:00"; Orloj (Go LoadLocation) wants zone names.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz)) return undefined;
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** An absolute http:// or https:// URL. */
export const isHttpUrl = (v: string) => /^https?:\/\//i.test(v) && URL.canParse(v);

/** `name` or `namespace/name`, each part a possible object name (no whitespace, no leading "."). */
export function isRef(v: string): boolean {
  const parts = v.split('/');
  return parts.length <= 2 && parts.every((p) => nameProblems(p, '', true).length === 0);
}

const base64Message = (hint: string) => (v: string) => (v.trim() === '' ? 'must not be empty' : `must be valid standard base64${hint}`);

const DURATION = defineFormat('go-duration', isDuration, 'must be a duration such as 30s, 5m or 1h30m');
const TIME_ZONE = defineFormat('iana-time-zone', (v) => resolveTimeZone(v) !== undefined, 'must be an IANA time zone such as UTC or America/Chicago');
const BASE64 = defineFormat('base64', isStdBase64, base64Message(''));
const SECRET_VALUE = defineFormat('secret-value', isStdBase64, base64Message(' (use stringData for plain text)'));
export const HTTP_URL_MESSAGE = 'must be an http(s) URL';
const HTTP_URL = defineFormat('http-url', isHttpUrl, HTTP_URL_MESSAGE);
// Parsed as the tool runtime parses it: a bare host:port means http://host:port.
const ENDPOINT = defineFormat('url-or-host-port', (v) => URL.canParse(SCHEME.test(v) ? v : `http://${v}`), 'must be a URL or host:port');
const REF = defineFormat('object-ref', isRef, 'must be a name or namespace/name');
// Secret references may name one key after the name: `[namespace/]name[:key]`.
const SECRET_REF = defineFormat(
  'secret-ref',
  (v) => {
    const colon = v.indexOf(':', v.lastIndexOf('/') + 1);
    return isRef(colon < 0 ? v : v.slice(0, colon));
  },
  'must be a name or namespace/name, optionally followed by :key',
);
const HEADER = defineFormat('header-name', (v) => HEADER_NAME.test(v), 'must be an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~)');

const formatted = (format: string, description?: string, extra: StringOptions = {}) =>
  t.String({ ...extra, format, ...(description ? { description } : {}) });

export const Duration = (description?: string) => formatted(DURATION, `${description ? description + ' ' : ''}(Go duration syntax: 30s, 5m, 1h30m)`);
export const TimeZone = (description: string) => formatted(TIME_ZONE, description);
export const Base64 = (description: string) => formatted(BASE64, description);
export const SecretValue = (description?: string) => formatted(SECRET_VALUE, description);
export const HttpUrl = (description: string) => formatted(HTTP_URL, description);
export const UrlOrHostPort = (description: string) => formatted(ENDPOINT, description);
export const Ref = (description?: string, extra?: StringOptions) => formatted(REF, description, extra);
export const RefList = (description: string) => t.Array(Ref(), { description });
export const SecretRef = (description: string) => formatted(SECRET_REF, description);
export const HeaderName = (description: string) => formatted(HEADER, description);
