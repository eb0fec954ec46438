// Building the page from data. Every piece of user text goes in as a text node
// (never parsed as HTML), so a message like <img src=x onerror=…> shows as itself.

// h creates an element: attributes (on* become listeners), then children
// (strings become text nodes; null, undefined and false are skipped).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (id) => document.getElementById(id);

// safeURL keeps only http(s) and same-origin links (a stored file_url is the
// server's, but a javascript: URL must never become a link).
export function safeURL(u) {
  if (!u) return null;
  try {
    const url = new URL(u, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

export function formatSize(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

// timeEl shows a message's time: the hour today, the day and hour before.
export function timeEl(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('time', {}, '');
  const today = new Date().toDateString() === d.toDateString();
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, (today ? timeFmt : dayFmt).format(d));
}
