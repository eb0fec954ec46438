// Issue 23.5 with the real clients: read markers set over REST, socket.io-client
// 4.x on "/" and "/rooms/<id>", and ws on the raw door; the read event reaches
// every door once and only when a marker moves; socket.io-client 2.x (an old
// client) keeps working beside it; listed rooms show last_read_id and
// unread_count.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, expectStatus, registerUser, createRoom, postMessageREST, sleep } from '../lib/api.mjs';
import { connect, join, ack, closeAll } from '../lib/sio.mjs';
import { connect2, ack2 } from '../lib/sio2.mjs';
import { connectRaw } from '../lib/raw.mjs';

let ann;
let ben;
before(async () => {
  [ann, ben] = [await registerUser('rd'), await registerUser('rd')];
});

const readOf = (userId, messageId) => (d) => d && d.user_id === userId && d.message_id === messageId;

function roomIn(list, id) {
  const r = list.find((x) => x.id === id);
  assert.ok(r, `room ${id} listed`);
  return r;
}

test('a moved marker reaches every door once; a backwards one sends nothing', async () => {
  const room = await createRoom(ann.token);
  expectStatus(await api('POST', `/api/rooms/${room.id}/join`, { token: ben.token }), 200, 'join');
  const main = await connect({ token: ben.token });
  const ns = await connect({ nsp: `/rooms/${room.id}`, token: ben.token });
  const raw = await connectRaw(room.id, ben.token);
  const v2 = await connect2(ben.token, ['read']);
  const annMain = await connect({ token: ann.token });
  const annNs = await connect({ nsp: `/rooms/${room.id}`, token: ann.token });
  const annRaw = await connectRaw(room.id, ann.token);
  try {
    await join(main, room.id);
    await ns.rec.waitFor('welcome');
    await annNs.rec.waitFor('welcome');
    const joined = await ack2(v2, 'join_room', { room_id: room.id });
    assert.equal(joined.status, 'success', JSON.stringify(joined));
    const ids = [];
    for (const text of ['one', 'two', 'three']) ids.push((await postMessageREST(ben.token, room.id, text)).id);

    let mine = roomIn(expectStatus(await api('GET', '/api/users/me/rooms', { token: ann.token }), 200, 'my rooms'), room.id);
    assert.equal(mine.last_read_id, null);
    assert.equal(mine.unread_count, 3);

    // REST, then "/", then "/rooms/<id>", then the raw door: each moves ann's marker.
    const st = expectStatus(await api('POST', `/api/rooms/${room.id}/read`, { token: ann.token, json: { message_id: ids[0] } }), 200, 'mark');
    assert.deepEqual(st, { room_id: room.id, user_id: ann.id, last_read_id: ids[0], unread_count: 2 });
    const a1 = await ack(annMain, 'mark_read', { room_id: room.id, message_id: ids[1] });
    assert.equal(a1.status, 'success', JSON.stringify(a1));
    assert.equal(a1.last_read_id, ids[1]);
    const a2 = await ack(annNs, 'mark_read', { message_id: ids[2] });
    assert.equal(a2.status, 'success', JSON.stringify(a2));
    assert.equal(a2.unread_count, 0);

    for (const id of ids.slice(0, 3)) {
      for (const [name, s] of [['main', main], ['ns', ns], ['raw', raw]]) {
        const ev = await s.rec.waitFor('read', readOf(ann.id, id));
        assert.equal(ev.room_id, room.id, name);
        if (name !== 'main') assert.equal(ev.type, 'read', `${name}: typed`);
      }
    }
    // Backwards over the raw door: accepted, nothing sent.
    annRaw.sendJSON({ type: 'read', message_id: ids[0] });
    annRaw.sendJSON({ type: 'ping' });
    await annRaw.rec.waitFor('pong');
    await sleep(200);
    for (const [name, s] of [['main', main], ['ns', ns], ['raw', raw]]) {
      for (const id of ids) assert.equal(s.rec.all('read', readOf(ann.id, id)).length, 1, `${name}: one read for ${id}`);
    }
    // The old 2.x client gets the same events and ignores what it does not know.
    assert.equal(v2.rec.all('read').length, 3, JSON.stringify(v2.rec.all('read')));

    mine = roomIn(expectStatus(await api('GET', '/api/rooms', { token: ann.token }), 200, 'rooms'), room.id);
    assert.equal(mine.last_read_id, ids[2]);
    assert.equal(mine.unread_count, 0);
    const receipts = expectStatus(await api('GET', `/api/rooms/${room.id}/reads`, { token: ben.token }), 200, 'receipts');
    assert.deepEqual(receipts, [{ user_id: ann.id, last_read_id: ids[2] }]);
  } finally {
    closeAll([main, ns, annMain, annNs]);
    v2.close();
    raw.close();
    annRaw.close();
  }
});

test('refused marks answer with an error and keep the connection', async () => {
  const secret = await createRoom(ann.token, { is_private: true });
  const hidden = await postMessageREST(ann.token, secret.id, 'hidden');
  const pub = await createRoom(ann.token);
  const s = await connect({ token: ben.token });
  const raw = await connectRaw(pub.id, ben.token);
  try {
    const refused = await ack(s, 'mark_read', { room_id: secret.id, message_id: hidden.id });
    assert.equal(refused.status, 'error');
    assert.equal(refused.code, 'forbidden');
    const other = await ack(s, 'mark_read', { room_id: pub.id, message_id: hidden.id });
    assert.equal(other.status, 'error', 'a message of another room');
    const bad = await ack(s, 'mark_read', { room_id: pub.id });
    assert.equal(bad.status, 'error', 'no message_id');
    expectStatus(await api('POST', `/api/rooms/${secret.id}/read`, { token: ben.token, json: { message_id: hidden.id } }), 403, 'outsider');
    expectStatus(await api('POST', `/api/rooms/${pub.id}/read`, { token: ben.token, json: {} }), 400, 'no id');
    raw.sendJSON({ type: 'read', message_id: 'nope' });
    const e = await raw.rec.waitFor('error');
    assert.ok(e.code, JSON.stringify(e));
    raw.sendJSON({ type: 'ping' });
    await raw.rec.waitFor('pong');
    const ok = await ack(s, 'join_room', { room_id: pub.id });
    assert.equal(ok.status, 'success', 'the socket still works');
  } finally {
    closeAll([s]);
    raw.close();
  }
});
