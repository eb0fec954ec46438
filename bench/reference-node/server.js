'use strict';
// Reference server for bench/: the subset of the IzpoChat contract that the
// load generator uses, written the way a Node team would write it (socket.io 4 +
// better-sqlite3). It is the yardstick the Go server is measured against, so it
// does the same work per message: authenticate once per connection, look the
// room up, store the message (one INSERT, WAL) BEFORE delivering it, then emit
// new_message to the room and message_sent to the sender.
//
// Environment: PORT (default 5000), DATA_DIR (default ./data), JWT_SECRET_KEY.

const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');
const { Server } = require('socket.io');
const Database = require('better-sqlite3');

const port = Number(process.env.PORT || 5000);
const dataDir = process.env.DATA_DIR || './data';
const secret = process.env.JWT_SECRET_KEY || 'bench-secret-bench-secret-bench-secret';
const maxMessageLength = 5000;
const tokenTTLSeconds = 7 * 24 * 3600;

fs.mkdirSync(dataDir, { recursive: true });
const db = new Database(path.join(dataDir, 'izpochat.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.exec(`
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username VARCHAR(50) NOT NULL UNIQUE,
  email VARCHAR(120) NOT NULL UNIQUE,
  password_hash VARCHAR(255) NOT NULL,
  full_name VARCHAR(100),
  created_at DATETIME
);
CREATE TABLE IF NOT EXISTS rooms (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(150) NOT NULL,
  description TEXT,
  is_private BOOLEAN NOT NULL DEFAULT 0,
  created_by INTEGER REFERENCES users(id),
  created_at DATETIME
);
CREATE TABLE IF NOT EXISTS room_members (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, room_id)
);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  content TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id),
  room_id INTEGER NOT NULL REFERENCES rooms(id),
  file_url VARCHAR(512),
  created_at DATETIME
);
CREATE INDEX IF NOT EXISTS ix_messages_created_at ON messages(created_at);
CREATE INDEX IF NOT EXISTS ix_messages_room_id ON messages(room_id, id);
`);

const q = {
  insertUser: db.prepare('INSERT INTO users (username, email, password_hash, full_name, created_at) VALUES (?, ?, ?, ?, ?)'),
  userByID: db.prepare('SELECT id, username, email, full_name, password_hash, created_at FROM users WHERE id = ?'),
  userByName: db.prepare('SELECT id, username, email, full_name, password_hash, created_at FROM users WHERE username = ? OR email = ?'),
  insertRoom: db.prepare('INSERT INTO rooms (name, description, is_private, created_by, created_at) VALUES (?, ?, ?, ?, ?)'),
  insertMember: db.prepare('INSERT OR IGNORE INTO room_members (user_id, room_id) VALUES (?, ?)'),
  roomByID: db.prepare('SELECT id, name, description, is_private, created_by, created_at FROM rooms WHERE id = ?'),
  isMember: db.prepare('SELECT 1 FROM room_members WHERE user_id = ? AND room_id = ?'),
  insertMessage: db.prepare('INSERT INTO messages (content, user_id, room_id, created_at) VALUES (?, ?, ?, ?)'),
  history: db.prepare(`SELECT m.id, m.content, m.user_id, m.room_id, m.file_url, m.created_at, u.username, u.full_name
    FROM messages m JOIN users u ON u.id = m.user_id WHERE m.room_id = ? ORDER BY m.id DESC LIMIT ?`),
};

// ---- tokens: HS256 with the claims the contract lists ----

function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

function signToken(user) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({
    sub: String(user.id), type: 'access', jti: crypto.randomUUID(), fresh: false,
    iat: now, nbf: now, exp: now + tokenTTLSeconds, username: user.username,
  }));
  const sig = crypto.createHmac('sha256', secret).update(`${header}.${claims}`).digest('base64url');
  return `${header}.${claims}.${sig}`;
}

// verifyToken returns the user id or throws with a reason.
function verifyToken(token) {
  const parts = String(token || '').replace(/^Bearer\s+/i, '').split('.');
  if (parts.length !== 3) throw new Error('invalid token');
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
  if (header.alg !== 'HS256') throw new Error('invalid token');
  const want = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) throw new Error('invalid token');
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp === 'number' && claims.exp < now) throw new Error('token expired');
  if (claims.type && claims.type !== 'access') throw new Error('invalid token');
  const id = Number(claims.sub);
  if (!Number.isInteger(id)) throw new Error('invalid token');
  return id;
}

// ---- passwords: scrypt (the reference does not need Werkzeug/bcrypt compatibility) ----

function hashPassword(pw) {
  const salt = crypto.randomBytes(16).toString('hex');
  return `scrypt$${salt}$${crypto.scryptSync(pw, salt, 32).toString('hex')}`;
}

function checkPassword(pw, stored) {
  const [, salt, hex] = String(stored).split('$');
  if (!salt || !hex) return false;
  const got = crypto.scryptSync(pw, salt, 32);
  const want = Buffer.from(hex, 'hex');
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

// ---- views ----

function nowISO() {
  return new Date().toISOString();
}

function userSelf(u) {
  return { id: u.id, username: u.username, email: u.email, full_name: u.full_name, created_at: u.created_at };
}

function roomView(r, creator) {
  return {
    id: r.id, name: r.name, description: r.description, is_private: !!r.is_private,
    created_at: r.created_at, created_by: r.created_by,
    creator: { id: creator.id, username: creator.username, full_name: creator.full_name },
    member_count: 1,
    members: [{ id: creator.id, username: creator.username, full_name: creator.full_name, created_at: creator.created_at }],
  };
}

function messageView(row) {
  return {
    id: row.id, content: row.content, user_id: row.user_id, username: row.username, room_id: row.room_id,
    created_at: row.created_at, file_url: row.file_url || null, file_id: null,
    sender: { id: row.user_id, username: row.username, full_name: row.full_name },
  };
}

// ---- REST ----

function send(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function fail(res, status, msg) {
  send(res, status, { error: msg, detail: msg });
}

function readJSON(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 1 << 20) { reject(new Error('too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      try { resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {}); } catch (e) { reject(e); }
    });
    req.on('error', reject);
  });
}

function actorFromRequest(req) {
  const id = verifyToken(req.headers.authorization);
  const u = q.userByID.get(id);
  if (!u) throw new Error('user no longer exists');
  return u;
}

function session(res, status, message, u) {
  send(res, status, { message, access_token: signToken(u), token_type: 'bearer', user_id: u.id, user: userSelf(u) });
}

async function handleREST(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname.replace(/\/+$/, '') || '/';
  try {
    if (req.method === 'GET' && p === '/health') return send(res, 200, { status: 'healthy', database: 'connected' });
    if (req.method === 'POST' && (p === '/api/users/register' || p === '/api/register')) {
      const b = await readJSON(req);
      if (!b.username || !b.email || !b.password) return fail(res, 400, 'username, email and password are required');
      let info;
      try {
        info = q.insertUser.run(b.username, b.email, hashPassword(b.password), b.full_name || null, nowISO());
      } catch (e) {
        if (String(e.code).startsWith('SQLITE_CONSTRAINT')) return fail(res, 409, 'username or email already taken');
        throw e;
      }
      return session(res, 201, 'user registered successfully', q.userByID.get(info.lastInsertRowid));
    }
    if (req.method === 'POST' && (p === '/api/users/login' || p === '/api/login')) {
      const b = await readJSON(req);
      const name = b.username || b.email;
      const u = name && q.userByName.get(name, name);
      if (!u || !checkPassword(b.password || '', u.password_hash)) return fail(res, 401, 'invalid credentials');
      return session(res, 200, 'login successful', u);
    }
    if (req.method === 'POST' && p === '/api/rooms') {
      let u;
      try { u = actorFromRequest(req); } catch (e) { return fail(res, 401, e.message); }
      const b = await readJSON(req);
      if (!b.name || typeof b.name !== 'string') return fail(res, 400, 'name is required');
      const created = nowISO();
      const info = db.transaction(() => {
        const r = q.insertRoom.run(b.name, b.description || null, b.is_private ? 1 : 0, u.id, created);
        q.insertMember.run(u.id, r.lastInsertRowid);
        return r;
      })();
      return send(res, 201, roomView(q.roomByID.get(info.lastInsertRowid), u));
    }
    const hist = /^\/api\/rooms\/(\d+)\/messages$/.exec(p);
    if (req.method === 'GET' && hist) {
      let u;
      try { u = actorFromRequest(req); } catch (e) { return fail(res, 401, e.message); }
      const room = q.roomByID.get(Number(hist[1]));
      if (!room) return fail(res, 404, 'room not found');
      if (room.is_private && !q.isMember.get(u.id, room.id)) return fail(res, 403, 'not a member of this room');
      const limit = Math.min(Math.max(Number(url.searchParams.get('limit') || 100), 1), 500);
      return send(res, 200, q.history.all(room.id, limit).reverse().map(messageView));
    }
    return fail(res, 404, 'not found');
  } catch (e) {
    return fail(res, 400, 'bad request');
  }
}

// ---- Socket.IO ----

const server = http.createServer((req, res) => {
  handleREST(req, res).catch(() => fail(res, 500, 'internal error'));
});
const io = new Server(server, { cors: { origin: '*' }, maxHttpBufferSize: 1e6 });

io.use((socket, next) => {
  const h = socket.handshake;
  const token = (h.auth && h.auth.token) || h.query.token || h.headers.authorization;
  if (!token) return next(new Error('missing token'));
  try {
    const u = q.userByID.get(verifyToken(token));
    if (!u) return next(new Error('user no longer exists'));
    socket.data.user = { id: u.id, username: u.username, full_name: u.full_name };
    return next();
  } catch (e) {
    return next(new Error(e.message === 'token expired' ? 'token expired' : 'invalid token'));
  }
});

// presence: room id -> Map(user id -> {user, conns})
const presence = new Map();

function online(roomID) {
  const m = presence.get(roomID);
  const users = m ? [...m.values()].map((e) => ({ id: e.user.id, username: e.user.username })) : [];
  return { room_id: roomID, users, count: users.length };
}

function enter(roomID, user) {
  let m = presence.get(roomID);
  if (!m) { m = new Map(); presence.set(roomID, m); }
  const e = m.get(user.id);
  if (e) { e.conns++; return false; }
  m.set(user.id, { user, conns: 1 });
  return true;
}

function exit(roomID, userID) {
  const m = presence.get(roomID);
  const e = m && m.get(userID);
  if (!e) return false;
  if (--e.conns > 0) return false;
  m.delete(userID);
  if (m.size === 0) presence.delete(roomID);
  return true;
}

function roomIDOf(data) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const v = data.room_id;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return Number.isInteger(n) && n > 0 ? n : null;
}

function readable(user, roomID) {
  const r = q.roomByID.get(roomID);
  if (!r) return null;
  if (r.is_private && !q.isMember.get(user.id, roomID)) return null;
  return r;
}

io.on('connection', (socket) => {
  const user = socket.data.user;
  const joined = new Set();
  const fault = (ack, message, code) => {
    socket.emit('error', { message, code });
    if (typeof ack === 'function') ack({ status: 'error', error: message });
  };
  socket.emit('connected', { message: 'connected', user_id: user.id, username: user.username });

  socket.on('join_room', (data, ack) => {
    const roomID = roomIDOf(data);
    if (roomID === null) return fault(ack, 'room_id is required', 'invalid_input');
    if (!readable(user, roomID)) return fault(ack, 'room not found', 'not_found');
    const name = String(roomID);
    socket.join(name);
    joined.add(roomID);
    const first = enter(roomID, user);
    io.to(name).emit('joined_room', { message: `${user.username} joined the room`, room_id: roomID, username: user.username });
    if (first) socket.to(name).emit('user_joined', { user_id: user.id, username: user.username, room_id: roomID, timestamp: nowISO() });
    socket.emit('users_online', online(roomID));
    if (typeof ack === 'function') ack({ status: 'success', room_id: roomID });
  });

  socket.on('leave_room', (data, ack) => {
    const roomID = roomIDOf(data);
    if (roomID === null) return fault(ack, 'room_id is required', 'invalid_input');
    const name = String(roomID);
    if (joined.delete(roomID)) exit(roomID, user.id);
    io.to(name).emit('left_room', { message: `${user.username} left the room`, room_id: roomID, username: user.username });
    io.to(name).emit('user_left', { user_id: user.id, username: user.username, room_id: roomID, timestamp: nowISO() });
    socket.leave(name);
    if (typeof ack === 'function') ack({ status: 'success', room_id: roomID });
  });

  socket.on('send_message', (data, ack) => {
    const roomID = roomIDOf(data);
    if (roomID === null) return fault(ack, 'room_id is required', 'invalid_input');
    const content = typeof data.content === 'string' ? data.content.trim() : '';
    if (!content) return fault(ack, 'content is required', 'invalid_input');
    if (content.length > maxMessageLength) return fault(ack, 'message too long', 'too_large');
    if (!readable(user, roomID)) return fault(ack, 'room not found', 'not_found');
    const created = nowISO();
    // Stored first: the INSERT is synchronous, so nothing is delivered unless it committed.
    const info = q.insertMessage.run(content, user.id, roomID, created);
    const id = Number(info.lastInsertRowid);
    io.to(String(roomID)).emit('new_message', {
      id, content, user_id: user.id, username: user.username, room_id: roomID, created_at: created,
      file_url: null, file_id: null, sender: user, type: 'message', timestamp: created,
    });
    socket.emit('message_sent', { status: 'success', message_id: id, timestamp: created });
    if (typeof ack === 'function') ack({ status: 'success', message_id: id, timestamp: created });
  });

  socket.on('disconnect', () => {
    for (const roomID of joined) {
      if (exit(roomID, user.id)) {
        socket.to(String(roomID)).emit('user_left', { user_id: user.id, username: user.username, room_id: roomID, timestamp: nowISO() });
      }
    }
  });
});

// Which of ws's optional native addons this process runs with (bench/run.sh
// checks the line: node must load none, node-native bufferutil). ws requires
// them when its receiver loads, which socket.io has done by now, unless
// WS_NO_BUFFER_UTIL / WS_NO_UTF_8_VALIDATE is set; a module in require.cache
// was loaded, one that only resolves was not. ws >= 8.12 takes
// buffer.isUtf8 over utf-8-validate where Node has it (Node >= 18.14).
function addonState(name, envVar) {
  let resolves = 'no';
  try {
    require.resolve(name);
    resolves = 'yes';
  } catch (_) { /* not installed */ }
  const loaded = Object.keys(require.cache).some((k) => k.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`));
  return `${name} resolves=${resolves} loaded=${loaded ? 'yes' : 'no'} ${envVar}=${process.env[envVar] ? process.env[envVar] : 'unset'}`;
}

server.listen(port, () => {
  console.log(`reference-node listening on :${port} (data ${dataDir})`);
  console.log(`ws addons: ${addonState('bufferutil', 'WS_NO_BUFFER_UTIL')}; ${addonState('utf-8-validate', 'WS_NO_UTF_8_VALIDATE')}; buffer.isUtf8=${typeof require('node:buffer').isUtf8 === 'function' ? 'yes' : 'no'}`);
});

function shutdown() {
  io.close();
  server.close(() => { db.close(); process.exit(0); });
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
