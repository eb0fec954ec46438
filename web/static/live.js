// One raw WebSocket per room (/api/ws/{room_id}?token=). It reconnects with a
// growing delay after a drop; the app catches up with after_id on each open.

const PING_EVERY_MS = 25_000;
const MAX_DELAY_MS = 15_000;

export class RoomSocket {
  // handlers: onOpen(), onFrame(frame), onDown(), onRefused(reason)
  constructor(roomId, token, handlers) {
    this.roomId = roomId;
    this.token = token;
    this.handlers = handlers;
    this.ws = null;
    this.open = false;
    this.stopped = false;
    this.attempt = 0;
    this.timer = 0;
    this.pinger = 0;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}/api/ws/${encodeURIComponent(this.roomId)}?token=${encodeURIComponent(this.token)}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.open = true;
      this.attempt = 0;
      this.pinger = setInterval(() => this.send({ type: 'ping' }), PING_EVERY_MS);
      this.handlers.onOpen();
    };
    ws.onmessage = (e) => {
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object') this.handlers.onFrame(frame);
    };
    ws.onclose = (e) => {
      const wasOpen = this.open;
      this.open = false;
      clearInterval(this.pinger);
      if (this.stopped || ws !== this.ws) return;
      // 1008: the token or the room was refused; trying again would not help.
      if (e.code === 1008) {
        this.stopped = true;
        this.handlers.onRefused(e.reason || 'refused');
        return;
      }
      if (wasOpen) this.handlers.onDown();
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    const delay = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // reconnectNow skips the wait (the browser says it is online again).
  reconnectNow() {
    if (this.stopped || this.open) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  send(obj) {
    if (this.open && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close(1000, 'bye');
  }
}
