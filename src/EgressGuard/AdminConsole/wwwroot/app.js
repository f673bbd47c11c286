// The console's entry point: sign-in, the top bar and a hash router (#/rules, #/live …).
import { api, get, session, ApiError } from './api.js';
import { h, clear } from './dom.js';
import * as rules from './views/rules.js';
import * as history from './views/history.js';
import * as explain from './views/explain.js';
import * as live from './views/live.js';
import * as alerts from './views/alerts.js';
import * as source from './views/source.js';
import * as status from './views/status.js';

const routes = [
  [/^#\/rules$/, rules],
  [/^#\/rules\/history$/, history],
  [/^#\/explain$/, explain],
  [/^#\/live$/, live],
  [/^#\/alerts$/, alerts],
  [/^#\/source\/(.+)$/, source],
  [/^#\/status$/, status],
];

const view = document.getElementById('view');
const top = document.getElementById('top');
let cleanup = null;

function unmount() {
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
}

/** Which node this console talks to (Node:Name from /status, and the store in fleet mode); the address until it answers. */
async function showNode() {
  const label = document.getElementById('node');
  if (!label.textContent) label.textContent = `node ${location.host}`;
  try {
    const status = await get('/status');
    const store = status.store && status.store.state !== 'local' ? `, store ${status.store.state}` : '';
    label.textContent = `node ${status.node} (${location.host}${store})`;
  } catch {
    // The page's own view reports what went wrong; the label keeps the address.
  }
}

async function route() {
  unmount();
  if (!session.token) {
    showSignIn();
    return;
  }
  if (location.hash === '#/signin') {
    location.hash = '#/rules';
    return;
  }
  top.hidden = false;
  showNode();
  const hash = location.hash || '#/rules';
  const match = routes.map(([pattern, module]) => [hash.match(pattern), module]).find(([m]) => m);
  for (const link of top.querySelectorAll('nav a')) {
    if (hash.startsWith(link.getAttribute('href'))) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  clear(view);
  if (!match) {
    view.append(h('h1', { text: 'Not found' }), h('p', {}, 'No page here. ', h('a', { href: '#/rules', text: 'Go to the rules' })));
    return;
  }
  const [m, module] = match;
  try {
    cleanup = await module.render(view, ...m.slice(1).map(decodeURIComponent));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    view.append(h('p', { class: 'error', role: 'alert', text: `Could not load this page: ${error.message}` }));
  }
}

function showSignIn(message) {
  top.hidden = true;
  clear(view);
  const error = h('p', { class: 'field-error', id: 'token-error', role: 'alert', text: message ?? '' });
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'current-password', required: true, 'aria-describedby': 'token-error token-help' });
  const form = h('form', { name: 'signin', class: 'signin', novalidate: true },
    h('h1', { text: 'Sign in to EgressGuard' }),
    h('p', { id: 'token-help', class: 'help', text: 'The admin token (Admin:Token, or the admin-token file in the data directory) or a named token. It is kept in this tab only.' }),
    h('label', { for: 'token', text: 'Token' }),
    input,
    error,
    h('button', { type: 'submit', text: 'Sign in' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      error.textContent = 'Enter a token.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    try {
      await api('GET', '/status', undefined, token);
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401 ? 'That token is not valid.' : `Sign-in failed: ${e.message}`;
      input.setAttribute('aria-invalid', 'true');
      input.select();
      return;
    }
    session.signIn(token);
    if (!location.hash || location.hash === '#/signin') location.hash = '#/rules';
    else route();
  });
  view.append(form);
  input.focus();
}

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  unmount();
  location.hash = '#/signin';
  showSignIn('Signed out.');
});

window.addEventListener('egressguard:unauthorized', () => {
  session.signOut();
  unmount();
  showSignIn('The token is no longer accepted: sign in again.');
});

window.addEventListener('hashchange', () => {
  if (location.hash !== '#/signin') route();
});
route();
