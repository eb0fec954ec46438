// Access holds on live delivery too (issue 20): when a user loses access to a
// room, every door stops delivering it to them at once and tells them in its
// own terms; recovery gives nothing to the wrong user; a conversation stays
// one. Real clients: socket.io-client 4.x and 2.x, ws on the raw door.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, expectStatus, registerUser, createRoom, joinRoomREST, postMessageREST, sleep } from '../lib/api.mjs';
import { open, connect, join, ack, closeAll, DEFAULT_TIMEOUT } from '../lib/sio.mjs';
import { connect2 } from '../lib/sio2.mjs';
import { connectRaw, closedWithin } from '../lib/raw.mjs';

let ann;
let ben;
let eve;
before(async () => {
  [ann, ben, eve] = [await registerUser('acc'), await registerUser('acc'), await registerUser('acc')];
});

// The events the 2.x connections record.
const V2_EVENTS = ['joined_room', 'left_room', 'new_message', 'typing', 'user_joined', 'error'];

function join2(s, roomId) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('2.x: no join ack')), DEFAULT_TIMEOUT);
    s.emit('join_room', { room_id: roomId }, (a) => {
      clearTimeout(t);
      if (!a || a.status !== 'success') reject(new Error(JSON.stringify(a)));
      else resolve(a);
    });
  });
}

// openAll opens user's connections to room on every door.
async function openAll(user, roomId) {
  const main = await connect({ token: user.token });
  await join(main, roomId);
  const v2 = await connect2(user.token, V2_EVENTS);
  await join2(v2, roomId);
  const ns = await connect({ nsp: `/rooms/${roomId}`, token: user.token });
  await ns.rec.waitFor('welcome');
  ns.disconnectReason = new Promise((resolve) => ns.once('disconnect', resolve));
  const raw = await connectRaw(roomId, user.token);
  return { main, v2, ns, raw, all: [main, v2, ns, raw] };
}

async function expectCut(d, roomId, reason) {
  for (const s of [d.main, d.v2]) {
    const notice = await s.rec.waitFor('left_room', (m) => Number(m.room_id) === roomId);
    assert.equal(notice.reason, reason, JSON.stringify(notice));
  }
  const err = await d.ns.rec.waitFor('error');
  assert.equal(err.code, 'access_revoked');
  assert.equal(err.reason, reason);
  assert.equal(await d.ns.disconnectReason, 'io server disconnect');
  const closed = await closedWithin(d.raw);
  assert.equal(closed.code, 1008);
  const frame = d.raw.rec.all('error')[0];
  assert.ok(frame, 'raw: an error frame before the close');
  assert.equal(frame.code, 'access_revoked');
  assert.equal(frame.reason, reason);
}

async function expectNothing(d, content) {
  for (const s of [d.main, d.v2]) {
    await s.rec.none('new_message', (m) => m.content === content, 200);
    await s.rec.none('typing', () => true, 0);
  }
  await d.ns.rec.none('message', (m) => m.content === content, 0);
  await d.raw.rec.none('message', (m) => m.content === content, 0);
}

test('leaving a conversation ends its live delivery on every door at once', async () => {
  const conv = expectStatus(await api('POST', '/api/conversations', { token: ann.token, json: { recipient_id: ben.id } }), 201, 'conversation');
  const roomId = conv.room_id;
  const annMain = await connect({ token: ann.token });
  const bens = await openAll(ben, roomId);
  try {
    await join(annMain, roomId);
    await postMessageREST(ann.token, roomId, 'before leaving');
    await bens.main.rec.waitFor('new_message', (m) => m.content === 'before leaving');

    expectStatus(await api('POST', `/api/rooms/${roomId}/leave`, { token: ben.token }), 200, 'leave');
    await expectCut(bens, roomId, 'left');
    await annMain.rec.waitFor('user_left', (m) => m.user_id === ben.id);
    expectStatus(await api('GET', `/api/rooms/${roomId}/messages`, { token: ben.token }), 403, 'history after leaving');

    await postMessageREST(ann.token, roomId, 'after leaving');
    annMain.emit('typing', { room_id: roomId, typing: true });
    await annMain.rec.waitFor('new_message', (m) => m.content === 'after leaving');
    await expectNothing(bens, 'after leaving');
  } finally {
    closeAll(annMain, bens.all);
  }
});

test('a room made private cuts its joined non-members on every door', async () => {
  const room = await createRoom(ann.token);
  await joinRoomREST(ben.token, room.id);
  const eves = await openAll(eve, room.id);
  const member = await connect({ token: ben.token });
  const owner = await connect({ token: ann.token });
  try {
    await join(member, room.id);
    await join(owner, room.id);
    expectStatus(await api('PUT', `/api/rooms/${room.id}`, { token: ann.token, json: { is_private: true } }), 200, 'make private');
    await expectCut(eves, room.id, 'room_private');

    await postMessageREST(ann.token, room.id, 'members only');
    owner.emit('typing', { room_id: room.id, typing: true });
    await member.rec.waitFor('new_message', (m) => m.content === 'members only');
    await member.rec.waitFor('typing', (m) => m.user_id === ann.id);
    await expectNothing(eves, 'members only');
  } finally {
    closeAll(eves.all, member, owner);
  }
});

test('a recovered session authenticated as another user gets nothing of the first', async () => {
  const benRoom = await createRoom(ben.token, { is_private: true });
  const b = open({ token: ben.token, reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 1000, randomizationFactor: 0 });
  try {
    await new Promise((r) => b.once('connect', r));
    await join(b, benRoom.id);
    await postMessageREST(ben.token, benRoom.id, 'seen');
    await b.rec.waitFor('new_message', (m) => m.content === 'seen');

    // The same client object now carries eve's token: on reconnect it sends
    // eve's token with ben's pid and offset.
    b.auth = { token: eve.token };
    const gone = new Promise((r) => b.once('disconnect', r));
    b.io.engine.close();
    await gone;
    await postMessageREST(ben.token, benRoom.id, 'missed by ben');
    await new Promise((r) => b.once('connect', r));
    await b.rec.waitFor('connected', (m) => m.user_id === eve.id);
    assert.equal(b.recovered, true, 'the session was restored: the test proves something');
    await postMessageREST(ben.token, benRoom.id, 'after the switch');
    await sleep(300);
    assert.deepEqual(b.rec.all('new_message', (m) => m.content !== 'seen'), [], 'nothing of ben reaches eve');
  } finally {
    closeAll(b);
  }
});

test('a conversation stays private and closed to third users', async () => {
  const conv = expectStatus(await api('POST', '/api/conversations', { token: ann.token, json: { recipient_id: eve.id } }), 201, 'conversation');
  await postMessageREST(ann.token, conv.room_id, 'between us');
  const res = await api('PUT', `/api/rooms/${conv.room_id}`, { token: ann.token, json: { is_private: false } });
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.ok(res.body.error && res.body.detail, 'contract error shape');
  expectStatus(await api('POST', `/api/rooms/${conv.room_id}/join`, { token: ben.token }), 403, 'third user joins');
  expectStatus(await api('GET', `/api/rooms/${conv.room_id}/messages`, { token: ben.token }), 403, 'third user reads');
  const room = expectStatus(await api('GET', `/api/rooms/${conv.room_id}`, { token: ann.token }), 200, 'room');
  assert.equal(room.is_private, true);
  assert.equal(room.member_count, 2);
});
