// Every route the server answers, with its method, pattern and OpenAPI tag. The 404/405 logic,
// the metrics route label and (later) the role matrix all read this one table.
import type { Identity } from '../auth/service';
import type { Requirement } from '../auth/roles';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteInfo {
  method: Method;
  path: string;
  tag: string;
  /** Set for routes belonging to a resource kind (its plural). */
  plural?: string;
  action: string;
  /** Role needed; when absent, src/auth/policy.ts decides from method and path. */
  required?: Requirement;
}

/** Checks the caller against a route's requirement (throws 401/403) and returns who it is. */
export type Guard = (request: Request, required: Requirement) => Promise<Identity>;

function toRegex(path: string): RegExp {
  const body = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`);
}

export class RouteTable {
  readonly routes: RouteInfo[] = [];
  guard?: Guard;
  private readonly patterns = new Map<string, { re: RegExp; methods: Set<string>; literal: number }>();

  add(info: RouteInfo): void {
    this.routes.push(info);
    let p = this.patterns.get(info.path);
    if (!p) {
      const literal = info.path.split('/').filter((s) => s && !s.startsWith(':')).length;
      p = { re: toRegex(info.path), methods: new Set(), literal };
      this.patterns.set(info.path, p);
    }
    p.methods.add(info.method);
  }

  /** The most specific known pattern matching the path, whatever the method. */
  match(pathname: string): { path: string; methods: string[] } | undefined {
    let best: { path: string; methods: string[]; literal: number } | undefined;
    for (const [path, p] of this.patterns) {
      if (p.re.test(pathname) && (!best || p.literal > best.literal)) best = { path, methods: [...p.methods], literal: p.literal };
    }
    return best;
  }
}
