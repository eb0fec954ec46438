// socket.io-client 2.x (Engine.IO protocol 3): older clients must keep working.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import io2 from 'sio2';
import { BASE, registerUser, createRoom } from '../lib/api.mjs';
import { badTokens } from '../lib/jwt.mjs';
import { Recorder, connect, join as join4, ack as ack4, closeAll, DEFAULT_TIMEOUT } from '../lib/sio.mjs';

const EVENTS = ['connected', 'joined_room', 'user_joined', 'users_online', 'new_message', 'message_sent', 'typing', 'user_left', 'left_room', 'error'];

let alice;
let bob;
let room;
before(async () => {
  [alice, bob] = [await registerUser('v2'), await registerUser('v2')];
  room = await createRoom(alice.token);
});

function open2(query, transports) {
  const s = io2(BASE, { forceNew: true, reconnection: false, transports, query, timeout: DEFAULT_TIMEOUT });
  s.rec = new Recorder();
  for (const e of EVENTS) s.on(e, (d) => s.rec.push(e, d));
  return s;
}

function connect2(token, transports = ['websocket']) {
  const s = open2({ token }, transports);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('2.x client: no connect within the timeout')), DEFAULT_TIMEOUT + 1000);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      s.close();
      reject(new Error(`2.x client refused: ${JSON.stringify(e)}`));
    });
    s.once('connect_error', (e) => {
      clearTimeout(t);
      s.close();
      reject(new Error(`2.x client connect_error: ${e && e.message}`));
    });
  });
}

function ack2(s, event, payload) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ack for ${event}`)), DEFAULT_TIMEOUT);
    s.emit(event, payload, (answer) => {
      clearTimeout(t);
      resolve(answer);
    });
  });
}

for (const transports of [['websocket'], ['polling'], ['polling', 'websocket']]) {
  test(`2.x client (${transports.join('+')}): connects, joins, sends, receives`, async () => {
    const s = await connect2(alice.token, transports);
    try {
      const c = await s.rec.waitFor('connected');
      assert.equal(Number(c.user_id), alice.id);
      const answer = await ack2(s, 'join_room', { room_id: room.id });
      assert.equal(answer.status, 'success', JSON.stringify(answer));
      await s.rec.waitFor('joined_room', (d) => Number(d.room_id) === room.id);
      const content = `from v2 ${transports.join('+')} ${Date.now()}`;
      const sent = await ack2(s, 'send_message', { room_id: room.id, content });
      assert.equal(sent.status, 'success', JSON.stringify(sent));
      const m = await s.rec.waitFor('new_message', (d) => d.content === content);
      assert.equal(m.user_id, alice.id);
      assert.equal(m.type, 'message');
      await s.rec.waitFor('message_sent', (d) => d.message_id === m.id);
    } finally {
      s.close();
    }
  });
}

test('2.x and 4.x clients in one room hear each other', async () => {
  const old = await connect2(bob.token);
  const modern = await connect({ token: alice.token });
  try {
    await ack2(old, 'join_room', { room_id: room.id });
    await old.rec.waitFor('joined_room', (d) => Number(d.room_id) === room.id);
    await join4(modern, room.id);
    await ack4(modern, 'send_message', { room_id: room.id, content: 'v4 to v2' });
    await old.rec.waitFor('new_message', (d) => d.content === 'v4 to v2');
    await ack2(old, 'send_message', { room_id: room.id, content: 'v2 to v4' });
    await modern.rec.waitFor('new_message', (d) => d.content === 'v2 to v4');
    old.emit('typing', { room_id: room.id, typing: true });
    await modern.rec.waitFor('typing', (d) => d.user_id === bob.id);
  } finally {
    old.close();
    closeAll(modern);
  }
});

test('2.x client with a bad token is refused', async () => {
  for (const [why, token] of Object.entries(badTokens(alice.id))) {
    const s = open2({ token }, ['websocket']);
    const outcome = await new Promise((resolve) => {
      const t = setTimeout(() => resolve('timeout'), DEFAULT_TIMEOUT);
      s.once('connected', () => resolve('connected event'));
      s.once('error', (e) => {
        clearTimeout(t);
        resolve({ error: e });
      });
    });
    s.close();
    assert.ok(typeof outcome === 'object' && outcome.error, `${why}: refused with an error packet, got ${JSON.stringify(outcome)}`);
  }
});
