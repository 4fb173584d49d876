// Roles and what each satisfies (reference §3.2): admin does everything; writer and controller
// are disjoint (writers cannot write /status, controllers cannot write specs); all read.
export const ROLES = ['admin', 'writer', 'controller', 'reader'] as const;
export type Role = (typeof ROLES)[number];
export type Requirement = Role | 'none';

const SATISFIES: Record<Role, Requirement[]> = {
  admin: ['none', 'reader', 'writer', 'controller', 'admin'],
  writer: ['none', 'reader', 'writer'],
  controller: ['none', 'reader', 'controller'],
  reader: ['none', 'reader'],
};

export function satisfies(role: Role, required: Requirement): boolean {
  return SATISFIES[role].includes(required);
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}
