// One room, every door: a message sent through any door is stored once and
// reaches the live listeners of every door exactly once.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import io2 from 'sio2';
import { BASE, registerUser, createRoom, history, postMessageREST, sleep } from '../lib/api.mjs';
import { Recorder, connect, join, ack, closeAll } from '../lib/sio.mjs';
import { connectRaw } from '../lib/raw.mjs';

let users;
let room;
before(async () => {
  users = [];
  for (let i = 0; i < 6; i++) users.push(await registerUser('door'));
  room = await createRoom(users[0].token);
});

// A listener per door, each able to say how often it saw a content.
async function openDoors() {
  const main = await connect({ token: users[0].token });
  await join(main, room.id);
  const alias = await connect({ nsp: '/socket.io', token: users[1].token });
  await join(alias, room.id);
  const ns = await connect({ nsp: `/rooms/${room.id}`, token: users[2].token });
  await ns.rec.waitFor('welcome');
  const raw = await connectRaw(room.id, users[3].token);
  const old = io2(BASE, { forceNew: true, reconnection: false, transports: ['websocket'], query: { token: users[4].token } });
  old.rec = new Recorder();
  old.on('new_message', (d) => old.rec.push('new_message', d));
  await new Promise((resolve, reject) => {
    old.once('connect', resolve);
    old.once('error', (e) => reject(new Error(`2.x client refused: ${JSON.stringify(e)}`)));
  });
  await new Promise((resolve) => old.emit('join_room', { room_id: room.id }, resolve));
  return {
    doors: [
      { name: '/ send_message', rec: main.rec, event: 'new_message' },
      { name: '/socket.io alias', rec: alias.rec, event: 'new_message' },
      { name: '/rooms/<id>', rec: ns.rec, event: 'message' },
      { name: 'raw ws', rec: raw.rec, event: 'message' },
      { name: 'socket.io-client 2.x', rec: old.rec, event: 'new_message' },
    ],
    main,
    alias,
    ns,
    raw,
    old,
    close() {
      closeAll(main, alias, ns);
      raw.close();
      old.close();
    },
  };
}

test('REST, "/", "/rooms/<id>" and raw WS each reach every door exactly once', async () => {
  const d = await openDoors();
  try {
    const stamp = Date.now();
    const sent = {
      rest: `via REST ${stamp}`,
      main: `via / ${stamp}`,
      ns: `via /rooms ${stamp}`,
      raw: `via raw ws ${stamp}`,
      alias: `via /socket.io alias ${stamp}`,
    };
    await postMessageREST(users[5].token, room.id, sent.rest);
    assert.equal((await ack(d.main, 'send_message', { room_id: room.id, content: sent.main })).status, 'success');
    d.ns.emit('message', { content: sent.ns });
    d.raw.sendJSON({ type: 'message', content: sent.raw });
    assert.equal((await ack(d.alias, 'send_message', { room_id: room.id, content: sent.alias })).status, 'success');

    for (const door of d.doors) {
      for (const content of Object.values(sent)) {
        await door.rec.waitFor(door.event, (m) => m.content === content, 5000).catch((err) => {
          throw new Error(`${door.name} never got "${content}": ${err.message}`);
        });
      }
    }
    await sleep(500); // a duplicate would arrive about now
    for (const door of d.doors) {
      for (const content of Object.values(sent)) {
        const n = door.rec.all(door.event, (m) => m.content === content).length;
        assert.equal(n, 1, `${door.name} got "${content}" ${n} times`);
      }
    }
    const stored = await history(users[0].token, room.id);
    for (const content of Object.values(sent)) {
      assert.equal(stored.filter((m) => m.content === content).length, 1, `"${content}" stored once`);
    }
    // Every door names the same message id for the same content.
    for (const content of Object.values(sent)) {
      const ids = new Set(d.doors.map((door) => door.rec.all(door.event, (m) => m.content === content)[0].id));
      assert.equal(ids.size, 1, `one id for "${content}" across doors: ${[...ids]}`);
    }
  } finally {
    d.close();
  }
});

test('typing crosses doors', async () => {
  const d = await openDoors();
  try {
    d.raw.sendJSON({ type: 'typing', typing: true });
    await d.main.rec.waitFor('typing', (t) => t.user_id === users[3].id);
    await d.ns.rec.waitFor('typing', (t) => t.user_id === users[3].id);
    d.main.emit('typing', { room_id: room.id, typing: true });
    await d.raw.rec.waitFor('typing', (t) => t.user_id === users[0].id);
    await d.ns.rec.waitFor('typing', (t) => t.user_id === users[0].id);
  } finally {
    d.close();
  }
});
