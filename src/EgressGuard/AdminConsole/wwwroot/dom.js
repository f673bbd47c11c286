// Small DOM helpers. Every text goes in through textContent or attributes, never innerHTML, so a
// rule comment or a host name can never become markup.

export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

const SVG = 'http://www.w3.org/2000/svg';

export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'text') {
      el.textContent = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Empties el and appends children (null and false are left out, unlike Element.append). */
export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** "2024-05-01 12:00:03" in local time, or an empty string. */
export function time(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** 75 → "1m 15s", 90000 → "1d 1h". */
export function age(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function list(values) {
  return Array.isArray(values) ? values.join(', ') : (values ?? '');
}

/** A table from rows; columns are [heading, row => cell]. */
export function table(caption, columns, rows, rowAttrs) {
  return h('table', {},
    caption ? h('caption', { text: caption }) : null,
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', { scope: 'col', text: heading })))),
    h('tbody', {}, rows.map((row, i) => h('tr', rowAttrs ? rowAttrs(row, i) : {},
      columns.map(([, cell]) => h('td', {}, cell(row, i)))))));
}

/** A definition list of every field of an object (arrays joined, objects as JSON). */
export function fields(object) {
  return h('dl', { class: 'fields' }, Object.entries(object ?? {}).flatMap(([key, value]) => [
    h('dt', { text: key }),
    h('dd', { text: value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value ?? '') }),
  ]));
}

let toastTimer;
export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('shown'), 4000);
}

/** A modal confirmation; resolves true when confirmed. Escape or Cancel resolves false. */
export function confirmDialog(title, body, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title', text: title }),
      body ? (body instanceof Node ? body : h('p', { text: body })) : null,
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'danger', 'data-confirm': '', text: confirmLabel, onclick: () => dialog.close('yes') }),
        h('button', { type: 'button', 'data-cancel': '', text: 'Cancel', onclick: () => dialog.close('no') })));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('[data-cancel]').focus();
  });
}
