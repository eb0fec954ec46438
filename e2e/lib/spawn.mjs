// Servers a suite starts itself (E2E_BIN, set by run.mjs), for what the shared
// server cannot show: a restart on the same port and data, a short recovery
// window. Each uses SQLite in its own DATA_DIR.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', '.artifacts');

// generousRateLimits lift the per-IP and per-user rate limits: every suite's
// clients come from 127.0.0.1 and some act far faster than a person.
export const generousRateLimits = {
  LOGIN_RATE_PER_IP: '1000000/1s',
  LOGIN_RATE_PER_ACCOUNT: '1000000/1s',
  REGISTER_RATE_PER_IP: '1000000/1s',
  REGISTER_RATE_PER_ACCOUNT: '1000000/1s',
  POST_RATE_PER_USER: '1000000/1s',
  UPLOAD_RATE_PER_USER: '1000000/1s',
  SEARCH_RATE_PER_USER: '1000000/1s',
  CONNECT_RATE_PER_IP: '1000000/1s',
};

export function binary() {
  const bin = process.env.E2E_BIN;
  if (!bin) throw new Error('E2E_BIN is not set: run the suites through e2e/run.mjs (scripts/test)');
  return bin;
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// site is a port, a data directory and a secret that successive server
// processes share, as one deployment's instances do across a restart.
export async function newSite(extraEnv = {}) {
  return {
    port: await freePort(),
    dataDir: mkdtempSync(join(tmpdir(), 'izpo-e2e-own-')),
    secret: randomBytes(32).toString('hex'),
    extraEnv,
    starts: 0,
  };
}

export function removeSite(site) {
  rmSync(site.dataDir, { recursive: true, force: true });
}

// start runs the server of site and resolves once /health answers 200.
export async function start(site) {
  mkdirSync(artifacts, { recursive: true });
  const logPath = join(artifacts, `own-server-${site.port}-${site.starts++}.log`);
  const log = createWriteStream(logPath);
  const env = {
    PATH: process.env.PATH,
    HOME: site.dataDir,
    PORT: String(site.port),
    DATA_DIR: site.dataDir,
    JWT_SECRET_KEY: site.secret,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'text',
    ...generousRateLimits,
    ...site.extraEnv,
  };
  const child = spawn(binary(), [], { cwd: site.dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const url = `http://127.0.0.1:${site.port}`;
  const server = { child, exited, url, logPath };
  let early = null;
  exited.then((e) => (early = e));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (early) throw new Error(`server exited during start-up (${JSON.stringify(early)}); see ${logPath}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not healthy within 20 s; see ${logPath}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// stop sends SIGTERM and resolves with the exit ({code, signal}); SIGKILL after 15 s.
export async function stop(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  const e = await server.exited;
  clearTimeout(timer);
  return e;
}

// call is a JSON request to one server; resolves with {status, body}.
export async function call(url, method, path, { token, json } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}
