// POST /v1/task-schedules/{name}/trigger: a run of the schedule now, outside its cron slots.
import { Elysia } from 'elysia';
import { triggerSchedule } from '../runtime/schedule-runs';
import type { EventPublisher } from '../events/publisher';
import type { Registry } from '../registry/registry';
import type { Clock } from '../util/time';
import { operation, param } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json } from './routing';

export interface ScheduleRouteDeps {
  registry: Registry;
  events: EventPublisher;
  clock: Clock;
}

export function scheduleRoutes(deps: ScheduleRouteDeps, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-schedule-routes' });
  addRoute(
    app,
    table,
    { method: 'POST', path: '/v1/task-schedules/:name/trigger', tag: 'task-schedules', plural: 'task-schedules', action: 'trigger', required: 'writer' },
    async ({ params, query }) => {
      const namespace = query.namespace?.trim() || 'default';
      return json(await triggerSchedule(deps.registry, deps.events, deps.clock, namespace, params.name), 201);
    },
    operation({
      tag: 'task-schedules',
      summary: 'Start a run of the schedule now: a task <schedule>-manual-<YYYYMMDD-HHMMSS> (time in the schedule\'s zone), also while suspended, whatever the concurrency policy',
      parameters: [param.name, param.namespace(true)],
      ok: { 201: { description: 'The run task created', schema: 'Task' } },
      errors: { 401: 'No or bad credential', 403: 'Role too small (needs writer)', 404: 'No such schedule in the namespace', 409: 'The template is missing or not a template, or a manual run was already started this second' },
    }),
  );
  return app;
}
