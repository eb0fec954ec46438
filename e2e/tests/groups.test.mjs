// Issue 23.1-23.3 with the real clients: socket.io-client 4.x on "/" and
// "/rooms/<id>", socket.io-client 2.x (an old client that must not notice),
// ws on the raw door. Edits and deletions reach every door once, refusals
// answer without breaking the connection, a removal cuts live delivery at
// once, replies show reply_to, and a recovering client never gets a deleted
// message's text.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, expectStatus, registerUser, createRoom, postMessageREST, sleep } from '../lib/api.mjs';
import { open, connect, join, ack, closeAll } from '../lib/sio.mjs';
import { connect2, ack2 } from '../lib/sio2.mjs';
import { connectRaw, closedWithin } from '../lib/raw.mjs';

let owner;
let ben;
let cat;
before(async () => {
  [owner, ben, cat] = [await registerUser('grp'), await registerUser('grp'), await registerUser('grp')];
});

// The events the 2.x connections record.
const V2_EVENTS = ['joined_room', 'left_room', 'new_message', 'message_edited', 'message_deleted', 'member_removed', 'error'];

// openAll opens user's connections to room on every door.
async function openAll(user, roomId) {
  const main = await connect({ token: user.token });
  await join(main, roomId);
  const v2 = await connect2(user.token, V2_EVENTS);
  const joined = await ack2(v2, 'join_room', { room_id: roomId });
  assert.equal(joined.status, 'success', JSON.stringify(joined));
  const ns = await connect({ nsp: `/rooms/${roomId}`, token: user.token });
  await ns.rec.waitFor('welcome');
  ns.disconnectReason = new Promise((resolve) => ns.once('disconnect', resolve));
  const raw = await connectRaw(roomId, user.token);
  return { main, v2, ns, raw, all: [main, v2, ns, raw] };
}

async function expectOnce(d, event, match) {
  for (const [name, s] of [['main', d.main], ['v2', d.v2], ['ns', d.ns], ['raw', d.raw]]) {
    await s.rec.waitFor(event, match);
  }
  await sleep(150); // room for duplicates to show up
  for (const [name, s] of [['main', d.main], ['v2', d.v2], ['ns', d.ns], ['raw', d.raw]]) {
    assert.equal(s.rec.all(event, match).length, 1, `${name}: one ${event}`);
  }
}

test('edits and deletions reach every door once; refusals keep the connection', async () => {
  const room = await createRoom(owner.token);
  expectStatus(await api('POST', `/api/rooms/${room.id}/join`, { token: ben.token }), 200, 'join');
  const bens = await openAll(ben, room.id);
  const o = await connect({ token: owner.token });
  const oRaw = await connectRaw(room.id, owner.token);
  try {
    await join(o, room.id);
    const q = await postMessageREST(owner.token, room.id, 'question');
    // A reply from ben's socket.io 4 client; its ack carries reply_to.
    const sent = await ack(bens.main, 'send_message', { room_id: room.id, content: 'answr', reply_to_id: q.id });
    assert.equal(sent.status, 'success', JSON.stringify(sent));
    assert.deepEqual(sent.message.reply_to, { id: q.id, username: owner.username, content: 'question' });
    const id = sent.message_id;
    for (const [s, event] of [[bens.main, 'new_message'], [bens.v2, 'new_message'], [bens.ns, 'message'], [bens.raw, 'message']]) {
      const m = await s.rec.waitFor(event, (x) => x.id === id);
      assert.equal(m.reply_to.id, q.id);
    }
    const first = q;
    // Refused: the owner is not the author of ben's message (edit); a member
    // cannot delete the owner's message.
    const refusedEdit = await ack(o, 'edit_message', { message_id: id, content: 'mine' });
    assert.equal(refusedEdit.status, 'error');
    assert.equal(refusedEdit.code, 'forbidden', JSON.stringify(refusedEdit));
    const refusedDelete = await ack(bens.ns, 'delete_message', { message_id: first.id });
    assert.equal(refusedDelete.status, 'error');
    assert.equal(refusedDelete.code, 'forbidden');
    const bad = await ack(bens.main, 'edit_message', { message_id: 'x', content: 'y' });
    assert.equal(bad.status, 'error');
    assert.match(bad.message, /message_id/);
    oRaw.sendJSON({ type: 'edit', message_id: id, content: 'raw hijack' });
    const rawErr = await oRaw.rec.waitFor('error');
    assert.equal(rawErr.code, 'forbidden');
    assert.ok(bens.main.connected && bens.ns.connected, 'refusals leave the sockets connected');

    // ben edits on "/" (socket.io 4), then deletes over the raw WebSocket.
    const edited = await ack(bens.main, 'edit_message', { message_id: id, content: 'answer' });
    assert.equal(edited.status, 'success', JSON.stringify(edited));
    assert.equal(edited.message.content, 'answer');
    assert.ok(edited.message.edited_at);
    await expectOnce(bens, 'message_edited', (m) => m.id === id && m.content === 'answer');
    assert.equal(bens.ns.rec.all('message_edited')[0].type, 'message_edited');
    assert.equal(bens.raw.rec.all('message_edited')[0].reply_to.id, first.id);
    await o.rec.waitFor('message_edited', (m) => m.id === id);

    bens.raw.sendJSON({ type: 'delete', message_id: id });
    await expectOnce(bens, 'message_deleted', (m) => m.id === id && m.room_id === room.id && !!m.deleted_at && m.content === undefined);
    assert.equal(bens.ns.rec.all('message_deleted')[0].type, 'message_deleted');
    const again = await ack(o, 'delete_message', { message_id: id });
    assert.equal(again.code, 'not_found');

    const page = expectStatus(await api('GET', `/api/rooms/${room.id}/messages?include_deleted=true`, { token: ben.token }), 200, 'history');
    const gone = page.find((m) => m.id === id);
    assert.equal(gone.content, '');
    assert.ok(gone.deleted_at);
    assert.ok(!JSON.stringify(page).includes('answer'), 'the deleted text is never returned');
    assert.equal(expectStatus(await api('GET', `/api/rooms/${room.id}/messages`, { token: ben.token }), 200, 'history').length, 1);
  } finally {
    closeAll(o, oRaw, bens.all);
  }
});

test('removing a member of a private group cuts every door at once', async () => {
  const room = await createRoom(owner.token, { is_private: true });
  const added = expectStatus(await api('POST', `/api/rooms/${room.id}/members`, { token: owner.token, json: { user_id: ben.id } }), 201, 'add');
  assert.equal(added.role, 'member');
  expectStatus(await api('POST', `/api/rooms/${room.id}/members`, { token: ben.token, json: { user_id: cat.id } }), 403, 'a member adds');
  expectStatus(await api('PUT', `/api/rooms/${room.id}/members/${ben.id}`, { token: owner.token, json: { role: 'admin' } }), 200, 'make admin');
  expectStatus(await api('POST', `/api/rooms/${room.id}/members`, { token: ben.token, json: { user_id: cat.id } }), 201, 'an admin adds');
  expectStatus(await api('PUT', `/api/rooms/${room.id}/members/${cat.id}`, { token: ben.token, json: { role: 'admin' } }), 403, 'an admin sets roles');
  expectStatus(await api('DELETE', `/api/rooms/${room.id}/members/${owner.id}`, { token: ben.token }), 403, 'removing the owner');
  const view = expectStatus(await api('GET', `/api/rooms/${room.id}`, { token: cat.token }), 200, 'room');
  assert.equal(view.my_role, 'member');

  const cats = await openAll(cat, room.id);
  const o = await connect({ token: owner.token });
  try {
    await join(o, room.id);
    await postMessageREST(owner.token, room.id, 'hello cat');
    await cats.raw.rec.waitFor('message', (m) => m.content === 'hello cat');

    expectStatus(await api('DELETE', `/api/rooms/${room.id}/members/${cat.id}`, { token: ben.token }), 204, 'an admin removes');
    const removed = await o.rec.waitFor('member_removed', (m) => m.user_id === cat.id);
    assert.equal(removed.by_user_id, ben.id);
    for (const s of [cats.main, cats.v2]) {
      const notice = await s.rec.waitFor('left_room', (m) => Number(m.room_id) === room.id);
      assert.equal(notice.reason, 'removed');
    }
    const err = await cats.ns.rec.waitFor('error');
    assert.equal(err.code, 'access_revoked');
    assert.equal(await cats.ns.disconnectReason, 'io server disconnect');
    assert.equal((await closedWithin(cats.raw)).code, 1008);

    await postMessageREST(owner.token, room.id, 'after cat');
    await o.rec.waitFor('new_message', (m) => m.content === 'after cat');
    for (const s of [cats.main, cats.v2]) await s.rec.none('new_message', (m) => m.content === 'after cat', 200);
    expectStatus(await api('GET', `/api/rooms/${room.id}/messages`, { token: cat.token }), 403, 'history after removal');
  } finally {
    closeAll(o, cats.all);
  }
});

test('a reply to another room is refused on every door', async () => {
  const room = await createRoom(owner.token);
  const other = await createRoom(owner.token);
  const elsewhere = await postMessageREST(owner.token, other.id, 'elsewhere');
  const s = await connect({ token: owner.token });
  const ns = await connect({ nsp: `/rooms/${room.id}`, token: owner.token });
  const raw = await connectRaw(room.id, owner.token);
  try {
    await join(s, room.id);
    await ns.rec.waitFor('welcome');
    const a = await ack(s, 'send_message', { room_id: room.id, content: 'x', reply_to_id: elsewhere.id });
    assert.equal(a.status, 'error');
    assert.match(a.message, /same room/);
    const b = await ack(ns, 'message', { content: 'x', reply_to_id: elsewhere.id });
    assert.equal(b.status, 'error');
    raw.sendJSON({ type: 'message', content: 'x', reply_to_id: elsewhere.id });
    assert.match((await raw.rec.waitFor('error')).message, /same room/);
    const r = await api('POST', `/api/rooms/${room.id}/messages`, { token: owner.token, json: { content: 'x', reply_to_id: elsewhere.id } });
    assert.equal(r.status, 400);
    const q = await postMessageREST(owner.token, room.id, 'q');
    raw.sendJSON({ type: 'message', content: 'raw reply', reply_to_id: q.id });
    const got = await s.rec.waitFor('new_message', (m) => m.content === 'raw reply');
    assert.equal(got.reply_to.id, q.id);
    assert.equal(expectStatus(await api('GET', `/api/rooms/${room.id}/messages`, { token: owner.token }), 200, 'h').length, 2);
  } finally {
    closeAll(s, ns, raw);
  }
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

test('a recovering client gets the deletion, never the deleted text', async () => {
  const room = await createRoom(owner.token);
  const a = open({ token: ben.token, reconnection: true, reconnectionDelay: 1500, reconnectionDelayMax: 1500, randomizationFactor: 0 });
  const o = await connect({ token: owner.token });
  try {
    if (!a.connected) await once(a, 'connect');
    await join(a, room.id);
    await join(o, room.id);
    await postMessageREST(owner.token, room.id, 'before the drop');
    await a.rec.waitFor('new_message', (m) => m.content === 'before the drop');

    const gone = once(a, 'disconnect');
    a.io.engine.close();
    await gone;
    const back = once(a, 'connect');
    const secret = await ack(o, 'send_message', { room_id: room.id, content: 'secret words' });
    await ack(o, 'edit_message', { message_id: secret.message_id, content: 'secret words, edited' });
    await ack(o, 'delete_message', { message_id: secret.message_id });
    await ack(o, 'send_message', { room_id: room.id, content: 'kept' });
    await back;
    assert.equal(a.recovered, true, 'recovered within the window');
    await a.rec.waitFor('new_message', (m) => m.content === 'kept');
    await a.rec.waitFor('message_deleted', (m) => m.id === secret.message_id);
    assert.ok(!JSON.stringify(a.rec.events).includes('secret'), 'no deleted text replayed');
  } finally {
    closeAll(a, o);
  }
});
