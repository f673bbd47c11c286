// Feeds and status: each feed's entries, age and last error, and its entries over time; the process status; charts of the
// recent decisions; the alert sinks. Refreshed every 15 s while open.
import { get } from '../api.js';
import { h, clear, time, age, table, fields } from '../dom.js';
import { decisionsPerMinute, topDenied, feedEntries } from '../charts.js';

export async function render(view) {
  const charts = h('div', { class: 'charts' });
  const feedsBox = h('div');
  const feedCharts = h('div', { class: 'charts' });
  const statusBox = h('div');
  const sinksBox = h('div');
  const updated = h('span', { class: 'help' });
  const refresh = h('button', { type: 'button', text: 'Refresh', onclick: () => load() });
  view.append(
    h('div', { class: 'heading' }, h('h1', { text: 'Feeds and status' }), h('div', {}, updated, ' ', refresh)),
    h('section', {}, h('h2', { text: 'Recent decisions' }), charts),
    h('section', {}, h('h2', { text: 'Feeds' }), feedsBox, feedCharts),
    h('section', {}, h('h2', { text: 'Process' }), statusBox),
    h('section', {}, h('h2', { text: 'Alert sinks' }), sinksBox));

  async function load() {
    const [feeds, status, decisions, sinks] = await Promise.all([get('/feeds'), get('/status'), get('/decisions?limit=10000'), get('/alerts/sinks')]);
    const histories = await Promise.all(feeds.map((f) => get(`/feeds/${encodeURIComponent(f.name)}/history`)));
    clear(feedCharts, feeds.map((f, i) => feedEntries(f.name, histories[i])));
    clear(charts, decisionsPerMinute(decisions), topDenied(decisions));
    clear(feedsBox, feeds.length === 0 ? h('p', { class: 'empty', text: 'No feeds configured.' }) : table(null, [
      ['name', (f) => f.name],
      ['format', (f) => f.format],
      ['mode', (f) => f.mode],
      ['category', (f) => f.category ?? ''],
      ['entries', (f) => f.entries],
      ['age', (f) => (f.loaded ? age(f.ageSeconds) : h('span', { class: 'badge deny', text: 'not loaded' }))],
      ['last success', (f) => time(f.lastSuccess)],
      ['last error', (f) => (f.lastError ? h('span', { class: 'error', text: f.lastError }) : '')],
      ['failures', (f) => f.consecutiveFailures],
      ['required', (f) => (f.required ? 'yes' : '')],
    ], feeds, (f) => ({ 'data-feed': f.name, class: f.lastError ? 'failing' : undefined })));
    const { interception, ...process } = status;
    process.uptimeSeconds = `${status.uptimeSeconds} (${age(status.uptimeSeconds)})`;
    clear(statusBox, fields(process));
    if (interception) statusBox.append(h('h3', { text: 'Interception' }), fields(interception));
    clear(sinksBox, sinks.length === 0 ? h('p', { class: 'empty', text: 'No alert sinks configured.' }) : table(null, [
      ['name', (x) => x.name], ['up', (x) => (x.up ? 'up' : 'DOWN')], ['delivered', (x) => x.delivered], ['failures', (x) => x.failures],
      ['dropped', (x) => x.dropped], ['last delivered', (x) => time(x.lastDelivered)], ['last error', (x) => x.lastError ?? ''],
    ], sinks));
    updated.textContent = `updated ${time(new Date())}`;
  }

  await load();
  const timer = setInterval(() => load().catch(() => {}), 15000);
  return () => clearInterval(timer);
}
