// Live decisions over GET /decisions/stream (Server-Sent Events read with fetch so the token goes in
// the Authorization header). Pausable, filtered by the server, a click opens every field.
import { stream, query } from '../api.js';
import { h, clear, time, fields } from '../dom.js';
import { field, select } from './form.js';

const MAX_ROWS = 500;

export async function render(view) {
  let paused = false;
  let pending = [];
  let controller = null;
  let retry = null;

  const controls = {
    decision: select([['', 'any'], ['allow', 'allow'], ['deny', 'deny'], ['error', 'error']], ''),
    client: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }),
    user: h('input', { type: 'text', autocomplete: 'off' }),
    destination: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }),
    reason: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }),
  };
  const state = h('span', { class: 'stream-state', 'data-state': 'connecting', text: 'connecting…' });
  const pauseButton = h('button', { type: 'button', 'aria-pressed': 'false', text: 'Pause' });
  const pendingNote = h('span', { class: 'pending', 'aria-live': 'polite' });
  const rows = h('tbody');
  const details = h('aside', { class: 'details', 'aria-label': 'Decision details', hidden: true });
  const form = h('form', { name: 'filters', class: 'filters', novalidate: true },
    field('live', 'decision', 'Decision', controls.decision),
    field('live', 'client', 'Client', controls.client),
    field('live', 'user', 'User', controls.user),
    field('live', 'destination', 'Destination', controls.destination),
    field('live', 'reason', 'Reason', controls.reason),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', text: 'Apply filters' })));

  function open(line, row) {
    for (const r of rows.querySelectorAll('tr[aria-selected="true"]')) r.setAttribute('aria-selected', 'false');
    row.setAttribute('aria-selected', 'true');
    const client = line['client.address'];
    clear(details, 
      h('h2', { text: `${line['egressguard.decision']} ${line['server.address'] ?? line['egressguard.request_target'] ?? ''}` }),
      h('p', {}, 'Trace id ', h('code', { class: 'trace-id', text: line.trace_id })),
      client ? h('p', {}, h('a', { href: `#/source/${encodeURIComponent(client)}`, text: `Everything about ${client}` })) : null,
      fields(line),
      h('button', { type: 'button', text: 'Close', onclick: () => { details.hidden = true; row.focus(); } }));
    details.hidden = false;
  }

  function add(line) {
    const destination = line['server.address'] ? `${line['server.address']}:${line['server.port'] ?? ''}` : (line['egressguard.request_target'] ?? '');
    const row = h('tr', { tabindex: '0', class: `decision ${line['egressguard.decision']}`, 'aria-selected': 'false', dataset: { traceId: line.trace_id ?? '' } },
      h('td', { text: time(line.time) }),
      h('td', {}, h('span', { class: `badge ${line['egressguard.decision']}`, text: line['egressguard.decision'] })),
      h('td', { text: line['client.address'] ?? '' }),
      h('td', { text: line['enduser.id'] ?? '' }),
      h('td', { text: line['http.request.method'] ?? '' }),
      h('td', { text: destination }),
      h('td', { text: line['egressguard.reason'] ?? '' }),
      h('td', { text: line['egressguard.rule'] ?? '' }));
    row.addEventListener('click', () => open(line, row));
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); open(line, row); }
    });
    rows.prepend(row);
    while (rows.rows.length > MAX_ROWS) rows.lastElementChild.remove();
  }

  function setState(name, text) {
    state.dataset.state = name;
    state.textContent = text;
  }

  function connect() {
    controller?.abort();
    controller = new AbortController();
    const filters = Object.fromEntries(Object.entries(controls).map(([k, c]) => [k, c.value]));
    setState('connecting', 'connecting…');
    const signal = controller.signal;
    stream(`/decisions/stream${query({ ...filters, backlog: 50 })}`, (type, data) => {
      if (type === 'ready') setState('live', 'live');
      else if (type === 'decision') {
        const line = JSON.parse(data);
        if (paused) {
          pending.push(line);
          if (pending.length > MAX_ROWS) pending.shift();
          pendingNote.textContent = `${pending.length} new while paused`;
        } else {
          add(line);
        }
      } else if (type === 'dropped') {
        setState('live', `live (the server dropped ${data} line(s): this page was too slow)`);
      }
    }, signal).then(() => {
      if (!signal.aborted) reconnect('the stream ended');
    }, (error) => {
      if (!signal.aborted && error.status !== 401) reconnect(error.message);
    });
  }

  function reconnect(why) {
    setState('down', `disconnected (${why}); retrying…`);
    clearTimeout(retry);
    retry = setTimeout(connect, 2000);
  }

  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.setAttribute('aria-pressed', String(paused));
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) {
      for (const line of pending) add(line);
      pending = [];
      pendingNote.textContent = '';
    }
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clear(rows);
    pending = [];
    pendingNote.textContent = '';
    connect();
  });

  view.append(
    h('div', { class: 'heading' }, h('h1', { text: 'Live decisions' }), state),
    form,
    h('div', { class: 'buttons' }, pauseButton, pendingNote),
    h('div', { class: 'live-layout' },
      h('table', { class: 'live' },
        h('caption', { text: 'Newest first. Select a line for every field and its trace id.' }),
        h('thead', {}, h('tr', {}, ['time', 'decision', 'client', 'user', 'method', 'destination', 'reason', 'rule'].map((t) => h('th', { scope: 'col', text: t })))),
        rows),
      details));
  connect();

  return () => {
    clearTimeout(retry);
    controller?.abort();
  };
}
