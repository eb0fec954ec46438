// Raw WebSocket door /api/ws/{room_id}?token=JWT, driven by the `ws` package.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser, createRoom, history, api } from '../lib/api.mjs';
import { badTokens } from '../lib/jwt.mjs';
import { openRaw, connectRaw, closedWithin } from '../lib/raw.mjs';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
let alice;
let bob;
let room;
before(async () => {
  [alice, bob] = [await registerUser('raw'), await registerUser('raw')];
  room = await createRoom(alice.token);
});

test('on open: welcome, then users_online', async () => {
  const ws = await connectRaw(room.id, alice.token);
  try {
    await ws.rec.waitFor('users_online');
    assert.deepEqual(ws.frames.slice(0, 2).map((f) => f.type), ['welcome', 'users_online']);
    const [w, online] = ws.frames;
    assert.equal(Number(w.room_id), room.id);
    assert.equal(Number(w.user_id), alice.id);
    assert.equal(typeof w.message, 'string');
    assert.match(w.timestamp, RFC3339_UTC);
    assert.ok(Array.isArray(online.users));
    assert.ok(online.users.some((u) => u.id === alice.id), JSON.stringify(online));
    assert.equal(online.count, online.users.length);
    assert.match(online.timestamp, RFC3339_UTC);
  } finally {
    ws.close();
  }
});

test('message: stored once and delivered to every raw client of the room', async () => {
  const a = await connectRaw(room.id, alice.token);
  const b = await connectRaw(room.id, bob.token);
  try {
    const content = `raw hello ${Date.now()}`;
    a.sendJSON({ type: 'message', content });
    for (const ws of [a, b]) {
      const m = await ws.rec.waitFor('message', (d) => d.content === content);
      assert.equal(typeof m.id, 'number');
      assert.equal(m.room_id, room.id);
      assert.equal(m.sender.id, alice.id);
      assert.equal(m.sender.username, alice.username);
      assert.ok('file_id' in m);
      assert.match(m.timestamp, RFC3339_UTC);
    }
    const id = a.rec.all('message', (d) => d.content === content)[0].id;
    assert.equal((await history(alice.token, room.id)).filter((m) => m.id === id).length, 1);
  } finally {
    a.close();
    b.close();
  }
});

test('typing to the others, ping → pong, presence frames', async () => {
  const a = await connectRaw(room.id, alice.token);
  try {
    const b = await connectRaw(room.id, bob.token);
    const joined = await a.rec.waitFor('user_joined', (d) => d.user_id === bob.id);
    assert.ok(joined.timestamp);
    b.sendJSON({ type: 'typing', typing: true });
    const t = await a.rec.waitFor('typing', (d) => d.user_id === bob.id);
    assert.equal(t.typing, true);
    assert.equal(t.username, bob.username);
    assert.match(t.timestamp, RFC3339_UTC);
    await b.rec.none('typing', () => true, 300);

    b.sendJSON({ type: 'ping' });
    const pong = await b.rec.waitFor('pong');
    assert.equal(Number(pong.user_id), bob.id);
    assert.match(pong.timestamp, RFC3339_UTC);

    b.close();
    await a.rec.waitFor('user_left', (d) => d.user_id === bob.id);
  } finally {
    a.close();
  }
});

test('invalid JSON and unknown types get an error frame; the connection stays open', async () => {
  const ws = await connectRaw(room.id, alice.token);
  try {
    ws.sendJSON('{this is not json');
    const e1 = await ws.rec.waitFor('error');
    assert.equal(typeof e1.message, 'string');
    ws.sendJSON({ type: 'no_such_type' });
    ws.sendJSON(['an', 'array']);
    ws.sendJSON({ type: 'message', content: '' });
    ws.sendJSON({ type: 'message', content: 'x'.repeat(5001) });
    const deadline = Date.now() + 3000;
    while (ws.rec.all('error').length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(ws.rec.all('error').length, 5, `one error frame per bad frame: ${JSON.stringify(ws.rec.all('error'))}`);
    assert.equal(ws.readyState, ws.OPEN, 'still open');
    ws.sendJSON({ type: 'ping' });
    await ws.rec.waitFor('pong');
    assert.equal(ws.rec.all('message').length, 0, 'nothing was posted');
  } finally {
    ws.close();
  }
});

test('bad token, missing token, missing room, private room of others: close 1008 with a reason', async () => {
  const secret = await createRoom(bob.token, { is_private: true });
  const cases = Object.entries(badTokens(alice.id)).map(([why, token]) => [why, room.id, token]);
  cases.push(['no token', room.id, undefined]);
  cases.push(['missing room', 987654321, alice.token]);
  cases.push(['private room of others', secret.id, alice.token]);
  cases.push(['non-numeric room id', 'abc', alice.token]);
  for (const [why, roomId, token] of cases) {
    const ws = openRaw(roomId, token);
    ws.on('error', () => {});
    const closed = await closedWithin(ws);
    assert.equal(closed.code, 1008, `${why}: close code`);
    assert.ok(closed.reason.length > 0, `${why}: close reason given`);
    assert.equal(ws.rec.all('welcome').length, 0, `${why}: no welcome`);
  }
});

test('GET /api/ws/rooms/{id}/online lists the raw client', async () => {
  const ws = await connectRaw(room.id, bob.token);
  try {
    const res = await api('GET', `/api/ws/rooms/${room.id}/online`, { token: alice.token });
    assert.equal(res.status, 200);
    assert.equal(Number(res.body.room_id), room.id);
    assert.ok(res.body.online_users.some((u) => u.id === bob.id), JSON.stringify(res.body));
    assert.equal(res.body.count, res.body.online_users.length);
  } finally {
    ws.close();
  }
});
