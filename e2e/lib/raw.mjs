// Raw WebSocket door (/api/ws/{room_id}?token=): JSON frames recorded by their type.
import WebSocket from 'ws';
import { BASE } from './api.mjs';
import { Recorder, DEFAULT_TIMEOUT } from './sio.mjs';

// openRaw connects and records frames; `opened` resolves on open, `closed` with {code, reason}.
export function openRaw(roomId, token, { query } = {}) {
  const q = query ?? (token === undefined ? '' : `?token=${encodeURIComponent(token)}`);
  const ws = new WebSocket(`${BASE.replace(/^http/, 'ws')}/api/ws/${roomId}${q}`);
  const rec = new Recorder();
  ws.rec = rec;
  ws.frames = [];
  ws.on('message', (data, isBinary) => {
    const text = data.toString();
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      rec.push('__not_json__', text);
      return;
    }
    ws.frames.push(msg);
    rec.push(msg && msg.type, msg);
  });
  ws.opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
  });
  ws.opened.catch(() => {});
  ws.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.sendJSON = (obj) => ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  return ws;
}

// connectRaw opens and waits for the welcome frame.
export async function connectRaw(roomId, token) {
  const ws = openRaw(roomId, token);
  await ws.opened;
  await ws.rec.waitFor('welcome');
  return ws;
}

// closedWithin resolves with the close event or fails after timeout.
export function closedWithin(ws, timeout = DEFAULT_TIMEOUT) {
  return Promise.race([
    ws.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`not closed within ${timeout} ms`)), timeout)),
  ]);
}
