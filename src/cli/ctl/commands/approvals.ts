// `orrery approve|deny tool-approval|task-approval NAME` and `orrery request-changes task-approval
// NAME --comment …`: a person's decision on a paused task (POST …/approve, …/deny, …/request-changes).
import { UsageError } from '../errors';
import { formatOf, phase, serialize } from '../output';
import type { Register } from '../program';
import { enc, query } from '../task-args';

const KINDS: Record<string, string> = {
  'tool-approval': 'tool-approvals',
  'tool-approvals': 'tool-approvals',
  ta: 'tool-approvals',
  toolapproval: 'tool-approvals',
  'task-approval': 'task-approvals',
  'task-approvals': 'task-approvals',
  tka: 'task-approvals',
  taskapproval: 'task-approvals',
};

function target(args: string[], verb: string, only?: string): { plural: string; name: string } {
  const [first, second] = args;
  const [kindWord, name] = first?.includes('/') ? [first.split('/')[0], first.split('/').slice(1).join('/')] : [first, second];
  const plural = KINDS[(kindWord ?? '').toLowerCase()];
  const kinds = only ? 'task-approval' : 'tool-approval|task-approval';
  if (!plural || (only && plural !== only)) throw new UsageError(`${verb} ${kindWord ?? ''}: use orrery ${verb} ${kinds} NAME`.replace(/ +/g, ' '));
  if (!name) throw new UsageError(`a name is required: orrery ${verb} ${kinds} NAME`);
  return { plural, name };
}

export const registerApprovals: Register = (program, action) => {
  const decision = (verb: 'approve' | 'deny' | 'request-changes', description: string) =>
    program
      .command(verb)
      .description(description)
      .argument('<target...>', verb === 'request-changes' ? 'task-approval NAME' : 'tool-approval|task-approval NAME (or KIND/NAME)')
      .option('--decided-by <who>', 'who decides (ignored by a server with authentication: the caller is recorded)')
      .option('--comment <text>', verb === 'request-changes' ? 'what to change (required)' : 'a note kept with the decision')
      .option('--reason <text>', 'the same as --comment (orlojctl spelling)')
      .option('-o, --output <format>', 'table, json or yaml', 'table')
      .action(
        action(async (ctx, args, opts) => {
          const { plural, name } = target(args, verb, verb === 'request-changes' ? 'task-approvals' : undefined);
          const format = formatOf(opts.output, ['table', 'json', 'yaml'] as const);
          const comment = opts.comment ?? opts.reason;
          if (verb === 'request-changes' && !comment?.trim()) throw new UsageError('--comment: say what should change');
          const body = { ...(opts.decidedBy ? { decided_by: opts.decidedBy } : {}), ...(comment ? { comment } : {}) };
          const res = await ctx.client.call('POST', `/v1/${plural}/${enc(name)}/${verb}${query(ctx)}`, body);
          ctx.io.out(format === 'table' ? `${plural.slice(0, -1)}/${name} ${phase(ctx, res.status?.phase)}\n` : serialize(res, format));
        }),
      );
  decision('approve', 'approve a pending ToolApproval or TaskApproval');
  decision('deny', 'deny a pending ToolApproval or TaskApproval (the task fails)');
  decision('request-changes', 'send a TaskApproval back to its agent with a comment');
};
