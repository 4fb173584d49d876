// ToolApproval: a human decision requested before a governed tool call runs; decided through the
// approve/deny verbs, after which its spec is frozen. Also owns the expiry and decision rules
// TaskApproval shares.
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Spec, type Status, type StoredObject, type WriteContext } from '../registry/kind';
import { lower, setDefault, trim } from '../registry/normalize';
import { parseDuration } from '../util/duration';
import { rfc3339 } from '../util/time';
import { Enum, statusSchema, strict } from './common';
import { Duration, Ref } from './formats';
import { trimOrDrop } from './task';
import { OPERATION_CLASSES } from './tool';

const PHASES = ['Pending', 'Approved', 'Denied', 'Expired'] as const;
export const REASON_LIMIT = 500;

/** Status fields every approval kind carries besides phase. */
export const approvalStatusFields = <const D extends readonly string[]>(decisions: D) => ({
  decision: t.Optional(Enum(decisions, 'Decision taken by the reviewer.')),
  decided_by: t.Optional(t.String({ description: 'Who decided.' })),
  decided_at: t.Optional(t.String({ description: 'RFC 3339 time of the decision.' })),
  comment: t.Optional(t.String({ description: 'Reviewer comment.' })),
  expires_at: t.Optional(t.String({ description: 'RFC 3339 time a Pending approval expires (created + ttl).' })),
});

/** Pending approvals get expires_at = now + ttl the first time they are written. */
export function approvalStatus(st: Status, s: Spec, ctx: WriteContext): Status {
  const out: Status = { ...st };
  for (const k of ['decided_by', 'decided_at', 'comment', 'expires_at']) {
    out[k] = trim(out[k]);
    if (out[k] === '') delete out[k];
  }
  if (out.phase === 'Pending' && !out.expires_at) {
    const ms = typeof s.ttl === 'string' ? parseDuration(s.ttl) : undefined;
    if (ms !== undefined && ms >= 0) out.expires_at = rfc3339(new Date(ctx.now.getTime() + ms));
  }
  return out;
}

/** What a reviewer sends with a decision, already resolved to the recorded values. */
export interface DecisionInput {
  decided_by?: string;
  comment?: string;
}

/** The phase and decision string a verb records. */
export interface Verdict {
  phase: string;
  decision: string;
}

/**
 * Why a decision on this approval is refused at `now`, as the reason of a 409: it was already
 * decided, or it expired (phase Expired, or past status.expires_at while still Pending).
 */
export function decisionRefusal(o: StoredObject, now: Date): string | undefined {
  const st = o.status ?? {};
  const phase = st.phase || 'Pending';
  const what = `${o.kind} "${o.metadata.name}"`;
  if (phase === 'Expired') return `${what} expired${st.expires_at ? ` at ${st.expires_at}` : ''} and can no longer be decided`;
  if (phase !== 'Pending') {
    const by = st.decided_by ? ` by ${st.decided_by}` : '';
    const at = st.decided_at ? ` at ${st.decided_at}` : '';
    return `${what} was already decided: ${phase} (${st.decision ?? phase.toLowerCase()})${by}${at}`;
  }
  const expires = typeof st.expires_at === 'string' ? Date.parse(st.expires_at) : NaN;
  if (now.getTime() >= expires) return `${what} expired at ${st.expires_at} and can no longer be decided`;
  return undefined;
}

/** The status recording a decision (call decisionRefusal first); expires_at is kept as the deadline that was met. */
export function decidedStatus(o: StoredObject, verdict: Verdict, input: DecisionInput, now: Date): Status {
  const out: Status = { ...o.status, phase: verdict.phase, decision: verdict.decision, decided_at: rfc3339(now) };
  delete out.decided_by;
  delete out.comment;
  if (input.decided_by) out.decided_by = input.decided_by;
  if (input.comment) out.comment = input.comment;
  return out;
}

/** Approvals freeze their spec once decided: the reviewer's decision was about exactly that spec. */
export function decidedSpecLock(o: StoredObject): string | undefined {
  const phase = o.status?.phase || 'Pending';
  if (phase === 'Pending') return undefined;
  return `${o.kind} "${o.metadata.name}" was decided (${phase}): its spec can no longer change; create a new approval instead`;
}

const spec = strict({
  task_ref: Ref('Task waiting for the decision, as name or namespace/name.'),
  tool: t.String({ description: 'Tool whose call needs approval.' }),
  operation_class: t.Optional(Enum(OPERATION_CLASSES, 'Operation class of the call (lower-cased).')),
  agent: t.Optional(t.String({ description: 'Agent that made the call.' })),
  input: t.Optional(t.String({ description: 'Tool arguments (JSON text).' })),
  reason: t.Optional(t.String({ description: `Why approval is needed (cut to ${REASON_LIMIT} characters).` })),
  ttl: t.Optional(Duration('How long the request stays Pending before it expires (default 10m).')),
});

export const toolApproval = defineKind({
  kind: 'ToolApproval',
  plural: 'tool-approvals',
  description: 'A pending human approval for one tool call; decided with POST …/approve or …/deny, after which its spec cannot change.',
  spec,
  status: statusSchema(PHASES, approvalStatusFields(['approved', 'denied'])),
  phases: [...PHASES],
  normalize(s: Spec) {
    trimOrDrop(s, 'task_ref');
    trimOrDrop(s, 'tool');
    s.operation_class = lower(s.operation_class);
    if (s.operation_class === '') delete s.operation_class;
    trimOrDrop(s, 'agent');
    trimOrDrop(s, 'reason');
    if (typeof s.reason === 'string') s.reason = [...s.reason].slice(0, REASON_LIMIT).join('');
    s.ttl = trim(s.ttl);
    setDefault(s, 'ttl', '10m');
    return s;
  },
  prepareStatus: approvalStatus,
  specLocked: decidedSpecLock,
});
