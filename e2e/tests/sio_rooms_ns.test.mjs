// Per-room namespaces /rooms/<id>: the same room, seen the FastAPI way.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser, createRoom, history } from '../lib/api.mjs';
import { badTokens } from '../lib/jwt.mjs';
import { connect, refused, closeAll } from '../lib/sio.mjs';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
let alice;
let bob;
let room;
before(async () => {
  [alice, bob] = [await registerUser('nsp'), await registerUser('nsp')];
  room = await createRoom(alice.token);
});

test('connecting joins the room: welcome and users_online', async () => {
  const a = await connect({ nsp: `/rooms/${room.id}`, token: alice.token });
  try {
    const w = await a.rec.waitFor('welcome');
    assert.equal(Number(w.room_id), room.id);
    assert.equal(Number(w.user_id), alice.id);
    assert.equal(typeof w.message, 'string');
    assert.match(w.timestamp, RFC3339_UTC);
    const online = await a.rec.waitFor('users_online');
    assert.ok(online.users.some((u) => u.id === alice.id), JSON.stringify(online));
    assert.equal(online.count, online.users.length);
  } finally {
    closeAll(a);
  }
});

test('message: stored and delivered to the room as {type:"message", ...}', async () => {
  const a = await connect({ nsp: `/rooms/${room.id}`, token: alice.token });
  const b = await connect({ nsp: `/rooms/${room.id}`, token: bob.token, transports: ['polling'] });
  try {
    await a.rec.waitFor('welcome');
    await b.rec.waitFor('welcome');
    const content = `ns hello ${Date.now()}`;
    a.emit('message', { content });
    const m = await b.rec.waitFor('message', (d) => d.content === content);
    assert.equal(m.type, 'message');
    assert.equal(typeof m.id, 'number');
    assert.equal(m.room_id, room.id);
    assert.equal(m.sender.id, alice.id);
    assert.equal(m.sender.username, alice.username);
    assert.ok('file_id' in m, 'file_id present');
    assert.match(m.timestamp, RFC3339_UTC);
    const stored = await history(alice.token, room.id);
    assert.equal(stored.filter((x) => x.id === m.id).length, 1, 'stored once');
  } finally {
    closeAll(a, b);
  }
});

test('typing reaches the others; user_joined and user_left announce presence', async () => {
  const a = await connect({ nsp: `/rooms/${room.id}`, token: alice.token });
  try {
    await a.rec.waitFor('welcome');
    const b = await connect({ nsp: `/rooms/${room.id}`, token: bob.token });
    await b.rec.waitFor('welcome');
    const joined = await a.rec.waitFor('user_joined', (d) => d.user_id === bob.id);
    assert.ok(joined.timestamp, 'user_joined has a timestamp');
    b.emit('typing', { typing: true });
    const t = await a.rec.waitFor('typing', (d) => d.user_id === bob.id);
    assert.equal(t.typing, true);
    await b.rec.none('typing', () => true, 300);
    b.close();
    await a.rec.waitFor('user_left', (d) => d.user_id === bob.id);
  } finally {
    closeAll(a);
  }
});

test('refused: missing room, unreadable private room, bad token, non-numeric id', async () => {
  const secret = await createRoom(bob.token, { is_private: true });
  const cases = [
    ['missing room', { nsp: '/rooms/987654321', token: alice.token }],
    ['private room of others', { nsp: `/rooms/${secret.id}`, token: alice.token }],
    ['bad token', { nsp: `/rooms/${room.id}`, token: badTokens(alice.id).expired }],
    ['no token', { nsp: `/rooms/${room.id}` }],
    ['non-numeric id', { nsp: '/rooms/abc', token: alice.token }],
  ];
  for (const [why, opts] of cases) {
    const err = await refused(opts);
    assert.ok(err.message && err.message.length > 0, `${why}: connect_error has a message`);
  }
});

test('bad message input gets an error and the connection stays usable', async () => {
  const a = await connect({ nsp: `/rooms/${room.id}`, token: alice.token });
  try {
    await a.rec.waitFor('welcome');
    for (const bad of ['not an object', 7, null, { content: '' }, { content: 'x'.repeat(5001) }]) {
      a.emit('message', bad);
    }
    await a.rec.waitFor('error');
    assert.ok(a.connected, 'still connected');
    const content = `ns after bad input ${Date.now()}`;
    a.emit('message', { content });
    await a.rec.waitFor('message', (d) => d.content === content);
  } finally {
    closeAll(a);
  }
});
