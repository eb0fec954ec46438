// Main namespace "/": the Flask-SocketIO generation's events and payloads.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser, createRoom, history } from '../lib/api.mjs';
import { connect, join, ack, closeAll } from '../lib/sio.mjs';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
let alice;
let bob;
before(async () => {
  [alice, bob] = [await registerUser('main'), await registerUser('main')];
});

const forRoom = (roomId) => (d) => Number(d.room_id) === Number(roomId);

export function assertMessage(m, { content, user, roomId }) {
  for (const k of ['id', 'content', 'user_id', 'username', 'room_id', 'created_at', 'file_url', 'file_id', 'sender']) {
    assert.ok(k in m, `message has ${k}: ${JSON.stringify(m)}`);
  }
  assert.equal(typeof m.id, 'number');
  assert.equal(m.content, content);
  assert.equal(m.user_id, user.id);
  assert.equal(m.username, user.username);
  assert.equal(m.room_id, roomId);
  assert.match(m.created_at, RFC3339_UTC);
  assert.ok(!Number.isNaN(new Date(m.created_at).getTime()));
  assert.equal(m.file_url, null);
  assert.equal(m.file_id, null);
  assert.deepEqual({ id: m.sender.id, username: m.sender.username }, { id: user.id, username: user.username });
  assert.ok('full_name' in m.sender, 'sender.full_name present');
}

test('connected carries the user', async () => {
  const s = await connect({ token: alice.token });
  try {
    const c = await s.rec.waitFor('connected');
    assert.deepEqual({ user_id: Number(c.user_id), username: c.username }, { user_id: alice.id, username: alice.username });
    assert.equal(typeof c.message, 'string');
  } finally {
    closeAll(s);
  }
});

test('join_room with an int: joined_room to the room, user_joined to others, users_online to the joiner', async () => {
  const room = await createRoom(alice.token);
  const a = await connect({ token: alice.token });
  const b = await connect({ token: bob.token });
  try {
    const answer = await ack(a, 'join_room', { room_id: room.id });
    assert.equal(answer.status, 'success', JSON.stringify(answer));
    const joined = await a.rec.waitFor('joined_room', forRoom(room.id));
    assert.equal(joined.username, alice.username);
    assert.equal(typeof joined.message, 'string');
    const online = await a.rec.waitFor('users_online', forRoom(room.id));
    assert.equal(online.count, 1);
    assert.deepEqual(online.users.map((u) => u.id), [alice.id]);
    assert.equal(online.users[0].username, alice.username);

    await ack(b, 'join_room', { room_id: room.id });
    const seen = await a.rec.waitFor('user_joined', (d) => d.user_id === bob.id);
    assert.equal(seen.username, bob.username);
    assert.equal(Number(seen.room_id), room.id);
    assert.match(seen.timestamp, RFC3339_UTC);
    await a.rec.waitFor('joined_room', (d) => forRoom(room.id)(d) && d.username === bob.username);
    await b.rec.waitFor('joined_room', (d) => forRoom(room.id)(d) && d.username === bob.username);
    const bobOnline = await b.rec.waitFor('users_online', forRoom(room.id));
    assert.equal(bobOnline.count, 2);
    assert.deepEqual(bobOnline.users.map((u) => u.id).sort(), [alice.id, bob.id].sort());
    await b.rec.none('user_joined', (d) => d.user_id === bob.id, 300);
  } finally {
    closeAll(a, b);
  }
});

test('join_room with a numeric string room_id', async () => {
  const room = await createRoom(alice.token);
  const a = await connect({ token: alice.token });
  try {
    const answer = await ack(a, 'join_room', { room_id: String(room.id) });
    assert.equal(answer.status, 'success', JSON.stringify(answer));
    await a.rec.waitFor('joined_room', forRoom(room.id));
    const content = 'sent with a string room id';
    const sent = await ack(a, 'send_message', { room_id: String(room.id), content });
    assert.equal(sent.status, 'success', JSON.stringify(sent));
    const m = await a.rec.waitFor('new_message', (d) => d.content === content);
    assert.equal(m.room_id, room.id, 'room_id is an integer in the message');
  } finally {
    closeAll(a);
  }
});

test('send_message: stored, new_message to the room, message_sent and a success ack to the sender', async () => {
  const room = await createRoom(alice.token);
  const a = await connect({ token: alice.token });
  const b = await connect({ token: bob.token });
  try {
    await join(a, room.id);
    await join(b, room.id);
    const content = `  hello from alice ${Date.now()}  `;
    const answer = await ack(a, 'send_message', { room_id: room.id, content });
    assert.equal(answer.status, 'success', JSON.stringify(answer));

    for (const s of [a, b]) {
      const m = await s.rec.waitFor('new_message', (d) => d.room_id === room.id);
      assertMessage(m, { content: content.trim(), user: alice, roomId: room.id });
      assert.equal(m.type, 'message');
      assert.equal(m.timestamp, m.created_at);
    }
    const sent = await a.rec.waitFor('message_sent');
    assert.equal(sent.status, 'success');
    const m = a.rec.all('new_message')[0];
    assert.equal(sent.message_id, m.id);
    assert.match(sent.timestamp, RFC3339_UTC);
    await b.rec.none('message_sent', () => true, 200);

    const stored = await history(alice.token, room.id);
    assert.deepEqual(stored.map((x) => x.id), [m.id], 'stored exactly once');
    assert.equal(stored[0].content, content.trim());
  } finally {
    closeAll(a, b);
  }
});

test('send_message without joining still stores and answers the sender', async () => {
  const room = await createRoom(alice.token);
  const a = await connect({ token: alice.token });
  try {
    const answer = await ack(a, 'send_message', { room_id: room.id, content: 'not joined' });
    assert.equal(answer.status, 'success', JSON.stringify(answer));
    await a.rec.waitFor('message_sent');
    assert.equal((await history(alice.token, room.id)).length, 1);
  } finally {
    closeAll(a);
  }
});

test('typing goes to the others in the room, not to the sender', async () => {
  const room = await createRoom(alice.token);
  const a = await connect({ token: alice.token });
  const b = await connect({ token: bob.token });
  try {
    await join(a, room.id);
    await join(b, room.id);
    a.emit('typing', { room_id: room.id, typing: true });
    const t = await b.rec.waitFor('typing', forRoom(room.id));
    assert.equal(t.user_id, alice.id);
    assert.equal(t.username, alice.username);
    assert.equal(t.typing, true);
    assert.match(t.timestamp, RFC3339_UTC);
    a.emit('typing', { room_id: room.id, typing: false });
    await b.rec.waitFor('typing', (d) => d.typing === false);
    await a.rec.none('typing', () => true, 300);
  } finally {
    closeAll(a, b);
  }
});

test('leave_room: left_room and user_left, and no more messages from the room', async () => {
  const room = await createRoom(alice.token);
  const a = await connect({ token: alice.token });
  const b = await connect({ token: bob.token });
  try {
    await join(a, room.id);
    await join(b, room.id);
    const answer = await ack(b, 'leave_room', { room_id: room.id });
    assert.equal(answer.status, 'success', JSON.stringify(answer));
    const left = await a.rec.waitFor('user_left', (d) => d.user_id === bob.id);
    assert.equal(left.username, bob.username);
    assert.equal(Number(left.room_id), room.id);
    assert.match(left.timestamp, RFC3339_UTC);
    const lr = await a.rec.waitFor('left_room', forRoom(room.id));
    assert.equal(lr.username, bob.username);

    await ack(a, 'send_message', { room_id: room.id, content: 'after bob left' });
    await a.rec.waitFor('new_message', (d) => d.content === 'after bob left');
    await b.rec.none('new_message', (d) => d.content === 'after bob left', 400);
  } finally {
    closeAll(a, b);
  }
});

test('disconnect sends user_left only when it was the user last connection', async () => {
  const room = await createRoom(alice.token);
  const watcher = await connect({ token: alice.token });
  const tab1 = await connect({ token: bob.token });
  const tab2 = await connect({ token: bob.token });
  try {
    await join(watcher, room.id);
    await join(tab1, room.id);
    await join(tab2, room.id);
    const joinsOfBob = watcher.rec.all('user_joined', (d) => d.user_id === bob.id);
    assert.equal(joinsOfBob.length, 1, 'a second tab does not announce the user again');

    tab1.close();
    await watcher.rec.none('user_left', (d) => d.user_id === bob.id, 700);

    tab2.close();
    const left = await watcher.rec.waitFor('user_left', (d) => d.user_id === bob.id);
    assert.equal(Number(left.room_id), room.id);
  } finally {
    closeAll(watcher, tab1, tab2);
  }
});

test('every client event with an ack callback gets one', async () => {
  const room = await createRoom(alice.token);
  const a = await connect({ token: alice.token });
  try {
    for (const [event, payload] of [
      ['join_room', { room_id: room.id }],
      ['typing', { room_id: room.id, typing: true }],
      ['send_message', { room_id: room.id, content: 'acked' }],
      ['leave_room', { room_id: room.id }],
    ]) {
      const answer = await ack(a, event, payload);
      assert.equal(answer.status, 'success', `${event}: ${JSON.stringify(answer)}`);
    }
  } finally {
    closeAll(a);
  }
});
