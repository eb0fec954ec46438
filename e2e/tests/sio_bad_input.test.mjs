// Bad input on "/": an `error` event {message, code} and an error ack; nothing
// else happens and the connection stays usable.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser, createRoom, history, sleep } from '../lib/api.mjs';
import { connect, join, ack, closeAll } from '../lib/sio.mjs';

let alice;
let bob;
let room;
before(async () => {
  [alice, bob] = [await registerUser('bad'), await registerUser('bad')];
  room = await createRoom(alice.token);
});

// refusedWithError checks the ack is an error and an `error` event came with it.
async function refusedWithError(socket, event, payload, why) {
  const before = socket.rec.all('error').length;
  const answer = await ack(socket, event, payload);
  assert.equal(answer && answer.status, 'error', `${why}: ack ${JSON.stringify(answer)}`);
  assert.equal(typeof answer.error, 'string', `${why}: ack.error is a string`);
  assert.ok(answer.error.length > 0, `${why}: ack.error is not empty`);
  const deadline = Date.now() + 2000;
  while (socket.rec.all('error').length <= before && Date.now() < deadline) await sleep(20);
  const errors = socket.rec.all('error');
  assert.ok(errors.length > before, `${why}: an error event arrives`);
  const e = errors[errors.length - 1];
  assert.equal(typeof e.message, 'string', `${why}: error.message`);
  assert.ok('code' in e, `${why}: error.code present: ${JSON.stringify(e)}`);
  assert.doesNotMatch(e.message, /panic|goroutine|SQL|gorm/i, `${why}: no internals leak`);
}

// stillUsable proves the connection works after the bad input.
async function stillUsable(socket) {
  assert.ok(socket.connected, 'still connected');
  await join(socket, room.id);
  const content = `still usable ${Math.random()}`;
  const answer = await ack(socket, 'send_message', { room_id: room.id, content });
  assert.equal(answer.status, 'success', JSON.stringify(answer));
  await socket.rec.waitFor('new_message', (m) => m.content === content);
}

const nonObjects = [
  ['a string', 'hello'],
  ['a number', 42],
  ['null', null],
  ['an array', [1, 2, 3]],
  ['true', true],
];

for (const event of ['join_room', 'send_message', 'leave_room', 'typing']) {
  test(`${event} with a non-object payload`, async () => {
    const s = await connect({ token: alice.token });
    try {
      for (const [why, payload] of nonObjects) await refusedWithError(s, event, payload, `${event} ${why}`);
      await stillUsable(s);
    } finally {
      closeAll(s);
    }
  });
}

test('missing or malformed room_id', async () => {
  const s = await connect({ token: alice.token });
  try {
    await refusedWithError(s, 'join_room', {}, 'join without room_id');
    await refusedWithError(s, 'join_room', { room_id: 'abc' }, 'join with room_id "abc"');
    await refusedWithError(s, 'join_room', { room_id: -1 }, 'join with room_id -1');
    await refusedWithError(s, 'join_room', { room_id: { id: 1 } }, 'join with an object room_id');
    await refusedWithError(s, 'send_message', { content: 'no room' }, 'send without room_id');
    await refusedWithError(s, 'send_message', { room_id: '1.5', content: 'x' }, 'send with room_id "1.5"');
    await stillUsable(s);
  } finally {
    closeAll(s);
  }
});

test('unknown room', async () => {
  const s = await connect({ token: alice.token });
  try {
    await refusedWithError(s, 'join_room', { room_id: 987654321 }, 'join unknown room');
    await refusedWithError(s, 'send_message', { room_id: 987654321, content: 'x' }, 'send to unknown room');
    await s.rec.none('joined_room', () => true, 200);
    await stillUsable(s);
  } finally {
    closeAll(s);
  }
});

test('private room of others: cannot join, cannot post, nothing stored', async () => {
  const secret = await createRoom(bob.token, { is_private: true });
  const s = await connect({ token: alice.token });
  try {
    await refusedWithError(s, 'join_room', { room_id: secret.id }, 'join private room');
    await refusedWithError(s, 'send_message', { room_id: secret.id, content: 'intrusion' }, 'send to private room');
    await refusedWithError(s, 'typing', { room_id: secret.id, typing: true }, 'typing in private room');
    await s.rec.none('joined_room', () => true, 200);
    assert.equal((await history(bob.token, secret.id)).length, 0, 'nothing stored');
    await stillUsable(s);
  } finally {
    closeAll(s);
  }
});

test('empty and too-long content', async () => {
  const s = await connect({ token: alice.token });
  try {
    await refusedWithError(s, 'send_message', { room_id: room.id, content: '   ' }, 'blank content');
    await refusedWithError(s, 'send_message', { room_id: room.id }, 'missing content');
    await refusedWithError(s, 'send_message', { room_id: room.id, content: 'x'.repeat(5001) }, 'content over MAX_MESSAGE_LENGTH');
    await refusedWithError(s, 'send_message', { room_id: room.id, content: 12345 }, 'numeric content');
    await stillUsable(s);
  } finally {
    closeAll(s);
  }
});

test('a payload over the 1 MB limit does not hurt the server or other clients', async () => {
  const other = await connect({ token: bob.token });
  const s = await connect({ token: alice.token });
  try {
    await join(other, room.id);
    s.emit('send_message', { room_id: room.id, content: 'y'.repeat(1_500_000) });
    // The engine may drop the connection (as Socket.IO does past maxHttpBufferSize)
    // or answer with an error; either way nothing is stored or delivered.
    await sleep(1000);
    assert.equal(other.rec.all('new_message', (m) => m.content.startsWith('yyyy')).length, 0, 'not delivered');
    await stillUsable(other);
    const fresh = await connect({ token: alice.token });
    try {
      await stillUsable(fresh);
    } finally {
      closeAll(fresh);
    }
  } finally {
    closeAll(other, s);
  }
});

test('an unknown event is ignored or answered, never fatal', async () => {
  const s = await connect({ token: alice.token });
  try {
    s.emit('no_such_event', { x: 1 });
    await sleep(200);
    await stillUsable(s);
  } finally {
    closeAll(s);
  }
});

test('the per-connection event rate limit answers with an error event and recovers', async () => {
  const s = await connect({ token: alice.token });
  try {
    await join(s, room.id);
    const errorsBefore = s.rec.all('error').length;
    // Default limit: 20 events/s with a burst of 40; 120 at once must trip it.
    for (let i = 0; i < 120; i++) s.emit('typing', { room_id: room.id, typing: i % 2 === 0 });
    const deadline = Date.now() + 3000;
    while (s.rec.all('error').length === errorsBefore && Date.now() < deadline) await sleep(20);
    assert.ok(s.rec.all('error').length > errorsBefore, 'rate-limited events answered with an error event');
    await sleep(2500); // let the bucket refill
    await stillUsable(s);
  } finally {
    closeAll(s);
  }
});
