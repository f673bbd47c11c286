// Rules history: every stored version, the diff between a version and the rules in force, and a
// rollback (which makes that version current again, as a new version).
import { api, get } from '../api.js';
import { h, clear, time, toast, confirmDialog } from '../dom.js';
import { diffLines } from '../diff.js';

const text = (document) => JSON.stringify({ rules: document.rules }, null, 2);

function diffView(before, after, labels) {
  const lines = diffLines(before, after);
  const changed = lines.filter((l) => l.kind !== 'same').length;
  return h('figure', { class: 'diff' },
    h('figcaption', { text: changed === 0 ? `No difference between ${labels[0]} and ${labels[1]}.` : `${labels[0]} → ${labels[1]}: ${changed} line(s) differ` }),
    h('pre', {}, lines.map((l) => h('span', { class: `line ${l.kind}`, text: `${l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' '} ${l.text}\n` }))));
}

export async function render(view) {
  const output = h('div', { class: 'diff-output', 'aria-live': 'polite' });
  const body = h('div');
  view.append(
    h('div', { class: 'heading' }, h('h1', { text: 'Rules history' }), h('a', { href: '#/rules', class: 'button', text: 'Back to the rules' })),
    h('p', { class: 'help', text: 'Each change through the API or the rules file is kept as a version. Compare one with the rules in force, then roll back if needed.' }),
    body, output);

  async function current() {
    const rules = await get('/rules');
    return { version: rules.version, rules: rules.rules.map((e) => e.rule) };
  }

  async function show(version, against) {
    const [target, base] = await Promise.all([
      get(`/rules/history/${version}`),
      against === 'current' ? current() : get(`/rules/history/${against}`),
    ]);
    const labels = against === 'current' ? [`version ${version}`, 'current rules'] : [`version ${against}`, `version ${version}`];
    const [before, after] = against === 'current' ? [text(target), text(base)] : [text(base), text(target)];
    clear(output, diffView(before, after, labels));
  }

  async function rollback(version) {
    const target = await get(`/rules/history/${version}`);
    const now = await current();
    const preview = diffView(text(now), text(target), ['current rules', `version ${version}`]);
    if (!(await confirmDialog(`Roll back to version ${version}?`, preview, 'Roll back'))) return;
    try {
      const result = await api('POST', `/rules/rollback/${version}`);
      toast(`Rolled back to version ${version}: the rules in force are now version ${result.version}.`);
      await load();
    } catch (e) {
      toast(`Not rolled back: ${e.message}`);
    }
  }

  async function load() {
    const versions = await get('/rules/history');
    clear(body);
    if (versions.length === 0) {
      body.append(h('p', { class: 'empty', text: 'No versions yet: the first change through the API starts the history.' }));
      return;
    }
    body.append(h('table', { class: 'history' },
      h('thead', {}, h('tr', {}, ['version', 'saved', ''].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, versions.map((v, i) => h('tr', { 'data-version': v.version },
        h('td', { text: v.version }),
        h('td', { text: time(v.time) }),
        h('td', { class: 'actions' },
          i + 1 < versions.length ? h('button', { type: 'button', 'data-action': 'changes', text: 'Changes', 'aria-label': `Changes in version ${v.version}`, onclick: () => show(v.version, versions[i + 1].version) }) : null,
          h('button', { type: 'button', 'data-action': 'diff', text: 'Diff with current', 'aria-label': `Diff version ${v.version} with the current rules`, onclick: () => show(v.version, 'current') }),
          h('button', { type: 'button', 'data-action': 'rollback', class: 'danger', text: 'Roll back', 'aria-label': `Roll back to version ${v.version}`, onclick: () => rollback(v.version) })))))));
  }

  await load();
}
