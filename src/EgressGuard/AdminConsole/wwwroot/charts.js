// Charts drawn as SVG by the page: no chart library, nothing fetched. Colours come from CSS
// classes (the CSP forbids inline styles).
import { h, s, time } from './dom.js';

const KINDS = ['allow', 'deny', 'error'];

/** Horizontal grid lines with their values at 0, half and the top of the scale. */
function yGrid(max, y, left, width) {
  return [...new Set([0, Math.round(max / 2), max])].map((v) => [
    s('line', { x1: left, x2: width, y1: y(v), y2: y(v), class: 'grid' }),
    s('text', { x: left - 4, y: y(v) + 4, class: 'axis', 'text-anchor': 'end', text: Math.round(v) }),
  ]);
}

/** Decisions per minute over the last `minutes`, stacked by decision. */
export function decisionsPerMinute(lines, minutes = 30, now = Date.now()) {
  const end = Math.floor(now / 60000);
  const buckets = Array.from({ length: minutes }, (_, i) => ({ minute: end - minutes + 1 + i, allow: 0, deny: 0, error: 0 }));
  for (const line of lines) {
    const minute = Math.floor(new Date(line.time).getTime() / 60000);
    const bucket = buckets[minute - (end - minutes + 1)];
    if (bucket) bucket[KINDS.includes(line['egressguard.decision']) ? line['egressguard.decision'] : 'error']++;
  }
  const width = 640;
  const height = 200;
  const left = 36;
  const bottom = 22;
  const top = 10;
  const max = Math.max(1, ...buckets.map((b) => b.allow + b.deny + b.error));
  const barWidth = (width - left) / minutes;
  const y = (v) => top + (height - bottom - top) * (1 - v / max);
  const total = buckets.reduce((n, b) => n + b.allow + b.deny + b.error, 0);
  const label = `Decisions per minute, last ${minutes} minutes: ${total} in all, at most ${max} in a minute`;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': label, 'data-chart': 'decisions-per-minute' },
    s('title', { text: label }),
    yGrid(max, y, left, width),
    buckets.map((b, i) => {
      let base = 0;
      return s('g', { 'data-minute': b.minute },
        s('title', { text: `${new Date(b.minute * 60000).toLocaleTimeString()}: ${b.allow} allow, ${b.deny} deny, ${b.error} error` }),
        KINDS.map((kind) => {
          const value = b[kind];
          if (value === 0) return null;
          const rect = s('rect', { x: left + i * barWidth + 1, width: Math.max(1, barWidth - 2), y: y(base + value), height: y(base) - y(base + value), class: `bar ${kind}`, 'data-count': value });
          base += value;
          return rect;
        }));
    }),
    [0, Math.floor(minutes / 2), minutes - 1].map((i) => s('text', {
      x: left + i * barWidth + barWidth / 2, y: height - 6, class: 'axis', 'text-anchor': 'middle',
      text: new Date(buckets[i].minute * 60000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
    })));
  return h('figure', { class: 'chart-box' },
    svg,
    h('figcaption', {}, 'Decisions per minute ', KINDS.map((k) => h('span', { class: `legend ${k}`, text: k }))));
}

/** The most denied destinations, as horizontal bars. */
export function topDenied(lines, limit = 10) {
  const counts = new Map();
  for (const line of lines) {
    if (line['egressguard.decision'] !== 'deny') continue;
    const name = line['server.address'] ?? line['egressguard.request_target'] ?? '?';
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit);
  if (top.length === 0) return h('figure', { class: 'chart-box' }, h('p', { class: 'empty', text: 'No denied destinations among the recent decisions.' }), h('figcaption', { text: 'Top denied destinations' }));
  const row = 22;
  const width = 640;
  const labelWidth = 260;
  const height = top.length * row + 4;
  const max = top[0][1];
  const label = `Top denied destinations: ${top.map(([n, c]) => `${n} ${c}`).join(', ')}`;
  return h('figure', { class: 'chart-box' },
    s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': label, 'data-chart': 'top-denied' },
      s('title', { text: label }),
      top.map(([name, count], i) => s('g', { 'data-destination': name },
        s('text', { x: labelWidth - 6, y: i * row + 15, class: 'axis', 'text-anchor': 'end', text: name.length > 38 ? `${name.slice(0, 37)}…` : name }),
        s('rect', { x: labelWidth, y: i * row + 3, height: row - 6, width: Math.max(2, ((width - labelWidth - 40) * count) / max), class: 'bar deny' }),
        s('text', { x: labelWidth + Math.max(2, ((width - labelWidth - 40) * count) / max) + 4, y: i * row + 15, class: 'axis', text: count })))),
    h('figcaption', { text: 'Top denied destinations (recent decisions)' }));
}

/**
 * One feed's entries in force after each successful load (GET /feeds/{name}/history), as a line
 * over time with a point per load; each point's title gives its time, entries and dropped.
 */
export function feedEntries(name, points) {
  const caption = `Entries of feed ${name} over time`;
  if (points.length === 0) return h('figure', { class: 'chart-box', 'data-feed-chart': name }, h('p', { class: 'empty', text: `Feed ${name} has not loaded yet.` }), h('figcaption', { text: caption }));
  const width = 640;
  const height = 160;
  const left = 56;
  const right = 12;
  const bottom = 22;
  const top = 10;
  const times = points.map((p) => new Date(p.at).getTime());
  const first = times[0];
  const span = Math.max(1, times.at(-1) - first);
  const max = Math.max(1, ...points.map((p) => p.entries));
  // A single load sits in the middle rather than on the axis.
  const x = (t) => (points.length === 1 ? (left + width - right) / 2 : left + ((width - left - right) * (t - first)) / span);
  const y = (v) => top + (height - bottom - top) * (1 - v / max);
  const last = points.at(-1);
  const label = `${caption}: ${points.length} loads from ${time(points[0].at)} to ${time(last.at)}; now ${last.entries} entries, at most ${max}`;
  return h('figure', { class: 'chart-box', 'data-feed-chart': name },
    s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': label, 'data-chart': 'feed-entries', 'data-feed': name },
      s('title', { text: label }),
      yGrid(max, y, left, width - right),
      s('polyline', { class: 'line', points: points.map((p, i) => `${x(times[i])},${y(p.entries)}`).join(' ') }),
      points.map((p, i) => s('circle', { class: 'point', cx: x(times[i]), cy: y(p.entries), r: 3, 'data-entries': p.entries, 'data-at': p.at },
        s('title', { text: `${time(p.at)}: ${p.entries} entries${p.dropped ? `, ${p.dropped} dropped by hygiene` : ''}` }))),
      [...new Set([0, points.length - 1])].map((i) => s('text', {
        x: x(times[i]), y: height - 6, class: 'axis', 'text-anchor': points.length === 1 ? 'middle' : i === 0 ? 'start' : 'end', text: time(points[i].at),
      }))),
    h('figcaption', { text: caption }));
}
