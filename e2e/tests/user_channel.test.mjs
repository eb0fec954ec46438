// Issue 23.6 with the real clients: a channel per user. socket.io-client 4.x
// and 2.x on "/" and ws on the raw door get the events addressed to their user
// wherever they happen (member_added to the added user, mention,
// conversation_started), each once, without being in the room; a mentioned
// non-reader gets nothing and is not listed in `mentions`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, expectStatus, registerUser, createRoom, postMessageREST, sleep, history } from '../lib/api.mjs';
import { connect, join, closeAll } from '../lib/sio.mjs';
import { connect2 } from '../lib/sio2.mjs';
import { connectRaw } from '../lib/raw.mjs';

let ann;
let ben;
let cal;
before(async () => {
  [ann, ben, cal] = [await registerUser('uc'), await registerUser('uc'), await registerUser('uc')];
});

const USER_EVENTS = ['member_added', 'mention', 'conversation_started', 'new_message'];

test('member_added and mention reach the user on every client, once, outside the room', async () => {
  const lobby = await createRoom(ann.token);
  const group = await createRoom(ann.token, { is_private: true });
  const main = await connect({ token: ben.token });
  const v2 = await connect2(ben.token, USER_EVENTS);
  const raw = await connectRaw(lobby.id, ben.token);
  const calMain = await connect({ token: cal.token });
  try {
    expectStatus(await api('POST', `/api/rooms/${group.id}/members`, { token: ann.token, json: { user_id: ben.id } }), 201, 'add ben');
    const forGroup = (d) => d && d.room_id === group.id && d.user_id === ben.id;
    for (const [name, rec] of [['4.x', main.rec], ['2.x', v2.rec], ['raw', raw.rec]]) {
      const ev = await rec.waitFor('member_added', forGroup);
      assert.equal(ev.role, 'member', name);
      assert.equal(ev.by_user_id, ann.id, name);
      if (name === 'raw') assert.equal(ev.type, 'member_added');
      else assert.equal(ev.type, undefined, `${name}: no type on "/"`);
    }

    const msg = await postMessageREST(ann.token, group.id, `hi @${ben.username} and @${cal.username}!`);
    assert.deepEqual(msg.mentions, [{ id: ben.id, username: ben.username }], 'cal cannot read the room: not listed');
    const forMsg = (d) => d && d.message_id === msg.id;
    for (const [name, rec] of [['4.x', main.rec], ['2.x', v2.rec], ['raw', raw.rec]]) {
      const ev = await rec.waitFor('mention', forMsg);
      assert.equal(ev.room_id, group.id, name);
      assert.equal(ev.user_id, ben.id, name);
      assert.deepEqual(ev.by, { id: ann.id, username: ann.username }, name);
      assert.equal(ev.excerpt, msg.content, name);
    }
    await sleep(300);
    for (const [name, rec] of [['4.x', main.rec], ['2.x', v2.rec], ['raw', raw.rec]]) {
      assert.equal(rec.all('mention', forMsg).length, 1, `${name}: one mention`);
      assert.equal(rec.all('member_added', forGroup).length, 1, `${name}: one member_added`);
      assert.equal(rec.all('new_message', forMsg).length, 0, `${name}: not in the room, no message`);
    }
    await calMain.rec.none('mention', () => true, 100);
    const page = await history(ben.token, group.id);
    const listed = (Array.isArray(page) ? page : page.messages || []).find((m) => m.id === msg.id);
    assert.deepEqual(listed.mentions, [{ id: ben.id, username: ben.username }], 'history lists the mention');
  } finally {
    closeAll([main, calMain]);
    v2.close();
    raw.close();
  }
});

test('in the room: the message carries mentions and the mention comes once; ordinary frames do not grow', async () => {
  const room = await createRoom(ann.token);
  expectStatus(await api('POST', `/api/rooms/${room.id}/join`, { token: ben.token }), 200, 'join');
  const main = await connect({ token: ben.token });
  const raw = await connectRaw(room.id, ben.token);
  try {
    await join(main, room.id);
    const plain = await postMessageREST(ann.token, room.id, 'nobody named');
    const withName = await postMessageREST(ann.token, room.id, `@${ben.username} look`);
    const got = await main.rec.waitFor('new_message', (d) => d && d.id === withName.id);
    assert.deepEqual(got.mentions, [{ id: ben.id, username: ben.username }]);
    const plainGot = await main.rec.waitFor('new_message', (d) => d && d.id === plain.id);
    assert.equal('mentions' in plainGot, false, 'no mentions field on an ordinary message');
    await main.rec.waitFor('mention', (d) => d && d.message_id === withName.id);
    await raw.rec.waitFor('mention', (d) => d && d.message_id === withName.id);
    await sleep(300);
    assert.equal(main.rec.all('mention').length, 1);
    assert.equal(raw.rec.all('mention').length, 1);
  } finally {
    closeAll([main]);
    raw.close();
  }
});

test('a new conversation is announced to its other member only', async () => {
  const calMain = await connect({ token: cal.token });
  const calV2 = await connect2(cal.token, USER_EVENTS);
  const benMain = await connect({ token: ben.token });
  try {
    const res = expectStatus(await api('POST', '/api/conversations', { token: ann.token, json: { recipient_id: cal.id } }), 201, 'start');
    for (const [name, rec] of [['4.x', calMain.rec], ['2.x', calV2.rec]]) {
      const ev = await rec.waitFor('conversation_started', (d) => d && d.room_id === res.room_id);
      assert.equal(ev.room.id, res.room_id, name);
      assert.equal(ev.room.is_private, true, name);
      assert.equal(ev.room.my_role, 'member', `${name}: the room as cal sees it`);
      assert.equal(ev.other_user.id, ann.id, name);
    }
    await benMain.rec.none('conversation_started', () => true, 200);
    expectStatus(await api('POST', '/api/conversations', { token: cal.token, json: { recipient_id: ann.id } }), 200, 'existing');
    await sleep(200);
    assert.equal(calMain.rec.all('conversation_started').length, 1, 'an existing conversation is not announced');
  } finally {
    closeAll([calMain, benMain]);
    calV2.close();
  }
});
