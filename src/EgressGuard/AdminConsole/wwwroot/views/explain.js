// Explain: destination + client + user → the decision and every step, as POST /explain returns it.
import { api, ApiError } from '../api.js';
import { h, clear, list, table } from '../dom.js';
import { field, clearErrors, showErrors, splitList } from './form.js';

const FIELDS = ['destination', 'port', 'client', 'user', 'groups'];

export async function render(view) {
  const controls = {
    destination: h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' }),
    port: h('input', { type: 'number', min: '1', max: '65535', value: '443' }),
    client: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }),
    user: h('input', { type: 'text', autocomplete: 'off' }),
    groups: h('input', { type: 'text', autocomplete: 'off' }),
  };
  const output = h('section', { class: 'explain-result', 'aria-live': 'polite' });
  const form = h('form', { name: 'explain', novalidate: true },
    h('fieldset', {},
      h('legend', { text: 'What would happen if…' }),
      h('div', { class: 'grid' },
        field('explain', 'destination', 'Destination', controls.destination, 'A name or an address'),
        field('explain', 'port', 'Port', controls.port),
        field('explain', 'client', 'Client address', controls.client, 'Empty: any client'),
        field('explain', 'user', 'User', controls.user),
        field('explain', 'groups', 'Groups', controls.groups, 'Comma or space separated')),
      h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', text: 'Explain' }))));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const request = {
      destination: controls.destination.value.trim(),
      port: controls.port.value ? Number(controls.port.value) : undefined,
      client: controls.client.value.trim() || undefined,
      user: controls.user.value.trim() || undefined,
      groups: splitList(controls.groups.value),
    };
    let result;
    try {
      result = await api('POST', '/explain', request);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      showErrors(form, e.errors, FIELDS);
      return;
    }
    const d = result.decision;
    clear(output, 
      h('h2', {}, 'Decision: ', h('span', { class: `badge ${d.action}`, 'data-decision': d.action, text: d.action }), ` (HTTP ${result.status})`),
      h('dl', { class: 'fields' }, [
        ['reason', d.reason], ['rule', d.rule], ['entry', d.entry], ['target', d.target],
        ['resolved addresses', list(d.resolvedAddresses)], ['would deny', d.wouldDeny], ['detail', d.detail], ['rules version', result.rulesVersion],
      ].filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])),
      table('Every step, in order', [
        ['#', (_, i) => i + 1],
        ['subject', (s) => s.subject ?? ''],
        ['rule', (s) => s.rule ?? ''],
        ['action', (s) => s.action ?? ''],
        ['result', (s) => s.result ?? ''],
        ['detail', (s) => s.detail ?? ''],
      ], result.steps, (s) => ({ class: `step ${s.result ?? ''}` })));
  });

  view.append(h('h1', { text: 'Explain a decision' }), form, output);
  controls.destination.focus();
}
