// The web client at / in headless Chromium (Debian's chromium, driven by
// playwright-core): two people register, create and join a room, chat both ways
// live, upload an image and see it, edit and delete, reload and find the
// history; user text never runs as code; the page's headers; WEB_CLIENT=off.
// Screenshots at phone and desktop width land in e2e/.artifacts/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { BASE, api, createRoom, postMessageREST, registerUser, unique } from '../lib/api.mjs';
import { claims, mint } from '../lib/jwt.mjs';
import { call, newSite, removeSite, start, stop } from '../lib/spawn.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(here, '..', '.artifacts', 'screenshots', process.env.E2E_DB || 'local');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const LIVE_MS = 10_000;

// A 240x150 PNG (a gradient with a sun): a real image for the server's content
// sniffing, big enough to see in the screenshots.
const IMAGE_W = 240;
const PNG = makePNG(IMAGE_W, 150, (x, y) => {
  const sun = (x - 170) ** 2 + (y - 60) ** 2 < 28 ** 2;
  if (sun) return [255, 214, 92];
  if (y > 110) return [40 + (x % 40 < 20 ? 10 : 0), 70, 120];
  return [79 + Math.round((y / 110) * 150), 70 + Math.round((y / 110) * 60), 229 - Math.round((y / 110) * 90)];
});

function makePNG(w, h, pixel) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < w; x++) raw.set(pixel(x, y), y * (w * 3 + 1) + 1 + x * 3);
  }
  const head = Buffer.alloc(13);
  head.writeUInt32BE(w, 0);
  head.writeUInt32BE(h, 4);
  head.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', head), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chromiumPath() {
  const candidates = [process.env.E2E_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no Chromium found (tried ${candidates.join(', ')}); scripts/test installs Debian's chromium`);
  return found;
}

let browser;
const problems = []; // CSP violations and page errors seen in any page

before(async () => {
  mkdirSync(shots, { recursive: true });
  process.stdout.write(`# web client screenshots: ${shots}\n`);
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});

after(async () => {
  await browser?.close();
});

// openPage is a fresh browser profile (its own localStorage) at the client.
async function openPage(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, baseURL: BASE, colorScheme: 'light' });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.setDefaultTimeout(LIVE_MS);
  await page.goto('/');
  return page;
}

async function registerInPage(page, who) {
  await page.getByRole('button', { name: 'Register', exact: true }).click();
  await page.getByLabel('Username', { exact: true }).filter({ visible: true }).fill(who.username);
  await page.getByLabel('Email', { exact: true }).filter({ visible: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).filter({ visible: true }).fill(who.password);
  await page.getByRole('button', { name: 'Register', exact: true }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

async function loginInPage(page, who, id = who.username) {
  await page.getByLabel('Username or email', { exact: true }).filter({ visible: true }).fill(id);
  await page.getByLabel('Password', { exact: true }).filter({ visible: true }).fill(who.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

function newPerson(prefix) {
  const username = unique(prefix);
  return { username, email: `${username}@e2e.test`, password: `pw-${username}` };
}

const messageItem = (page, text) => page.locator('#message-list > li').filter({ hasText: text });

async function send(page, text, how = 'enter') {
  const box = page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill(text);
  if (how === 'enter') await box.press('Enter');
  else await page.getByRole('button', { name: 'Send', exact: true }).click();
  await messageItem(page, text).first().waitFor();
}

async function openRoomFromList(page, name) {
  await page.getByRole('listitem', { name, exact: true }).getByRole('button').first().click();
  await page.getByRole('heading', { name, exact: true }).waitFor();
}

// editingAvailable probes the edit route (issue 23, landing separately) on a
// message of its own: 404/405 means this server has no edit or delete yet.
async function editingAvailable(token) {
  const room = await createRoom(token, { name: unique('probe'), is_private: true });
  const msg = await postMessageREST(token, room.id, 'probe');
  const r = await api('PATCH', `/api/messages/${msg.id}`, { token, json: { content: 'probe edited' } });
  if (r.status === 404 || r.status === 405) return false;
  assert.equal(r.status, 200, `PATCH /api/messages/{id}: ${r.status} ${JSON.stringify(r.body)}`);
  return true;
}

test('two browsers: register, room, live chat both ways, image, edit, delete, reload', async () => {
  const alice = newPerson('alice');
  const bob = newPerson('bob');
  const a = await openPage();
  const b = await openPage();
  // The login screen's labels are the ones screen readers read.
  for (const label of ['Username or email', 'Password']) assert.equal(await a.getByLabel(label, { exact: true }).filter({ visible: true }).count(), 1, label);
  await registerInPage(a, alice);
  await registerInPage(b, bob);

  const roomName = unique('lobby');
  await a.getByRole('button', { name: 'New room', exact: true }).click();
  await a.getByLabel('Room name', { exact: true }).filter({ visible: true }).fill(roomName);
  await a.getByRole('button', { name: 'Create room' }).click();
  await a.getByRole('heading', { name: roomName, exact: true }).waitFor();
  assert.equal(await a.getByRole('list', { name: 'My rooms' }).getByRole('listitem', { name: roomName, exact: true }).count(), 1);

  // Bob finds it among the public rooms (the list refreshes every 30 s; a reload is quicker).
  await b.reload();
  const listed = b.getByRole('list', { name: 'Other public rooms' }).getByRole('listitem', { name: roomName, exact: true });
  await listed.getByRole('button', { name: `Join ${roomName}` }).click();
  await b.getByRole('heading', { name: roomName, exact: true }).waitFor();
  await b.getByRole('list', { name: 'My rooms' }).getByRole('listitem', { name: roomName, exact: true }).waitFor();

  // Live, both ways: Enter sends on one side, the Send button on the other.
  await send(b, 'hello from bob');
  await messageItem(a, 'hello from bob').waitFor();
  assert.equal(await messageItem(a, 'hello from bob').getAttribute('class'), 'msg', 'bob\'s message is not marked as alice\'s');
  // Typing shows on the other side.
  await a.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('hi', { delay: 20 });
  await b.getByText(`${alice.username} is typing…`).waitFor();
  await a.getByText(`Online: ${[alice.username, bob.username].sort().join(', ')}`).or(a.getByText(`Online: ${bob.username}, ${alice.username}`)).waitFor();
  await send(a, 'hi bob, alice here', 'button');
  await messageItem(b, 'hi bob, alice here').waitFor();
  assert.match(await messageItem(a, 'hi bob, alice here').getAttribute('class'), /\bmine\b/, 'my own message is marked');
  // The live region announces it (aria-live on #announcer).
  assert.equal(await b.locator('#announcer').getAttribute('aria-live'), 'polite');
  await b.waitForFunction(() => document.getElementById('announcer').textContent.includes('hi bob, alice here'));
  // Shift+Enter is a new line, not a send.
  const box = b.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill('line one');
  await box.press('Shift+Enter');
  await box.pressSequentially('line two');
  assert.equal(await box.inputValue(), 'line one\nline two');
  await box.press('Enter');
  await messageItem(a, 'line two').waitFor();

  // An image upload shows as a preview on both sides.
  await a.locator('#file-input').setInputFiles({ name: 'red-dot.png', mimeType: 'image/png', buffer: PNG });
  for (const p of [a, b]) {
    const img = p.getByRole('img', { name: 'Image: red-dot.png' });
    await img.waitFor();
    await p.waitForFunction((w) => {
      const el = document.querySelector('img[alt="Image: red-dot.png"]');
      return el && el.complete && el.naturalWidth === w;
    }, IMAGE_W);
  }

  // Unread badge: a message in a room bob is not looking at.
  const side = await createRoom((await api('POST', '/api/users/login', { json: { username: alice.username, password: alice.password } })).body.access_token, {
    name: unique('side'),
  });
  const bobToken = (await api('POST', '/api/users/login', { json: { username: bob.username, password: bob.password } })).body.access_token;
  await api('POST', `/api/rooms/${side.id}/join`, { token: bobToken });
  await b.reload();
  await b.getByRole('listitem', { name: side.name, exact: true }).waitFor();
  await openRoomFromList(b, roomName);
  const aliceToken = await a.evaluate(() => localStorage.getItem('izpochat.token'));
  await postMessageREST(aliceToken, side.id, `@${bob.username} look here`);
  const sideItem = b.getByRole('listitem', { name: side.name, exact: true });
  await sideItem.getByText('1 unread message').waitFor();
  await sideItem.getByText('mentioned').waitFor();
  await b.screenshot({ path: join(shots, 'desktop-chat.png'), animations: 'disabled' });
  // Dark follows the system.
  await b.emulateMedia({ colorScheme: 'dark' });
  assert.equal(await b.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(20, 22, 28)');
  await b.screenshot({ path: join(shots, 'desktop-dark.png'), animations: 'disabled' });
  await b.emulateMedia({ colorScheme: 'light' });
  await openRoomFromList(b, side.name);
  await b.getByRole('listitem', { name: side.name, exact: true }).getByText('unread').waitFor({ state: 'detached' });
  await openRoomFromList(b, roomName);

  // Edit and delete (issue 23's routes; skipped with a notice on a server without them).
  if (await editingAvailable(aliceToken)) {
    const mine = messageItem(a, 'hi bob, alice here');
    await mine.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = a.getByRole('textbox', { name: 'Edit message', exact: true });
    // Escape cancels an edit.
    await edit.fill('not this');
    await edit.press('Escape');
    await messageItem(a, 'hi bob, alice here').waitFor();
    await mine.getByRole('button', { name: 'Edit', exact: true }).click();
    await edit.fill('hi bob, alice here (edited text)');
    await edit.press('Enter');
    for (const p of [a, b]) {
      const edited = messageItem(p, 'alice here (edited text)');
      await edited.waitFor();
      await edited.getByText('(edited)').waitFor();
    }
    const gone = messageItem(a, 'alice here (edited text)');
    await gone.getByRole('button', { name: 'Delete', exact: true }).click();
    await gone.getByRole('button', { name: 'Yes, delete' }).click();
    for (const p of [a, b]) await messageItem(p, 'alice here (edited text)').waitFor({ state: 'detached' });
  } else {
    process.stdout.write('# NOTICE: PATCH /api/messages/{id} answered 404/405: the edit and delete steps are skipped on this server\n');
  }

  // Reload: still logged in, and the history is there.
  await b.reload();
  await openRoomFromList(b, roomName);
  await messageItem(b, 'hello from bob').waitFor();
  await messageItem(b, 'line two').waitFor();
  await b.getByRole('img', { name: 'Image: red-dot.png' }).waitFor();
  await a.screenshot({ path: join(shots, 'desktop-alice.png'), animations: 'disabled' });

  // Phone width: bob in a third profile logs in with his email.
  const phone = await openPage(PHONE);
  await phone.getByRole('button', { name: 'Log in', exact: true }).waitFor();
  await phone.screenshot({ path: join(shots, 'phone-login.png'), animations: 'disabled' });
  await loginInPage(phone, bob, bob.email);
  await phone.getByRole('list', { name: 'My rooms' }).waitFor();
  await phone.screenshot({ path: join(shots, 'phone-rooms.png'), animations: 'disabled' });
  await openRoomFromList(phone, roomName);
  await messageItem(phone, 'hello from bob').waitFor();
  await phone.getByRole('img', { name: 'Image: red-dot.png' }).waitFor();
  await phone.waitForFunction(() => [...document.images].every((i) => i.complete));
  await phone.screenshot({ path: join(shots, 'phone-chat.png'), animations: 'disabled' });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the phone page scrolls sideways by ${overflow}px`);

  // Leaving puts the room back among the others.
  await b.getByRole('button', { name: 'Leave room', exact: true }).click();
  await b.getByRole('list', { name: 'Other public rooms' }).getByRole('listitem', { name: roomName, exact: true }).waitFor();
  assert.equal(await b.getByRole('list', { name: 'My rooms' }).getByRole('listitem', { name: roomName, exact: true }).count(), 0);
  // Logging out forgets the token.
  await b.getByRole('button', { name: 'Log out' }).click();
  await b.getByRole('button', { name: 'Log in', exact: true }).waitFor();
  assert.equal(await b.evaluate(() => localStorage.getItem('izpochat.token')), null);
  await Promise.all([a, b, phone].map((p) => p.context().close()));
  assert.deepEqual(problems, [], 'no CSP violation or page error while chatting');
});

test('private group: the owner adds and removes a member; replies quote their message', async () => {
  const alice = await registerUser('galice');
  const bob = await registerUser('gbob');
  const a = await openPage();
  await loginInPage(a, alice);
  const b = await openPage();
  await loginInPage(b, bob);
  const name = unique('group');
  await a.getByRole('button', { name: 'New room', exact: true }).click();
  await a.getByLabel('Room name', { exact: true }).filter({ visible: true }).fill(name);
  await a.getByLabel('Private (members only)').check();
  await a.getByRole('button', { name: 'Create room' }).click();
  await a.getByRole('heading', { name, exact: true }).waitFor();
  await a.getByRole('button', { name: 'Members', exact: true }).click();
  const room = (await api('GET', '/api/users/me/rooms', { token: alice.token })).body.find((r) => r.name === name);
  const probe = await api('POST', `/api/rooms/${room.id}/members`, { token: alice.token, json: { user_id: -1 } });
  if (probe.status === 405 || (probe.status === 404 && probe.body?.error === 'not found')) {
    process.stdout.write('# NOTICE: POST /api/rooms/{id}/members is not on this server: the member steps are skipped\n');
    await Promise.all([a, b].map((p) => p.context().close()));
    return;
  }
  await a.getByLabel('Add member', { exact: true }).fill(bob.username);
  await a.getByRole('button', { name: `Add ${bob.username}`, exact: true }).click();
  await a.getByRole('list', { name: 'Room members' }).getByRole('listitem', { name: bob.username, exact: true }).waitFor();
  // Bob sees the group (on his next look at the lists) and can chat in it.
  await b.reload();
  await openRoomFromList(b, name);
  await send(a, 'welcome to the group');
  await messageItem(b, 'welcome to the group').waitFor();
  await messageItem(b, 'welcome to the group').getByRole('button', { name: 'Reply', exact: true }).click();
  await b.getByText(`Replying to ${alice.username}: welcome to the group`).waitFor();
  await send(b, 'thanks!');
  const reply = messageItem(a, 'thanks!');
  await reply.waitFor();
  await reply.locator('.quote').filter({ hasText: `${alice.username}: welcome to the group` }).waitFor();
  // Removed, the room leaves bob's list and his page says so.
  await a.getByRole('button', { name: `Remove ${bob.username}`, exact: true }).click();
  await a.getByRole('list', { name: 'Room members' }).getByRole('listitem', { name: bob.username, exact: true }).waitFor({ state: 'detached' });
  await b.getByRole('list', { name: 'My rooms' }).getByRole('listitem', { name, exact: true }).waitFor({ state: 'detached', timeout: 40_000 });
  await Promise.all([a, b].map((p) => p.context().close()));
});

test('conversations: found by user search, listed by last activity, unread on the other side', async () => {
  const carol = await registerUser('carol');
  const dave = await registerUser('dave');
  const c = await openPage();
  await loginInPage(c, carol);
  const d = await openPage();
  await loginInPage(d, dave);
  await c.getByLabel('Find people', { exact: true }).fill(dave.username.slice(0, 10));
  await c.getByRole('button', { name: `Message ${dave.username}`, exact: true }).click();
  await c.getByRole('heading', { name: dave.username, exact: true }).waitFor();
  await send(c, 'hi dave, private word');
  // Dave's list learns of it on its next refresh; a reload is quicker.
  await d.reload();
  const item = d.getByRole('list', { name: 'Conversations' }).getByRole('listitem', { name: carol.username, exact: true });
  await item.getByText('hi dave, private word').waitFor();
  await item.getByText('1 unread message').waitFor();
  await openRoomFromList(d, carol.username);
  await messageItem(d, 'hi dave, private word').waitFor();
  await send(d, 'hello carol');
  await messageItem(c, 'hello carol').waitFor();
  await Promise.all([c, d].map((p) => p.context().close()));
});

test('uploads: a refused type and a too-large file explained in words; a card, a drop and a paste', async () => {
  const u = await registerUser('files');
  const room = await createRoom(u.token, { name: unique('files') });
  const page = await openPage();
  await loginInPage(page, u);
  await openRoomFromList(page, room.name);
  await page.locator('#file-input').setInputFiles({ name: 'tool.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ\x90\x00binary') });
  await page.getByRole('alert').filter({ hasText: 'This type of file is not allowed' }).waitFor();
  const limits = (await api('GET', '/api/uploads/types/allowed', { token: u.token })).body;
  // Larger than the server's limit: said before a byte is sent (the server would refuse it with 413).
  const bigDir = mkdtempSync(join(tmpdir(), 'izpo-big-'));
  const big = join(bigDir, 'big.txt');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, limits.max_file_size + 1);
  closeSync(fd);
  await page.locator('#file-input').setInputFiles(big);
  rmSync(bigDir, { recursive: true, force: true });
  await page.getByRole('alert').filter({ hasText: /big\.txt is too large: the limit is/ }).waitFor();
  // A text file is a card with its size and a download link.
  await page.locator('#file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('some notes\n') });
  const card = page.locator('.file-card').filter({ hasText: 'notes.txt' });
  await card.getByText('11 B').waitFor();
  assert.ok(await card.getByRole('link', { name: 'Download notes.txt' }).getAttribute('href'));
  // Dropped on the room, and pasted into the composer.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['dropped text'], 'dropped.txt', { type: 'text/plain' }));
    document.getElementById('room-pane').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.locator('.file-card').filter({ hasText: 'dropped.txt' }).waitFor();
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
    document.getElementById('message-input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, [...PNG]);
  await page.getByRole('img', { name: 'Image: pasted.png' }).waitFor();
  await page.context().close();
});

test('connection: a server restart shows offline, then catches up without duplicates', async () => {
  const site = await newSite();
  let server = await start(site);
  const url = server.url;
  try {
    const name = unique('net');
    const u = (await call(url, 'POST', '/api/users/register', { json: { username: name, email: `${name}@e2e.test`, password: 'pw-net-123' } })).body;
    const page = await browser.newPage({ viewport: DESKTOP });
    page.setDefaultTimeout(LIVE_MS);
    await page.goto(url + '/');
    await page.evaluate((t) => localStorage.setItem('izpochat.token', t), u.access_token);
    const room = (await call(url, 'POST', '/api/rooms', { token: u.access_token, json: { name: 'netroom' } })).body;
    await page.reload();
    await openRoomFromList(page, 'netroom');
    await send(page, 'before the restart');
    await stop(server);
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    server = await start(site);
    // Posted at once: the client is still waiting to reconnect, or just back.
    for (const text of ['while away 1', 'while away 2']) {
      assert.equal((await call(url, 'POST', `/api/rooms/${room.id}/messages`, { token: u.access_token, json: { content: text } })).status, 201);
    }
    await messageItem(page, 'while away 2').waitFor({ timeout: 30_000 });
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor({ state: 'hidden' });
    await page.waitForTimeout(500);
    for (const text of ['before the restart', 'while away 1', 'while away 2']) assert.equal(await messageItem(page, text).count(), 1, text);
    await page.close();
  } finally {
    await stop(server);
    removeSite(site);
  }
});

test('history loads on scroll up (before_id)', async () => {
  const u = await registerUser('hist');
  const room = await createRoom(u.token, { name: unique('history') });
  for (let i = 1; i <= 120; i++) await postMessageREST(u.token, room.id, `old message ${i}`);
  const page = await openPage();
  await page.evaluate((t) => localStorage.setItem('izpochat.token', t), u.token);
  await page.reload();
  await openRoomFromList(page, room.name);
  await messageItem(page, 'old message 120').waitFor();
  assert.equal(await page.getByText('old message 1', { exact: true }).count(), 0, 'the first page is the newest 50');
  for (let i = 0; i < 5 && (await page.locator('#message-list > li').count()) < 120; i++) {
    await page.locator('#message-scroller').evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(300);
  }
  assert.equal(await page.locator('#message-list > li').count(), 120, 'every page of history loaded, none twice');
  await page.getByText('old message 1', { exact: true }).waitFor();
  await page.context().close();
});

test('user text is shown as text: <img onerror> and <script> never run', async () => {
  const a = await registerUser('xssa');
  const b = await registerUser('xssb');
  const evil = '<img src=x onerror="window.__xss=1;document.title=\'pwned\'">';
  const room = await createRoom(a.token, { name: `<img src=x onerror="window.__xss=2">${unique('')}` });
  await api('POST', `/api/rooms/${room.id}/join`, { token: b.token });
  const page = await openPage();
  await page.evaluate((t) => localStorage.setItem('izpochat.token', t), b.token);
  await page.reload();
  await openRoomFromList(page, room.name);
  await postMessageREST(a.token, room.id, evil); // live
  await postMessageREST(a.token, room.id, '<script>window.__xss=3</script><b>bold?</b>');
  await messageItem(page, 'onerror="window.__xss=1').waitFor();
  await messageItem(page, '<b>bold?</b>').waitFor();
  await page.reload(); // and from history
  await openRoomFromList(page, room.name);
  await messageItem(page, 'onerror="window.__xss=1').waitFor();
  await page.waitForTimeout(300);
  const seen = await page.evaluate(() => ({
    xss: window.__xss,
    title: document.title,
    injected: document.querySelectorAll('#message-list img[src="x"], #sidebar img[src="x"], #message-list script, #message-list b').length,
    text: document.querySelector('#message-list').textContent,
  }));
  assert.equal(seen.xss, undefined, 'an injected handler ran');
  assert.notEqual(seen.title, 'pwned');
  assert.equal(seen.injected, 0, 'user text became elements');
  assert.ok(seen.text.includes(evil), 'the text is shown as typed');
  await page.context().close();
});

test('an expired token goes back to the login with a message', async () => {
  const u = await registerUser('exp');
  const page = await openPage();
  const now = Math.floor(Date.now() / 1000);
  await page.evaluate((t) => localStorage.setItem('izpochat.token', t), mint(claims(u.id, { iat: now - 7200, nbf: now - 7200, exp: now - 60 })));
  await page.reload();
  await page.getByRole('alert').filter({ hasText: 'session has expired' }).waitFor();
  await page.getByLabel('Username or email', { exact: true }).filter({ visible: true }).waitFor();
  await page.context().close();
});

test('Content-Security-Policy: strict, and inline script is refused', async () => {
  const res = await fetch(`${BASE}/`, { headers: { Accept: 'text/html' } });
  const csp = res.headers.get('content-security-policy') || '';
  for (const want of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) {
    assert.ok(csp.includes(want), `CSP lacks ${want}: ${csp}`);
  }
  assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), csp);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.ok(res.headers.get('etag'));
  const page = await openPage();
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.append(s);
    await new Promise((r) => setTimeout(r, 100));
    return window.__inline;
  });
  assert.equal(ran, undefined, 'an inline script ran');
  await page.context().close();
  problems.length = 0; // that refusal was the point
});

test('content negotiation: programs still get the JSON index', async () => {
  for (const accept of ['application/json', '*/*', '']) {
    const res = await fetch(`${BASE}/`, { headers: accept ? { Accept: accept } : {} });
    assert.match(res.headers.get('content-type'), /^application\/json/, `Accept ${accept}`);
    const body = await res.json();
    assert.equal(body.name, 'IzpoChat');
    assert.equal(body.socketio_path, '/socket.io/');
    assert.equal(res.headers.get('vary'), 'Accept');
  }
  const html = await fetch(`${BASE}/`, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  assert.match(html.headers.get('content-type'), /^text\/html/);
  assert.match(await html.text(), /<script type="module" src="\/app\/[0-9a-f]{16}\/app\.js">/);
});

test('WEB_CLIENT=off: browsers get the page of links, no client', async () => {
  const site = await newSite({ WEB_CLIENT: 'off' });
  const server = await start(site);
  try {
    const res = await fetch(`${server.url}/`, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    const page = await res.text();
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.ok(page.includes('href="/docs"') && !page.includes('app.js'), page);
    const prefix = (await (await fetch(`${BASE}/`, { headers: { Accept: 'text/html' } })).text()).match(/\/app\/[0-9a-f]{16}\//)[0];
    const asset = await fetch(`${server.url}${prefix}app.js`);
    assert.equal(asset.status, 404);
    const json = await fetch(`${server.url}/`, { headers: { Accept: 'application/json' } });
    assert.equal((await json.json()).name, 'IzpoChat');
  } finally {
    await stop(server);
    removeSite(site);
  }
});
