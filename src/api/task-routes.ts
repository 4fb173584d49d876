// Task observability and cancel routes: messages, metrics and logs of a task, logs of an agent,
// and POST /v1/tasks/{name}/cancel. Sub-resource paths, so the generic {name} routes never match.
import { Elysia } from 'elysia';
import { Type as t } from '@sinclair/typebox';
import type { EventPublisher } from '../events/publisher';
import type { Registry } from '../registry/registry';
import { cancelTask } from '../runtime/engine/cancel';
import { messagesView, parseMessageFilter, TaskMessagesResponse } from '../runtime/observability/messages';
import { metricsView, TaskMetricsResponse } from '../runtime/observability/metrics';
import type { LogOwnerKind } from '../store/object-logs';
import type { Clock } from '../util/time';
import { operation, param } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json, type HandlerContext } from './routing';
import type { Logs } from '../store/backend';

export const TaskModels = {
  TaskMessages: TaskMessagesResponse,
  TaskMetrics: TaskMetricsResponse,
  Logs: t.Object(
    {
      name: t.String(),
      namespace: t.String(),
      logs: t.Array(t.String(), { description: 'Oldest first; each line starts with an RFC 3339 time (ms). At most 500 per task, 200 per agent.' }),
    },
    { description: 'Log lines of a task or an agent.' },
  ),
};

export interface TaskRouteDeps {
  registry: Registry;
  events: EventPublisher;
  logs: Logs;
  clock: Clock;
}

const ERRORS = { 401: 'No or bad credential', 403: 'Role too small', 404: 'No such object in the namespace' };
const namespaceOf = (q: HandlerContext['query']) => q.namespace?.trim() || 'default';
const filterParams = [
  param.query('phase', 'Comma list of queued, running, retrypending, succeeded (or success), deadletter; case-insensitive, "-" and "_" ignored.'),
  param.query('lifecycle', 'Alias of phase (used when phase is empty).'),
  param.query('from_agent', 'Only messages from this agent (case-insensitive).'),
  param.query('to_agent', 'Only messages to this agent (case-insensitive).'),
  param.query('branch_id', 'Only this branch (case-insensitive).'),
  param.query('trace_id', 'Only this trace (case-insensitive).'),
  param.query('limit', 'Keep only the last N matching messages (0 or absent: all).', 'integer'),
];

export function taskRoutes(deps: TaskRouteDeps, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-task-routes' });
  const tasks = deps.registry.byPlural.get('tasks')!;
  const agents = deps.registry.byPlural.get('agents')!;
  const route = (method: 'GET' | 'POST', plural: string, sub: string, handler: (c: HandlerContext) => Response | Promise<Response>, detail: object) =>
    addRoute(app, table, { method, path: `/v1/${plural}/:name/${sub}`, tag: plural, plural, action: sub }, handler, detail);
  const logsRoute = (kind: LogOwnerKind, plural: string) =>
    route(
      'GET',
      plural,
      'logs',
      async ({ params, query }) => {
        const namespace = namespaceOf(query);
        // 404 unless the object exists; lines of a deleted object are not served.
        await deps.registry.get(kind === 'Task' ? tasks : agents, namespace, params.name);
        return json({ name: params.name, namespace, logs: await deps.logs.read(kind, namespace, params.name) });
      },
      operation({
        tag: plural,
        summary: `Log lines of one ${kind}`,
        parameters: [param.name, param.namespace(true)],
        ok: { 200: { description: 'The newest lines, oldest first', schema: 'Logs' } },
        errors: ERRORS,
      }),
    );

  route(
    'GET',
    'tasks',
    'messages',
    async ({ params, query }) => {
      const filter = parseMessageFilter(query);
      return json(messagesView(await deps.registry.get(tasks, namespaceOf(query), params.name), filter));
    },
    operation({
      tag: 'tasks',
      summary: 'Agent messages of one task, filtered',
      parameters: [param.name, param.namespace(true), ...filterParams],
      ok: { 200: { description: 'The matching messages with lifecycle counts', schema: 'TaskMessages' } },
      errors: { 400: 'Unknown phase or bad limit (details.causes names the parameter)', ...ERRORS },
    }),
  );

  route(
    'GET',
    'tasks',
    'metrics',
    async ({ params, query }) => {
      const filter = parseMessageFilter(query);
      return json(metricsView(await deps.registry.get(tasks, namespaceOf(query), params.name), filter, deps.clock.now()));
    },
    operation({
      tag: 'tasks',
      summary: 'Message metrics of one task: totals, per agent and per edge',
      parameters: [param.name, param.namespace(true), ...filterParams],
      ok: { 200: { description: 'Rollups of the matching messages', schema: 'TaskMetrics' } },
      errors: { 400: 'Unknown phase or bad limit (details.causes names the parameter)', ...ERRORS },
    }),
  );

  logsRoute('Task', 'tasks');
  logsRoute('Agent', 'agents');

  route(
    'POST',
    'tasks',
    'cancel',
    async ({ params, query, identity }) => {
      const namespace = namespaceOf(query);
      const by = identity.name ?? 'api';
      const task = await cancelTask(deps.registry, deps.events, deps.clock, namespace, params.name, by);
      await deps.logs.append('Task', namespace, params.name, `task cancelled by ${by}: transitioned to Failed reason=cancelled`);
      return json(task);
    },
    operation({
      tag: 'tasks',
      summary: 'Cancel a Pending, Running or WaitingApproval task (phase Failed, lastError cancelled)',
      parameters: [param.name, param.namespace(true)],
      ok: { 200: { description: 'The cancelled task', schema: 'Task' } },
      errors: { ...ERRORS, 409: 'The task already ended, is a template, or kept changing' },
    }),
  );
  return app;
}
