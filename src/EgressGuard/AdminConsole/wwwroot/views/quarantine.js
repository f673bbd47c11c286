// The quarantine table with release and extend, shared by the alerts page and a source's page.
import { api } from '../api.js';
import { h, time, toast, confirmDialog } from '../dom.js';

export function quarantineTable(entries, reload) {
  if (entries.length === 0) return h('p', { class: 'empty', text: 'Nobody is quarantined.' });

  async function release(address) {
    if (!(await confirmDialog(`Release ${address}?`, 'Its connections are decided by the rules again at once.', 'Release'))) return;
    try {
      await api('DELETE', `/quarantine/${encodeURIComponent(address)}`);
      toast(`Released ${address}.`);
      await reload();
    } catch (e) {
      toast(`Not released: ${e.message}`);
    }
  }

  async function extend(address, input) {
    try {
      await api('POST', `/quarantine/${encodeURIComponent(address)}/extend`, { duration: input.value.trim() });
      toast(`Extended ${address}.`);
      await reload();
    } catch (e) {
      toast(`Not extended: ${e.message}`);
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  }

  return h('table', { class: 'quarantine' },
    h('thead', {}, h('tr', {}, ['address', 'reason', 'since', 'until', 'by', ''].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, entries.map((q) => {
      const duration = h('input', { type: 'text', value: '4h', size: '5', 'aria-label': `Extend ${q.address} by`, name: 'duration' });
      return h('tr', { 'data-address': q.address },
        h('td', {}, h('a', { href: `#/source/${encodeURIComponent(q.address)}`, text: q.address })),
        h('td', { text: q.reason ?? '' }),
        h('td', { text: time(q.since) }),
        h('td', { text: time(q.until) }),
        h('td', { text: q.by ?? '' }),
        h('td', { class: 'actions' },
          h('button', { type: 'button', 'data-action': 'release', text: 'Release', 'aria-label': `Release ${q.address}`, onclick: () => release(q.address) }),
          duration,
          h('button', { type: 'button', 'data-action': 'extend', text: 'Extend', 'aria-label': `Extend ${q.address}`, onclick: () => extend(q.address, duration) })));
    })));
}
