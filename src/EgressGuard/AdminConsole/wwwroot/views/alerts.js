// Open alerts (counts, first and last seen) and the quarantine list with release/extend.
import { api, get, ApiError } from '../api.js';
import { h, clear, time, table, toast } from '../dom.js';
import { field, clearErrors, showErrors } from './form.js';
import { quarantineTable } from './quarantine.js';

export function alertsTable(alerts) {
  if (alerts.length === 0) return h('p', { class: 'empty', text: 'No open alerts.' });
  return table(null, [
    ['kind', (a) => a.kind],
    ['source', (a) => a.source?.address ? h('a', { href: `#/source/${encodeURIComponent(a.source.address)}`, text: a.source.address }) : ''],
    ['user', (a) => a.source?.user ?? ''],
    ['destination', (a) => `${a.destination?.name ?? ''}${a.destination?.port ? `:${a.destination.port}` : ''}`],
    ['matched', (a) => [a.rule, a.feed, a.category].filter(Boolean).join(' · ')],
    ['count', (a) => a.count],
    ['first seen', (a) => time(a.firstSeen)],
    ['last seen', (a) => time(a.lastSeen)],
    ['summary', (a) => a.summary ?? ''],
  ], alerts, (a) => ({ 'data-alert-id': a.id }));
}

export async function render(view) {
  const alertsBox = h('div');
  const quarantineBox = h('div');
  const controls = {
    address: h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' }),
    duration: h('input', { type: 'text', autocomplete: 'off', placeholder: 'the configured default' }),
    reason: h('input', { type: 'text', autocomplete: 'off' }),
  };
  const form = h('form', { name: 'quarantine', novalidate: true },
    h('fieldset', {},
      h('legend', { text: 'Quarantine a source' }),
      h('div', { class: 'grid' },
        field('quarantine', 'address', 'Address', controls.address),
        field('quarantine', 'duration', 'Duration', controls.duration, '30m, 4h, 2d'),
        field('quarantine', 'reason', 'Reason', controls.reason)),
      h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'danger', text: 'Quarantine' }))));
  const goto = h('form', { name: 'source', class: 'inline', novalidate: true },
    h('label', { for: 'goto-source', text: 'Open a source' }),
    h('input', { id: 'goto-source', name: 'source', type: 'text', placeholder: '10.0.0.12', autocomplete: 'off' }),
    h('button', { type: 'submit', text: 'Open' }));
  goto.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = goto.elements.source.value.trim();
    if (value) location.hash = `#/source/${encodeURIComponent(value)}`;
  });

  async function load() {
    const [alerts, quarantine] = await Promise.all([get('/alerts'), get('/quarantine')]);
    clear(alertsBox, alertsTable(alerts));
    clear(quarantineBox, quarantineTable(quarantine, load));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await api('POST', '/quarantine', {
        address: controls.address.value.trim(),
        duration: controls.duration.value.trim() || undefined,
        reason: controls.reason.value.trim() || undefined,
      });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      showErrors(form, e.errors, ['address', 'duration', 'reason']);
      return;
    }
    toast(`Quarantined ${controls.address.value.trim()}.`);
    form.reset();
    await load();
  });

  view.append(
    h('div', { class: 'heading' }, h('h1', { text: 'Alerts and quarantine' }), goto),
    h('section', { 'aria-labelledby': 'alerts-h' }, h('h2', { id: 'alerts-h', text: 'Open alerts' }), alertsBox),
    h('section', { 'aria-labelledby': 'quarantine-h' }, h('h2', { id: 'quarantine-h', text: 'Quarantine' }), quarantineBox, form));
  await load();
}
