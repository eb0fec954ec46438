// The web app's history polling in headless Chromium (Debian's chromium, driven
// by playwright-core). The Angular app (IzpoChatTeam/izpoChatFrontend,
// chat.service.ts getRoomMessages) sends GET /api/rooms/{id}/messages with no
// query and an Authorization header every 3 s from another origin; this page
// does the same with fetch and the browser's own cache (cache: 'default'),
// without any ETag code of its own. The server's own metrics count the 304s
// it sent; a post shows up in the very next poll.
//
//   E2E_BIN=/tmp/izpochat node --test e2e/polling-browser/   (after npm ci here)
//
// With ANGULAR_DIST set, the real Angular app (its `ng build` output, the
// browser/ directory, built with environment.ts's apiUrl pointing at
// http://127.0.0.1:$ANGULAR_API_PORT, default 18099) is served too: a user logs
// in through its login form, opens its chat page, and the server counts the
// 304s it sends to the app's own 3 s polls. Built so (about 30 s here):
//
//   git clone https://github.com/IzpoChatTeam/izpoChatFrontend /tmp/front && cd /tmp/front
//   sed -i 's#https://izpochatbackend-1.onrender.com#http://127.0.0.1:18099#' src/environments/environment.ts
//   npm ci --ignore-scripts && npx ng build --configuration development
//   ANGULAR_DIST=/tmp/front/dist/izpochat-web/browser E2E_BIN=/tmp/izpochat node --test e2e/polling-browser/
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHTTP } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const POLL_MS = 300; // the app's 3 s, ten times faster
const METRICS_TOKEN = 'polling-browser-metrics';
let users;
let server, base, dataDir, page_, pageServer, pageBase, browser;

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function call(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

// served counts the history answers with the status the server sent (its
// Prometheus histogram of HTTP requests by route and status).
async function served(status) {
  const res = await fetch(base + '/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(res.status, 200, 'metrics');
  const text = await res.text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('izpochat_http_request_duration_seconds_count') || line.includes('request_duration_seconds_count{')) {
      if (line.includes('route="/api/rooms/:id/messages"') && line.includes('method="GET"') && line.includes(`status="${status}"`)) {
        n += Number(line.trim().split(/\s+/).pop());
      }
    }
  }
  return n;
}

before(async () => {
  const bin = process.env.E2E_BIN;
  if (!bin) throw new Error('E2E_BIN is not set (go build -o /tmp/izpochat .)');
  const port = process.env.ANGULAR_DIST ? Number(process.env.ANGULAR_API_PORT || 18099) : await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(join(tmpdir(), 'polling-browser-'));
  server = spawn(bin, [], {
    env: { PATH: process.env.PATH, HOME: dataDir, DATA_DIR: dataDir, PORT: String(port), INSTANCE_ADDR: `127.0.0.1:${port}`,
      JWT_SECRET_KEY: 'polling-browser-secret', METRICS_TOKEN, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try { if ((await fetch(base + '/health')).ok) break; } catch {}
    if (i > 200) throw new Error('server not healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
  // The app's page comes from another origin, as the Angular app is served.
  pageServer = createHTTP((req, res) => {
    const dist = process.env.ANGULAR_DIST;
    if (!dist || req.url === '/poller') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>poller</title>');
      return;
    }
    // The app's static files; any other path is the app (its router's).
    let file = join(dist, normalize(decodeURIComponent(req.url.split('?')[0])).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(dist) || !existsSync(file) || extname(file) === '') file = join(dist, 'index.csr.html');
    const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.ico': 'image/x-icon' };
    res.writeHead(200, { 'Content-Type': types[extname(file)] || 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => pageServer.listen(0, '127.0.0.1', r));
  pageBase = `http://127.0.0.1:${pageServer.address().port}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  pageServer?.close();
  server?.kill('SIGKILL');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the browser revalidates the polled history by itself: 304s, and a post shows at the next poll', async () => {
  const ann = await call('POST', '/api/users/register', '', { username: 'ann', email: 'ann@example.com', password: 'secret-ann' });
  const ben = await call('POST', '/api/users/register', '', { username: 'ben', email: 'ben@example.com', password: 'secret-ben' });
  users = { ann, ben };
  const room = await call('POST', '/api/rooms', ann.access_token, { name: 'polled', is_private: false });
  for (let i = 0; i < 5; i++) await call('POST', `/api/rooms/${room.id}/messages`, ann.access_token, { content: `hello ${i}` });

  const page = await browser.newContext().then((c) => c.newPage());
  await page.goto(pageBase + '/poller');
  const before304 = await served(304);
  const before200 = await served(200);
  // What the app does: the same GET every few seconds, its own headers, the
  // browser's default cache mode (Angular's HttpClient uses fetch/XHR so).
  await page.evaluate(({ api, roomId, token, every }) => {
    window.polls = [];
    window.poll = setInterval(async () => {
      const res = await fetch(`${api}/api/rooms/${roomId}/messages`, { headers: { Authorization: `Bearer ${token}` }, cache: 'default' });
      const msgs = await res.json();
      window.polls.push({ status: res.status, count: msgs.length, last: msgs.at(-1)?.content });
    }, every);
  }, { api: base, roomId: room.id, token: ann.access_token, every: POLL_MS });

  await page.waitForFunction(() => window.polls.length >= 10, null, { timeout: 20_000 });
  const quiet304 = (await served(304)) - before304;
  const quiet200 = (await served(200)) - before200;
  const polls = await page.evaluate(() => window.polls.length);
  // The first poll fills the cache (200); every later one is revalidated.
  assert.ok(quiet200 <= 1, `server sent ${quiet200} full answers while nothing changed`);
  assert.ok(quiet304 >= polls - 2, `server sent ${quiet304} 304s for ${polls} polls`);
  // The page sees the whole history each time, from its cache.
  for (const p of await page.evaluate(() => window.polls)) {
    assert.equal(p.status, 200);
    assert.equal(p.count, 5);
  }

  // ben posts: the very next poll has it (no stale copy).
  await call('POST', `/api/rooms/${room.id}/messages`, ben.access_token, { content: 'news' });
  const posted = await page.evaluate(() => window.polls.length);
  await page.waitForFunction((n) => window.polls.length >= n + 2, posted, { timeout: 10_000 });
  const after = await page.evaluate((n) => window.polls.slice(n + 1), posted);
  assert.ok(after.every((p) => p.count === 6 && p.last === 'news'), JSON.stringify(after));
  await page.evaluate(() => clearInterval(window.poll));
  console.log(`# ${polls} quiet polls: the server sent ${quiet304} 304s and ${quiet200} 200s; after the post: ${JSON.stringify(after)}`);
});

test('the real Angular app: its chat page polls every 3 s and the server answers 304s', { skip: !process.env.ANGULAR_DIST && 'ANGULAR_DIST not set' }, async () => {
  const cid = await call('POST', '/api/users/register', '', { username: 'cid', email: 'cid@example.com', password: 'secret-cid' });
  const room = await call('POST', '/api/rooms', cid.access_token, { name: 'angular', is_private: false });
  for (let i = 0; i < 3; i++) await call('POST', `/api/rooms/${room.id}/messages`, cid.access_token, { content: `angular hello ${i}` });
  const page = await browser.newContext().then((c) => c.newPage());
  await page.goto(pageBase + '/login');
  await page.fill('input[formControlName="email"]', 'cid@example.com');
  await page.fill('input[formControlName="password"]', 'secret-cid');
  await page.click('button.login-button');
  await page.waitForURL('**/rooms', { timeout: 15_000 });
  const before304 = await served(304);
  const before200 = await served(200);
  // The app's own navigation to the chat page (its router, its polling).
  await page.evaluate((id) => { history.pushState({}, '', `/chat/${id}`); dispatchEvent(new PopStateEvent('popstate')); }, room.id);
  await page.waitForSelector('text=angular hello 2', { timeout: 15_000 });
  await page.waitForTimeout(10_000); // three of the app's polls
  const quiet304 = (await served(304)) - before304;
  const quiet200 = (await served(200)) - before200;
  assert.ok(quiet304 >= 2, `the server sent ${quiet304} 304s (and ${quiet200} 200s) to the app's polls`);
  assert.ok(quiet200 <= 1, `the server sent ${quiet200} full answers while nothing changed`);
  // A post shows in the app at its next poll.
  await call('POST', `/api/rooms/${room.id}/messages`, users.ben.access_token, { content: 'angular news' });
  await page.waitForSelector('text=angular news', { timeout: 8_000 });
  console.log(`# the Angular app's chat page: ${quiet304} 304s and ${quiet200} 200s over 10 s; the post showed at its next poll`);
});
