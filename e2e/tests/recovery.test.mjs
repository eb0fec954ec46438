// Connection state recovery with the real socket.io-client 4.x: a client whose
// transport drops without a clean disconnect gets what it missed when it comes
// back within the window (socket.recovered, each message once); otherwise it
// catches up with GET /api/rooms/{id}/messages?after_id=<last seen>.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, expectStatus, registerUser, createRoom } from '../lib/api.mjs';
import { open, connect, join, ack, closeAll } from '../lib/sio.mjs';
import { newSite, removeSite, start, stop, call } from '../lib/spawn.mjs';

let alice;
let bob;
before(async () => {
  [alice, bob] = [await registerUser('rec'), await registerUser('rec')];
});

function once(socket, event, timeout = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${timeout} ms`)), timeout);
    socket.once(event, (arg) => {
      clearTimeout(timer);
      resolve(arg);
    });
  });
}

// connected resolves once a socket made by open() has connected.
async function connected(socket) {
  if (!socket.connected) await once(socket, 'connect');
  return socket;
}

// dropTransport closes the Engine.IO connection under the socket without a
// Socket.IO DISCONNECT: to the server it looks like a network drop, and the
// client's manager reconnects on its own.
async function dropTransport(socket) {
  const gone = once(socket, 'disconnect');
  socket.io.engine.close();
  const reason = await gone;
  assert.notEqual(reason, 'io client disconnect', 'the drop must not be a clean disconnect');
  return reason;
}

async function sendThree(sender, roomId, tag) {
  const contents = [1, 2, 3].map((i) => `${tag} missed ${i}`);
  for (const content of contents) {
    const a = await ack(sender, 'send_message', { room_id: roomId, content });
    assert.equal(a.status, 'success', JSON.stringify(a));
  }
  return contents;
}

// afterId fetches the catch-up page a client asks for after a non-recovered reconnect.
async function catchUp(url, token, roomId, lastId) {
  const res = url
    ? await call(url, 'GET', `/api/rooms/${roomId}/messages?after_id=${lastId}`, { token })
    : await api('GET', `/api/rooms/${roomId}/messages?after_id=${lastId}`, { token });
  return expectStatus(res, 200, 'catch-up with after_id');
}

test('a dropped client recovers within the window and gets each missed message once', async () => {
  const room = await createRoom(alice.token);
  // Reconnection on (open() turns it off by default), after a fixed pause long
  // enough for the three messages to be sent while alice is away.
  const a = await connected(open({ token: alice.token, reconnection: true, reconnectionDelay: 1500, reconnectionDelayMax: 1500, randomizationFactor: 0 }));
  const b = await connect({ token: bob.token });
  try {
    await join(a, room.id);
    await join(b, room.id);
    // A broadcast gives alice's client the offset it recovers from.
    const last = await ack(b, 'send_message', { room_id: room.id, content: 'before the drop' });
    await a.rec.waitFor('new_message', (m) => m.content === 'before the drop');
    assert.equal(a.recovered, false, 'a first connection is not a recovery');

    await dropTransport(a);
    const missed = await sendThree(b, room.id, 'recover');
    await once(a, 'connect', 10_000);
    assert.equal(a.recovered, true, 'reconnected within the window: socket.recovered');

    for (const content of missed) await a.rec.waitFor('new_message', (m) => m.content === content);
    await new Promise((r) => setTimeout(r, 500)); // room for duplicates to show up
    for (const content of missed) {
      assert.equal(a.rec.all('new_message', (m) => m.content === content).length, 1, `"${content}" received exactly once`);
    }
    // Missed messages arrive in stored order.
    const order = a.rec.all('new_message', (m) => missed.includes(m.content)).map((m) => m.content);
    assert.deepEqual(order, missed);

    // Recovered means still in the room: live messages keep coming.
    await ack(b, 'send_message', { room_id: room.id, content: 'after recovery' });
    await a.rec.waitFor('new_message', (m) => m.content === 'after recovery');

    // A fresh client (no session to recover) catches up over REST instead.
    const fresh = await connect({ token: alice.token });
    try {
      assert.equal(fresh.recovered, false);
      const page = await catchUp('', alice.token, room.id, last.message_id);
      assert.deepEqual(page.map((m) => m.content), [...missed, 'after recovery']);
    } finally {
      closeAll(fresh);
    }
  } finally {
    closeAll(a, b);
  }
});

test('a session older than the recovery window falls back to after_id', async () => {
  const site = await newSite({ SOCKETIO_RECOVERY_WINDOW: '1s' });
  const server = await start(site);
  const sockets = [];
  try {
    const reg = async (name) => {
      const r = await call(server.url, 'POST', '/api/users/register', {
        json: { username: name, email: `${name}@e2e.test`, password: 'secret-' + name },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { id: r.body.user_id, token: r.body.access_token, username: name };
    };
    const [u1, u2] = [await reg('lateone'), await reg('sender')];
    const room = (await call(server.url, 'POST', '/api/rooms', { token: u1.token, json: { name: 'late', is_private: false } })).body;
    // Back only after 2.5 s: the 1 s window has passed.
    const a = await connected(open({ url: server.url, token: u1.token, reconnection: true, reconnectionDelay: 2500, reconnectionDelayMax: 2500, randomizationFactor: 0 }));
    const b = await connect({ url: server.url, token: u2.token });
    sockets.push(a, b);
    await join(a, room.id);
    await join(b, room.id);
    const last = await ack(b, 'send_message', { room_id: room.id, content: 'seen' });
    await a.rec.waitFor('new_message', (m) => m.content === 'seen');

    await dropTransport(a);
    const missed = await sendThree(b, room.id, 'late');
    await once(a, 'connect', 10_000);
    assert.equal(a.recovered, false, 'the session outlived the window: no recovery');
    assert.equal(a.rec.all('new_message', (m) => missed.includes(m.content)).length, 0, 'nothing replayed without recovery');

    const page = await catchUp(server.url, u1.token, room.id, last.message_id);
    assert.deepEqual(page.map((m) => m.content), missed);
  } finally {
    closeAll(sockets);
    const exit = await stop(server);
    removeSite(site);
    assert.equal(exit.code, 0, `own server exit ${JSON.stringify(exit)}`);
  }
});
