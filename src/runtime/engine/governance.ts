// AgentPolicy enforcement as pure functions: which policies apply to a task and to each agent,
// the token budgets they set, and the model allow-list / blocked-tool checks before an agent runs.

export interface PolicySpec {
  apply_mode?: string;
  target_systems?: string[];
  target_tasks?: string[];
  target_agents?: string[];
  allowed_models?: string[];
  blocked_tools?: string[];
  max_tokens_per_run?: number;
  max_child_depth?: number;
  max_child_tasks?: number;
}

export interface PolicyObject {
  metadata: { name: string; namespace?: string };
  spec: PolicySpec;
}

export interface PolicyViolation {
  policy: string;
  message: string;
}

const fold = (s: string) => s.trim().toLowerCase();
const namespaceOf = (ns: string | undefined) => (ns && ns.trim() !== '' ? ns.trim() : 'default');
const listed = (list: string[] | undefined, name: string) => (list ?? []).some((v) => typeof v === 'string' && fold(v) === fold(name));

/**
 * Policies of the task's namespace that apply to it: `global` ones always, `scoped` ones when the
 * task is in target_tasks or the system in target_systems (case-insensitive; a target may also be
 * written `<namespace>/<name>`). Agent-targeted policies are included; see policiesForAgent.
 */
export function matchPolicies(policies: PolicyObject[], at: { namespace: string; task: string; system: string }): PolicyObject[] {
  const namespace = namespaceOf(at.namespace);
  const targets = (list: string[] | undefined, name: string) =>
    listed(list, name) || listed(list, `${namespace}/${name}`);
  return policies.filter((p) => {
    if (namespaceOf(p.metadata.namespace) !== namespace) return false;
    const mode = fold(p.spec.apply_mode ?? '') || 'scoped';
    if (mode === 'global') return true;
    return targets(p.spec.target_tasks, at.task) || targets(p.spec.target_systems, at.system);
  });
}

const isAgentTargeted = (p: PolicyObject) => (p.spec.target_agents ?? []).length > 0;

/** Whether a matched policy constrains this agent: untargeted ones constrain every agent. */
export function policyAppliesToAgent(policy: PolicyObject, agent: string): boolean {
  return !isAgentTargeted(policy) || listed(policy.spec.target_agents, agent);
}

/** The matched policies that constrain one agent. */
export function policiesForAgent(matched: PolicyObject[], agent: string): PolicyObject[] {
  return matched.filter((p) => policyAppliesToAgent(p, agent));
}

function smallestPositive(values: (number | undefined)[]): number | undefined {
  const positive = values.filter((v): v is number => typeof v === 'number' && v > 0);
  return positive.length > 0 ? Math.min(...positive) : undefined;
}

/** Budget of the whole run: smallest positive max_tokens_per_run of untargeted policies. */
export function taskTokenBudget(matched: PolicyObject[]): number | undefined {
  return smallestPositive(matched.filter((p) => !isAgentTargeted(p)).map((p) => p.spec.max_tokens_per_run));
}

/** Budget of one agent: smallest positive max_tokens_per_run of policies targeting it. */
export function agentTokenBudget(matched: PolicyObject[], agent: string): number | undefined {
  return smallestPositive(
    matched.filter((p) => isAgentTargeted(p) && listed(p.spec.target_agents, agent)).map((p) => p.spec.max_tokens_per_run),
  );
}

/**
 * Checks one agent before it runs. `models` is the primary model first, then each fallback's
 * default_model. A disallowed primary model or a blocked declared tool is a violation; a
 * disallowed fallback is only left out of `allowedModelIndexes` (indexes into `models`).
 */
export function checkAgent(
  matched: PolicyObject[],
  input: { agent: string; models: string[]; tools: string[] },
): { violations: PolicyViolation[]; allowedModelIndexes: number[] } {
  const violations: PolicyViolation[] = [];
  const allowed = input.models.map(() => true);
  for (const p of policiesForAgent(matched, input.agent)) {
    const name = p.metadata.name;
    const models = p.spec.allowed_models ?? [];
    if (models.length > 0) {
      input.models.forEach((m, i) => {
        if (listed(models, m)) return;
        allowed[i] = false;
        if (i === 0) violations.push({ policy: name, message: `policy ${name} disallows model ${m} for agent ${input.agent}` });
      });
    }
    for (const tool of input.tools) {
      if (listed(p.spec.blocked_tools, tool)) {
        violations.push({ policy: name, message: `policy ${name} blocks tool ${tool} for agent ${input.agent}` });
      }
    }
  }
  return { violations, allowedModelIndexes: allowed.flatMap((ok, i) => (ok ? [i] : [])) };
}
