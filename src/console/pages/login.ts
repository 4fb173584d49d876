// Login (and first-administrator setup) against /v1/auth: the server sets the session cookie.
import { api, errorText } from '../api';
import { field, h } from '../dom';

export interface AuthConfig {
  mode: string;
  setup_required?: boolean;
  setup_token_required?: boolean;
}

export function loginPage(root: HTMLElement, config: AuthConfig, done: () => void): void {
  const setup = !!config.setup_required;
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: setup ? 'new-password' : 'current-password', required: true, minlength: setup ? 12 : undefined });
  const token = h('input', { name: 'setup_token', type: 'password', autocomplete: 'off', required: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, setup ? 'Create the first administrator' : 'Sign in to Orrery'),
    config.mode !== 'native' ? h('p', null, 'This server checks bearer tokens; the console needs native auth (--auth-mode native) or an open server.') : null,
    field('Username', user),
    field('Password', pass, setup ? 'At least 12 characters.' : undefined),
    setup && config.setup_token_required ? field('Setup token', token, 'ORLOJ_SETUP_TOKEN of the server.') : null,
    error,
    h('button', { type: 'submit', class: 'primary' }, setup ? 'Create and sign in' : 'Sign in'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const body: Record<string, string> = { username: user.value, password: pass.value };
    if (setup && config.setup_token_required) body.setup_token = token.value;
    try {
      await api('POST', setup ? '/v1/auth/setup' : '/v1/auth/login', body);
      done();
    } catch (err) {
      error.textContent = errorText(err);
      pass.focus();
    }
  });
  root.replaceChildren(h('main', { id: 'main', class: 'center' }, form));
  user.focus();
}
