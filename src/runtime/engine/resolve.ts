// Looks up what a task run needs from the store: the AgentSystem, its Agents, their model
// endpoints (with API keys from Secrets or ORLOJ_SECRET_* variables), Tools and Memory, AgentPolicies,
// and the AgentRoles and ToolPermissions an agent's tool authorizer is built from.
import type { KindDefinition, StoredObject } from '../../registry/kind';
import type { Registry } from '../../registry/registry';
import { createToolAuthorizer, type RoleGrant, type ToolAuthorizer, type ToolPermissionObject } from '../governance/tool-authorizer';
import type { EndpointConfig } from '../models';
import type { SecretLookup, ToolRef } from '../tools';
import { pickValue, splitSecretRef } from '../tools/auth';
import { allowedOps } from '../agent/memory-tools';

export interface ResolvedAgent {
  name: string;
  namespace: string;
  spec: Record<string, any>;
  endpoints: EndpointConfig[];
  tools: ToolRef[];
  /** The Memory of spec.memory.ref, when spec.memory.allow grants any memory tool. */
  memory?: StoredObject;
}

/** `name` or `namespace/name` → both parts, defaulting the namespace. */
export function splitRef(ref: string, namespace: string): { namespace: string; name: string } {
  const i = ref.indexOf('/');
  return i < 0 ? { namespace, name: ref.trim() } : { namespace: ref.slice(0, i).trim(), name: ref.slice(i + 1).trim() };
}

const envKey = (ref: string) => ref.toUpperCase().replace(/[^A-Z0-9]/g, '_');

export class Resolver {
  private readonly defs: Record<'system' | 'agent' | 'endpoint' | 'tool' | 'memory' | 'secret' | 'policy' | 'role' | 'permission', KindDefinition>;

  constructor(
    private readonly registry: Registry,
    private readonly env: Record<string, string | undefined> = process.env,
  ) {
    const by = (plural: string) => registry.byPlural.get(plural)!;
    this.defs = {
      system: by('agent-systems'),
      agent: by('agents'),
      endpoint: by('model-endpoints'),
      tool: by('tools'),
      memory: by('memories'),
      secret: by('secrets'),
      policy: by('agent-policies'),
      role: by('agent-roles'),
      permission: by('tool-permissions'),
    };
  }

  private find(def: KindDefinition, namespace: string, name: string): Promise<StoredObject | undefined> {
    return this.registry.findDecoded(def, namespace, name);
  }

  system(namespace: string, ref: string): Promise<StoredObject | undefined> {
    const r = splitRef(ref, namespace);
    return this.find(this.defs.system, r.namespace, r.name);
  }

  agentObject(namespace: string, name: string): Promise<StoredObject | undefined> {
    return this.find(this.defs.agent, namespace, name);
  }

  endpointObject(namespace: string, ref: string): Promise<StoredObject | undefined> {
    const r = splitRef(ref, namespace);
    return this.find(this.defs.endpoint, r.namespace, r.name);
  }

  toolObject(namespace: string, ref: string): Promise<StoredObject | undefined> {
    const r = splitRef(ref, namespace);
    return this.find(this.defs.tool, r.namespace, r.name);
  }

  memoryObject(namespace: string, ref: string): Promise<StoredObject | undefined> {
    const r = splitRef(ref, namespace);
    return this.find(this.defs.memory, r.namespace, r.name);
  }

  async policies(namespace: string): Promise<StoredObject[]> {
    return (await this.registry.list(this.defs.policy, { namespace })).items;
  }

  /** Every object of a kind in a namespace, past the page limit: a ToolPermission left out would allow. */
  private async everyObject(def: KindDefinition, namespace: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let after: string | undefined;
    do {
      const page = await this.registry.list(def, { namespace, after });
      out.push(...page.items);
      after = page.continue;
    } while (after);
    return out;
  }

  /**
   * The tool authorizer of one agent run: the agent's roles (`name` in the task's namespace or
   * `namespace/name`; one that does not exist is kept as missing) and the namespace's ToolPermissions.
   */
  async toolAuthorizer(namespace: string, agent: string, spec: Record<string, any>): Promise<ToolAuthorizer> {
    const roles: RoleGrant[] = [];
    for (const ref of (spec.roles ?? []) as string[]) {
      const r = splitRef(ref, namespace);
      const role = await this.find(this.defs.role, r.namespace, r.name);
      roles.push(role ? { ref, permissions: role.spec.permissions ?? [] } : { ref });
    }
    const toolPermissions = await this.everyObject(this.defs.permission, namespace) as ToolPermissionObject[];
    return createToolAuthorizer({ agent, allowedTools: spec.allowed_tools ?? [], roles, toolPermissions });
  }

  /** A Secret's decoded key → value map; undefined when it does not exist. */
  readonly secrets = (namespace: string): SecretLookup =>
    async (ref: string) => await this.secretData(namespace, ref);

  async secretData(namespace: string, ref: string): Promise<Record<string, string> | undefined> {
    const r = splitRef(ref, namespace);
    const secret = await this.find(this.defs.secret, r.namespace, r.name);
    if (!secret) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries<string>(secret.spec.data ?? {})) out[k] = Buffer.from(String(v), 'base64').toString('utf8').trim();
    return out;
  }

  /**
   * The API key behind auth.secretRef (`[ns/]name[:key]`): the Secret first (the named key, or
   * value/token/apiKey/… when none is named), then the variable ORLOJ_SECRET_<NAME>. Only that
   * prefix is read, and never the at-rest key, so a manifest cannot name a server setting.
   */
  async apiKey(namespace: string, secretRef: string): Promise<string | undefined> {
    const { ref, key } = splitSecretRef(secretRef);
    const data = await this.secretData(namespace, ref);
    const fromSecret = data ? pickValue(data, key) : undefined;
    if (fromSecret) return fromSecret;
    const name = envKey(ref);
    if (name === 'ENCRYPTION_KEY') return undefined;
    return this.env[`ORLOJ_SECRET_${name}`]?.trim() || undefined;
  }

  async endpointConfig(namespace: string, ref: string): Promise<EndpointConfig | undefined> {
    const obj = await this.endpointObject(namespace, ref);
    if (!obj) return undefined;
    const s = obj.spec;
    const secretRef: string | undefined = s.auth?.secretRef;
    const apiKey = secretRef ? await this.apiKey(obj.metadata.namespace, secretRef) : undefined;
    return {
      provider: s.provider,
      base_url: s.base_url,
      default_model: s.default_model,
      options: s.options ?? {},
      auth: s.auth,
      allowPrivate: s.allowPrivate,
      name: `${obj.metadata.namespace}/${obj.metadata.name}`,
      ...(apiKey ? { apiKey } : {}),
    };
  }

  /** Everything one agent run needs, or the list of what is missing. */
  async agent(namespace: string, name: string): Promise<{ agent?: ResolvedAgent; problems: string[] }> {
    const obj = await this.agentObject(namespace, name);
    if (!obj) return { problems: [`agent ${name} not found in namespace ${namespace}`] };
    const spec = obj.spec;
    const problems: string[] = [];
    const endpoints: EndpointConfig[] = [];
    for (const [i, ref] of [spec.model_ref, ...(spec.fallback_model_refs ?? [])].entries()) {
      const ep = await this.endpointConfig(namespace, ref);
      if (ep) endpoints.push(ep);
      else problems.push(`agent ${name}: ${i === 0 ? 'model_ref' : 'fallback_model_refs'} ${ref} does not name a ModelEndpoint`);
    }
    const tools: ToolRef[] = [];
    for (const ref of spec.tools ?? []) {
      const tool = await this.toolObject(namespace, ref);
      if (tool) tools.push({ name: tool.metadata.name, namespace: tool.metadata.namespace, spec: tool.spec });
      else problems.push(`agent ${name}: tool ${ref} not found`);
    }
    // Only an agent granted memory tools needs its Memory; a ref alone offers nothing.
    const memoryRef: string | undefined = spec.memory?.ref;
    const memory = memoryRef && allowedOps(spec).length ? await this.memoryObject(namespace, memoryRef) : undefined;
    if (memoryRef && allowedOps(spec).length && !memory) problems.push(`agent ${name}: spec.memory.ref ${memoryRef} does not name a Memory`);
    if (problems.length) return { problems };
    return { agent: { name: obj.metadata.name, namespace, spec, endpoints, tools, ...(memory ? { memory } : {}) }, problems };
  }
}
