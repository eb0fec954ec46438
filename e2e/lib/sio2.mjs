// socket.io-client 2.x (Engine.IO 3), the old clients' generation: a connection
// over websocket with the token in the query, recording the events named, and
// an emit that waits for its ack.
import io2 from 'sio2';
import { BASE } from './api.mjs';
import { Recorder, DEFAULT_TIMEOUT } from './sio.mjs';

export function connect2(token, events = []) {
  const s = io2(BASE, { forceNew: true, reconnection: false, transports: ['websocket'], query: { token }, timeout: DEFAULT_TIMEOUT });
  s.rec = new Recorder();
  for (const e of events) s.on(e, (d) => s.rec.push(e, d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('2.x: no connect')), DEFAULT_TIMEOUT + 1000);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(s);
    });
  });
}

export function ack2(s, event, payload) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`2.x: no ${event} ack`)), DEFAULT_TIMEOUT);
    s.emit(event, payload, (a) => {
      clearTimeout(t);
      resolve(a);
    });
  });
}
