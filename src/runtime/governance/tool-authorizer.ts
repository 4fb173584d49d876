// Tool authorization as a pure function: built once per agent run from the agent's roles and the
// ToolPermissions of the task's namespace, it answers allow, deny or approval_required per tool call.

export type ToolVerdict = 'allow' | 'deny' | 'approval_required';

/** Which rule of the algorithm decided (docs/governance.md has the table). */
export type DecisionBranch =
  | 'allowed_tools'
  | 'missing_roles'
  | 'opt_in'
  | 'default_permissions'
  | 'required_permissions'
  | 'operation_rules'
  | 'tool_permissions';

export interface ToolDecision {
  verdict: ToolVerdict;
  branch: DecisionBranch;
  /** key=value detail naming what decided: the rule, the missing permissions or roles, the operation class. */
  reason: string;
  /** For operation_rules verdicts: the Tool's operation class whose rule decided, and that ToolPermission. */
  operationClass?: string;
  rule?: string;
}

export interface ToolPermissionSpec {
  tool_ref?: string;
  action?: string;
  required_permissions?: string[];
  match_mode?: string;
  apply_mode?: string;
  target_agents?: string[];
  operation_rules?: { operation_class?: string; verdict?: string }[];
}

export interface ToolPermissionObject {
  metadata: { name: string };
  spec: ToolPermissionSpec;
}

/** One entry of the agent's spec.roles; `permissions` is undefined when no such AgentRole exists. */
export interface RoleGrant {
  ref: string;
  permissions?: string[];
}

export interface AuthorizerSource {
  agent: string;
  /** The agent's spec.allowed_tools: called without any role or permission check. */
  allowedTools?: string[];
  roles: RoleGrant[];
  /** ToolPermissions of the task's namespace; those that do not apply to the agent are ignored. */
  toolPermissions: ToolPermissionObject[];
}

/** The parts of a Tool the decision reads. */
export interface AuthorizedTool {
  name: string;
  namespace?: string;
  spec: { capabilities?: string[]; operation_classes?: string[]; risk_level?: string };
}

export type ToolAuthorizer = (tool: AuthorizedTool) => ToolDecision;

/** Orloj's permission spelling: lower case, no spaces, `/`, `\` and `-` read as `_`. */
export function normalizePermission(value: string): string {
  return value.trim().toLowerCase().replace(/ /g, '').replace(/[/\\-]/g, '_');
}

/** A tool name, capability or action as one permission segment. */
function token(value: string): string {
  return value.trim().toLowerCase().replace(/[ /\\-]/g, '_').replace(/^[_:]+|[_:]+$/g, '');
}

const fold = (s: string) => s.trim().toLowerCase();

/** `name` matches the tool by name; `namespace/name` also needs the tool's namespace. */
function refersTo(ref: string, tool: AuthorizedTool): boolean {
  const i = ref.indexOf('/');
  if (i < 0) return token(ref) === token(tool.name);
  return ref.slice(0, i).trim() === (tool.namespace ?? '').trim() && token(ref.slice(i + 1)) === token(tool.name);
}

function appliesToAgent(p: ToolPermissionObject, agent: string): boolean {
  const mode = fold(p.spec.apply_mode ?? '') || 'global';
  if (mode === 'global') return true;
  if (mode !== 'scoped') return false;
  return (p.spec.target_agents ?? []).some((a) => fold(a.slice(a.indexOf('/') + 1)) === fold(agent));
}

/** `tool:<tool>:<action>` plus `capability:<c>` for each of the Tool's capabilities. */
function defaultPermissions(tool: AuthorizedTool, action: string): string[] {
  const caps = (tool.spec.capabilities ?? []).map(token).filter(Boolean).map((c) => normalizePermission(`capability:${c}`));
  return [...new Set([normalizePermission(`tool:${token(tool.name)}:${token(action) || 'invoke'}`), ...caps])];
}

/** The Tool's operation classes; when unset, the Tool kind's default from its risk level. */
function operationClasses(tool: AuthorizedTool): string[] {
  const declared = (tool.spec.operation_classes ?? []).map(fold).filter(Boolean);
  if (declared.length) return [...new Set(declared)];
  const risk = fold(tool.spec.risk_level ?? '');
  return [risk === 'high' || risk === 'critical' ? 'write' : 'read'];
}

const SEVERITY: Record<ToolVerdict, number> = { allow: 0, approval_required: 1, deny: 2 };
const verdictOf = (v: string | undefined): ToolVerdict => {
  const w = fold(v ?? '');
  // An unknown verdict is read as the strictest one rather than as allow.
  return w === '' || w === 'allow' ? 'allow' : w === 'approval_required' ? 'approval_required' : 'deny';
};
const strictest = (vs: ToolVerdict[]): ToolVerdict | undefined => (vs.length ? vs.reduce((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a)) : undefined);

/**
 * The verdict of one ToolPermission's operation rules for one operation class: the rules naming
 * that class, else the `*` rules, else allow; among several rules of the same kind the strictest.
 */
function ruleVerdict(rules: NonNullable<ToolPermissionSpec['operation_rules']>, opClass: string): ToolVerdict {
  const of = (cls: string) => rules.filter((r) => (fold(r.operation_class ?? '') || '*') === cls).map((r) => verdictOf(r.verdict));
  return strictest(of(opClass)) ?? strictest(of('*')) ?? 'allow';
}

export function createToolAuthorizer(src: AuthorizerSource): ToolAuthorizer {
  const granted = new Set(src.roles.flatMap((r) => r.permissions ?? []).map(normalizePermission).filter(Boolean));
  const missingRoles = src.roles.filter((r) => r.permissions === undefined).map((r) => r.ref.trim()).sort();
  const hasRoles = src.roles.some((r) => r.ref.trim() !== '');
  const applicable = src.toolPermissions.filter((p) => appliesToAgent(p, src.agent));
  const lacking = (required: string[]) => required.filter((p) => !granted.has(p));

  return (tool) => {
    if ((src.allowedTools ?? []).some((ref) => refersTo(ref, tool))) {
      return { verdict: 'allow', branch: 'allowed_tools', reason: `tool=${tool.name} is in allowed_tools` };
    }
    if (missingRoles.length) {
      return { verdict: 'deny', branch: 'missing_roles', reason: `tool=${tool.name} missing_roles=${missingRoles.join(',')}` };
    }
    const perms = applicable.filter((p) => refersTo(p.spec.tool_ref?.trim() || p.metadata.name, tool));
    if (!perms.length && !hasRoles) {
      return { verdict: 'allow', branch: 'opt_in', reason: `tool=${tool.name} has no ToolPermission and the agent has no roles` };
    }
    if (!perms.length) {
      const missing = lacking(defaultPermissions(tool, 'invoke'));
      if (missing.length) return { verdict: 'deny', branch: 'default_permissions', reason: `tool=${tool.name} missing=${missing.join(',')}` };
      return { verdict: 'allow', branch: 'default_permissions', reason: `tool=${tool.name} default permissions held` };
    }
    let verdict: ToolVerdict = 'allow';
    let decidedBy = '';
    let decided: { operationClass: string; rule: string } | undefined;
    for (const p of perms) {
      const rules = p.spec.operation_rules ?? [];
      const listed = (p.spec.required_permissions ?? []).map(normalizePermission).filter(Boolean);
      const required = listed.length || rules.length ? [...new Set(listed)] : defaultPermissions(tool, p.spec.action ?? 'invoke');
      const rule = `rule=${p.metadata.name}`;
      if (required.length && fold(p.spec.match_mode ?? '') === 'any') {
        if (!required.some((r) => granted.has(r))) {
          return { verdict: 'deny', branch: 'required_permissions', reason: `tool=${tool.name} ${rule} required_any=${required.join(',')}` };
        }
      } else {
        const missing = lacking(required);
        if (missing.length) return { verdict: 'deny', branch: 'required_permissions', reason: `tool=${tool.name} ${rule} missing=${missing.join(',')}` };
      }
      for (const cls of rules.length ? operationClasses(tool) : []) {
        const v = ruleVerdict(rules, cls);
        if (SEVERITY[v] > SEVERITY[verdict]) {
          verdict = v;
          decidedBy = `${rule} operation_class=${cls} verdict=${v}`;
          decided = { operationClass: cls, rule: p.metadata.name };
        }
      }
    }
    if (verdict !== 'allow') return { verdict, branch: 'operation_rules', reason: `tool=${tool.name} ${decidedBy}`, ...decided };
    return { verdict: 'allow', branch: 'tool_permissions', reason: `tool=${tool.name} permissions held (${perms.map((p) => p.metadata.name).join(',')})` };
  };
}
