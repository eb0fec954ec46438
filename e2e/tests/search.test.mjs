// Issue 23.7 with a real HTTP client: GET /api/search/messages finds, newest
// first, the messages of the rooms the caller may read (never a private room's
// for a non-member), by words with or without accents, follows edits and
// deletes, pages with before_id, and answers bad input with 400 in the
// contract's error shape. The excerpt is HTML-escaped with <mark> only.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, expectStatus, registerUser, createRoom, postMessageREST, unique } from '../lib/api.mjs';

let alice;
let bob;
let word; // a word of this run only, so other suites' messages never match
before(async () => {
  [alice, bob] = [await registerUser('srch'), await registerUser('srch')];
  word = unique('w').replace(/[^a-z0-9]/gi, '');
});

async function search(user, params, want = 200) {
  const res = await api('GET', `/api/search/messages?${new URLSearchParams(params)}`, { token: user?.token });
  return expectStatus(res, want, `search ${JSON.stringify(params)}`);
}

test('finds only what the caller may read, newest first, with an escaped excerpt', async () => {
  const pub = await createRoom(alice.token, { is_private: false });
  const priv = await createRoom(alice.token, { is_private: true });
  const first = await postMessageREST(alice.token, pub.id, `${word} <img src=x onerror=alert(1)> canción`);
  const hidden = await postMessageREST(alice.token, priv.id, `${word} secreto`);
  const hits = await search(alice, { q: word });
  assert.deepEqual(hits.map((m) => m.id), [hidden.id, first.id]);
  const ex = hits[1].excerpt;
  assert.ok(ex.includes(`<mark>${word}</mark>`), ex);
  assert.ok(ex.includes('&lt;img src=x onerror=alert(1)&gt;'), ex);
  assert.equal(ex.replaceAll('<mark>', '').replaceAll('</mark>', '').includes('<'), false, ex);
  assert.equal(hits[1].content, `${word} <img src=x onerror=alert(1)> canción`);

  const bobs = await search(bob, { q: word });
  assert.deepEqual(bobs.map((m) => m.id), [first.id]);
  await search(bob, { q: word, room_id: priv.id }, 403);
  assert.deepEqual((await search(alice, { q: `${word} cancion` })).map((m) => m.id), [first.id]);
  assert.deepEqual((await search(alice, { q: word, limit: 1, before_id: hidden.id })).map((m) => m.id), [first.id]);
});

test('follows edits and deletes', async () => {
  const room = await createRoom(alice.token, { is_private: false });
  const msg = await postMessageREST(alice.token, room.id, `${word} naranja`);
  expectStatus(await api('PATCH', `/api/messages/${msg.id}`, { token: alice.token, json: { content: `${word} manzana` } }), 200, 'edit');
  assert.equal((await search(alice, { q: `${word} naranja` })).length, 0);
  assert.deepEqual((await search(alice, { q: `${word} manzana` })).map((m) => m.id), [msg.id]);
  expectStatus(await api('DELETE', `/api/messages/${msg.id}`, { token: alice.token }), 204, 'delete');
  assert.equal((await search(alice, { q: `${word} manzana` })).length, 0);
});

test('bad input is a 400 in the contract shape; no token is a 401', async () => {
  for (const params of [{}, { q: '' }, { q: '   ' }, { q: '¡!' }, { q: 'x'.repeat(201) }, { q: 'a', limit: 51 },
    { q: 'a', limit: 'many' }, { q: 'a', before_id: -1 }, { q: 'a', room_id: 0 }]) {
    const body = await search(alice, params, 400);
    assert.equal(typeof body.error, 'string', JSON.stringify(body));
    assert.equal(typeof body.detail, 'string', JSON.stringify(body));
  }
  await search(null, { q: 'a' }, 401);
});
