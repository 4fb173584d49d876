// The session cookie: `__Host-orloj_session` over HTTPS, `orloj_session` otherwise; HttpOnly,
// SameSite=Lax, Secure over HTTPS, Path=/.
const PLAIN = 'orloj_session';
const HOST = '__Host-orloj_session';

export function readSessionCookie(request: Request): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  const jar = new Map<string, string>();
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) jar.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return jar.get(HOST) || jar.get(PLAIN) || undefined;
}

/**
 * A browser-session cookie (no Max-Age): the server enforces the sliding TTL, so an active user
 * is never logged out by a client-side expiry fixed at login.
 */
export function sessionCookie(id: string, https: boolean): string {
  return `${https ? HOST : PLAIN}=${id}; Path=/; HttpOnly; SameSite=Lax${https ? '; Secure' : ''}`;
}

/** Both names, expired: logout and password changes end the session whichever name it had. */
export function clearSessionCookies(https: boolean): string[] {
  return [
    `${PLAIN}=; Path=/; HttpOnly; SameSite=Lax${https ? '; Secure' : ''}; Max-Age=0`,
    `${HOST}=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0`,
  ];
}
