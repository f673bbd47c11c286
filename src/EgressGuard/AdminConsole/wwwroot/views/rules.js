// Rules: the ordered list (built-in entries included), add/edit with form[name=rule] whose fields
// are named as the API's, reorder with up/down buttons, delete after a confirmation.
import { api, get, ApiError } from '../api.js';
import { h, clear, list, time, toast, confirmDialog } from '../dom.js';
import { field, select, clearErrors, showErrors, splitList } from './form.js';

const LIST_FIELDS = ['destinations', 'ports', 'methods', 'sources', 'users', 'groups'];
const FIELDS = ['id', 'action', ...LIST_FIELDS, 'mode', 'expires', 'comment', 'ticket'];

export async function render(view) {
  const state = { rules: null, editing: null };
  const summary = h('p', { class: 'summary' });
  const body = h('div', { class: 'rules-table' });
  const form = ruleForm(state, () => load());
  view.append(
    h('div', { class: 'heading' }, h('h1', { text: 'Rules' }), h('a', { href: '#/rules/history', class: 'button', text: 'History and rollback' })),
    summary, body, form);

  async function load() {
    state.rules = await get('/rules');
    summary.textContent = `Version ${state.rules.version} · default ${state.rules.defaultAction} · ${state.rules.rules.length} entries · ${state.rules.file}`;
    clear(body, rulesTable(state, load, (rule) => form.edit(rule)));
  }

  await load();
}

function rulesTable(state, reload, edit) {
  const entries = state.rules.rules;
  const order = entries.map((e) => e.rule.id);
  async function move(index, delta) {
    const next = [...order];
    const [id] = next.splice(index, 1);
    next.splice(index + delta, 0, id);
    try {
      await api('POST', '/rules/reorder', { order: next });
      toast(`Moved ${id} ${delta < 0 ? 'up' : 'down'}.`);
      await reload();
      document.querySelector(`tr[data-rule-id="${CSS.escape(id)}"] button[data-move="${delta < 0 ? 'up' : 'down'}"]:not([disabled])`)?.focus();
    } catch (e) {
      toast(`Not moved: ${e.message}`);
    }
  }

  async function remove(id) {
    if (!(await confirmDialog(`Delete rule ${id}?`, 'The rule stops matching at once. It can be brought back from the history.', 'Delete'))) return;
    try {
      await api('DELETE', `/rules/${encodeURIComponent(id)}`);
      toast(`Deleted ${id}.`);
      await reload();
    } catch (e) {
      toast(`Not deleted: ${e.message}`);
    }
  }

  return h('table', { class: 'rules' },
    h('caption', { text: 'Evaluated top to bottom; the first entry that matches decides.' }),
    h('thead', {}, h('tr', {}, ['#', 'id', 'action', 'destinations', 'ports', 'sources', 'users / groups', 'mode', 'expires', 'comment', 'ticket', ''].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, entries.map((entry, i) => {
      const r = entry.rule;
      const classes = [r.builtin ? 'builtin' : '', entry.expired ? 'expired' : ''].join(' ').trim();
      return h('tr', { 'data-rule-id': r.id, class: classes || undefined },
        h('td', { text: entry.position }),
        h('td', {}, h('code', { text: r.id }), r.builtin ? h('span', { class: 'badge', text: 'built-in' }) : null),
        h('td', {}, r.action ? h('span', { class: `badge ${r.action}`, text: r.action }) : ''),
        h('td', { text: list(r.destinations ?? r.feeds) }),
        h('td', { text: list(r.ports) }),
        h('td', { text: list(r.sources) }),
        h('td', { text: [list(r.users), list(r.groups)].filter(Boolean).join(' / ') }),
        h('td', { text: r.mode ?? '' }),
        h('td', {}, time(r.expires), entry.expired ? h('span', { class: 'badge deny', text: 'expired' }) : null),
        h('td', { text: r.comment ?? '' }),
        h('td', { text: r.ticket ?? '' }),
        h('td', { class: 'actions' },
          h('button', { type: 'button', 'data-move': 'up', 'aria-label': `Move ${r.id} up`, title: 'Move up', disabled: i === 0, text: '↑', onclick: () => move(i, -1) }),
          h('button', { type: 'button', 'data-move': 'down', 'aria-label': `Move ${r.id} down`, title: 'Move down', disabled: i === entries.length - 1, text: '↓', onclick: () => move(i, 1) }),
          r.builtin ? null : h('button', { type: 'button', 'data-action': 'edit', 'aria-label': `Edit ${r.id}`, text: 'Edit', onclick: () => edit(r) }),
          r.builtin ? null : h('button', { type: 'button', 'data-action': 'delete', class: 'danger', 'aria-label': `Delete ${r.id}`, text: 'Delete', onclick: () => remove(r.id) })));
    })));
}

/** "4h", "2d", "30m" from now, or a date and time; returns an ISO string, or null when unreadable. */
export function parseExpires(text) {
  const value = text.trim();
  const relative = value.match(/^(\d+(?:\.\d+)?)\s*([mhd])$/);
  if (relative) {
    const ms = Number(relative[1]) * { m: 60e3, h: 3600e3, d: 86400e3 }[relative[2]];
    return new Date(Date.now() + ms).toISOString();
  }
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

function ruleForm(state, saved) {
  const legend = h('legend', { text: 'Add a rule' });
  const controls = {
    id: h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' }),
    action: select([['deny', 'deny'], ['allow', 'allow']], 'deny'),
    destinations: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }),
    ports: h('input', { type: 'text', autocomplete: 'off', inputmode: 'numeric' }),
    methods: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }),
    sources: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }),
    users: h('input', { type: 'text', autocomplete: 'off' }),
    groups: h('input', { type: 'text', autocomplete: 'off' }),
    mode: select([['', 'enforce (default)'], ['report', 'report only']], ''),
    expires: h('input', { type: 'text', autocomplete: 'off', placeholder: '4h, 2d or 2030-01-31T18:00Z' }),
    comment: h('input', { type: 'text', autocomplete: 'off' }),
    ticket: h('input', { type: 'text', autocomplete: 'off' }),
  };
  const submit = h('button', { type: 'submit', text: 'Add rule' });
  const cancel = h('button', { type: 'button', hidden: true, text: 'Cancel edit' });
  const form = h('form', { name: 'rule', class: 'rule-form', novalidate: true },
    h('fieldset', {},
      legend,
      h('div', { class: 'grid' },
        field('rule', 'id', 'Id', controls.id, 'Letters, digits, - _ .'),
        field('rule', 'action', 'Action', controls.action),
        field('rule', 'destinations', 'Destinations', controls.destinations, 'Names (*.example.com), addresses, CIDRs; comma or space separated'),
        field('rule', 'ports', 'Ports', controls.ports, '443, 8000-8100; empty: any'),
        field('rule', 'sources', 'Sources', controls.sources, 'Client CIDRs; empty: any'),
        field('rule', 'users', 'Users', controls.users),
        field('rule', 'groups', 'Groups', controls.groups),
        field('rule', 'methods', 'Methods', controls.methods, 'CONNECT (tunnels), or GET, POST… (requests); empty: any'),
        field('rule', 'mode', 'Mode', controls.mode),
        field('rule', 'expires', 'Expires', controls.expires, 'Empty: never'),
        field('rule', 'comment', 'Comment', controls.comment),
        field('rule', 'ticket', 'Ticket', controls.ticket)),
      h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
      h('div', { class: 'buttons' }, submit, cancel)));

  function reset() {
    state.editing = null;
    form.reset();
    clearErrors(form);
    controls.id.readOnly = false;
    legend.textContent = 'Add a rule';
    submit.textContent = 'Add rule';
    cancel.hidden = true;
  }

  form.edit = (rule) => {
    reset();
    state.editing = rule;
    for (const name of FIELDS) {
      const value = rule[name];
      controls[name].value = name === 'expires' ? (value ?? '') : (Array.isArray(value) ? value.join(', ') : (value ?? ''));
    }
    controls.id.readOnly = true;
    legend.textContent = `Edit rule ${rule.id}`;
    submit.textContent = 'Save rule';
    cancel.hidden = false;
    controls.action.focus();
  };

  cancel.addEventListener('click', reset);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    // Editing keeps what the form does not show (feeds, paths, inspect, alert, createdBy…).
    const rule = state.editing ? { ...state.editing } : {};
    delete rule.builtin;
    rule.id = controls.id.value.trim();
    rule.action = controls.action.value;
    for (const name of LIST_FIELDS) {
      const items = splitList(controls[name].value);
      if (items) rule[name] = items;
      else delete rule[name];
    }
    for (const name of ['mode', 'comment', 'ticket']) {
      const value = controls[name].value.trim();
      if (value) rule[name] = value;
      else delete rule[name];
    }
    const errors = [];
    if (!rule.id) errors.push('id is required');
    const expires = controls.expires.value.trim();
    if (expires) {
      const iso = parseExpires(expires);
      if (iso) rule.expires = iso;
      else errors.push(`expires = '${expires}': expected a duration (4h, 2d) or a date and time (2030-01-31T18:00Z)`);
    } else {
      delete rule.expires;
    }
    if (errors.length > 0) {
      showErrors(form, errors, FIELDS);
      return;
    }
    const editing = state.editing;
    try {
      if (editing) await api('PUT', `/rules/${encodeURIComponent(rule.id)}`, rule);
      else await api('POST', '/rules', rule);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      // A conflict names the id; anything else lists the validator's errors.
      showErrors(form, e.status === 409 ? [`id = '${rule.id}': ${e.message}`] : e.errors, FIELDS);
      return;
    }
    toast(editing ? `Saved ${rule.id}.` : `Added ${rule.id}.`);
    reset();
    await saved();
    document.querySelector(`tr[data-rule-id="${CSS.escape(rule.id)}"]`)?.classList.add('flash');
  });

  return form;
}
