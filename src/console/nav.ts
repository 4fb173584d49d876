// Client-side navigation under /ui: links carry real hrefs (open in a new tab, keyboard, deep
// links) and are intercepted for same-page routing.
export const NAVIGATE = 'orrery:navigate';

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE));
}

export function link(href: string, text: string, props: Record<string, string> = {}): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  for (const [k, v] of Object.entries(props)) a.setAttribute(k, v);
  a.addEventListener('click', (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  });
  return a;
}

export const taskHref = (ns: string, name: string) => `/ui/tasks/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
