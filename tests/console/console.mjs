// Drives the admin console in the system's headless Chromium (playwright-core, no browser download).
// Started by EgressGuard.FunctionalTests/AdminConsoleBrowserTests with the proxy already running:
//   node console.mjs  (settings in the environment, see below)
// Prints one JSON line per case: {"case": "...", "ok": true|false, "error": "...", ...} and ends
// with "N passed, N failed". Every wait is bounded; the browser is closed at the end.
import http from 'node:http';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const ADMIN = env('CONSOLE_ADMIN_URL').replace(/\/$/, '');
const PROXY_PORT = Number(env('CONSOLE_PROXY_PORT'));
const TOKEN = env('CONSOLE_TOKEN');
const DENIED = env('CONSOLE_DENIED_HOST');
const RELEASE = env('CONSOLE_QUARANTINE_RELEASE');
const EXTEND = env('CONSOLE_QUARANTINE_EXTEND');
const FEED = env('CONSOLE_FEED');
const CHROMIUM = process.env.CONSOLE_CHROMIUM || '/usr/bin/chromium';
const STEP = 10_000;

const results = [];
const consoleProblems = [];
const requests = [];
const origin = new URL(ADMIN).origin;

async function run(name, body) {
  const started = Date.now();
  try {
    const extra = await Promise.race([
      body(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('case timed out after 45 s')), 45_000)),
    ]);
    results.push({ case: name, ok: true, ms: Date.now() - started, ...(extra ?? {}) });
  } catch (error) {
    results.push({ case: name, ok: false, ms: Date.now() - started, error: String(error?.stack ?? error) });
  }
  console.log(JSON.stringify(results.at(-1)));
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** The admin API from node, for checking what the page did. */
async function api(method, path, body) {
  const response = await fetch(ADMIN + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** One plain-HTTP request through the proxy (absolute form), as a client on this machine would. */
function throughProxy(host) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: PROXY_PORT, method: 'GET', path: `http://${host}/`, headers: { Host: host }, timeout: 5000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('timeout', () => request.destroy(new Error('proxy request timed out')));
    request.on('error', reject);
    request.end();
  });
}

function watch(page, label) {
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const text = message.text();
    // Chromium logs every non-2xx fetch as "Failed to load resource"; the API's 400/401/404/409
    // answers are expected in the cases that provoke them. Anything else is a page problem.
    if (/^Failed to load resource: the server responded with a status of (400|401|404|409)/.test(text)) return;
    consoleProblems.push(`${label} ${message.type()}: ${text}`);
  });
  page.on('pageerror', (error) => consoleProblems.push(`${label} pageerror: ${error.message}`));
  page.on('request', async (request) => {
    const headers = await request.allHeaders().catch(() => request.headers());
    requests.push({ label, url: request.url(), method: request.method(), authorization: headers.authorization ?? null, cookie: headers.cookie ?? null });
  });
  page.on('dialog', (dialog) => {
    consoleProblems.push(`${label}: unexpected native dialog ${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
}

async function signIn(page, token) {
  await page.goto(`${ADMIN}/ui/`);
  await page.locator('input[name=token]').fill(token);
  await page.locator('form[name=signin] button[type=submit]').click();
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'] });
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  context.setDefaultTimeout(STEP);
  const page = await context.newPage();
  watch(page, 'main');

  await run('wrong-token-shows-error', async () => {
    const other = await browser.newContext();
    other.setDefaultTimeout(STEP);
    const p = await other.newPage();
    watch(p, 'wrong-token');
    await signIn(p, 'not-the-token');
    await p.locator('#token-error', { hasText: 'not valid' }).waitFor();
    const stored = await p.evaluate(() => sessionStorage.getItem('egressguard.token'));
    check(stored === null, `a wrong token was kept: ${stored}`);
    check(await p.locator('form[name=rule]').count() === 0, 'the rules page showed with a wrong token');
    await other.close();
  });

  await run('sign-in-shows-rules', async () => {
    await signIn(page, TOKEN);
    await page.locator('tr[data-rule-id="default"]').waitFor();
    await page.locator('tr[data-rule-id="block-denied"]').waitFor();
    const stored = await page.evaluate(() => sessionStorage.getItem('egressguard.token'));
    check(stored === TOKEN, 'the token is not in sessionStorage');
    check((await context.cookies()).length === 0, 'a cookie was set');
    const builtin = await page.locator('tr.builtin').count();
    check(builtin >= 3, `expected the built-in entries, saw ${builtin}`);
    // The header names the node the console talks to (fleet mode: one of several).
    const node = (await api('GET', '/status')).body.node;
    await page.locator('#node', { hasText: `node ${node} (` }).waitFor();
    return { builtin, node };
  });

  await run('add-rule-through-form', async () => {
    const form = page.locator('form[name=rule]');
    await form.locator('[name=id]').fill('console-added');
    await form.locator('[name=action]').selectOption('deny');
    await form.locator('[name=destinations]').fill('added.test, *.added.test');
    await form.locator('[name=ports]').fill('443 8443');
    await form.locator('[name=sources]').fill('10.0.0.0/8');
    await form.locator('[name=mode]').selectOption('report');
    await form.locator('[name=expires]').fill('2d');
    await form.locator('[name=comment]').fill('added from the console');
    await form.locator('[name=ticket]').fill('CON-1');
    await form.locator('button[type=submit]').click();
    await page.locator('tr[data-rule-id="console-added"]').waitFor();
    const { status, body } = await api('GET', '/rules/console-added');
    check(status === 200, `GET /rules/console-added: ${status}`);
    check(JSON.stringify(body.destinations) === JSON.stringify(['added.test', '*.added.test']), `destinations ${JSON.stringify(body.destinations)}`);
    check(JSON.stringify(body.ports) === JSON.stringify(['443', '8443']), `ports ${JSON.stringify(body.ports)}`);
    check(body.mode === 'report' && body.ticket === 'CON-1' && body.comment === 'added from the console' && body.expires, `fields ${JSON.stringify(body)}`);
  });

  await run('edit-rule-keeps-fields', async () => {
    await page.locator('button[aria-label="Edit console-added"]').click();
    const form = page.locator('form[name=rule]');
    check(await form.locator('[name=id]').inputValue() === 'console-added', 'the form was not filled');
    check(await form.locator('[name=id]').getAttribute('readonly') !== null, 'the id can be changed while editing');
    await form.locator('[name=comment]').fill('edited from the console');
    await form.locator('button[type=submit]', { hasText: 'Save rule' }).click();
    await page.locator('tr[data-rule-id="console-added"]', { hasText: 'edited from the console' }).waitFor();
    const { body } = await api('GET', '/rules/console-added');
    check(body.comment === 'edited from the console' && body.ticket === 'CON-1' && body.mode === 'report' && body.ports?.length === 2 && body.createdBy === 'admin', `after edit: ${JSON.stringify(body)}`);
    check(await form.locator('legend').textContent() === 'Add a rule', 'the form stayed in edit mode');
  });

  await run('api-validation-error-next-to-field', async () => {
    const form = page.locator('form[name=rule]');
    await form.locator('[name=id]').fill('console-bad');
    await form.locator('[name=destinations]').fill('ok.test');
    await form.locator('[name=ports]').fill('99999');
    await form.locator('button[type=submit]').click();
    const error = form.locator('[data-error-for=ports]');
    await error.filter({ hasText: 'ports[0]' }).waitFor();
    check(await form.locator('[name=ports]').getAttribute('aria-invalid') === 'true', 'ports not marked invalid');
    check(await form.locator('[data-error-for=destinations]').textContent() === '', 'an error was shown next to the wrong field');
    check((await api('GET', '/rules/console-bad')).status === 404, 'the invalid rule was saved');
    await form.locator('[name=id]').fill('');
    await form.locator('[name=destinations]').fill('');
    await form.locator('[name=ports]').fill('');
  });

  await run('keyboard-only-rule-form', async () => {
    await page.goto(`${ADMIN}/ui/#/rules`);
    await page.reload();
    await page.locator('tr[data-rule-id="default"]').waitFor();
    // Reach the form with Tab alone, from the top of the page.
    let reached = false;
    for (let i = 0; i < 200 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.name === 'id' && document.activeElement.form?.name === 'rule');
    }
    check(reached, 'Tab never reached the rule form');
    await page.keyboard.type('kbd-rule');
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown'); // deny → allow
    await page.keyboard.press('Tab');
    await page.keyboard.type('kbd.test');
    await page.keyboard.press('Tab');
    await page.keyboard.type('443');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type('alice');
    await page.keyboard.press('Enter');
    await page.locator('tr[data-rule-id="kbd-rule"]').waitFor();
    const { status, body } = await api('GET', '/rules/kbd-rule');
    check(status === 200 && body.action === 'allow' && body.destinations?.[0] === 'kbd.test' && body.ports?.[0] === '443' && body.users?.[0] === 'alice', `kbd-rule: ${status} ${JSON.stringify(body)}`);
  });

  await run('rule-form-methods', async () => {
    const form = page.locator('form[name=rule]');
    await form.locator('[name=id]').fill('console-methods');
    await form.locator('[name=action]').selectOption('allow');
    await form.locator('[name=destinations]').fill('tunnel.test');
    await form.locator('[name=methods]').fill('connect');
    await form.locator('button[type=submit]').click();
    await page.locator('tr[data-rule-id="console-methods"]').waitFor();
    const { status, body } = await api('GET', '/rules/console-methods');
    check(status === 200 && JSON.stringify(body.methods) === JSON.stringify(['connect']), `console-methods: ${status} ${JSON.stringify(body)}`);
    // A bad method: the API's error is shown next to the field.
    await form.locator('[name=id]').fill('console-bad-method');
    await form.locator('[name=methods]').fill('GE/T');
    await form.locator('button[type=submit]').click();
    await form.locator('[data-error-for=methods]').filter({ hasText: 'methods[0]' }).waitFor();
    await form.locator('[name=id]').fill('');
    await form.locator('[name=methods]').fill('');
    await form.locator('[name=destinations]').fill('');
    check((await api('DELETE', '/rules/console-methods')).status < 300, 'console-methods not deleted');
    // Deleted behind the page's back: reload so the table (and the next case's positions) match the API.
    await page.reload();
    await page.locator('tr[data-rule-id="kbd-rule"]').waitFor();
    await page.locator('tr[data-rule-id="console-methods"]').waitFor({ state: 'detached' });
  });

  await run('reorder-with-buttons', async () => {
    const before = (await api('GET', '/rules')).body.rules.map((e) => e.rule.id);
    const index = before.indexOf('kbd-rule');
    await page.locator('button[aria-label="Move kbd-rule up"]').click();
    await page.waitForFunction((i) => document.querySelectorAll('table.rules tbody tr')[i - 1]?.dataset.ruleId === 'kbd-rule', index);
    const after = (await api('GET', '/rules')).body.rules.map((e) => e.rule.id);
    check(after.indexOf('kbd-rule') === index - 1, `order ${after.join(',')}`);
  });

  await run('delete-with-confirmation', async () => {
    await page.locator('button[aria-label="Delete kbd-rule"]').click();
    const dialog = page.locator('dialog.confirm[open]');
    await dialog.waitFor();
    await dialog.locator('[data-cancel]').click();
    check((await api('GET', '/rules/kbd-rule')).status === 200, 'cancel deleted the rule');
    await page.locator('button[aria-label="Delete kbd-rule"]').click();
    await page.locator('dialog.confirm[open] [data-confirm]').click();
    await page.locator('tr[data-rule-id="kbd-rule"]').waitFor({ state: 'detached' });
    check((await api('GET', '/rules/kbd-rule')).status === 404, 'the rule is still in the API');
  });

  await run('history-diff-and-rollback', async () => {
    await page.goto(`${ADMIN}/ui/#/rules/history`);
    const versions = page.locator('table.history tbody tr');
    await versions.first().waitFor();
    // The newest version is the delete; the one before it still has kbd-rule.
    const target = await versions.nth(1).getAttribute('data-version');
    await versions.nth(1).locator('[data-action=diff]').click();
    await page.locator('.diff .line.del', { hasText: 'kbd-rule' }).first().waitFor();
    await versions.nth(1).locator('[data-action=rollback]').click();
    await page.locator('dialog.confirm[open] .diff .line.add', { hasText: 'kbd-rule' }).first().waitFor();
    await page.locator('dialog.confirm[open] [data-confirm]').click();
    await page.locator('#toast', { hasText: `Rolled back to version ${target}` }).waitFor();
    check((await api('GET', '/rules/kbd-rule')).status === 200, 'rollback did not bring kbd-rule back');
    return { target };
  });

  await run('explain', async () => {
    await page.goto(`${ADMIN}/ui/#/explain`);
    const form = page.locator('form[name=explain]');
    await form.locator('[name=destination]').fill(DENIED);
    await form.locator('[name=port]').fill('80');
    await form.locator('[name=client]').fill('127.0.0.1');
    await form.locator('button[type=submit]').click();
    await page.locator('.explain-result [data-decision=deny]').waitFor();
    const steps = await page.locator('.explain-result tbody tr').count();
    check(steps > 0, 'no steps shown');
    check(await page.locator('.explain-result dd', { hasText: 'rule:block-denied' }).count() > 0, 'the denying rule is not named');
    await form.locator('[name=client]').fill('not-an-ip');
    await form.locator('button[type=submit]').click();
    await form.locator('[data-error-for=client]').filter({ hasText: 'not an IP address' }).waitFor();
    return { steps };
  });

  await run('live-denied-within-2s', async () => {
    await page.goto(`${ADMIN}/ui/#/live`);
    await page.locator('.stream-state[data-state=live]').waitFor();
    const rowsBefore = await page.locator('table.live tbody tr').count();
    const started = Date.now();
    const status = await throughProxy(DENIED);
    check(status === 403, `the proxy answered ${status}, not 403`);
    await page.locator('table.live tbody tr.deny', { hasText: DENIED }).nth(0).waitFor({ timeout: 2000 });
    const ms = Date.now() - started;
    check(ms <= 2000, `shown after ${ms} ms`);
    check(await page.locator('table.live tbody tr').count() === rowsBefore + 1, 'expected exactly one new line');
    await page.locator('table.live tbody tr.deny', { hasText: DENIED }).first().click();
    const trace = (await page.locator('.details .trace-id').textContent()) ?? '';
    check(/^[0-9a-f]{32}$/.test(trace), `trace id '${trace}'`);
    await page.locator('.details dt', { hasText: 'egressguard.reason' }).waitFor();
    return { ms, trace };
  });

  await run('live-pause-and-filters', async () => {
    await page.locator('button[aria-pressed]', { hasText: 'Pause' }).click();
    const count = await page.locator('table.live tbody tr').count();
    await throughProxy(DENIED);
    await page.locator('.pending', { hasText: '1 new while paused' }).waitFor();
    check(await page.locator('table.live tbody tr').count() === count, 'a line was added while paused');
    await page.locator('button[aria-pressed=true]').click();
    await page.waitForFunction((n) => document.querySelectorAll('table.live tbody tr').length === n + 1, count);
    // A filter the next request does not match: it must not show; one it matches: it must.
    const filters = page.locator('form[name=filters]');
    await filters.locator('[name=decision]').selectOption('allow');
    await filters.locator('button[type=submit]').click();
    await page.locator('.stream-state[data-state=live]').waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('table.live tbody tr')].every((r) => r.classList.contains('allow')));
    await throughProxy(DENIED);
    await filters.locator('[name=decision]').selectOption('deny');
    await filters.locator('[name=destination]').fill(DENIED.slice(0, 4));
    await filters.locator('button[type=submit]').click();
    await page.locator('table.live tbody tr.deny', { hasText: DENIED }).first().waitFor();
    const shown = await page.locator('table.live tbody tr').evaluateAll((rows) => rows.map((r) => r.className));
    check(shown.every((c) => c.includes('deny')), `rows not matching the filter: ${shown.join(',')}`);
  });

  await run('release-and-extend-quarantine', async () => {
    await page.goto(`${ADMIN}/ui/#/alerts`);
    const release = page.locator(`table.quarantine tr[data-address="${RELEASE}"]`);
    await release.waitFor();
    await release.locator('[data-action=release]').click();
    await page.locator('dialog.confirm[open] [data-confirm]').click();
    await release.waitFor({ state: 'detached' });
    const list = (await api('GET', '/quarantine')).body;
    check(!list.some((q) => q.address === RELEASE), `${RELEASE} is still quarantined`);
    const before = list.find((q) => q.address === EXTEND)?.until;
    check(before, `${EXTEND} is not quarantined`);
    const extend = page.locator(`table.quarantine tr[data-address="${EXTEND}"]`);
    await extend.locator('input[name=duration]').fill('30d');
    await extend.locator('[data-action=extend]').click();
    await page.locator('#toast', { hasText: `Extended ${EXTEND}` }).waitFor();
    const after = (await api('GET', '/quarantine')).body.find((q) => q.address === EXTEND)?.until;
    check(new Date(after) > new Date(before), `until ${before} → ${after}`);
  });

  await run('source-page', async () => {
    await page.locator(`table.quarantine a[href="#/source/${EXTEND}"]`).click();
    await page.locator('h1', { hasText: `Source ${EXTEND}` }).waitFor();
    await page.locator(`table.quarantine tr[data-address="${EXTEND}"]`).waitFor();
    await page.goto(`${ADMIN}/ui/#/source/127.0.0.1`);
    await page.locator('section', { hasText: 'Recent decisions' }).locator('tbody tr', { hasText: DENIED }).first().waitFor();
  });

  await run('feeds-status-and-charts', async () => {
    await page.goto(`${ADMIN}/ui/#/status`);
    await page.locator('svg[data-chart=decisions-per-minute] rect.bar.deny').first().waitFor();
    await page.locator(`svg[data-chart=top-denied] g[data-destination="${DENIED}"]`).waitFor();
    await page.locator('tr[data-feed]').first().waitFor();
    await page.locator('dl.fields dt', { hasText: 'rulesVersion' }).waitFor();
  });

  await run('feed-entries-chart', async () => {
    // The page is still on #/status; its chart must show what the API has, point for point.
    const history = (await api('GET', `/feeds/${FEED}/history`)).body;
    const chart = page.locator(`svg[data-chart=feed-entries][data-feed="${FEED}"]`);
    await chart.waitFor();
    const points = await chart.locator('circle.point').evaluateAll((cs) => cs.map((c) => Number(c.dataset.entries)));
    check(JSON.stringify(points) === JSON.stringify(history.map((p) => p.entries)), `chart ${JSON.stringify(points)}, API ${JSON.stringify(history)}`);
    const line = (await chart.locator('polyline.line').getAttribute('points')).trim().split(/\s+/);
    check(line.length === points.length, `the line has ${line.length} vertices for ${points.length} points`);
    const label = await chart.getAttribute('aria-label');
    const title = await chart.locator(':scope > title').textContent();
    check((await chart.getAttribute('role')) === 'img', 'the chart has no role=img');
    check(label.includes(`feed ${FEED}`) && title === label, `label "${label}", title "${title}"`);
    return { points };
  });

  await run('sign-out-clears-token', async () => {
    await page.locator('#sign-out').click();
    await page.locator('input[name=token]').waitFor();
    const stored = await page.evaluate(() => sessionStorage.getItem('egressguard.token'));
    check(stored === null, 'the token is still stored');
  });

  await run('no-console-errors', async () => {
    check(consoleProblems.length === 0, consoleProblems.join('\n'));
  });

  await run('no-request-to-another-origin', async () => {
    const foreign = requests.filter((r) => new URL(r.url).origin !== origin);
    check(requests.length > 0, 'no requests seen');
    check(foreign.length === 0, foreign.map((r) => r.url).join('\n'));
    return { requests: requests.length };
  });

  await run('every-api-call-carries-the-token', async () => {
    const calls = requests.filter((r) => !new URL(r.url).pathname.startsWith('/ui'));
    check(calls.length >= 20, `only ${calls.length} API calls seen`);
    const bad = calls.filter((r) => r.authorization !== `Bearer ${r.label === 'wrong-token' ? 'not-the-token' : TOKEN}` || r.cookie);
    check(bad.length === 0, bad.map((r) => `${r.method} ${r.url} auth=${r.authorization} cookie=${r.cookie}`).join('\n'));
    const pages = requests.filter((r) => new URL(r.url).pathname.startsWith('/ui'));
    check(pages.every((r) => r.authorization === null), 'the static files were fetched with the token');
    return { calls: calls.length };
  });
} finally {
  await browser.close();
}

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
