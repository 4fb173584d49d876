// Resource names on the command line, as kubectl takes them: the plural (`agents`), the singular
// (`agent`, also the Kind itself, any case) or a short name (`ag`).
import { kinds } from '../../resources';
import type { KindDefinition } from '../../registry/kind';
import { UsageError } from './errors';

/** Short names, one per kind (kubectl style); shown by `orrery get --help`. */
export const SHORT_NAMES: Record<string, string> = {
  agents: 'ag',
  'agent-systems': 'sys',
  'model-endpoints': 'me',
  tools: 'tl',
  secrets: 'sec',
  'sealed-secrets': 'ss',
  memories: 'mem',
  'mcp-servers': 'mcp',
  'agent-policies': 'ap',
  'agent-roles': 'ar',
  'tool-permissions': 'tp',
  'tool-approvals': 'ta',
  'task-approvals': 'tka',
  tasks: 'tk',
  'task-schedules': 'ts',
  'task-webhooks': 'twh',
  workers: 'wk',
};

const singular = (plural: string) => plural.replace(/ies$/, 'y').replace(/s$/, '');

const BY_NAME = new Map<string, KindDefinition>();
for (const def of kinds) {
  for (const name of [def.plural, singular(def.plural), def.kind.toLowerCase(), SHORT_NAMES[def.plural]]) if (name) BY_NAME.set(name, def);
}

/** The kind a word names, or undefined. */
export function findKind(word: string): KindDefinition | undefined {
  return BY_NAME.get(word.trim().toLowerCase());
}

/** The kind a word names, or a usage error listing what is accepted. */
export function kindOf(word: string | undefined): KindDefinition {
  if (!word) throw new UsageError(`a resource kind is required: ${kinds.map((k) => k.plural).join(', ')}`);
  const def = findKind(word);
  if (!def) throw new UsageError(`unknown resource kind "${word}": use one of ${kinds.map((k) => `${k.plural} (${SHORT_NAMES[k.plural]})`).join(', ')}`);
  return def;
}

/** `kind/name` or (`kind`, `name`) as two words. */
export function kindAndName(first: string | undefined, second?: string): { def: KindDefinition; name: string } {
  if (first?.includes('/')) {
    const [k, ...rest] = first.split('/');
    const name = rest.join('/');
    if (!name) throw new UsageError(`"${first}" names no object: use KIND/NAME`);
    return { def: kindOf(k), name };
  }
  if (!second) throw new UsageError(`a name is required: ${first ?? 'KIND'} NAME (or KIND/NAME)`);
  return { def: kindOf(first), name: second };
}
