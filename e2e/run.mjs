#!/usr/bin/env node
// The end-to-end harness. For each database (SQLite in a temp DATA_DIR, then a
// fresh PostgreSQL database) it starts the built server on a free port, waits for
// /health, runs the Node suites (node --test) and the Python suite against it,
// stops it with SIGTERM (a clean exit within the shutdown window is itself a
// check), and cleans up. It ends with one plain line: "N passed, N failed".
//
// Usage: node run.mjs [--bin PATH] [--db sqlite,postgres] [--only SUBSTRING] [--no-python]
//   --bin    a built server (default: go build -o e2e/.artifacts/server . from the repo root)
//   --db     which databases to run against (default: both)
//   --only   run only the Node test files whose name contains SUBSTRING
// Environment: E2E_PG_URL (default postgres://postgres@127.0.0.1:5432), E2E_PYTHON
// (default: the first of /usr/bin/python3, python3 that imports socketio).
import { spawn, spawnSync } from 'node:child_process';
import { generousRateLimits } from './lib/spawn.mjs';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const artifacts = join(here, '.artifacts');

function parseArgs(argv) {
  const o = { bin: '', db: ['sqlite', 'postgres'], only: '', python: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--bin') o.bin = argv[++i];
    else if (a === '--db') o.db = argv[++i].split(',').filter(Boolean);
    else if (a === '--only') o.only = argv[++i];
    else if (a === '--no-python') o.python = false;
    else throw new Error(`unknown argument ${a}`);
  }
  for (const d of o.db) if (d !== 'sqlite' && d !== 'postgres') throw new Error(`--db: unknown database ${d}`);
  return o;
}

function log(msg) {
  process.stdout.write(`[e2e] ${msg}\n`);
}

function freePort() {
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

function build() {
  mkdirSync(artifacts, { recursive: true });
  const out = join(artifacts, 'server');
  log(`building the server: go build -o ${out} .`);
  const r = spawnSync('go', ['build', '-o', out, '.'], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('go build failed');
  return out;
}

// Postgres: one fresh database per run, dropped afterwards.
const pgBase = (process.env.E2E_PG_URL || 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');

function psql(sql) {
  const r = spawnSync('psql', [`${pgBase}/postgres`, '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr || r.error}`);
  return r.stdout.trim();
}

async function startServer(bin, db) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `izpo-e2e-${db}-`));
  const secret = randomBytes(32).toString('hex');
  // A clean environment: nothing from the caller's shell (DATABASE_URL, REDIS_URL,
  // a .env in the repo) leaks into the server under test. cwd is the temp dir, so
  // no .env file is found either.
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || dataDir,
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET_KEY: secret,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL || 'warn',
    LOG_FORMAT: 'text',
    // Every suite runs from 127.0.0.1 (the load test opens a thousand
    // connections at once) and some post, connect and register far faster than
    // a person: no cap per address, and the rate limits are lifted here.
    MAX_CONNECTIONS_PER_IP: '0',
    ...generousRateLimits,
  };
  let dbName = '';
  if (db === 'postgres') {
    dbName = `izpo_e2e_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    psql(`CREATE DATABASE ${dbName}`);
    env.DATABASE_URL = `${pgBase}/${dbName}?sslmode=disable`;
  }
  const logPath = join(artifacts, `server-${db}.log`);
  const logFile = createWriteStream(logPath);
  const child = spawn(bin, [], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(logFile);
  child.stderr.pipe(logFile);
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const server = { child, exited, url, secret, dataDir, dbName, logPath, db, bin };

  const deadline = Date.now() + 30_000;
  let early = null;
  exited.then((e) => (early = e));
  for (;;) {
    if (early) throw new Error(`server exited during start-up (${JSON.stringify(early)}); see ${logPath}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopServer(server);
      throw new Error(`server not healthy within 30 s; see ${logPath}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`${db}: server up at ${url} (log ${logPath})`);
  return server;
}

// stopServer sends SIGTERM and reports whether the server stopped cleanly within
// its 10 s shutdown window (plus slack); it is killed otherwise.
async function stopServer(server) {
  const { child, exited } = server;
  let clean = false;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = new Promise((r) => setTimeout(() => r(null), 15_000));
    const e = await Promise.race([exited, timer]);
    if (e === null) {
      child.kill('SIGKILL');
      await exited;
    } else {
      clean = e.code === 0;
    }
  }
  if (server.dbName) {
    try {
      psql(`DROP DATABASE IF EXISTS ${server.dbName} WITH (FORCE)`);
    } catch (err) {
      log(`warning: ${err.message}`);
    }
  }
  rmSync(server.dataDir, { recursive: true, force: true });
  return clean;
}

// nodeSuites are the protocol suites (tests/), the web client's browser suite
// (browser/) and the web app's history polling in a browser (polling-browser/,
// which starts its own server from E2E_BIN); each browser suite is its own
// package (playwright-core).
function nodeSuites(only) {
  return ['tests', 'browser', 'polling-browser'].flatMap((sub) => {
    const dir = join(here, sub);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.test.mjs') && f.includes(only))
      .sort()
      .map((f) => join(dir, f));
  });
}

// counts reads "# pass N" / "# fail N" / "# cancelled N" lines of a TAP summary.
function counts(text) {
  const n = (k) => {
    const m = text.match(new RegExp(`^# ${k} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  return { passed: n('pass'), failed: n('fail') + n('cancelled'), found: /^# pass \d+$/m.test(text) };
}

// tapCounts counts the top-level results of a TAP stream (subtests are indented).
// --test-force-exit may stop the runner before it writes its "# pass" summary,
// so the result lines themselves are the record.
function tapCounts(text) {
  const passed = (text.match(/^ok \d+ /gm) || []).length;
  let failed = (text.match(/^not ok \d+ /gm) || []).length;
  const plan = text.match(/^1\.\.(\d+)$/m);
  if (plan && Number(plan[1]) > passed + failed) failed = Number(plan[1]) - passed; // results lost: count them failed
  return { passed, failed, found: passed + failed > 0 };
}

function runChild(cmd, args, env, timeoutMs) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: here, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      log(`${cmd} ran over ${timeoutMs / 1000} s: killing it`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      res(code ?? 1);
    });
  });
}

async function runNode(server, files) {
  const tap = join(artifacts, `node-${server.db}.tap`);
  rmSync(tap, { force: true });
  const args = [
    '--test',
    '--test-concurrency=1',
    '--test-force-exit',
    '--test-timeout=120000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ];
  // E2E_BIN lets a suite start servers of its own (restarts, short recovery windows).
  const env = { E2E_URL: server.url, E2E_JWT_SECRET: server.secret, E2E_DB: server.db, E2E_BIN: server.bin };
  const code = await runChild(process.execPath, args, env, 20 * 60_000);
  const c = existsSync(tap) ? tapCounts(readFileSync(tap, 'utf8')) : { passed: 0, failed: 0, found: false };
  if (!c.found || (code !== 0 && c.failed === 0)) {
    log(`node --test exited ${code} without a usable summary: counting one failure`);
    c.failed += 1;
  }
  return c;
}

function findPython() {
  const candidates = process.env.E2E_PYTHON ? [process.env.E2E_PYTHON] : ['/usr/bin/python3', 'python3'];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import socketio, requests, websocket'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return '';
}

async function runPython(server, py) {
  const out = join(artifacts, `python-${server.db}.txt`);
  return new Promise((res) => {
    const child = spawn(py, [join(here, 'python', 'test_socketio_client.py')], {
      cwd: here,
      env: { ...process.env, E2E_URL: server.url, E2E_JWT_SECRET: server.secret },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      process.stdout.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const c = counts(text);
      if (!c.found || (code !== 0 && c.failed === 0)) c.failed += 1;
      spawnSync('sh', ['-c', 'cat > "$0"', out], { input: text });
      res(c);
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const bin = opts.bin ? resolve(opts.bin) : build();
  const files = nodeSuites(opts.only);
  if (files.length === 0) throw new Error(`no test files match "${opts.only}"`);
  const py = opts.python ? findPython() : '';
  const total = { passed: 0, failed: 0 };
  const lines = [];
  const add = (what, c) => {
    total.passed += c.passed;
    total.failed += c.failed;
    lines.push(`${what}: ${c.passed} passed, ${c.failed} failed`);
  };
  if (opts.python && !py) add('python client (not installed)', { passed: 0, failed: 1 });

  for (const db of opts.db) {
    let server;
    try {
      server = await startServer(bin, db);
    } catch (err) {
      log(`${db}: ${err.message}`);
      add(`${db}: server start`, { passed: 0, failed: 1 });
      continue;
    }
    add(`${db}: node suites`, await runNode(server, files));
    if (py) add(`${db}: python suite`, await runPython(server, py));
    const clean = await stopServer(server);
    add(`${db}: graceful shutdown on SIGTERM`, clean ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 });
    if (!clean) log(`${db}: server did not exit 0 within 15 s of SIGTERM; see ${server.logPath}`);
  }

  log('summary:');
  for (const l of lines) log(`  ${l}`);
  process.stdout.write(`${total.passed} passed, ${total.failed} failed\n`);
  process.exitCode = total.failed > 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`[e2e] ${err.stack || err}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  process.exitCode = 1;
});
