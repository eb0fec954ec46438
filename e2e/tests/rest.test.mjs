// REST smoke: the calls every client generation makes first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, registerUser, unique, BASE } from '../lib/api.mjs';
import { badTokens } from '../lib/jwt.mjs';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function assertErrorBody(body) {
  assert.equal(typeof body.error, 'string', 'error is a string');
  assert.ok(body.error.length > 0, 'error is not empty');
  assert.equal(body.detail, body.error, 'detail repeats error');
}

test('GET /health is healthy with the database connected', async () => {
  const res = await api('GET', '/health');
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'healthy');
  assert.equal(res.body.database, 'connected');
});

test('GET /api/status says running with websocket enabled', async () => {
  const res = await api('GET', '/api/status');
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'running');
  assert.equal(res.body.websocket_enabled, true);
  assert.ok(res.body.version, 'version present');
});

test('register → login (email and username) → me', async () => {
  const username = unique('rest');
  const email = `${username}@e2e.test`;
  const reg = await api('POST', '/api/users/register', { json: { username, email, password: 'secret123', full_name: 'Rest User' } });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  assert.equal(reg.body.token_type, 'bearer');
  assert.equal(typeof reg.body.access_token, 'string');
  assert.equal(reg.body.user.username, username);
  assert.equal(reg.body.user.email, email);
  assert.equal(reg.body.user_id, reg.body.user.id);
  assert.match(reg.body.user.created_at, RFC3339_UTC);
  assert.equal(reg.body.user.password_hash, undefined, 'no hash leaks');

  for (const creds of [{ email, password: 'secret123' }, { username, password: 'secret123' }]) {
    const login = await api('POST', '/api/users/login', { json: creds });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.token_type, 'bearer');
    assert.equal(login.body.user_id, reg.body.user_id);
    const me = await api('GET', '/api/users/me', { token: login.body.access_token });
    assert.equal(me.status, 200);
    assert.deepEqual(
      { id: me.body.id, username: me.body.username, email: me.body.email, full_name: me.body.full_name },
      { id: reg.body.user_id, username, email, full_name: 'Rest User' },
    );
  }
});

test('aliases /api/register and /api/login answer like the long routes', async () => {
  const username = unique('alias');
  const reg = await api('POST', '/api/register', { json: { username, email: `${username}@e2e.test`, password: 'secret123' } });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const login = await api('POST', '/api/login', { json: { username, password: 'secret123' } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.equal(login.body.user_id, reg.body.user_id);
});

test('old-style form login (application/x-www-form-urlencoded)', async () => {
  const u = await registerUser('form');
  const byName = await api('POST', '/api/users/login', { form: { username: u.username, password: u.password } });
  assert.equal(byName.status, 200, JSON.stringify(byName.body));
  assert.equal(byName.body.user_id, u.id);
  const byEmail = await api('POST', '/api/login', { form: { email: u.email, password: u.password } });
  assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
});

test('POST with a trailing slash is answered, not redirected', async () => {
  const u = await registerUser('slash');
  const login = await api('POST', '/api/users/login/', { json: { username: u.username, password: u.password } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const room = await api('POST', '/api/rooms/', { token: u.token, json: { name: unique('slashroom') } });
  assert.equal(room.status, 201, JSON.stringify(room.body));
  const me = await api('GET', '/api/users/me/', { token: u.token });
  assert.equal(me.status, 200);
});

test('CORS preflight answers 204 with the allow headers', async () => {
  const res = await fetch(BASE + '/api/users/login', {
    method: 'OPTIONS',
    headers: {
      Origin: 'http://localhost:4200',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type',
    },
  });
  assert.equal(res.status, 204);
  const origin = res.headers.get('access-control-allow-origin');
  assert.ok(origin === '*' || origin === 'http://localhost:4200', `allow-origin: ${origin}`);
  assert.match(res.headers.get('access-control-allow-methods') || '', /POST/i);
  assert.match(res.headers.get('access-control-allow-headers') || '', /authorization/i);
});

test('bad credentials are 401 with error and detail', async () => {
  const u = await registerUser('badpw');
  const res = await api('POST', '/api/users/login', { json: { username: u.username, password: 'wrong-password' } });
  assert.equal(res.status, 401);
  assertErrorBody(res.body);
});

test('duplicate username is 409', async () => {
  const u = await registerUser('dup');
  const res = await api('POST', '/api/users/register', { json: { username: u.username, email: `other-${u.email}`, password: 'secret123' } });
  assert.equal(res.status, 409);
  assertErrorBody(res.body);
});

test('missing fields on register are 400', async () => {
  const res = await api('POST', '/api/users/register', { json: { username: unique('nofields') } });
  assert.equal(res.status, 400);
  assertErrorBody(res.body);
});

test('a protected route refuses a missing token and every bad token with 401', async () => {
  const u = await registerUser('tok');
  const none = await api('GET', '/api/users/me');
  assert.equal(none.status, 401);
  assertErrorBody(none.body);
  for (const [why, token] of Object.entries(badTokens(u.id))) {
    const res = await api('GET', '/api/users/me', { token });
    assert.equal(res.status, 401, `${why}: ${JSON.stringify(res.body)}`);
  }
});
