// A deploy restarts the server: SIGTERM, then a new process on the same port
// and data. socket.io-client (default transports: polling, then the upgrade
// to websocket) must reconnect to the new process on its own and go on
// chatting. It would not after a Socket.IO DISCONNECT ("io server disconnect").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, join, ack, closeAll } from '../lib/sio.mjs';
import { newSite, removeSite, start, stop, call } from '../lib/spawn.mjs';

function once(socket, event, timeout) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${timeout} ms`)), timeout);
    socket.once(event, (arg) => {
      clearTimeout(timer);
      resolve(arg);
    });
  });
}

async function until(what, cond, timeout = 5000) {
  const deadline = Date.now() + timeout;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('Socket.IO clients reconnect after the server restarts', async () => {
  const site = await newSite();
  let server = await start(site);
  let socket;
  try {
    const r = await call(server.url, 'POST', '/api/users/register', {
      json: { username: 'restarter', email: 'restarter@e2e.test', password: 'secret-restart' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const token = r.body.access_token;
    const room = (await call(server.url, 'POST', '/api/rooms', { token, json: { name: 'restart', is_private: false } })).body;

    socket = open({
      url: server.url, token, transports: ['polling', 'websocket'],
      reconnection: true, reconnectionDelay: 200, reconnectionDelayMax: 1000,
    });
    await once(socket, 'connect', 5000);
    await until('the upgrade to websocket', () => socket.io.engine?.transport?.name === 'websocket');
    await join(socket, room.id);

    const disconnected = once(socket, 'disconnect', 10_000);
    const exit = await stop(server);
    assert.equal(exit.code, 0, `old server exit ${JSON.stringify(exit)}`);
    const reason = await disconnected;
    assert.notEqual(reason, 'io server disconnect', 'a Socket.IO DISCONNECT would stop the client from reconnecting');

    server = await start(site);
    await once(socket, 'connect', 15_000);
    assert.equal(socket.recovered, false, 'a new process has no session to recover');
    // The token signed before the restart still works; the room is still there.
    await join(socket, room.id);
    const sent = await ack(socket, 'send_message', { room_id: room.id, content: 'after the restart' });
    assert.equal(sent.status, 'success', JSON.stringify(sent));
    await socket.rec.waitFor('new_message', (m) => m.content === 'after the restart');
  } finally {
    closeAll(socket);
    const exit = await stop(server);
    removeSite(site);
    assert.equal(exit.code, 0, `server exit ${JSON.stringify(exit)}`);
  }
});
