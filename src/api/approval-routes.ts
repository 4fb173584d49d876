// Decision verbs of the approval kinds: POST /v1/tool-approvals/{name}/approve|deny and
// /v1/task-approvals/{name}/approve|deny|request-changes. Each is one read-modify-write of the
// status through the registry (409 when already decided or expired), then a <kind>.<decision> event.
import { Elysia } from 'elysia';
import { Type as t, type Static } from '@sinclair/typebox';
import { Conflict, Invalid } from '../errors';
import type { EventPublisher } from '../events/publisher';
import type { KindDefinition, StoredObject } from '../registry/kind';
import type { Registry } from '../registry/registry';
import { schemaCauses } from '../registry/validation';
import type { Identity } from '../auth/service';
import { requestChangesRefusal } from '../resources/task-approval';
import { decidedStatus, decisionRefusal, type DecisionInput, type Verdict } from '../resources/tool-approval';
import type { Clock } from '../util/time';
import { readDocument } from './body';
import { operation, param } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json } from './routing';

const EXAMPLE = { decided_by: 'alice', comment: 'Checked the reply with the customer record.' };

export const ApprovalModels = {
  ApprovalDecision: t.Object(
    {
      decided_by: t.Optional(t.String({ description: 'Who decides. With authentication on, status.decided_by is the caller (token or user name) instead.' })),
      decidedBy: t.Optional(t.String({ description: 'Alias of decided_by.' })),
      comment: t.Optional(t.String({ description: 'Reviewer note, stored as status.comment; required by request-changes.' })),
      reason: t.Optional(t.String({ description: 'Legacy alias of comment, used when comment is empty.' })),
    },
    { additionalProperties: false, description: 'The optional body of an approval decision.', example: EXAMPLE },
  ),
};
type DecisionBody = Static<typeof ApprovalModels.ApprovalDecision>;

interface Verb {
  verb: string;
  verdict: Verdict;
  /** The event type suffix after "<kind>.". */
  event: string;
  summary: string;
  /** request-changes: a comment is required, and the approval may refuse more cycles. */
  feedback?: boolean;
}

const APPROVE: Verb = { verb: 'approve', verdict: { phase: 'Approved', decision: 'approved' }, event: 'approved', summary: 'Approve' };
const DENY: Verb = { verb: 'deny', verdict: { phase: 'Denied', decision: 'denied' }, event: 'denied', summary: 'Deny' };
const REQUEST_CHANGES: Verb = {
  verb: 'request-changes',
  verdict: { phase: 'ChangesRequested', decision: 'request_changes' },
  event: 'changes_requested',
  summary: 'Request changes to the output under review (needs comment)',
  feedback: true,
};
const VERBS: Record<string, Verb[]> = { 'tool-approvals': [APPROVE, DENY], 'task-approvals': [APPROVE, DENY, REQUEST_CHANGES] };

export interface ApprovalRouteDeps {
  registry: Registry;
  events: EventPublisher;
  clock: Clock;
}

const trimmed = (v: string | undefined) => v?.trim() || undefined;

async function readDecision(request: Request, def: KindDefinition, name: string): Promise<DecisionBody> {
  const body = (await readDocument(request, { required: false })) ?? {};
  const causes = schemaCauses(ApprovalModels.ApprovalDecision, body, '');
  if (causes.length) throw new Invalid(def.kind, name, causes);
  return body as DecisionBody;
}

/** The reviewer recorded: the body's label with authentication off, else the authenticated caller. */
function decisionInput(body: DecisionBody, identity: Identity): DecisionInput & { label?: string } {
  const label = trimmed(body.decided_by) ?? trimmed(body.decidedBy);
  const decided_by = identity.method === 'none' || !identity.method ? label : (identity.name ?? identity.username);
  return { decided_by, comment: trimmed(body.comment) ?? trimmed(body.reason), label };
}

export function approvalRoutes(deps: ApprovalRouteDeps, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-approval-routes' });
  for (const [plural, verbs] of Object.entries(VERBS)) {
    const def = deps.registry.byPlural.get(plural)!;
    for (const verb of verbs) addVerb(app, table, deps, def, verb);
  }
  return app;
}

function addVerb(app: Elysia, table: RouteTable, deps: ApprovalRouteDeps, def: KindDefinition, verb: Verb) {
  addRoute(
    app,
    table,
    { method: 'POST', path: `/v1/${def.plural}/:name/${verb.verb}`, tag: def.plural, plural: def.plural, action: verb.verb },
    async ({ request, params, query, identity }) => {
      const name = params.name;
      const input = decisionInput(await readDecision(request, def, name), identity);
      if (verb.feedback && !input.comment) throw new Invalid(def.kind, name, [{ field: 'comment', message: 'is required to request changes (or send reason)' }]);
      const namespace = query.namespace?.trim() || 'default';
      const now = deps.clock.now();
      const object = await deps.registry.updateStatus(def, namespace, name, (current) => {
        const refused = decisionRefusal(current, now) ?? (verb.feedback ? requestChangesRefusal(current) : undefined);
        if (refused) throw new Conflict(refused, { kind: def.plural, name });
        return decidedStatus(current, verb.verdict, input, now);
      });
      await publishDecision(deps.events, def, verb, object, input.label);
      return json(object, 200, { ETag: `"${object.metadata.resourceVersion}"` });
    },
    operation({
      tag: def.plural,
      summary: `${verb.summary}: records phase ${verb.verdict.phase} on a Pending ${def.kind}`,
      parameters: [param.name, param.namespace(true)],
      body: 'ApprovalDecision',
      bodyOptional: true,
      example: { object: EXAMPLE, yaml: `decided_by: ${EXAMPLE.decided_by}\ncomment: ${EXAMPLE.comment}\n` },
      ok: { 200: { description: `The decided ${def.kind}`, schema: def.kind } },
      errors: {
        400: verb.feedback ? 'Unknown or mistyped body field, or no comment' : 'Unknown or mistyped body field',
        401: 'No or bad credential',
        403: 'Role too small (needs writer)',
        404: 'No such approval in the namespace',
        409: verb.feedback ? 'Already decided, expired, request-changes not allowed, or max_review_cycles reached' : 'Already decided or expired',
      },
    }),
  );
}

async function publishDecision(events: EventPublisher, def: KindDefinition, verb: Verb, object: StoredObject, label: string | undefined): Promise<void> {
  const { name, namespace } = object.metadata;
  const by = object.status.decided_by;
  const labelNote = label && label !== by ? ` (reviewer label "${label}")` : '';
  await events.publish({
    source: 'apiserver',
    type: `${def.kind.toLowerCase()}.${verb.event}`,
    kind: def.kind,
    name,
    namespace,
    action: verb.verdict.decision,
    message: `${def.kind} ${namespace}/${name} ${verb.verdict.phase}${by ? ` by ${by}` : ''}${labelNote}`,
    data: object,
  });
}
