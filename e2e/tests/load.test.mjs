// Load that exposes broadcast drops (the engine.io websocket `send` of the
// version in sockets/internal/README.md returned
// out of its batch loop after a pre-encoded broadcast frame, losing ~12% of
// deliveries at this load): 50 rooms × 20 members, 20 messages/s per room for
// 10 s. Zero lost, zero duplicated.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { registerUsers, createRoom, history, sleep } from '../lib/api.mjs';
import { connect, join, ack, closeAll } from '../lib/sio.mjs';

const ROOMS = Number(process.env.E2E_LOAD_ROOMS || 50);
const MEMBERS = Number(process.env.E2E_LOAD_MEMBERS || 20);
const RATE = 20; // messages per second per room
const SECONDS = Number(process.env.E2E_LOAD_SECONDS || 10);

// inBatches maps fn over items, size at a time; on any failure it hands every
// result that did succeed to cleanup before throwing.
async function inBatches(items, size, fn, cleanup) {
  const out = [];
  for (let i = 0; i < items.length; i += size) {
    const settled = await Promise.allSettled(items.slice(i, i + size).map(fn));
    out.push(...settled.filter((s) => s.status === 'fulfilled').map((s) => s.value));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) {
      cleanup(out);
      throw failed.reason;
    }
  }
  return out;
}

// The scenario runs once; the tests below judge its outcome.
let outcome;
before(async () => {
  // One account per member slot; each account has one connection in every room,
  // so there are ROOMS × MEMBERS connections, as many as real members would open.
  const users = await registerUsers(MEMBERS, 'load');
  const rooms = [];
  for (let r = 0; r < ROOMS; r++) rooms.push(await createRoom(users[0].token));

  const slots = [];
  for (let r = 0; r < ROOMS; r++) for (let m = 0; m < MEMBERS; m++) slots.push({ r, m });
  const members = await inBatches(slots, 50, async ({ r, m }) => {
    const socket = await connect({ token: users[m].token, record: false });
    const member = { socket, room: rooms[r], ids: new Set(), deliveries: 0 };
    socket.on('new_message', (msg) => {
      if (msg.room_id !== member.room.id) return;
      member.deliveries++;
      member.ids.add(msg.id);
    });
    try {
      await join(socket, rooms[r].id);
    } catch (err) {
      socket.close();
      throw err;
    }
    return member;
  }, (done) => closeAll(done.map((x) => x.socket)));
  try {
    const byRoom = rooms.map((_, r) => members.filter((x) => x.room === rooms[r]));
    const sendFailures = [];
    const acks = [];
    const ticks = RATE * SECONDS;
    const started = Date.now();
    for (let k = 0; k < ticks; k++) {
      // One message per room per tick; the sender rotates through the members, so
      // each connection sends RATE/MEMBERS per second (well inside the rate limit).
      for (let r = 0; r < ROOMS; r++) {
        const sender = byRoom[r][k % MEMBERS];
        acks.push(
          ack(sender.socket, 'send_message', { room_id: rooms[r].id, content: `r${r}-k${k}` }, 60_000).then(
            (a) => a.status !== 'success' && sendFailures.push(`r${r}-k${k}: ${JSON.stringify(a)}`),
            (err) => sendFailures.push(`r${r}-k${k}: ${err.message}`),
          ),
        );
      }
      const next = started + ((k + 1) * 1000) / RATE;
      await sleep(Math.max(0, next - Date.now()));
    }
    await Promise.all(acks);

    const stored = await Promise.all(rooms.map((room) => history(users[0].token, room.id)));
    const expected = stored.reduce((n, s) => n + s.length, 0) * MEMBERS;
    const deadline = Date.now() + 60_000;
    const got = () => members.reduce((n, x) => n + x.ids.size, 0);
    while (got() < expected && Date.now() < deadline) await sleep(200);
    await sleep(500); // late duplicates

    let lost = 0;
    let duplicated = 0;
    for (const x of members) {
      const r = rooms.indexOf(x.room);
      for (const m of stored[r]) if (!x.ids.has(m.id)) lost++;
      duplicated += x.deliveries - x.ids.size;
    }
    const sent = ROOMS * ticks;
    console.log(
      `load: ${sent} sent, ${sent - sendFailures.length} acked, ${expected / MEMBERS} stored, ` +
        `${expected} deliveries expected, ${lost} lost, ${duplicated} duplicated, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    outcome = { sent, sendFailures, storedCount: expected / MEMBERS, expected, lost, duplicated };
  } finally {
    closeAll(members.map((x) => x.socket));
  }
}, { timeout: 300_000 });

const name = `${ROOMS} rooms × ${MEMBERS} members, ${RATE} msg/s per room for ${SECONDS} s`;

test(`${name}: zero deliveries lost, zero duplicated`, () => {
  assert.ok(outcome.expected > 0, 'something was stored');
  assert.equal(outcome.lost, 0, `${outcome.lost} of ${outcome.expected} deliveries lost`);
  assert.equal(outcome.duplicated, 0, `${outcome.duplicated} deliveries duplicated`);
});

test(`${name}: every send acknowledged with success, and stored`, () => {
  assert.deepEqual(outcome.sendFailures.slice(0, 5), [], `${outcome.sendFailures.length} of ${outcome.sent} sends failed`);
  assert.equal(outcome.storedCount, outcome.sent, 'every sent message is stored once');
});
