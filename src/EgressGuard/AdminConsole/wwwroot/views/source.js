// A source's page: its quarantine state, its alerts, its recent decisions and its history.
import { get, query, ApiError } from '../api.js';
import { h, clear, time, table } from '../dom.js';
import { alertsTable } from './alerts.js';
import { quarantineTable } from './quarantine.js';

export async function render(view, address) {
  const quarantineBox = h('div');
  const alertsBox = h('div');
  const decisionsBox = h('div');
  const historyBox = h('div');
  view.append(
    h('div', { class: 'heading' }, h('h1', {}, 'Source ', h('code', { text: address })), h('a', { class: 'button', href: '#/alerts', text: 'All alerts' })),
    h('section', {}, h('h2', { text: 'Quarantine' }), quarantineBox),
    h('section', {}, h('h2', { text: 'Alerts' }), alertsBox),
    h('section', {}, h('h2', { text: 'Recent decisions' }), decisionsBox),
    h('section', {}, h('h2', { text: 'History (last 24 h)' }), historyBox));

  async function load() {
    const [quarantine, alerts, decisions] = await Promise.all([
      get('/quarantine'), get(`/alerts${query({ source: address })}`), get(`/decisions${query({ client: address, limit: 200 })}`),
    ]);
    clear(quarantineBox, quarantineTable(quarantine.filter((q) => q.address === address), load));
    clear(alertsBox, alertsTable(alerts));
    clear(decisionsBox, decisions.length === 0 ? h('p', { class: 'empty', text: 'No recent decisions for this source (the admin API keeps the last ones in memory).' }) : table(null, [
      ['time', (d) => time(d.time)],
      ['decision', (d) => h('span', { class: `badge ${d['egressguard.decision']}`, text: d['egressguard.decision'] })],
      ['user', (d) => d['enduser.id'] ?? ''],
      ['destination', (d) => d['server.address'] ?? d['egressguard.request_target'] ?? ''],
      ['reason', (d) => d['egressguard.reason']],
      ['trace id', (d) => h('code', { text: d.trace_id })],
    ], decisions));
    try {
      const history = await get(`/history/connections${query({ source: address, since: '24h', limit: 200 })}`);
      const rows = Array.isArray(history) ? history : (history.connections ?? history.items ?? []);
      const keys = rows.length > 0 ? Object.keys(rows[0]).slice(0, 10) : [];
      clear(historyBox, rows.length === 0 ? h('p', { class: 'empty', text: 'No connections in the history.' })
        : table(null, keys.map((k) => [k, (r) => (typeof r[k] === 'object' && r[k] !== null ? JSON.stringify(r[k]) : String(r[k] ?? ''))]), rows));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      clear(historyBox, h('p', { class: 'empty', text: e.message }));
    }
  }

  await load();
}
