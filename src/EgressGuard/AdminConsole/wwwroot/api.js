// The admin API, same origin. The token lives in sessionStorage (gone when the tab closes) and is
// sent as Authorization: Bearer on every call; the console never uses cookies, so another site
// cannot make the browser act with the admin's rights.

const KEY = 'egressguard.token';

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  signIn(token) { sessionStorage.setItem(KEY, token); },
  signOut() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
    this.errors = Array.isArray(problem?.errors) ? problem.errors : (problem?.detail ? [problem.detail] : []);
  }
}

function headers(token, extra) {
  return { Authorization: `Bearer ${token}`, ...extra };
}

/** One API call. JSON in and out; a problem response becomes an ApiError. */
export async function api(method, path, body, token = session.token) {
  const init = {
    method,
    headers: headers(token, body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    redirect: 'error',
  };
  const response = await fetch(path, init);
  if (!response.ok) {
    let problem = null;
    if ((response.headers.get('Content-Type') ?? '').includes('json')) {
      problem = await response.json().catch(() => null);
    }
    const error = new ApiError(response.status, problem);
    if (response.status === 401 && token === session.token) {
      window.dispatchEvent(new CustomEvent('egressguard:unauthorized', { detail: error.message }));
    }
    throw error;
  }
  if (response.status === 204 || response.status === 202) return null;
  const type = response.headers.get('Content-Type') ?? '';
  return type.includes('json') ? response.json() : response.text();
}

export const get = (path) => api('GET', path);

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && String(v).trim() !== '') q.set(k, String(v).trim());
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

/**
 * Reads a Server-Sent Events stream with fetch, not EventSource: EventSource cannot send the
 * Authorization header, and a token in the URL would end up in logs.
 * Calls onEvent(type, data) per event; resolves when the stream ends; rejects on an HTTP error.
 */
export async function stream(path, onEvent, signal) {
  const response = await fetch(path, {
    headers: headers(session.token, { Accept: 'text/event-stream' }),
    credentials: 'omit',
    cache: 'no-store',
    signal,
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    if (response.status === 401) window.dispatchEvent(new CustomEvent('egressguard:unauthorized'));
    throw new ApiError(response.status, problem);
  }
  onEvent('open', null);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length > 0) onEvent(type, data.join('\n'));
    }
  }
}
