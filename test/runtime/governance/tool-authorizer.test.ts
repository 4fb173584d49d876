// The tool authorization algorithm, one row per branch: allowed_tools, missing roles, opt-in, the
// default permission set, required_permissions under all/any, operation rules and their precedence.
import { describe, expect, test } from 'bun:test';
import {
  createToolAuthorizer,
  normalizePermission,
  type AuthorizedTool,
  type AuthorizerSource,
  type ToolDecision,
  type ToolPermissionSpec,
} from '../../../src/runtime/governance/tool-authorizer';

const perm = (name: string, spec: ToolPermissionSpec = {}) => ({ metadata: { name }, spec });
const search: AuthorizedTool = { name: 'search', namespace: 'default', spec: { capabilities: ['web.read'], operation_classes: ['read'] } };
const writer: AuthorizedTool = { name: 'web-writer', namespace: 'default', spec: { operation_classes: ['read', 'write'] } };
const risky: AuthorizedTool = { name: 'deploy', namespace: 'default', spec: { risk_level: 'high' } };
const src = (over: Partial<AuthorizerSource>): AuthorizerSource => ({ agent: 'writer', roles: [], toolPermissions: [], ...over });
const role = (...permissions: string[]) => [{ ref: 'r', permissions }];

const rows: Array<[string, AuthorizerSource, AuthorizedTool, ToolDecision]> = [
  [
    'allowed_tools: listed tool bypasses roles and permissions, even with a missing role',
    src({ allowedTools: ['SEARCH'], roles: [{ ref: 'ghost' }], toolPermissions: [perm('p', { tool_ref: 'search', required_permissions: ['x'] })] }),
    search,
    { verdict: 'allow', branch: 'allowed_tools', reason: 'tool=search is in allowed_tools' },
  ],
  [
    'allowed_tools: a namespace-qualified entry must name the tool namespace',
    src({ allowedTools: ['team-b/search'], roles: role('capability:docs.write') }),
    search,
    { verdict: 'deny', branch: 'default_permissions', reason: 'tool=search missing=tool:search:invoke,capability:web.read' },
  ],
  [
    'missing_roles: a role that does not exist fails closed',
    src({ roles: [{ ref: 'zeta' }, { ref: 'ok', permissions: ['tool:search:invoke'] }, { ref: 'alpha' }] }),
    search,
    { verdict: 'deny', branch: 'missing_roles', reason: 'tool=search missing_roles=alpha,zeta' },
  ],
  [
    'opt_in: no roles and no ToolPermission for the tool allow',
    src({ toolPermissions: [perm('other', { tool_ref: 'deploy', required_permissions: ['x'] })] }),
    search,
    { verdict: 'allow', branch: 'opt_in', reason: 'tool=search has no ToolPermission and the agent has no roles' },
  ],
  [
    'default_permissions: roles but no ToolPermission need tool:<tool>:invoke and every capability',
    src({ roles: role('Tool:Search:Invoke') }),
    search,
    { verdict: 'deny', branch: 'default_permissions', reason: 'tool=search missing=capability:web.read' },
  ],
  [
    'default_permissions: held (spelling normalized: web-writer and web_writer are the same)',
    src({ roles: role('tool:web_writer:invoke') }),
    writer,
    { verdict: 'allow', branch: 'default_permissions', reason: 'tool=web-writer default permissions held' },
  ],
  [
    'required_permissions: the governance-deny scenario (capability:docs.write held, tool:search:invoke required)',
    src({ roles: role('capability:docs.write'), toolPermissions: [perm('search-invoke', { tool_ref: 'search', required_permissions: ['tool:search:invoke'] })] }),
    search,
    { verdict: 'deny', branch: 'required_permissions', reason: 'tool=search rule=search-invoke missing=tool:search:invoke' },
  ],
  [
    'required_permissions: a ToolPermission also binds an agent without roles',
    src({ toolPermissions: [perm('search', { required_permissions: ['tool:search:invoke'] })] }),
    search,
    { verdict: 'deny', branch: 'required_permissions', reason: 'tool=search rule=search missing=tool:search:invoke' },
  ],
  [
    'required_permissions: match_mode all needs every permission',
    src({ roles: role('a'), toolPermissions: [perm('p', { tool_ref: 'search', required_permissions: ['a', 'b'], match_mode: 'all' })] }),
    search,
    { verdict: 'deny', branch: 'required_permissions', reason: 'tool=search rule=p missing=b' },
  ],
  [
    'required_permissions: match_mode any needs one of them',
    src({ roles: role('c'), toolPermissions: [perm('p', { tool_ref: 'search', required_permissions: ['a', 'b'], match_mode: 'any' })] }),
    search,
    { verdict: 'deny', branch: 'required_permissions', reason: 'tool=search rule=p required_any=a,b' },
  ],
  [
    'required_permissions: without permissions or rules the ToolPermission needs the default set with its action',
    src({ roles: role('tool:search:read', 'capability:web.read'), toolPermissions: [perm('search', { action: 'Read' })] }),
    search,
    { verdict: 'allow', branch: 'tool_permissions', reason: 'tool=search permissions held (search)' },
  ],
  [
    'tool_permissions: match_mode any with one held; every applicable ToolPermission must pass',
    src({
      roles: role('b', 'c'),
      toolPermissions: [perm('p1', { tool_ref: 'search', required_permissions: ['a', 'b'], match_mode: 'any' }), perm('p2', { tool_ref: 'default/search', required_permissions: ['c'] })],
    }),
    search,
    { verdict: 'allow', branch: 'tool_permissions', reason: 'tool=search permissions held (p1,p2)' },
  ],
  [
    'tool_permissions: scoped ToolPermissions bind only their target_agents',
    src({ roles: role('x'), toolPermissions: [perm('p', { tool_ref: 'search', apply_mode: 'scoped', target_agents: ['critic'], required_permissions: ['tool:search:invoke'] })] }),
    search,
    { verdict: 'deny', branch: 'default_permissions', reason: 'tool=search missing=tool:search:invoke,capability:web.read' },
  ],
  [
    'operation_rules: the rule naming the class beats the * rule',
    src({ toolPermissions: [perm('p', { tool_ref: 'search', operation_rules: [{ operation_class: '*', verdict: 'deny' }, { operation_class: 'read', verdict: 'allow' }] })] }),
    search,
    { verdict: 'allow', branch: 'tool_permissions', reason: 'tool=search permissions held (p)' },
  ],
  [
    'operation_rules: approval_required for one class of the tool',
    src({ toolPermissions: [perm('writes', { tool_ref: 'web-writer', operation_rules: [{ operation_class: 'write', verdict: 'approval_required' }] })] }),
    writer,
    { verdict: 'approval_required', branch: 'operation_rules', reason: 'tool=web-writer rule=writes operation_class=write verdict=approval_required', operationClass: 'write', rule: 'writes' },
  ],
  [
    'operation_rules: deny > approval_required across classes',
    src({ toolPermissions: [perm('p', { tool_ref: 'web-writer', operation_rules: [{ operation_class: 'read', verdict: 'approval_required' }, { operation_class: 'write', verdict: 'deny' }] })] }),
    writer,
    { verdict: 'deny', branch: 'operation_rules', reason: 'tool=web-writer rule=p operation_class=write verdict=deny', operationClass: 'write', rule: 'p' },
  ],
  [
    'operation_rules: deny > approval_required across ToolPermissions',
    src({
      toolPermissions: [
        perm('ask', { tool_ref: 'search', operation_rules: [{ operation_class: '*', verdict: 'approval_required' }] }),
        perm('block', { tool_ref: 'search', operation_rules: [{ verdict: 'deny' }] }),
      ],
    }),
    search,
    { verdict: 'deny', branch: 'operation_rules', reason: 'tool=search rule=block operation_class=read verdict=deny', operationClass: 'read', rule: 'block' },
  ],
  [
    'operation_rules: several rules for one class: the strictest wins, not the first',
    src({ toolPermissions: [perm('p', { tool_ref: 'search', operation_rules: [{ operation_class: 'read', verdict: 'allow' }, { operation_class: 'read', verdict: 'approval_required' }] })] }),
    search,
    { verdict: 'approval_required', branch: 'operation_rules', reason: 'tool=search rule=p operation_class=read verdict=approval_required', operationClass: 'read', rule: 'p' },
  ],
  [
    'operation_rules: a tool without operation_classes takes them from its risk level (high → write)',
    src({ toolPermissions: [perm('p', { tool_ref: 'deploy', operation_rules: [{ operation_class: 'write', verdict: 'approval_required' }, { operation_class: 'read', verdict: 'deny' }] })] }),
    risky,
    { verdict: 'approval_required', branch: 'operation_rules', reason: 'tool=deploy rule=p operation_class=write verdict=approval_required', operationClass: 'write', rule: 'p' },
  ],
  [
    'operation_rules: no rule for the class and no * rule allow',
    src({ toolPermissions: [perm('p', { tool_ref: 'search', operation_rules: [{ operation_class: 'delete', verdict: 'deny' }] })] }),
    search,
    { verdict: 'allow', branch: 'tool_permissions', reason: 'tool=search permissions held (p)' },
  ],
  [
    'operation_rules: checked only after the required permissions pass',
    src({ roles: role('y'), toolPermissions: [perm('p', { tool_ref: 'search', required_permissions: ['x'], operation_rules: [{ verdict: 'approval_required' }] })] }),
    search,
    { verdict: 'deny', branch: 'required_permissions', reason: 'tool=search rule=p missing=x' },
  ],
];

describe('tool authorization', () => {
  for (const [name, source, tool, expected] of rows) {
    test(name, () => {
      expect(createToolAuthorizer(source)(tool)).toEqual(expected);
    });
  }

  test('every branch is covered by the table', () => {
    const branches = new Set(rows.map(([, s, t]) => createToolAuthorizer(s)(t).branch));
    expect([...branches].sort()).toEqual(['allowed_tools', 'default_permissions', 'missing_roles', 'operation_rules', 'opt_in', 'required_permissions', 'tool_permissions']);
  });

  test('permission spelling: lower case, no spaces, / \\ - as _', () => {
    expect(['Tool:Web-Search:Invoke', ' tool: web/search :invoke', 'tool:web\\search:invoke'].map(normalizePermission)).toEqual([
      'tool:web_search:invoke',
      'tool:web_search:invoke',
      'tool:web_search:invoke',
    ]);
  });
});
