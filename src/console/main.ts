// The Orrery web console: layout, client-side routes under /ui and the sign-in gate.
import { api, boot, UNAUTHORIZED } from './api';
import { fill, h } from './dom';
import { link, navigate, NAVIGATE } from './nav';
import { approvalsPage } from './pages/approvals';
import { eventsPage } from './pages/events';
import { loginPage, type AuthConfig } from './pages/login';
import { applyPage, resourcePage, resourcesPage } from './pages/resources';
import { taskPage } from './pages/task';
import { tasksPage } from './pages/tasks';
import { workersPage } from './pages/workers';

/** A page fills `main` and returns what stops its watches. */
export type Page = (main: HTMLElement, params: string[]) => (() => void) | void;

const ROUTES: [RegExp, Page, string][] = [
  [/^\/ui\/?$/, tasksPage, 'tasks'],
  [/^\/ui\/tasks\/?$/, tasksPage, 'tasks'],
  [/^\/ui\/tasks\/([^/]+)\/([^/]+)$/, taskPage, 'tasks'],
  [/^\/ui\/approvals\/?$/, approvalsPage, 'approvals'],
  [/^\/ui\/resources\/?$/, resourcesPage, 'resources'],
  [/^\/ui\/resources\/([^/]+)$/, resourcesPage, 'resources'],
  [/^\/ui\/resources\/([^/]+)\/([^/]+)\/([^/]+)$/, resourcePage, 'resources'],
  [/^\/ui\/apply\/?$/, applyPage, 'apply'],
  [/^\/ui\/workers\/?$/, workersPage, 'workers'],
  [/^\/ui\/events\/?$/, eventsPage, 'events'],
];

const NAV: [string, string, string][] = [
  ['/ui/tasks', 'Tasks', 'tasks'],
  ['/ui/approvals', 'Approvals', 'approvals'],
  ['/ui/resources', 'Resources', 'resources'],
  ['/ui/apply', 'Apply', 'apply'],
  ['/ui/workers', 'Workers', 'workers'],
  ['/ui/events', 'Events', 'events'],
];

const root = document.getElementById('app')!;
let stop: (() => void) | void;
let config: AuthConfig = { mode: 'off' };
let me: { authenticated: boolean; username?: string; role?: string; method?: string } = { authenticated: false };

function layout(section: string): HTMLElement {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const user = me.method === 'session' ? h('span', { class: 'who' }, `${me.username} (${me.role})`, ' ', h('button', { type: 'button', class: 'link', onclick: logout }, 'Sign out')) : null;
  const nav = h(
    'nav',
    { 'aria-label': 'Sections' },
    h('ul', null, NAV.map(([href, text, key]) => h('li', null, link(href, text, key === section ? { 'aria-current': 'page' } : {})))),
  );
  fill(
    root,
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('header', { class: 'top' }, h('a', { class: 'brand', href: '/ui/tasks', onclick: (e: Event) => (e.preventDefault(), navigate('/ui/tasks')) }, 'Orrery'), nav, user),
    main,
  );
  return main;
}

async function logout(): Promise<void> {
  await api('POST', '/v1/auth/logout').catch(() => undefined);
  me = { authenticated: false };
  showLogin();
}

function showLogin(): void {
  stop?.();
  stop = undefined;
  document.title = 'Sign in · Orrery';
  loginPage(root, config, async () => {
    me = await api('GET', '/v1/auth/me');
    config = await api('GET', '/v1/auth/config');
    navigate(location.pathname.startsWith('/ui/login') ? '/ui/tasks' : location.pathname + location.search, true);
  });
}

function route(): void {
  if (!me.authenticated) return showLogin();
  stop?.();
  const path = location.pathname;
  const hit = ROUTES.find(([re]) => re.test(path));
  const [re, page, section] = hit ?? [/^/, notFound, ''];
  const params = (re.exec(path) ?? []).slice(1).map(decodeURIComponent);
  const main = layout(section);
  document.title = `${section ? section[0].toUpperCase() + section.slice(1) : 'Not found'} · Orrery`;
  stop = page(main, params);
}

const notFound: Page = (main) => fill(main, h('h1', null, 'Not found'), h('p', null, 'No console page at this address. ', link('/ui/tasks', 'Go to the tasks.')));

async function start(): Promise<void> {
  window.addEventListener('popstate', route);
  window.addEventListener(NAVIGATE, () => {
    route();
    document.getElementById('main')?.focus({ preventScroll: true });
  });
  window.addEventListener(UNAUTHORIZED, () => {
    me = { authenticated: false };
    showLogin();
  });
  config = await api('GET', '/v1/auth/config');
  me = await api('GET', '/v1/auth/me');
  document.documentElement.dataset.version = boot().version;
  route();
}

void start();
