// Every call the page makes goes through here: same origin, the API key (if any) as a Bearer header, kept in
// sessionStorage only (gone when the tab closes). A 401 asks the app to show its key prompt.
const KEY = 'hearth.apiKey';
let onUnauthorized = () => {};

export const auth = {
  get: () => sessionStorage.getItem(KEY) || '',
  set: (k) => (k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY)),
  onUnauthorized: (f) => { onUnauthorized = f; },
};

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function request(path, { method = 'GET', body, signal, raw = false } = {}) {
  const headers = {};
  const key = auth.get();
  if (key) headers.Authorization = 'Bearer ' + key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  if (!res.ok) {
    let message = res.status + ' ' + res.statusText;
    try {
      const j = await res.json();
      message = typeof j.error === 'string' ? j.error : j.error?.message || message;
    } catch { /* body was not JSON: keep the status line */ }
    if (res.status === 401) onUnauthorized(message);
    throw new ApiError(res.status, message);
  }
  if (raw) return res;
  const type = res.headers.get('content-type') || '';
  return type.includes('json') ? res.json() : res.text();
}

// Reads a streamed body line by line (NDJSON, or SSE "data: …" lines), calling onLine with each non-empty line.
export async function readLines(res, onLine) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) onLine(line);
    }
  }
  if (buffer.trim()) onLine(buffer.trim());
}

// POSTs and streams NDJSON objects to onEvent; a line {"error": …} becomes a thrown ApiError.
export async function streamJson(path, body, onEvent, signal) {
  const res = await request(path, { method: 'POST', body, signal, raw: true });
  await readLines(res, (line) => {
    const obj = JSON.parse(line);
    if (obj.error) throw new ApiError(500, typeof obj.error === 'string' ? obj.error : obj.error.message);
    onEvent(obj);
  });
}

export function formatBytes(n) {
  if (!n) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const i = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return (n / 1024 ** i).toFixed(i ? 1 : 0) + ' ' + units[i];
}
