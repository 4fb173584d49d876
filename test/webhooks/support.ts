// A test app that serves webhook deliveries: testApp's wiring plus the delivery service over the
// same in-memory database, a settable clock, and helpers that sign deliveries with real HMACs.
import { createHmac } from 'node:crypto';
import { createApp } from '../../src/api/app';
import { AuthService, type AuthConfig } from '../../src/auth/service';
import { AuthStore } from '../../src/auth/store';
import { silentLogger } from '../../src/log';
import { WebhookDeliveries } from '../../src/runtime/webhooks';
import { webhookEndpointID } from '../../src/resources/task-webhook';
import { OPEN_AUTH, caller, objectLogs } from '../support/app';
import { testRegistry } from '../support/registry';
import { testUsers } from '../support/backend';

export const SECRET = 'It\'s a Secret to Everybody';

export function webhookApp(opts: { auth?: Partial<AuthConfig>; rate?: number; start?: string } = {}) {
  let now = new Date(opts.start ?? '2026-03-01T12:00:00Z');
  const clock = { now: () => new Date(now.getTime()) };
  const r = testRegistry(clock);
  const b = r.backend;
  const auth = new AuthService(testUsers(b), { ...OPEN_AUTH, ...opts.auth }, clock);
  const webhooks = new WebhookDeliveries({ registry: r.registry, dedupe: r.backend.dedupe(), events: r.core.events, clock, log: silentLogger, ratePerMinute: opts.rate ?? 600 });
  const app = createApp({ registry: r.registry, watch: r.core.watch, auth, storeChecks: () => r.backend.checks(), log: silentLogger, clock, events: r.core.events, logs: objectLogs(r.core, r.backend.logs(clock)), webhooks });
  const call = caller(app);
  const setNow = (d: Date | string) => (now = new Date(d));
  const advance = (ms: number) => (now = new Date(now.getTime() + ms));
  /** A Secret, a template task and a TaskWebhook with `spec` (secret_ref and task_ref filled in). */
  const setup = async (spec: Record<string, any> = {}, name = 'hook', secret = SECRET) => {
    await r.registry.apply(r.kind('secrets'), { apiVersion: 'orloj.dev/v1', kind: 'Secret', metadata: { name: 'hook-secret' }, spec: { stringData: { token: secret } } }, {});
    await r.registry.apply(r.kind('tasks'), { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name: 'tpl' }, spec: { system: 'sys', mode: 'template', input: { topic: 'news' } } }, {});
    const { auth: a, ...rest } = spec;
    await r.registry.apply(r.kind('task-webhooks'), { apiVersion: 'orloj.dev/v1', kind: 'TaskWebhook', metadata: { name }, spec: { task_ref: 'tpl', auth: { secret_ref: 'hook-secret', ...a }, ...rest } }, {});
    return `/v1/webhook-deliveries/${webhookEndpointID('default', name)}`;
  };
  const post = (path: string, body: string, headers: Record<string, string>) => call('POST', path, body, headers);
  const webhook = async (name = 'hook') => await r.registry.get(r.kind('task-webhooks'), 'default', name);
  const tasks = async () => (await r.registry.list(r.kind('tasks'), {} as any)).items.filter((t: any) => t.spec.mode === 'run');
  return { ...r, app, call, clock, setNow, advance, setup, post, webhook, tasks, webhooks };
}

export const hmacHex = (secret: string, data: string, alg = 'sha256') => createHmac(alg, secret).update(data).digest('hex');
export const hmacB64 = (secret: string, data: string, alg = 'sha256') => createHmac(alg, secret).update(data).digest('base64');
