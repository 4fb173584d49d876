// Cluster-level routes: liveness, readiness, capabilities, namespaces and Prometheus metrics.
import { Elysia } from 'elysia';
import { Type as t } from '@sinclair/typebox';
import { capabilities } from '../capabilities';
import { ServiceUnavailable } from '../errors';
import type { Registry } from '../registry/registry';
import type { WatchService } from '../watch/service';
import { VERSION } from '../version';
import type { HttpMetrics } from './metrics';
import { operation } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json } from './routing';

export const SystemModels = {
  Health: t.Object({ status: t.String(), version: t.Optional(t.String()) }),
  Readiness: t.Object({ status: t.String(), checks: t.Record(t.String(), t.String()) }),
  Capabilities: t.Object({
    generated_at: t.String(),
    capabilities: t.Array(t.Object({ id: t.String(), enabled: t.Boolean(), description: t.Optional(t.String()), source: t.Optional(t.String()) })),
  }),
  Namespaces: t.Object({ namespaces: t.Array(t.String()) }),
};

export interface SystemDeps {
  registry: Registry;
  /** Checks of the store for /readyz (database writable, migrations applied), each "ok" or a problem. */
  storeChecks: () => Record<string, string> | Promise<Record<string, string>>;
  metrics: HttpMetrics;
  watch: WatchService;
  /** Names of controllers that must be running for /readyz; each reports its own health. */
  controllers: () => Record<string, boolean>;
}

export function systemRoutes(deps: SystemDeps, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-system' });
  const tag = 'system';
  const add = (path: string, action: string, handler: () => Response | Promise<Response>, detail: object) =>
    addRoute(app, table, { method: 'GET', path, tag, action }, handler, detail);

  add('/healthz', 'healthz', () => json({ status: 'ok', version: VERSION }), operation({ tag, auth: 'none', summary: 'Liveness', ok: { 200: { description: 'Alive', schema: 'Health' } } }));

  add(
    '/readyz',
    'readyz',
    async () => {
      const checks = await deps.storeChecks();
      for (const [name, ok] of Object.entries(deps.controllers())) checks[`controller:${name}`] = ok ? 'ok' : 'not running';
      const failed = Object.entries(checks).filter(([, v]) => v !== 'ok');
      if (failed.length) throw new ServiceUnavailable(`not ready: ${failed.map(([k, v]) => `${k} ${v}`).join('; ')}`);
      return json({ status: 'ok', checks });
    },
    operation({ tag, auth: 'none', summary: 'Readiness: database writable, migrations applied, controllers running', ok: { 200: { description: 'Ready', schema: 'Readiness' } }, errors: { 503: 'Not ready' } }),
  );

  add(
    '/v1/capabilities',
    'capabilities',
    () => json({ generated_at: new Date().toISOString(), capabilities: capabilities() }),
    operation({ tag, summary: 'Feature flags of this build', ok: { 200: { description: 'Capabilities', schema: 'Capabilities' } } }),
  );

  add(
    '/v1/namespaces',
    'namespaces',
    async () => json({ namespaces: await deps.registry.namespaces() }),
    operation({ tag, summary: 'Namespaces in use', ok: { 200: { description: 'Sorted namespace names', schema: 'Namespaces' } } }),
  );

  add(
    '/metrics',
    'metrics',
    async () => {
      const objects = await deps.registry.countByKind();
      const watch = { streams: deps.watch.streams, subscribers: deps.watch.subscribers };
      const phases = await deps.registry.countByPhase();
      return new Response(deps.metrics.render(objects, deps.registry.kinds.map((k) => k.kind), watch, phases), {
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      });
    },
    operation({ tag, summary: 'Prometheus metrics', ok: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } } } }),
  );
  return app;
}
