// REST helpers: the suites set up users and rooms through the public API, the
// same way a client would, so they need nothing but the server's address.
import { randomBytes } from 'node:crypto';

export const BASE = requiredEnv('E2E_URL');
export const JWT_SECRET = requiredEnv('E2E_JWT_SECRET');

function requiredEnv(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suites through e2e/run.mjs (scripts/test)`);
  return v;
}

// unique returns a short name that no other test run will use.
export function unique(prefix = 'u') {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

// api calls the server and returns {status, body, headers}; body is parsed JSON
// when the answer is JSON, else the text.
export async function api(method, path, { token, json, form, headers = {} } = {}) {
  const h = { ...headers };
  let body;
  if (token) h.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    h['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    h['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(BASE + path, { method, headers: h, body, redirect: 'manual' });
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get('content-type') || '').includes('json') && text !== '') {
    parsed = JSON.parse(text);
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

// expectStatus throws with the whole answer when the status is not the wanted one,
// so a failing set-up step says what the server answered.
export function expectStatus(res, want, what) {
  if (res.status !== want) {
    throw new Error(`${what}: want HTTP ${want}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

// registerUser creates a fresh account and returns it with its token.
export async function registerUser(prefix = 'u') {
  const username = unique(prefix);
  const password = 'secret-' + randomBytes(4).toString('hex');
  const email = `${username}@e2e.test`;
  const body = expectStatus(
    await api('POST', '/api/users/register', { json: { username, email, password, full_name: `Full ${username}` } }),
    201,
    'register',
  );
  return { id: body.user_id, username, email, password, token: body.access_token, user: body.user };
}

// registerUsers creates n accounts, a few at a time (password hashing is slow on purpose).
export async function registerUsers(n, prefix = 'u', parallel = 4) {
  const out = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + parallel); j++) batch.push(registerUser(prefix));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

export async function createRoom(token, { name = unique('room'), description = 'e2e', is_private = false } = {}) {
  return expectStatus(await api('POST', '/api/rooms', { token, json: { name, description, is_private } }), 201, 'create room');
}

export async function joinRoomREST(token, roomId) {
  return expectStatus(await api('POST', `/api/rooms/${roomId}/join`, { token }), 200, 'join room');
}

export async function postMessageREST(token, roomId, content) {
  return expectStatus(await api('POST', `/api/rooms/${roomId}/messages`, { token, json: { content } }), 201, 'post message');
}

// history pages through a room's whole history, oldest first. Without a cursor the
// server answers the newest page, so it walks backwards with before_id.
export async function history(token, roomId) {
  let all = [];
  let cursor = '';
  for (;;) {
    const page = expectStatus(
      await api('GET', `/api/rooms/${roomId}/messages?limit=500${cursor}`, { token }),
      200,
      'history',
    );
    all = page.concat(all);
    if (page.length < 500) return all;
    cursor = `&before_id=${page[0].id}`;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
