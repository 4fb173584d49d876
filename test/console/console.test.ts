// The web console in a real browser (Debian's chromium driven by playwright-core) against a real
// `orrery serve` process with native auth: set up the first administrator, sign out and in again,
// apply a blueprint (a refused manifest first, its cause shown at its line), start a task from the
// Run form, watch its graph wait for a gated tool call, approve the call in the inbox and watch
// every node turn Succeeded and the answer appear, all without a reload. Screenshots of each page
// go to test-results/console/. Without chromium (neither /usr/bin/chromium nor CHROMIUM_PATH) the
// tests are skipped, saying so.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startServer, type ServerProcess } from '../support/server-process';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));
const SHOTS = resolve(import.meta.dir, '../../test-results/console');
const ADMIN = { username: 'admin', password: 'console-test-password' };
const SETUP_TOKEN = 'setup-4f1c9a2e7b';

if (!CHROMIUM) console.log('console browser tests skipped: no chromium at /usr/bin/chromium or CHROMIUM_PATH (apt-get install -y chromium)');

/** The gated tool: an http endpoint that says how much it was sent. */
const startTool = () => Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: async (r) => Response.json({ result: `ticket updated: ${(await r.text()).length} bytes` }) });

const blueprint = (toolUrl: string) => `apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata:
  name: mock
spec:
  provider: mock
  default_model: mock-1
---
apiVersion: orloj.dev/v1
kind: Tool
metadata:
  name: ticket
spec:
  type: http
  endpoint: ${toolUrl}/ticket
  operation_classes: [write]
---
apiVersion: orloj.dev/v1
kind: ToolPermission
metadata:
  name: ticket-review
spec:
  tool_ref: ticket
  operation_rules:
    - operation_class: write
      verdict: approval_required
---
apiVersion: orloj.dev/v1
kind: Agent
metadata:
  name: triage
spec:
  model_ref: mock
  prompt: Update the ticket, then summarise.
  tools: [ticket]
---
apiVersion: orloj.dev/v1
kind: Agent
metadata:
  name: notify
spec:
  model_ref: mock
  prompt: Tell the customer what happened.
---
apiVersion: orloj.dev/v1
kind: Agent
metadata:
  name: audit
spec:
  model_ref: mock
  prompt: Record the change.
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata:
  name: support
spec:
  agents: [triage, notify, audit]
  graph:
    triage:
      edges: [{ to: notify }, { to: audit }]
`;

const BAD = `apiVersion: orloj.dev/v1
kind: Agent
metadata:
  name: broken
spec:
  model_ref: mock
  limits:
    max_steps: lots
`;

describe.skipIf(!CHROMIUM)('web console in a browser', () => {
  const work = mkdtempSync(join(tmpdir(), 'orrery-console-'));
  let srv: ServerProcess;
  let browser: Browser;
  let page: Page;
  let tool: ReturnType<typeof startTool>;
  const outside: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
  // Waits until the element shows the text: pages render a placeholder first and fill it in.
  const shows = (where: Locator, text: string | RegExp) => where.filter({ hasText: text }).first().waitFor();
  const nav = (name: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true }).click();

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tool = startTool();
    srv = await startServer(join(work, 'data'), { env: { ORLOJ_AUTH_MODE: 'native', ORLOJ_SETUP_TOKEN: SETUP_TOKEN } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    // No request may leave the server's origin.
    page.on('request', (r) => {
      if (!r.url().startsWith(srv.url) && !r.url().startsWith('data:')) outside.push(r.url());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    srv?.proc.kill();
    await srv?.proc.exited;
    void tool?.stop(true); // Bun's stop promise, not waited for (as before)
    rmSync(work, { recursive: true, force: true });
  }, 90_000);

  test('set up the administrator, sign out, sign in', async () => {
    await page.goto(`${srv.url}/ui/tasks`);
    await page.getByRole('heading', { name: 'Create the first administrator' }).waitFor();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Setup token').fill(SETUP_TOKEN);
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Orrery' }).waitFor();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shows(page.getByRole('alert'), 'wrong');
    await page.getByLabel('Password').fill(ADMIN.password);
    await shot('login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'orloj_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  }, 90_000);

  test('apply: a refused manifest shows its cause at its line; the blueprint applies', async () => {
    await nav('Apply');
    const text = page.getByLabel('YAML (several documents separated by ---)');
    await text.fill(BAD);
    await page.getByRole('button', { name: 'Apply' }).click();
    const bad = page.locator('.result.bad');
    await bad.waitFor();
    await shows(bad, /line 8.*spec\.limits\.max_steps/);
    await bad.scrollIntoViewIfNeeded();
    await shot('apply-error');
    await text.fill(blueprint(`http://127.0.0.1:${tool.port}`));
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('.result.ok').nth(6).waitFor();
    expect(await page.locator('.result.bad').count()).toBe(0);
    await shot('apply');
  }, 90_000);

  test('run a task, approve its gated tool call, and watch it finish without a reload', async () => {
    await nav('Tasks');
    await page.getByLabel('AgentSystem').selectOption('default/support');
    await page.getByLabel('Task name').fill('ticket-4711');
    await page.getByLabel('Input').fill('ticket=4711\ncustomer=Dana');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL('**/ui/tasks/default/ticket-4711');
    await page.evaluate(() => ((globalThis as any).sameDocument = true));
    await page.locator('g.node[data-agent="triage"][data-state="WaitingApproval"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('g.node').count()).toBe(3);
    expect(await page.locator('path.edge').count()).toBe(2);
    await shot('task-waiting');

    await nav('Approvals');
    const card = page.locator('article.approval').first();
    await card.waitFor();
    await shows(card, 'Tool ticket');
    await shot('approvals');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Nothing pending.').first().waitFor();

    await nav('Tasks');
    await page.getByRole('link', { name: 'ticket-4711' }).click();
    for (const agent of ['triage', 'notify', 'audit']) await page.locator(`g.node[data-agent="${agent}"][data-state="Succeeded"]`).waitFor({ timeout: 30_000 });
    await page.locator('.heading .badge.phase-succeeded').waitFor({ timeout: 30_000 });
    await shows(page.locator('pre.answer'), 'mock');
    expect(await page.evaluate(() => (globalThis as any).sameDocument)).toBe(true);
    await page.locator('table tbody tr').nth(5).waitFor();
    await shot('task');
    await page.getByRole('heading', { name: 'Messages' }).evaluate((el) => el.scrollIntoView());
    await shot('task-trace');
    await page.setViewportSize({ width: 390, height: 800 });
    await shot('task-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 90_000);

  test('Retry starts a copy of the finished task; Cancel ends the copy while it waits', async () => {
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL(/\/ui\/tasks\/default\/ticket-4711-r[0-9a-z]+$/);
    await page.locator('g.node[data-agent="triage"][data-state="WaitingApproval"]').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.heading .badge.phase-failed').waitFor({ timeout: 30_000 });
    await page.getByText('Failed: cancelled', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
  }, 90_000);

  test('after a network drop the live list resumes with Last-Event-ID and shows what it missed', async () => {
    // The browser reaches the server through a proxy that the test takes down and brings back on
    // the same port: a real dropped connection, then the browser's own reconnect.
    const upstream = new URL(srv.url);
    const resumes: string[] = [];
    const proxy = (port = 0) =>
      Bun.serve({
        port,
        hostname: '127.0.0.1',
        fetch(r) {
          const url = new URL(r.url);
          if (url.pathname === '/v1/tasks/watch') resumes.push(r.headers.get('last-event-id') ?? '');
          url.host = upstream.host;
          // Uncompressed, so the body passes through as it is.
          const headers = new Headers(r.headers);
          headers.set('accept-encoding', 'identity');
          return fetch(url, { method: r.method, headers, body: r.body, redirect: 'manual' });
        },
      });
    let first = proxy();
    const port = first.port;
    const other = await page.context().newPage();
    try {
      await other.goto(`http://127.0.0.1:${port}/ui/tasks`);
      await other.getByRole('link', { name: 'ticket-4711', exact: true }).waitFor();
      await other.locator('.live-live').waitFor();
      expect(resumes).toEqual(['']);
      void first.stop(true); // Bun's stop promise, not waited for (as before)
      await other.locator('.live-reconnecting').waitFor({ timeout: 30_000 });
      const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const created = await fetch(`${srv.url}/v1/tasks`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'while-offline' }, spec: { system: 'support', input: { ticket: '9' } } }),
      });
      expect(created.status).toBe(201);
      first = proxy(port);
      await other.getByRole('link', { name: 'while-offline' }).waitFor({ timeout: 30_000 });
      await other.locator('.live-live').waitFor();
      // The reconnect named the last revision the page had seen; nothing was listed again.
      expect(resumes.length).toBeGreaterThanOrEqual(2);
      expect(Number(resumes.at(-1))).toBeGreaterThan(0);
      expect(await other.getByRole('link', { name: 'ticket-4711', exact: true }).count()).toBe(1);
    } finally {
      await other.close();
      void first.stop(true); // Bun's stop promise, not waited for (as before)
    }
  }, 90_000);

  test('tasks, resources, a resource as YAML, workers and events pages', async () => {
    await nav('Tasks');
    await page.getByRole('link', { name: 'while-offline' }).waitFor();
    await shot('tasks');
    await nav('Resources');
    await page.getByLabel('Kind').selectOption('agents');
    await page.getByRole('link', { name: 'triage' }).click();
    await shows(page.locator('pre.yaml'), 'model_ref: mock');
    await shot('resource');
    await page.getByRole('link', { name: /all agents/ }).click();
    await page.getByRole('link', { name: 'audit' }).waitFor();
    await shot('resources');
    await nav('Workers');
    await page.locator('tbody .badge').first().waitFor();
    await shot('workers');
    await nav('Events');
    await page.getByText('task.succeeded').first().waitFor();
    await shot('events');
    // Keyboard: the skip link comes first, then the sections; Enter on a link opens its page.
    await page.goto(`${srv.url}/ui/workers`);
    await page.getByRole('heading', { name: 'Workers' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.textContent)).toBe('Skip to content');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.textContent)).toBe('Approvals');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Approvals' }).waitFor();
    // A deep link loads the app directly.
    await page.goto(`${srv.url}/ui/tasks/default/ticket-4711`);
    await page.locator('g.node[data-state="Succeeded"]').first().waitFor();
  }, 90_000);
});
