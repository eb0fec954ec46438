// Issue 23.4 with the real clients: socket.io-client 4.x on "/" and
// "/rooms/<id>", ws on the raw door. Reactions made on any door reach every
// door once, refusals answer without breaking the connection, and history
// shows reactions with "me" for each caller (the kept page is shared only by
// readers without one).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, expectStatus, registerUser, createRoom, postMessageREST, sleep } from '../lib/api.mjs';
import { connect, join, ack, closeAll } from '../lib/sio.mjs';
import { connectRaw } from '../lib/raw.mjs';

let ann;
let ben;
before(async () => {
  [ann, ben] = [await registerUser('rx'), await registerUser('rx')];
});

async function expectOnce(doors, event, match) {
  for (const [, s] of doors) await s.rec.waitFor(event, match);
  await sleep(150); // room for duplicates to show up
  for (const [name, s] of doors) assert.equal(s.rec.all(event, match).length, 1, `${name}: one ${event}`);
}

test('reactions reach every door once; history shows me per caller', async () => {
  const room = await createRoom(ann.token);
  expectStatus(await api('POST', `/api/rooms/${room.id}/join`, { token: ben.token }), 200, 'join');
  const main = await connect({ token: ben.token });
  const ns = await connect({ nsp: `/rooms/${room.id}`, token: ben.token });
  const raw = await connectRaw(room.id, ben.token);
  const a = await connect({ token: ann.token });
  try {
    await join(main, room.id);
    await ns.rec.waitFor('welcome');
    await join(a, room.id);
    const msg = await postMessageREST(ann.token, room.id, 'react to this');
    const doors = [['main', main], ['ns', ns], ['raw', raw]];
    const is = (emoji) => (m) => m.message_id === msg.id && m.room_id === room.id && m.emoji === emoji;

    const r = await ack(a, 'react', { message_id: msg.id, emoji: '👍' });
    assert.equal(r.status, 'success', JSON.stringify(r));
    assert.deepEqual(r.reactions, [{ emoji: '👍', count: 1, me: true }]);
    await expectOnce(doors, 'reaction_added', (m) => is('👍')(m) && m.user_id === ann.id);
    assert.equal(main.rec.all('reaction_added')[0].type, undefined);
    assert.equal(ns.rec.all('reaction_added')[0].type, 'reaction_added');

    const bad = await ack(main, 'react', { message_id: msg.id, emoji: 'a b' });
    assert.equal(bad.status, 'error');
    assert.match(bad.message, /emoji/);
    raw.sendJSON({ type: 'react', message_id: 'x', emoji: '👍' });
    assert.match((await raw.rec.waitFor('error')).message, /message_id/);
    assert.ok(main.connected && ns.connected, 'refusals leave the sockets connected');

    // ben reacts over the raw WebSocket; history shows me for each caller.
    raw.sendJSON({ type: 'react', message_id: msg.id, emoji: '👍' });
    await expectOnce(doors, 'reaction_added', (m) => is('👍')(m) && m.user_id === ben.id);
    const seen = async (token) => {
      const res = await api('GET', `/api/rooms/${room.id}/messages`, { token });
      expectStatus(res, 200, 'history');
      return { etag: res.headers.get('etag'), reactions: res.body.find((m) => m.id === msg.id).reactions };
    };
    const byAnn = await seen(ann.token);
    assert.deepEqual(byAnn.reactions, [{ emoji: '👍', count: 2, me: true }]);

    // REST: add and remove; the events follow.
    const path = `/api/messages/${msg.id}/reactions`;
    expectStatus(await api('POST', path, { token: ben.token, json: { emoji: '🎉' } }), 200, 'react');
    await expectOnce(doors, 'reaction_added', is('🎉'));
    const del = await api('DELETE', `${path}/${encodeURIComponent('👍')}`, { token: ben.token });
    expectStatus(del, 200, 'unreact');
    assert.deepEqual(del.body.reactions, [{ emoji: '👍', count: 1, me: false }, { emoji: '🎉', count: 1, me: true }]);
    await expectOnce(doors, 'reaction_removed', (m) => is('👍')(m) && m.user_id === ben.id);
    expectStatus(await api('POST', path, { token: ben.token, json: { emoji: ' ' } }), 400, 'blank emoji');
    expectStatus(await api('POST', '/api/messages/99999999/reactions', { token: ben.token, json: { emoji: '👍' } }), 404, 'missing');

    const annNow = await seen(ann.token);
    const benNow = await seen(ben.token);
    assert.deepEqual(annNow.reactions, [{ emoji: '👍', count: 1, me: true }, { emoji: '🎉', count: 1, me: false }]);
    assert.deepEqual(benNow.reactions, [{ emoji: '👍', count: 1, me: false }, { emoji: '🎉', count: 1, me: true }]);
    assert.notEqual(annNow.etag, benNow.etag);

    const un = await ack(ns, 'unreact', { message_id: msg.id, emoji: '🎉' });
    assert.equal(un.status, 'success', JSON.stringify(un));
    await expectOnce(doors, 'reaction_removed', is('🎉'));
  } finally {
    closeAll(main, ns, raw, a);
  }
});
