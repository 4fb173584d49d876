// Calls to the Orrery API with the session cookie. Errors arrive as the Status body; ApiFailure
// keeps its message and per-field causes. A 401 tells the app to show the login page.
export interface Cause {
  field?: string;
  message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly causes: Cause[] = [],
  ) {
    super(message);
  }
}

export const UNAUTHORIZED = 'orrery:unauthorized';

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/v1/auth/')) window.dispatchEvent(new Event(UNAUTHORIZED));
    throw new ApiFailure(res.status, json?.message ?? `${res.status} ${res.statusText}`, json?.details?.causes ?? []);
  }
  return json as T;
}

/** The error text of anything thrown, for a message line. */
export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface Kind {
  kind: string;
  plural: string;
}

export interface Boot {
  version: string;
  kinds: Kind[];
}

/** What the server wrote into the page: the version and the resource kinds. */
export function boot(): Boot {
  return JSON.parse(document.getElementById('orrery-boot')?.textContent ?? '{"version":"","kinds":[]}');
}

export const pluralOf = (kind: string) => boot().kinds.find((k) => k.kind.toLowerCase() === kind.toLowerCase())?.plural;

export const qs = (params: Record<string, string | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
};
