// IzpoChat web client: log in, rooms, conversations and live chat over the
// server's REST API and raw WebSocket door. No framework; every user-supplied
// text is put in the page as text (see dom.js).
import { Api, ApiError } from './api.js';
import { $, h, formatSize } from './dom.js';
import { RoomSocket } from './live.js';
import { renderMessage, mentionsUser } from './messages.js';

const PAGE = 50; // messages per history page
const MAX_SOCKETS = 20; // live rooms besides the open one (each is a WebSocket, and the server caps them per address); the rest update when opened
const TYPING_IDLE_MS = 3000;
const TYPING_SHOWN_MS = 6000;
const LOCK_ICON = new URL('./lock.svg', import.meta.url).href;

const api = new Api(() => endSession('Your session has expired. Please log in again.'));

const state = {
  me: null,
  myRooms: new Map(), // id -> Room (member)
  publicRooms: new Map(), // id -> Room (public, not a member)
  conversations: [], // [{room_id, other_user, last_message}]
  dmRooms: new Set(), // room ids of conversations
  active: null, // the open room id
  activeRoom: null, // its Room
  messages: new Map(), // the open room's messages by id
  oldestId: 0,
  newestId: 0,
  hasOlder: false,
  loadingOlder: false,
  sockets: new Map(), // room id -> RoomSocket
  lastSeen: new Map(), // room id -> newest message id counted
  unread: new Map(), // room id -> {count, mentions}
  replyTo: null,
  editingId: 0,
  confirmDeleteId: 0,
  typers: new Map(), // user id -> {username, timer}
  typingSent: false,
  typingTimer: 0,
  features: { edit: true, remove: true, members: true },
  uploadLimits: null,
  down: new Set(), // room ids whose socket dropped
  expiryTimer: 0,
  baseline: null, // rooms whose unread count starts now (beginReadState)
  loadingRoom: null, // the open room while its first page loads
  pollTimer: 0,
};

// ---------- read state (kept per user in localStorage) ----------

function readKey() {
  return `izpochat.read.${state.me.id}`;
}
function loadRead() {
  try {
    return JSON.parse(localStorage.getItem(readKey()) || '{}') || {};
  } catch {
    return {};
  }
}
// A browser that has never seen this user starts with everything read in the
// rooms it finds; a room that appears later (a new conversation, an added
// member) counts all its messages as unread.
function beginReadState(roomIds) {
  state.baseline = new Set();
  if (localStorage.getItem(readKey()) === null) {
    localStorage.setItem(readKey(), '{}');
    state.baseline = new Set(roomIds);
  }
}
function lastRead(roomId) {
  return Number(loadRead()[roomId] || 0);
}
function markRead(roomId, id) {
  const read = loadRead();
  if (id > Number(read[roomId] || 0)) {
    read[roomId] = id;
    localStorage.setItem(readKey(), JSON.stringify(read));
  }
  state.unread.delete(roomId);
  renderLists();
}

// ---------- session ----------

function tokenExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

function showAuth(message) {
  $('chat-view').hidden = true;
  $('auth-view').hidden = false;
  const note = $('auth-message');
  note.textContent = message || '';
  note.hidden = !message;
  $('register-form').hidden = true;
  $('login-form').hidden = false;
  $('login-id').focus();
}

function endSession(message) {
  for (const s of state.sockets.values()) s.close();
  state.sockets.clear();
  clearTimeout(state.expiryTimer);
  clearInterval(state.pollTimer);
  api.setToken('');
  state.me = null;
  state.active = null;
  showAuth(message);
}

async function startSession(token, user) {
  api.setToken(token);
  const exp = tokenExpiry(token);
  if (exp && exp <= Date.now()) {
    endSession('Your session has expired. Please log in again.');
    return;
  }
  try {
    state.me = user || (await api.get('/api/users/me'));
  } catch (err) {
    if (err.status !== 401) showAuth(err.message);
    return;
  }
  if (exp) state.expiryTimer = setTimeout(() => endSession('Your session has expired. Please log in again.'), Math.min(exp - Date.now(), 2 ** 31 - 1));
  $('auth-view').hidden = true;
  $('chat-view').hidden = false;
  $('me-name').textContent = state.me.username;
  state.myRooms.clear();
  state.publicRooms.clear();
  state.unread.clear();
  state.lastSeen.clear();
  state.baseline = null;
  closeRoom();
  try {
    await refreshRooms();
  } catch (err) {
    if (err.status === 401 || !state.me) return; // the session already ended
    notice(err.message);
  }
  state.pollTimer = setInterval(() => refreshRooms().catch(() => {}), 30_000);
  api.get('/api/uploads/types/allowed').then((l) => (state.uploadLimits = l)).catch(() => {});
  detectFeatures();
  if (window.matchMedia('(max-width: 720px)').matches) setNav(true);
}

// detectFeatures reads /openapi.json for what this server offers beyond the
// basics (edit and delete, member management: issue 23), so the buttons of
// what it lacks are not shown. Unknown (no document): shown, and a 404/405
// answer hides them then (routeMissing).
async function detectFeatures() {
  try {
    const doc = await api.request('GET', '/openapi.json', undefined, { auth: false });
    const paths = (doc && doc.paths) || {};
    const has = (path, method) => Boolean(paths[path] && paths[path][method]);
    state.features.edit = has('/api/messages/{id}', 'patch');
    state.features.remove = has('/api/messages/{id}', 'delete');
    state.features.members = has('/api/rooms/{id}/members', 'post');
    rerenderAll();
    if (state.active && !$('members-panel').hidden) renderMembers();
  } catch {
    // keep the defaults
  }
}

// ---------- rooms, conversations and their live sockets ----------

async function refreshRooms() {
  const [mine, all, convs] = await Promise.all([
    api.get('/api/users/me/rooms'),
    api.get('/api/rooms'),
    api.get('/api/conversations'),
  ]);
  state.conversations = convs || [];
  state.dmRooms = new Set(state.conversations.map((c) => c.room_id));
  state.myRooms = new Map((mine || []).map((r) => [r.id, r]));
  state.publicRooms = new Map((all || []).filter((r) => !r.is_private && !state.myRooms.has(r.id)).map((r) => [r.id, r]));
  if (!state.baseline) beginReadState([...state.myRooms.keys()]);
  // Live sockets for the rooms I am in (conversations first: they are personal).
  const wanted = [...state.dmRooms, ...[...state.myRooms.keys()].filter((id) => !state.dmRooms.has(id))].slice(0, MAX_SOCKETS);
  if (state.active && !wanted.includes(state.active)) wanted.push(state.active);
  for (const [id, s] of state.sockets) {
    if (!wanted.includes(id)) {
      s.close();
      state.sockets.delete(id);
      state.down.delete(id);
    }
  }
  for (const id of wanted) ensureSocket(id);
  renderLists();
  renderConnection();
}

const refreshRoomsSoon = debounce(() => refreshRooms().catch(() => {}), 500);

function ensureSocket(roomId) {
  if (state.sockets.has(roomId)) return;
  const socket = new RoomSocket(roomId, api.token, {
    onOpen: () => {
      state.down.delete(roomId);
      renderConnection();
      catchUp(roomId).catch(() => {});
    },
    onDown: () => {
      state.down.add(roomId);
      renderConnection();
    },
    onRefused: async () => {
      state.sockets.delete(roomId);
      state.down.delete(roomId);
      renderConnection();
      // A refused token ends the session (the API says 401); a refused room
      // (deleted, or I was removed) drops out of the lists.
      try {
        await api.get('/api/users/me');
        await refreshRooms();
        if (state.active === roomId && !state.myRooms.has(roomId) && !state.publicRooms.has(roomId)) {
          closeRoom();
          notice('This room is no longer available.');
        }
      } catch {
        // 401 already ended the session
      }
    },
    onFrame: (frame) => onFrame(roomId, frame),
  });
  state.sockets.set(roomId, socket);
}

// catchUp fetches what was posted since the newest message known for the
// room (after_id), so a reconnect misses nothing; intake drops duplicates.
async function catchUp(roomId) {
  // The open room's first page is still on its way: it brings the newest.
  if (roomId === state.active && state.loadingRoom === roomId) return;
  let after = roomId === state.active ? state.newestId : state.lastSeen.get(roomId) || lastRead(roomId);
  if (!after && roomId !== state.active && state.baseline.has(roomId)) {
    // Known when this browser first saw the user: start counting from now.
    const newest = await api.get(`/api/rooms/${roomId}/messages?limit=1`);
    const id = newest && newest.length ? newest[newest.length - 1].id : 0;
    state.lastSeen.set(roomId, id);
    if (id) markRead(roomId, id);
    return;
  }
  // Everything since a known message; a room never read here counts one page.
  for (let page = 0; page < (after ? 10 : 1); page++) {
    const msgs = await api.get(`/api/rooms/${roomId}/messages?after_id=${after}&limit=500`);
    for (const m of msgs || []) intake(roomId, m, false);
    if (!msgs || msgs.length < 500) break;
    after = msgs[msgs.length - 1].id;
  }
}

function onFrame(roomId, f) {
  switch (f.type) {
    case 'message':
      if (typeof f.id === 'number') intake(roomId, f, true);
      break;
    case 'message_edited':
      if (typeof f.id === 'number') updateMessage(roomId, f);
      break;
    case 'message_deleted':
      removeMessage(roomId, f.id);
      break;
    case 'typing':
      if (roomId === state.active) onTyping(f);
      break;
    case 'users_online':
      if (roomId === state.active) renderOnline(f.users || []);
      break;
    case 'user_joined':
    case 'user_left':
      if (roomId === state.active) refreshOnline();
      break;
    case 'member_added':
    case 'member_removed':
    case 'role_changed':
      if (roomId === state.active && !$('members-panel').hidden) renderMembers();
      refreshRoomsSoon();
      break;
    default:
    // welcome, pong, error: nothing to show
  }
}

// intake takes one message of a room, live or fetched, exactly once.
function intake(roomId, m, live) {
  const seen = state.lastSeen.get(roomId) || 0;
  if (m.id > seen) state.lastSeen.set(roomId, m.id);
  const mine = m.user_id === state.me.id;
  updateConversationPreview(roomId, m);
  if (roomId === state.active) {
    if (state.messages.has(m.id)) return;
    const atBottom = nearBottom();
    state.messages.set(m.id, m);
    insertMessage(m);
    state.newestId = Math.max(state.newestId, m.id);
    if (!state.oldestId) state.oldestId = m.id;
    if (atBottom || mine) scrollToBottom();
    if (!mine) {
      if (live) announce(m);
      clearTyper(m.user_id);
    }
    if (document.visibilityState === 'visible') markRead(roomId, m.id);
    return;
  }
  if (mine || m.id <= seen || m.id <= lastRead(roomId)) return;
  const u = state.unread.get(roomId) || { count: 0, mentions: 0 };
  u.count++;
  if (mentionsUser(m.content, state.me.username)) u.mentions++;
  state.unread.set(roomId, u);
  renderLists();
}

function updateConversationPreview(roomId, m) {
  const c = state.conversations.find((x) => x.room_id === roomId);
  if (!c) return;
  if (!c.last_message || new Date(m.created_at) >= new Date(c.last_message.created_at)) {
    c.last_message = { content: m.content, created_at: m.created_at };
    state.conversations.sort((a, b) => new Date(b.last_message?.created_at || 0) - new Date(a.last_message?.created_at || 0));
    renderLists();
  }
}

// ---------- sidebar ----------

function roomName(room) {
  if (state.dmRooms.has(room.id)) {
    const c = state.conversations.find((x) => x.room_id === room.id);
    if (c && c.other_user) return c.other_user.username;
  }
  return room.name;
}

function badges(roomId) {
  const u = state.unread.get(roomId);
  if (!u || !u.count) return [];
  const out = [h('span', { class: 'badge' }, String(u.count), h('span', { class: 'visually-hidden' }, u.count === 1 ? ' unread message' : ' unread messages'))];
  if (u.mentions) out.unshift(h('span', { class: 'badge mention', title: 'You were mentioned' }, '@', h('span', { class: 'visually-hidden' }, ' mentioned')));
  return out;
}

function roomItem(room, { name, sub, join } = {}) {
  const label = name || room.name;
  const open = h(
    'button',
    { type: 'button', class: 'room-button', 'aria-current': state.active === room.id ? 'true' : 'false', onclick: () => openRoom(room.id) },
    room.is_private && !state.dmRooms.has(room.id) ? h('img', { class: 'lock', src: LOCK_ICON, alt: 'Private', width: 14, height: 14, title: 'Private' }) : null,
    h('span', { class: 'name' }, label, sub ? h('span', { class: 'sub' }, sub) : null),
    badges(room.id),
  );
  const li = h('li', { 'aria-label': label, 'data-room-id': room.id }, open);
  if (join) li.append(h('button', { type: 'button', 'aria-label': `Join ${label}`, onclick: () => joinRoom(room.id) }, 'Join'));
  return li;
}

function renderLists() {
  if (!state.me) return;
  const mine = [...state.myRooms.values()].filter((r) => !state.dmRooms.has(r.id)).sort((a, b) => a.name.localeCompare(b.name));
  $('my-rooms').replaceChildren(...(mine.length ? mine.map((r) => roomItem(r)) : [h('li', { class: 'muted' }, 'No rooms yet.')]));
  const pub = [...state.publicRooms.values()].sort((a, b) => a.name.localeCompare(b.name));
  $('public-rooms').replaceChildren(...(pub.length ? pub.map((r) => roomItem(r, { join: true })) : [h('li', { class: 'muted' }, 'None.')]));
  $('conversations').replaceChildren(
    ...state.conversations.map((c) =>
      roomItem(
        { id: c.room_id, name: c.other_user ? c.other_user.username : `Conversation ${c.room_id}`, is_private: true },
        { sub: c.last_message ? c.last_message.content : 'No messages yet' },
      ),
    ),
  );
  document.title = totalUnread() ? `(${totalUnread()}) IzpoChat` : 'IzpoChat';
}

function totalUnread() {
  let n = 0;
  for (const u of state.unread.values()) n += u.count;
  return n;
}

function setNav(open) {
  $('chat-view').classList.toggle('nav-open', open);
  $('nav-toggle').setAttribute('aria-expanded', String(open));
  $('nav-toggle').setAttribute('aria-label', open ? 'Hide rooms' : 'Show rooms');
}

// ---------- the open room ----------

function closeRoom() {
  if (state.active && !state.myRooms.has(state.active) && state.sockets.has(state.active)) {
    state.sockets.get(state.active).close();
    state.sockets.delete(state.active);
    state.down.delete(state.active);
  }
  stopTyping();
  state.active = null;
  state.activeRoom = null;
  state.messages.clear();
  state.oldestId = state.newestId = 0;
  state.replyTo = null;
  state.editingId = state.confirmDeleteId = 0;
  for (const t of state.typers.values()) clearTimeout(t.timer);
  state.typers.clear();
  $('room-pane').hidden = true;
  $('no-room').hidden = false;
  renderLists();
  renderConnection();
}

async function openRoom(roomId) {
  if (state.active !== roomId) closeRoom();
  state.active = roomId;
  setNav(false);
  $('no-room').hidden = true;
  $('room-pane').hidden = false;
  $('members-panel').hidden = true;
  $('members-button').setAttribute('aria-expanded', 'false');
  $('message-list').replaceChildren();
  $('typing-line').textContent = '';
  $('room-online').textContent = '';
  notice('');
  renderReply();
  const known = state.myRooms.get(roomId) || state.publicRooms.get(roomId) || { id: roomId, name: `Room ${roomId}`, is_private: true };
  state.activeRoom = known;
  renderRoomHead();
  renderLists();
  state.loadingRoom = roomId;
  try {
    const [room, msgs] = await Promise.all([api.get(`/api/rooms/${roomId}`), api.get(`/api/rooms/${roomId}/messages?limit=${PAGE}`)]);
    if (state.active !== roomId) return;
    state.loadingRoom = null;
    state.activeRoom = room;
    renderRoomHead();
    state.hasOlder = msgs.length >= PAGE;
    for (const m of msgs) {
      // A live one may have come in while this page was on its way.
      if (state.messages.has(m.id)) continue;
      state.messages.set(m.id, m);
      insertMessage(m);
    }
    const ids = [...state.messages.keys()];
    state.oldestId = ids.length ? Math.min(...ids) : 0;
    state.newestId = ids.length ? Math.max(...ids) : 0;
    $('load-older').hidden = !state.hasOlder;
    scrollToBottom();
    if (state.newestId) {
      state.lastSeen.set(roomId, Math.max(state.lastSeen.get(roomId) || 0, state.newestId));
      markRead(roomId, state.newestId);
    }
    if (!state.sockets.has(roomId)) ensureSocket(roomId);
    else catchUp(roomId).catch(() => {});
    refreshOnline();
    if (state.myRooms.has(roomId)) $('message-input').focus();
  } catch (err) {
    if (state.active === roomId) {
      state.loadingRoom = null;
      notice(err.message);
    }
  }
}

function isMember(roomId) {
  return state.myRooms.has(roomId);
}

function renderRoomHead() {
  const room = state.activeRoom;
  const member = isMember(room.id);
  const dm = state.dmRooms.has(room.id);
  $('room-title').textContent = roomName(room);
  $('join-button').hidden = member;
  $('leave-button').hidden = !member || dm;
  $('members-button').hidden = dm;
  $('composer').hidden = !member;
}

async function refreshOnline() {
  const roomId = state.active;
  if (!roomId) return;
  try {
    const r = await api.get(`/api/ws/rooms/${roomId}/online`);
    if (state.active === roomId) renderOnline(r.online_users || []);
  } catch {
    // presence is a nicety
  }
}

function renderOnline(users) {
  const names = users.map((u) => u.username).filter(Boolean);
  $('room-online').textContent = names.length ? `Online: ${names.join(', ')}` : '';
}

function nearBottom() {
  const s = $('message-scroller');
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}
function scrollToBottom() {
  const s = $('message-scroller');
  s.scrollTop = s.scrollHeight;
}

function messageContext() {
  return {
    me: state.me,
    features: state.features,
    // The room's owner and admins may delete anyone's message (issue 23).
    moderator: Boolean(state.activeRoom && ['owner', 'admin'].includes(state.activeRoom.my_role)),
    editingId: state.editingId,
    confirmDeleteId: state.confirmDeleteId,
    byId: (id) => state.messages.get(id),
    onReply: startReply,
    onEdit: (m) => {
      state.editingId = m.id;
      state.confirmDeleteId = 0;
      rerender(m.id);
      const box = document.querySelector(`[data-id="${m.id}"] textarea`);
      if (box) {
        box.focus();
        box.setSelectionRange(box.value.length, box.value.length);
      }
    },
    onEditCancel: (m) => {
      state.editingId = 0;
      rerender(m.id);
      $('message-input').focus();
    },
    onEditSave: saveEdit,
    onDelete: (m) => {
      state.confirmDeleteId = m.id;
      state.editingId = 0;
      rerender(m.id);
      const yes = document.querySelector(`[data-id="${m.id}"] .confirm-delete`);
      if (yes) yes.focus();
    },
    onDeleteCancel: (m) => {
      state.confirmDeleteId = 0;
      rerender(m.id);
    },
    onDeleteConfirm: deleteMessage,
    fileInfo,
  };
}

// insertMessage puts a message in id order (live ones come last, caught-up and
// older ones may land in between).
function insertMessage(m) {
  const list = $('message-list');
  const el = renderMessage(m, messageContext());
  let before = null;
  for (let i = list.children.length - 1; i >= 0; i--) {
    const id = Number(list.children[i].dataset.id);
    if (id < m.id) break;
    before = list.children[i];
  }
  list.insertBefore(el, before);
}

function rerender(id) {
  const m = state.messages.get(id);
  const old = document.querySelector(`#message-list [data-id="${id}"]`);
  if (m && old) old.replaceWith(renderMessage(m, messageContext()));
}

function rerenderAll() {
  for (const id of state.messages.keys()) rerender(id);
}

function updateMessage(roomId, m) {
  if (roomId !== state.active || !state.messages.has(m.id)) return;
  state.messages.set(m.id, { ...state.messages.get(m.id), ...m });
  rerender(m.id);
}

function removeMessage(roomId, id) {
  if (roomId !== state.active) return;
  state.messages.delete(id);
  const el = document.querySelector(`#message-list [data-id="${id}"]`);
  if (el) el.remove();
  if (state.replyTo && state.replyTo.id === id) {
    state.replyTo = null;
    renderReply();
  }
}

async function loadOlder() {
  const roomId = state.active;
  if (!roomId || !state.hasOlder || state.loadingOlder || !state.oldestId) return;
  state.loadingOlder = true;
  try {
    const msgs = await api.get(`/api/rooms/${roomId}/messages?before_id=${state.oldestId}&limit=${PAGE}`);
    if (state.active !== roomId) return;
    const s = $('message-scroller');
    const fromBottom = s.scrollHeight - s.scrollTop;
    for (const m of msgs) {
      if (state.messages.has(m.id)) continue;
      state.messages.set(m.id, m);
      insertMessage(m);
    }
    if (msgs.length) state.oldestId = msgs[0].id;
    state.hasOlder = msgs.length >= PAGE;
    $('load-older').hidden = !state.hasOlder;
    s.scrollTop = s.scrollHeight - fromBottom;
  } catch (err) {
    notice(err.message);
  } finally {
    state.loadingOlder = false;
  }
}

// A file message's details: the message may carry them, else they are asked
// for once (size and type for the card).
const fileCache = new Map();
function fileInfo(m, done) {
  if (m.file) return m.file;
  if (!m.file_id) return null;
  if (fileCache.has(m.file_id)) return fileCache.get(m.file_id);
  fileCache.set(m.file_id, null);
  api
    .get(`/api/files/${m.file_id}`)
    .then((f) => {
      fileCache.set(m.file_id, f);
      done();
    })
    .catch(() => {});
  return null;
}

// ---------- composing ----------

function startReply(m) {
  state.replyTo = m;
  renderReply();
  $('message-input').focus();
}

function renderReply() {
  const m = state.replyTo;
  $('reply-bar').hidden = !m;
  $('reply-text').textContent = m ? `Replying to ${m.username}: ${m.content.slice(0, 80)}` : '';
}

async function send() {
  const input = $('message-input');
  const content = input.value.trim();
  const roomId = state.active;
  if (!content || !roomId) return;
  const body = { content };
  if (state.replyTo) body.reply_to_id = state.replyTo.id;
  $('send-button').disabled = true;
  try {
    const m = await api.post(`/api/rooms/${roomId}/messages`, body);
    input.value = '';
    autosize();
    state.replyTo = null;
    renderReply();
    stopTyping();
    notice('');
    if (m && typeof m.id === 'number') intake(roomId, m, false);
  } catch (err) {
    notice(err.message);
  } finally {
    $('send-button').disabled = false;
    input.focus();
  }
}

async function saveEdit(m, content) {
  content = content.trim();
  if (!content) return;
  try {
    const updated = await api.patch(`/api/messages/${m.id}`, { content });
    state.editingId = 0;
    state.messages.set(m.id, { ...m, ...(updated || { content, edited_at: new Date().toISOString() }) });
    rerender(m.id);
    $('message-input').focus();
  } catch (err) {
    if (routeMissing(err)) {
      state.features.edit = false;
      state.editingId = 0;
      rerenderAll();
      notice('Editing messages is not available on this server.');
    } else notice(err.message);
  }
}

async function deleteMessage(m) {
  try {
    await api.del(`/api/messages/${m.id}`);
    state.confirmDeleteId = 0;
    removeMessage(state.active, m.id);
    $('message-input').focus();
  } catch (err) {
    state.confirmDeleteId = 0;
    if (routeMissing(err)) {
      state.features.remove = false;
      rerenderAll();
      notice('Deleting messages is not available on this server.');
    } else {
      rerender(m.id);
      notice(err.message);
    }
  }
}

// routeMissing: the server has no such route (an older server), as opposed to
// a missing message.
function routeMissing(err) {
  return err instanceof ApiError && (err.status === 405 || (err.status === 404 && err.message === 'not found'));
}

function onInputTyping() {
  autosize();
  const socket = state.sockets.get(state.active);
  if (!socket) return;
  if (!state.typingSent && $('message-input').value.trim()) {
    state.typingSent = socket.send({ type: 'typing', typing: true });
  }
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(state.typingTimer);
  if (state.typingSent) {
    const socket = state.sockets.get(state.active);
    if (socket) socket.send({ type: 'typing', typing: false });
  }
  state.typingSent = false;
}

function onTyping(f) {
  if (!state.me || f.user_id === state.me.id) return;
  clearTyper(f.user_id);
  if (f.typing) {
    state.typers.set(f.user_id, { username: f.username || 'Someone', timer: setTimeout(() => clearTyper(f.user_id), TYPING_SHOWN_MS) });
  }
  renderTyping();
}

function clearTyper(userId) {
  const t = state.typers.get(userId);
  if (t) {
    clearTimeout(t.timer);
    state.typers.delete(userId);
    renderTyping();
  }
}

function renderTyping() {
  const names = [...state.typers.values()].map((t) => t.username);
  $('typing-line').textContent = !names.length ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}

function autosize() {
  const t = $('message-input');
  t.style.height = 'auto';
  t.style.height = `${Math.min(t.scrollHeight + 2, 160)}px`;
}

function announce(m) {
  const a = $('announcer');
  a.textContent = '';
  // A new text node each time so screen readers announce repeats too.
  setTimeout(() => (a.textContent = `New message from ${m.username}: ${m.content}`), 50);
}

// notice shows an error in the open room, or above the list of rooms when none is open.
function notice(text) {
  const n = $('room-pane').hidden ? $('app-notice') : $('room-notice');
  for (const other of [$('app-notice'), $('room-notice')]) if (other !== n) other.hidden = true;
  n.textContent = text || '';
  n.hidden = !text;
}

// ---------- files ----------

async function uploadFiles(files) {
  const roomId = state.active;
  if (!roomId || !isMember(roomId)) return;
  for (const file of files) {
    const max = state.uploadLimits && state.uploadLimits.max_file_size;
    if (max && file.size > max) {
      notice(`${file.name || 'The file'} is too large: the limit is ${formatSize(max)}.`);
      continue;
    }
    $('upload-status').hidden = false;
    $('upload-label').textContent = `Uploading ${file.name || 'file'}`;
    $('upload-progress').value = 0;
    try {
      await api.upload(roomId, file, (p) => ($('upload-progress').value = p));
      notice('');
      catchUp(roomId).catch(() => {});
    } catch (err) {
      notice(err.message);
    } finally {
      $('upload-status').hidden = true;
    }
  }
}

// ---------- rooms: create, join, leave, members ----------

async function createRoom(e) {
  e.preventDefault();
  const name = $('new-room-name').value.trim();
  if (!name) {
    $('new-room-name').focus();
    return;
  }
  try {
    const room = await api.post('/api/rooms', {
      name,
      description: $('new-room-description').value.trim(),
      is_private: $('new-room-private').checked,
    });
    $('new-room-form').reset();
    $('new-room-form').hidden = true;
    await refreshRooms();
    openRoom(room.id);
  } catch (err) {
    alertIn($('new-room-form'), err.message);
  }
}

function alertIn(form, text) {
  let p = form.querySelector('.notice');
  if (!p) {
    p = h('p', { class: 'notice', role: 'alert' });
    form.prepend(p);
  }
  p.textContent = text;
}

async function joinRoom(roomId) {
  try {
    await api.post(`/api/rooms/${roomId}/join`);
    await refreshRooms();
    openRoom(roomId);
  } catch (err) {
    notice(err.message);
  }
}

async function leaveRoom() {
  const roomId = state.active;
  try {
    await api.post(`/api/rooms/${roomId}/leave`);
    closeRoom();
    await refreshRooms();
  } catch (err) {
    notice(err.message);
  }
}

async function toggleMembers() {
  const panel = $('members-panel');
  panel.hidden = !panel.hidden;
  $('members-button').setAttribute('aria-expanded', String(!panel.hidden));
  if (!panel.hidden) await renderMembers();
}

async function renderMembers() {
  const room = state.activeRoom;
  const roomId = room.id;
  try {
    const members = await api.get(`/api/rooms/${roomId}/members`);
    if (state.active !== roomId) return;
    const creator = room.created_by || (room.creator && room.creator.id);
    // Owners and admins manage a private group's members (my_role, issue 23);
    // a server without roles lets its creator try.
    const manager = 'my_role' in room ? room.my_role === 'owner' || room.my_role === 'admin' : creator === state.me.id;
    const canManage = room.is_private && !state.dmRooms.has(roomId) && manager && state.features.members;
    $('member-list').replaceChildren(
      ...members.map((u) =>
        h(
          'li',
          { 'aria-label': u.username },
          h('span', {}, u.username, h('span', { class: 'muted' }, u.role ? ` (${u.role})` : u.id === creator ? ' (creator)' : '')),
          canManage && u.id !== state.me.id ? h('button', { type: 'button', 'aria-label': `Remove ${u.username}`, onclick: () => removeMember(u) }, 'Remove') : null,
        ),
      ),
    );
    $('add-member-block').hidden = !canManage;
  } catch (err) {
    notice(err.message);
  }
}

async function addMember(user) {
  try {
    await api.post(`/api/rooms/${state.active}/members`, { user_id: user.id });
    $('add-member-search').value = '';
    $('add-member-results').replaceChildren();
    await renderMembers();
  } catch (err) {
    memberFeatureError(err);
  }
}

async function removeMember(user) {
  try {
    await api.del(`/api/rooms/${state.active}/members/${user.id}`);
    await renderMembers();
  } catch (err) {
    memberFeatureError(err);
  }
}

function memberFeatureError(err) {
  if (routeMissing(err)) {
    state.features.members = false;
    renderMembers();
    notice('Adding and removing members is not available on this server.');
  } else notice(err.message);
}

// ---------- people search and conversations ----------

function debounce(fn, ms) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

async function searchUsers(query) {
  query = query.trim();
  if (!query) return [];
  return (await api.get(`/api/users/search?query=${encodeURIComponent(query)}`)) || [];
}

const onUserSearch = debounce(async () => {
  const list = $('user-results');
  try {
    const users = await searchUsers($('user-search').value);
    list.replaceChildren(
      ...users.map((u) =>
        h('li', {}, h('span', {}, u.username), h('button', { type: 'button', 'aria-label': `Message ${u.username}`, onclick: () => startConversation(u) }, 'Message')),
      ),
    );
  } catch (err) {
    list.replaceChildren(h('li', { class: 'muted' }, err.message));
  }
}, 250);

const onMemberSearch = debounce(async () => {
  const list = $('add-member-results');
  try {
    const users = await searchUsers($('add-member-search').value);
    list.replaceChildren(
      ...users.map((u) => h('li', {}, h('span', {}, u.username), h('button', { type: 'button', 'aria-label': `Add ${u.username}`, onclick: () => addMember(u) }, 'Add'))),
    );
  } catch (err) {
    list.replaceChildren(h('li', { class: 'muted' }, err.message));
  }
}, 250);

async function startConversation(user) {
  try {
    const r = await api.post('/api/conversations', { recipient_id: user.id });
    $('user-search').value = '';
    $('user-results').replaceChildren();
    await refreshRooms();
    openRoom(r.room_id || r.id);
  } catch (err) {
    notice(err.message);
  }
}

// ---------- connection status ----------

function renderConnection() {
  const el = $('conn-status');
  const offline = !navigator.onLine || (state.active && state.down.has(state.active)) || (state.down.size > 0 && state.down.size === state.sockets.size);
  el.hidden = !offline;
  el.textContent = offline ? 'Offline — reconnecting…' : '';
}

// ---------- wiring ----------

function wire() {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = $('login-id').value.trim();
    const password = $('login-password').value;
    if (!id || !password) return showAuthError('Enter your username or email and your password.');
    try {
      const body = id.includes('@') ? { email: id, password } : { username: id, password };
      const r = await api.request('POST', '/api/users/login', body, { auth: false });
      $('login-form').reset();
      await startSession(r.access_token, r.user);
    } catch (err) {
      showAuthError(err.status === 401 ? 'Wrong username, email or password.' : err.message);
    }
  });
  $('register-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      username: $('reg-username').value.trim(),
      email: $('reg-email').value.trim(),
      password: $('reg-password').value,
    };
    const full = $('reg-fullname').value.trim();
    if (full) body.full_name = full;
    if (!body.username || !body.email || !body.password) return showAuthError('Username, email and password are required.');
    try {
      const r = await api.request('POST', '/api/users/register', body, { auth: false });
      $('register-form').reset();
      await startSession(r.access_token, r.user);
    } catch (err) {
      showAuthError(err.message);
    }
  });
  $('show-register').addEventListener('click', () => {
    $('login-form').hidden = true;
    $('register-form').hidden = false;
    $('auth-message').hidden = true;
    $('reg-username').focus();
  });
  $('show-login').addEventListener('click', () => showAuth(''));
  $('logout').addEventListener('click', () => endSession('You are logged out.'));
  $('nav-toggle').addEventListener('click', () => setNav(!$('chat-view').classList.contains('nav-open')));

  $('new-room-button').addEventListener('click', () => {
    $('new-room-form').hidden = false;
    $('new-room-name').focus();
  });
  $('new-room-cancel').addEventListener('click', () => {
    $('new-room-form').reset();
    $('new-room-form').hidden = true;
    $('new-room-button').focus();
  });
  $('new-room-form').addEventListener('submit', createRoom);
  $('new-room-form').addEventListener('keydown', (e) => e.key === 'Escape' && $('new-room-cancel').click());
  $('join-button').addEventListener('click', () => joinRoom(state.active));
  $('leave-button').addEventListener('click', leaveRoom);
  $('members-button').addEventListener('click', toggleMembers);
  $('user-search').addEventListener('input', onUserSearch);
  $('add-member-search').addEventListener('input', onMemberSearch);

  const input = $('message-input');
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape' && state.replyTo) {
      state.replyTo = null;
      renderReply();
    }
  });
  input.addEventListener('input', onInputTyping);
  input.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (files.length) {
      e.preventDefault();
      uploadFiles(files);
    }
  });
  $('reply-cancel').addEventListener('click', () => {
    state.replyTo = null;
    renderReply();
    input.focus();
  });
  $('attach-button').addEventListener('click', () => $('file-input').click());
  $('file-input').addEventListener('change', () => {
    const files = [...$('file-input').files];
    $('file-input').value = '';
    uploadFiles(files);
  });

  const pane = $('room-pane');
  let depth = 0;
  pane.addEventListener('dragenter', (e) => {
    if (!isMember(state.active) || !e.dataTransfer?.types?.includes('Files')) return;
    e.preventDefault();
    depth++;
    $('drop-hint').hidden = false;
  });
  pane.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types?.includes('Files')) e.preventDefault();
  });
  pane.addEventListener('dragleave', () => {
    if (--depth <= 0) {
      depth = 0;
      $('drop-hint').hidden = true;
    }
  });
  pane.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    $('drop-hint').hidden = true;
    const files = [...(e.dataTransfer?.files || [])];
    if (files.length) uploadFiles(files);
  });

  $('message-scroller').addEventListener('scroll', () => {
    if ($('message-scroller').scrollTop < 80) loadOlder();
  });
  $('load-older').addEventListener('click', loadOlder);

  window.addEventListener('online', () => {
    for (const s of state.sockets.values()) s.reconnectNow();
    renderConnection();
  });
  window.addEventListener('offline', renderConnection);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.active && state.newestId) markRead(state.active, state.newestId);
  });
  // Another tab logged out or in: follow it.
  window.addEventListener('storage', (e) => {
    if (e.key === 'izpochat.token' && !e.newValue && state.me) endSession('You logged out in another tab.');
  });
}

function showAuthError(text) {
  const note = $('auth-message');
  note.textContent = text;
  note.hidden = false;
}

wire();
if (api.token) startSession(api.token);
else showAuth('');
