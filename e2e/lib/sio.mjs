// Socket.IO 4 client helpers. Every socket gets its own Manager (forceNew) so
// tests never share an Engine.IO connection by accident, and no reconnection so a
// refusal stays a refusal.
import { io } from 'socket.io-client';
import { BASE } from './api.mjs';

export const DEFAULT_TIMEOUT = 5000;

// Recorder keeps every event a socket receives, from before it connects, so an
// event the server sends right after CONNECT (like `connected`) is never missed.
export class Recorder {
  constructor() {
    this.events = [];
    this.waiters = new Set();
  }

  push(event, data) {
    const entry = { event, data };
    this.events.push(entry);
    for (const w of this.waiters) {
      if (w.event === event && w.match(data)) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(data);
      }
    }
  }

  all(event, match = () => true) {
    return this.events.filter((e) => e.event === event && match(e.data)).map((e) => e.data);
  }

  // waitFor resolves with the first payload of event (already received or coming) that matches.
  waitFor(event, match = () => true, timeout = DEFAULT_TIMEOUT) {
    const seen = this.events.find((e) => e.event === event && match(e.data));
    if (seen) return Promise.resolve(seen.data);
    return new Promise((resolve, reject) => {
      const w = { event, match, resolve };
      w.timer = setTimeout(() => {
        this.waiters.delete(w);
        const got = this.events.map((e) => e.event).join(', ') || 'nothing';
        reject(new Error(`timed out after ${timeout} ms waiting for "${event}" (received: ${got})`));
      }, timeout);
      this.waiters.add(w);
    });
  }

  // none waits ms and fails if event arrived (matching) in the meantime or before.
  async none(event, match = () => true, ms = 500) {
    await new Promise((r) => setTimeout(r, ms));
    const got = this.all(event, match);
    if (got.length > 0) throw new Error(`unexpected "${event}": ${JSON.stringify(got[0])}`);
  }
}

// open creates a socket with a recorder but does not wait for anything.
export function open({ nsp = '/', url = BASE, token, auth, query, extraHeaders, transports = ['websocket'], upgrade = true, record = true, ...rest } = {}) {
  const opts = { forceNew: true, reconnection: false, transports, upgrade, timeout: DEFAULT_TIMEOUT, ...rest };
  if (auth !== undefined) opts.auth = auth;
  else if (token !== undefined) opts.auth = { token };
  if (query !== undefined) opts.query = query;
  if (extraHeaders !== undefined) opts.extraHeaders = extraHeaders;
  const target = nsp === '/' ? url : url + nsp;
  const socket = io(target, opts);
  const rec = new Recorder();
  // record:false (load tests) keeps only the events join() needs.
  socket.onAny((event, data) => {
    if (record || event === 'joined_room' || event === 'connected' || event === 'error') rec.push(event, data);
  });
  socket.rec = rec;
  return socket;
}

// connect resolves with the connected socket, or rejects with the connect_error.
export function connect(opts) {
  const socket = open(opts);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(new Error(`connect_error: ${err.message}`));
    });
  });
}

// refused resolves with the connect_error a connection gets, and fails if it connects.
export function refused(opts) {
  const socket = open(opts);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('neither connect nor connect_error within the timeout'));
    }, DEFAULT_TIMEOUT + 1000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.close();
      reject(new Error('connected, but the connection should have been refused'));
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      resolve(err);
    });
  });
}

// ack emits with an acknowledgement and resolves with the server's answer.
export async function ack(socket, event, payload, timeout = DEFAULT_TIMEOUT) {
  return socket.timeout(timeout).emitWithAck(event, payload);
}

// join emits join_room and waits for the joiner's own joined_room.
export async function join(socket, roomId) {
  const answer = await ack(socket, 'join_room', { room_id: roomId });
  if (!answer || answer.status !== 'success') throw new Error(`join_room ${roomId}: ${JSON.stringify(answer)}`);
  await socket.rec.waitFor('joined_room', (d) => Number(d.room_id) === Number(roomId));
  return answer;
}

export function closeAll(...sockets) {
  for (const s of sockets.flat()) {
    if (s && typeof s.close === 'function') s.close();
  }
}
