// Ordering and no loss: 20 clients each send 50 messages at once into one room;
// every client receives all 1000 exactly once, in the order they were stored,
// and the database holds exactly 1000.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { registerUsers, createRoom, history, sleep } from '../lib/api.mjs';
import { connect, join, ack, closeAll } from '../lib/sio.mjs';

const CLIENTS = 20;
const PER_CLIENT = 50;
const TOTAL = CLIENTS * PER_CLIENT;
// Just above the default per-connection limit (20/s, burst 40) would trip it; 45 ms
// apart (22/s) stays inside the burst for 50 messages.
const SEND_GAP_MS = 45;

// The scenario runs once; the tests below judge its outcome.
let outcome;
before(async () => {
  const users = await registerUsers(CLIENTS, 'ord');
  const room = await createRoom(users[0].token);
  // A few clients stay on long-polling: order must hold on both transports.
  const sockets = await Promise.all(
    users.map((u, i) => connect({ token: u.token, transports: i % 5 === 4 ? ['polling'] : ['websocket'] })),
  );
  try {
    const received = sockets.map(() => []);
    sockets.forEach((s, i) =>
      s.on('new_message', (m) => {
        if (m.room_id === room.id) received[i].push(m);
      }),
    );
    for (const s of sockets) await join(s, room.id);

    const failures = [];
    await Promise.all(
      sockets.map(async (s, i) => {
        const acks = [];
        for (let j = 0; j < PER_CLIENT; j++) {
          acks.push(
            ack(s, 'send_message', { room_id: room.id, content: `c${i}-m${j}` }, 30_000).then(
              (a) => a.status !== 'success' && failures.push(`c${i}-m${j}: ${JSON.stringify(a)}`),
              (err) => failures.push(`c${i}-m${j}: ${err.message}`),
            ),
          );
          await sleep(SEND_GAP_MS);
        }
        await Promise.all(acks);
      }),
    );
    const deadline = Date.now() + 60_000;
    while (received.some((r) => r.length < TOTAL) && Date.now() < deadline) await sleep(100);
    await sleep(300); // late duplicates
    const stored = await history(users[0].token, room.id);
    outcome = { failures, received, stored };
  } finally {
    closeAll(sockets);
  }
}, { timeout: 180_000 });

test(`${CLIENTS} clients × ${PER_CLIENT} messages: every send acknowledged with success`, () => {
  assert.deepEqual(outcome.failures.slice(0, 5), [], `${outcome.failures.length} sends failed`);
});

test(`${CLIENTS} clients × ${PER_CLIENT} messages: the database holds exactly ${TOTAL}, in id order`, () => {
  const ids = outcome.stored.map((m) => m.id);
  assert.equal(ids.length, TOTAL);
  assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'history is in id order');
});

test(`${CLIENTS} clients × ${PER_CLIENT} messages: every client receives all ${TOTAL} exactly once, in stored order`, () => {
  const storedIds = outcome.stored.map((m) => m.id);
  for (let i = 0; i < CLIENTS; i++) {
    const ids = outcome.received[i].map((m) => m.id);
    const unique = new Set(ids);
    assert.equal(ids.length - unique.size, 0, `client ${i}: ${ids.length - unique.size} duplicates`);
    assert.equal(unique.size, TOTAL, `client ${i}: received ${unique.size} of ${TOTAL} (lost ${TOTAL - unique.size})`);
    const firstDiff = ids.findIndex((id, k) => id !== storedIds[k]);
    assert.equal(firstDiff, -1, `client ${i}: order differs from stored order at position ${firstDiff}`);
  }
});

test(`${CLIENTS} clients × ${PER_CLIENT} messages: each sender's messages are stored in the order it emitted them`, () => {
  // One socket's events are handled in order (as Flask-SocketIO did): a user's
  // consecutive messages must not swap places.
  const swapped = [];
  for (let i = 0; i < CLIENTS; i++) {
    const mine = outcome.stored.filter((m) => m.content.startsWith(`c${i}-`)).map((m) => m.content);
    const want = Array.from({ length: PER_CLIENT }, (_, j) => `c${i}-m${j}`);
    const k = mine.findIndex((c, n) => c !== want[n]);
    if (k !== -1) swapped.push(`client ${i} at #${k}: ${mine.slice(k, k + 2).join(', ')}`);
  }
  assert.deepEqual(swapped, [], `${swapped.length} of ${CLIENTS} senders had messages stored out of emit order`);
});
