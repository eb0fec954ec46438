// Socket.IO 4 (the official socket.io-client): transports, every token source,
// refusals, and the /socket.io namespace alias.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser, createRoom, BASE } from '../lib/api.mjs';
import { badTokens } from '../lib/jwt.mjs';
import { connect, refused, join, ack, closeAll } from '../lib/sio.mjs';

let alice;
let room;
before(async () => {
  alice = await registerUser('conn');
  room = await createRoom(alice.token);
});

async function assertConnected(socket, user) {
  const c = await socket.rec.waitFor('connected');
  assert.equal(typeof c.message, 'string');
  assert.equal(Number(c.user_id), user.id);
  assert.equal(c.username, user.username);
}

// roundTrip proves the connection carries events both ways after it is set up.
async function roundTrip(socket) {
  await join(socket, room.id);
  const content = `round trip ${Math.random()}`;
  const answer = await ack(socket, 'send_message', { room_id: room.id, content });
  assert.equal(answer.status, 'success', JSON.stringify(answer));
  await socket.rec.waitFor('new_message', (m) => m.content === content);
}

test('websocket transport with auth {token}', async () => {
  const s = await connect({ token: alice.token });
  try {
    assert.equal(s.io.engine.transport.name, 'websocket');
    await assertConnected(s, alice);
    await roundTrip(s);
  } finally {
    closeAll(s);
  }
});

test('polling-only transport', async () => {
  const s = await connect({ token: alice.token, transports: ['polling'] });
  try {
    assert.equal(s.io.engine.transport.name, 'polling');
    await assertConnected(s, alice);
    await roundTrip(s);
    assert.equal(s.io.engine.transport.name, 'polling', 'stayed on polling');
  } finally {
    closeAll(s);
  }
});

test('polling upgrades to websocket and keeps working', async () => {
  const s = await connect({ token: alice.token, transports: ['polling', 'websocket'] });
  try {
    await assertConnected(s, alice);
    if (s.io.engine.transport.name !== 'websocket') {
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no upgrade within 5 s')), 5000);
        s.io.engine.once('upgrade', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    assert.equal(s.io.engine.transport.name, 'websocket');
    await roundTrip(s);
  } finally {
    closeAll(s);
  }
});

test('token in the query string', async () => {
  const s = await connect({ query: { token: alice.token } });
  try {
    await assertConnected(s, alice);
  } finally {
    closeAll(s);
  }
});

for (const transports of [['websocket'], ['polling']]) {
  test(`token in the Authorization header (${transports[0]})`, async () => {
    const s = await connect({ extraHeaders: { Authorization: `Bearer ${alice.token}` }, transports });
    try {
      await assertConnected(s, alice);
    } finally {
      closeAll(s);
    }
  });
}

test('a leading "Bearer " in auth.token is stripped', async () => {
  const s = await connect({ auth: { token: `Bearer ${alice.token}` } });
  try {
    await assertConnected(s, alice);
  } finally {
    closeAll(s);
  }
});

test('no token is refused with a connect_error message', async () => {
  const err = await refused({});
  assert.ok(err.message && err.message.length > 0, 'connect_error has a message');
});

for (const transports of [['websocket'], ['polling']]) {
  test(`bad tokens are refused with a connect_error message (${transports[0]})`, async () => {
    for (const [why, token] of Object.entries(badTokens(alice.id))) {
      const err = await refused({ token, transports });
      assert.ok(err.message && err.message.length > 0, `${why}: connect_error has a message`);
      assert.doesNotMatch(err.message, /panic|goroutine|sql/i, `${why}: no internals in the message`);
    }
  });
}

test('bad token in the query and in the header is refused too', async () => {
  const bad = badTokens(alice.id);
  await refused({ query: { token: bad.expired } });
  await refused({ extraHeaders: { Authorization: `Bearer ${bad['alg none']}` } });
});

test('the /socket.io namespace is an alias of /', async () => {
  // io('http://host/socket.io') is read by the client as namespace "/socket.io" on
  // the default path: an old Angular build connects exactly like this.
  const s = await connect({ nsp: '/socket.io', token: alice.token });
  try {
    assert.equal(s.nsp, '/socket.io');
    await assertConnected(s, alice);
    await roundTrip(s);
  } finally {
    closeAll(s);
  }
});

test('the /socket.io alias refuses a bad token', async () => {
  const err = await refused({ nsp: '/socket.io', token: badTokens(alice.id).garbage });
  assert.ok(err.message.length > 0);
});

test('an unknown namespace is refused', async () => {
  const err = await refused({ nsp: '/no-such-namespace', token: alice.token });
  assert.ok(err.message.length > 0);
});

test('raw Engine.IO handshake answers EIO=4 and EIO=3 over polling', async () => {
  for (const eio of [4, 3]) {
    const res = await fetch(`${BASE}/socket.io/?EIO=${eio}&transport=polling&token=${alice.token}`);
    assert.equal(res.status, 200, `EIO=${eio}`);
    const text = await res.text();
    assert.match(text, /"sid"\s*:/, `EIO=${eio} handshake carries a sid: ${text.slice(0, 200)}`);
  }
});
