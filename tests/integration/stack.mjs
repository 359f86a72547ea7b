// Starts the whole stack (MariaDB, SMTP sink, portald, nginx) for one test file,
// under a temporary folder and on free loopback ports, so that tests never touch
// a running `make run`. Uses core/scripts/stack.sh, exactly as `make run` does.
//
//   import { startStack } from '../integration/stack.mjs';
//   const stack = await startStack();   // opts: { workers, plugins, env: {REQUEST_TIMEOUT: '2'} }
//   const res = await stack.fetch('/api/v1/session');
//   await stack.stop();
//
// Besides fetch (and underLoad(path, fn): fn run under a load of requests):
// the stack's folders and ports (var, conf, base, port,
// smtpPort), its logs (log(), nginxLog(), accessLog()), processes (pidOf(),
// workerPids()), mail (mails(), waitForMail()), database (sql()) and tools
// (portalctl(), script(), startAgain(), testPlugins()), and for tests that
// change the running configuration:
//
//   stack.setConf({ plugins: 'example slow', 'invites.join_max_per_email': 2 });
//   stack.withoutConf('ticker.label');   // both take another file as last argument
//   await stack.reload();                // SIGHUP; resolves once the new generation serves alone
//   const second = await stack.startSecondPool();   // another portald on the same database
//   await second.stop();
//
// The stack's clock (portal.conf's test_clock: every process of it, C and
// MariaDB alike, adds the seconds of one file to the time), for tests of
// what happens later, without waiting and without moving rows in SQL:
//
//   await stack.advanceClock(61 * 60);         // an hour and a minute later
//   await stack.setClock(new Date('...'));     // to that moment
//   stack.now();                               // the stack's time, a Date
//   await stack.waitForJob('board-comments', since);   // a scheduled run began at or after since and ended
//   stack.nextLocalTime('07:00');              // the next 07:00 of the deployment's zone, a Date
//
// It only moves forward: a job remembers the periods it ran, so a clock set
// back would run nothing until it catches up. stack.sql() runs at the stack's
// time too. Moving it is like the time passing: a manager idle for 12 hours
// is signed out (client.signIn() signs in again).
//
// The module also exports helpers that need no stack: sleep(ms), waitFor(what,
// fn, timeout), isAlive(pid), childrenOf(pid), procStat(pid), and for mail
// parseMail(raw), decodeWords(value), decodeQP(text) and mailParts(mail), and
// freePorts(count) for a test's own servers.
//
// PORTAL_BIN (from the environment, as `make test SAN=1` sets it) chooses the
// binaries; KEEP_STACK=1 keeps the temporary folder (logs, mail, database) after
// stop for a post-mortem.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const stackScript = path.join(repo, 'core/scripts/stack.sh');

// Stacks of this process that still run: a crashed or interrupted test run stops
// them on the way out.
const running = new Set();

// What a synchronous call may take: it blocks the test's timers, so the test
// runner's timeout could not end a hang of it.
const SYNC_TIMEOUT = { timeout: 300000, killSignal: 'SIGKILL' };

function stopSync(stack) {
  running.delete(stack);
  spawnSync('sh', [stackScript, 'stop'], { cwd: repo, env: stack.env, stdio: 'ignore', ...SYNC_TIMEOUT });
  if (!process.env.KEEP_STACK) fs.rmSync(stack.var, { recursive: true, force: true });
}

process.on('exit', () => {
  for (const stack of [...running]) stopSync(stack);
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.once(signal, () => {
    for (const stack of [...running]) stopSync(stack);
    process.exit(code);
  });
}

// Free loopback ports, found by binding port 0 (all at once, so they differ),
// never the ones a developer's `make run` uses.
export async function freePorts(count) {
  const servers = [];
  const ports = [];
  try {
    while (ports.length < count) {
      const server = net.createServer();
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
      const { port } = server.address();
      if (port !== 8080 && port !== 2525) ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
  return ports;
}

function runScript(env, command) {
  return new Promise((resolve) => {
    const child = spawn('sh', [stackScript, command], { cwd: repo, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function readOr(file, fallback) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

// The fields of /proc/PID/stat after the command name: [state, ppid, pgrp, ...].
export function procStat(pid) {
  const text = readOr(`/proc/${pid}/stat`, null);
  if (text === null) return null;
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

// Alive and not a zombie (an exited child may never be reaped here).
export function isAlive(pid) {
  const stat = procStat(pid);
  return stat !== null && stat[0] !== 'Z' && stat[0] !== 'X';
}

export function childrenOf(pid) {
  const kids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat && Number(stat[1]) === pid && stat[0] !== 'Z' && stat[0] !== 'X') kids.push(Number(entry));
  }
  return kids.sort((a, b) => a - b);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Calls fn every 100 ms until it returns something truthy, and returns that;
// throws "timed out waiting for <what>" after timeout ms.
export async function waitFor(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// The `key = value` line of key in a configuration file (portal.conf's form),
// as a regular expression's source. A key may hold a dot
// (invites.join_max_per_email) or any other character a pattern gives meaning to.
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const confLine = (key) => `^${escapeRegExp(key)}\\s*=.*`;

// Rewrites the lines of changes' keys in file, adding those not there yet.
function setConf(file, changes) {
  let text = fs.readFileSync(file, 'utf8');
  for (const [key, value] of Object.entries(changes)) {
    const line = `${key} = ${value}`;
    const re = new RegExp(`${confLine(key)}$`, 'm');
    text = re.test(text) ? text.replace(re, () => line) : `${text.trimEnd()}\n${line}\n`;
  }
  fs.writeFileSync(file, text);
}

// Takes the line of key out of file (its default applies again).
function withoutConf(file, key) {
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(new RegExp(`${confLine(key)}\\n`, 'm'), ''));
}

// A mail file of the Maildir: its raw text, and headers (lower-case names, first
// occurrence, folded lines joined) and body split at the first empty line.
export function parseMail(raw) {
  const normal = raw.replace(/\r\n/g, '\n');
  const cut = normal.indexOf('\n\n');
  const head = cut < 0 ? normal : normal.slice(0, cut);
  const body = cut < 0 ? '' : normal.slice(cut + 2);
  const headers = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return { raw, headers, body };
}

// RFC 2047 encoded words (B and Q) of a header, decoded, with the white space
// between adjacent words dropped. With charset (e.g. 'UTF-8') every word is
// asserted to be in it.
export function decodeWords(value, { charset } = {}) {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, wordCharset, enc, text) => {
      if (charset !== undefined) assert.equal(wordCharset.toUpperCase(), charset);
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return bytes.toString('utf8');
    });
}

// Quoted-printable text (of UTF-8), decoded.
export function decodeQP(text) {
  const latin = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(latin, 'latin1').toString('utf8');
}

// The parts of a multipart mail in quoted-printable, in their order: [{type, text}]
// (a part's text keeps the line break before the next boundary).
export function mailParts(mail) {
  const boundary = /boundary="([^"]+)"/.exec(mail.headers['content-type'] || '')[1];
  return mail.body.replace(/\r\n/g, '\n').split(`--${boundary}`).slice(1, -1).map((chunk) => {
    const cut = chunk.indexOf('\n\n');
    return { type: /Content-Type: ([^;\n]+)/i.exec(chunk.slice(0, cut))[1], text: decodeQP(chunk.slice(cut + 2)) };
  });
}

export async function startStack(opts = {}) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'portal-test-'));
  // mkdtemp makes a 0700 folder; nginx's workers (www-data when we are root) must
  // pass through it to reach the pool's socket.
  await fsp.chmod(dir, 0o711);
  const [port, smtpPort] = await freePorts(2);
  const env = {
    ...process.env,
    VAR: dir,
    PORT: String(port),
    SMTP_PORT: String(smtpPort),
    WORKERS: String(opts.workers ?? 2),
    PORTAL_BIN: process.env.PORTAL_BIN || path.join(repo, 'bin'),
    // The tests also speak to the example plugin, which deployments leave off.
    PLUGINS: opts.plugins || 'example invites content',
    ...(opts.env || {}),
  };
  const base = `http://127.0.0.1:${port}`;
  let stopped = false;
  // Seconds the stack's clock is ahead of this machine's.
  let clockOffset = 0;
  const clockFile = path.join(dir, 'clock');
  env.TEST_CLOCK = clockFile;
  // "2026-12-05 10:00:00.000", as DATETIME columns hold a UTC time.
  const sqlTime = (date) => date.toISOString().replace('T', ' ').replace('Z', '');

  const stack = {
    base,
    var: dir,
    conf: path.join(dir, 'portal.conf'),
    port,
    smtpPort,
    env,

    // Folders of this stack's own for tests that run the test plugins
    // (tests/plugins/*.c) beside real ones: pluginDir holds links to the
    // built files (copies for the names in `copies`, which a test may
    // replace), shareDir links to the real plugins' folders and gives each
    // test plugin an empty sql/ (the loader refuses a plugin without one).
    // Returns { pluginDir, shareDir } for plugin_dir and plugin_share.
    testPlugins(testNames, realNames = [], { copies = [] } = {}) {
      const bin = env.PORTAL_BIN;
      const pluginDir = path.join(dir, 'test-plugins');
      const shareDir = path.join(dir, 'share');
      fs.mkdirSync(pluginDir, { recursive: true });
      fs.mkdirSync(shareDir, { recursive: true });
      const place = (from, to) => {
        fs.rmSync(to, { force: true });
        if (copies.includes(path.basename(to, '.so'))) fs.copyFileSync(from, to);
        else fs.symlinkSync(from, to);
      };
      for (const name of realNames) {
        place(path.join(bin, 'plugins', `${name}.so`), path.join(pluginDir, `${name}.so`));
        if (!fs.existsSync(path.join(shareDir, name))) fs.symlinkSync(path.join(repo, 'plugins', name), path.join(shareDir, name));
      }
      for (const name of testNames) {
        place(path.join(bin, 'test-plugins', `${name}.so`), path.join(pluginDir, `${name}.so`));
        fs.mkdirSync(path.join(shareDir, name, 'sql'), { recursive: true });
      }
      return { pluginDir, shareDir };
    },

    // stack.sh with this stack's environment: { code, stdout, stderr }.
    script: (command) => runScript(env, command),

    pidOf(name) {
      const pid = parseInt(readOr(path.join(dir, 'run', `${name}.pid`), ''), 10);
      return Number.isInteger(pid) ? pid : null;
    },

    // The children of the portald master: its request workers and jobs worker.
    workerPids() {
      const master = stack.pidOf('portald');
      return master ? childrenOf(master) : [];
    },

    // Rewrites settings of portal.conf (or of file, e.g. a copy for portald
    // -t), adding those not there yet; they take effect with reload().
    setConf(changes, file = stack.conf) {
      setConf(file, changes);
    },

    // Takes a setting out of portal.conf (or of file): its default applies again.
    withoutConf(key, file = stack.conf) {
      withoutConf(file, key);
    },

    // SIGHUP to the portald master, then waits (10 s at most) until the log
    // says a new generation started and every worker of the old one is gone,
    // so that the next reload is not refused as still draining. A refused
    // reload times out here: a test that expects one sends the signal itself.
    async reload() {
      const count = () => stack.log().split('\n').filter((l) => l.includes('reloaded: generation')).length;
      const before = count();
      const oldPids = stack.workerPids();
      process.kill(stack.pidOf('portald'), 'SIGHUP');
      for (let i = 0; i < 100; i++) {
        await sleep(100);
        if (count() > before && !stack.workerPids().some((p) => oldPids.includes(p))) return;
      }
      // the pool's own lines (not those of requests, which a load may flood)
      const pool = stack.log().split('\n').filter((l) => !/ (GET|HEAD|POST|PUT|PATCH|DELETE) \//.test(l));
      throw new Error(`reload did not complete; the pool's last lines:\n${pool.slice(-30).join('\n')}`);
    },

    // A second portald (master, request workers and its own jobs worker) on
    // this stack's database, with a copy of portal.conf as it is now but its
    // own socket and pid file (run/portald2.*), logging to log/portald2.log.
    // Resolves once its socket is there or it died (the caller checks
    // isAlive(pid)): { pid, log(), stop() }; stop() sends SIGTERM and waits
    // until it is gone. conf: settings of its own (db_socket of another
    // database node, say).
    async startSecondPool({ timeout = 20000, conf: own = {} } = {}) {
      const conf = `${dir}/portal2.conf`;
      const socket = `${dir}/run/portald2.sock`;
      fs.writeFileSync(conf, fs.readFileSync(stack.conf, 'utf8'));
      setConf(conf, { ...own, listen: socket, pid_file: `${dir}/run/portald2.pid` });
      const logFile = `${dir}/log/portald2.log`;
      const logFd = fs.openSync(logFile, 'a');
      const child = spawn(path.join(env.PORTAL_BIN, 'portald'), ['-c', conf], { stdio: ['ignore', logFd, logFd], detached: true });
      fs.closeSync(logFd);
      const { pid } = child;
      const pool = {
        pid,
        log: () => readOr(logFile, ''),
        async stop() {
          try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
          await waitFor('the second pool to stop', () => !isAlive(pid), 15000);
        },
      };
      try {
        await waitFor('the second pool', () => fs.existsSync(socket) || !isAlive(pid), timeout);
      } catch (err) {
        await pool.stop().catch(() => {});
        throw err;
      }
      return pool;
    },

    log: () => readOr(path.join(dir, 'log', 'portald.log'), ''),
    nginxLog: () => readOr(path.join(dir, 'log', 'nginx-error.log'), ''),
    accessLog: () => readOr(path.join(dir, 'log', 'nginx-access.log'), ''),

    // The fewest database round trips of `times` GETs of path by client (the
    // first ones on a worker also prepare their statements), from the log
    // lines of route (the route's pattern, e.g. /app/properties/{id}).
    async fewestTrips(client, path, route, times = 4) {
      for (let i = 0; i < times; i++) {
        const res = await client.fetch(path);
        if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
        await res.arrayBuffer();
      }
      const lines = stack.log().split('\n').filter((l) => l.includes(`route=${route} `) && / db=\d+/.test(l));
      return Math.min(...lines.slice(-times).map((l) => Number(/ db=(\d+)/.exec(l)[1])));
    },

    // Every mail the sink kept, oldest first: { file, raw, headers, body }.
    mails() {
      const folder = path.join(dir, 'mail', 'new');
      let names;
      try {
        names = fs.readdirSync(folder);
      } catch {
        return [];
      }
      return names
        .map((name) => {
          const file = path.join(folder, name);
          return { file, mtime: fs.statSync(file).mtimeMs, raw: fs.readFileSync(file, 'utf8') };
        })
        .sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file))
        .map(({ file, raw }) => ({ file, ...parseMail(raw) }));
    },

    // Mail leaves through the jobs worker's outbox, a moment after the request.
    async waitForMail(predicate = () => true, { timeout = 10000 } = {}) {
      const end = Date.now() + timeout;
      for (;;) {
        const found = stack.mails().filter(predicate);
        if (found.length) return found;
        if (Date.now() > end) throw new Error(`no matching mail within ${timeout} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },

    fetch: (p, init) => fetch(base + p, init),

    // Runs fn while `concurrency` loops send GET requests to p; the statuses
    // they got ('error' for no answer), counted, once fn ended, also when it
    // failed: no loop outlives its test.
    async underLoad(p, fn, concurrency = 4) {
      const counts = {};
      let going = true;
      const loops = Array.from({ length: concurrency }, async () => {
        while (going) {
          let status;
          try { status = (await stack.fetch(p)).status; } catch { status = 'error'; }
          counts[status] = (counts[status] || 0) + 1;
        }
      });
      try {
        await fn();
      } finally {
        going = false;
        await Promise.all(loops);
      }
      return counts;
    },

    // The stack's time: this machine's plus what the tests moved it by.
    now: () => new Date(Date.now() + clockOffset * 1000),

    // Moves the stack's clock forward by whole seconds (rounded up). The file
    // is replaced in one rename, so no process reads half of it; each reads
    // it again at its next look at the time, the jobs worker within a second.
    async advanceClock(seconds) {
      assert.ok(seconds > 0, 'the clock only moves forward');
      clockOffset += Math.ceil(seconds);
      const tmp = `${clockFile}.new`;
      await fsp.writeFile(tmp, `${clockOffset}\n`);
      await fsp.chmod(tmp, 0o644);
      await fsp.rename(tmp, clockFile);
    },

    // Moves the stack's clock forward to date (or a moment after it).
    async setClock(date) {
      await stack.advanceClock((date.getTime() - stack.now().getTime()) / 1000);
    },

    // The next time HH:MM of the deployment's zone after the stack's now, a
    // Date (the zone is portal.conf's time_zone, Europe/Berlin unless set).
    nextLocalTime(hhmm, zone = 'Europe/Berlin') {
      const [hour, minute] = hhmm.split(':').map(Number);
      // The zone's offset from UTC at an instant, in ms.
      const offsetAt = (ms) => {
        const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
          timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
          hour: '2-digit', minute: '2-digit', second: '2-digit',
        }).formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
        return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - Math.floor(ms / 1000) * 1000;
      };
      const now = stack.now().getTime();
      for (let day = 0; ; day++) {
        const local = new Date(now + offsetAt(now) + day * 86400000);
        const guess = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), hour, minute);
        const at = guess - offsetAt(guess - offsetAt(guess));
        if (at > now) return new Date(at);
      }
    },

    // Waits until a run of job that began at or after since (the stack's
    // time, a Date) has ended, scheduled or by hand; its outcome ('ok' or
    // 'failed').
    async waitForJob(name, since, { timeout = 15000 } = {}) {
      const query = `SELECT outcome FROM jobs WHERE name = '${name}' AND started_at >= '${sqlTime(since)}' AND finished_at IS NOT NULL`;
      const found = await waitFor(`a run of ${name} after ${since.toISOString()}`, () => stack.sql(query).trim(), timeout);
      return found;
    },

    // stack.sh start again, synchronously: starts only what is not running (after
    // a test killed MariaDB, say). Note that it regenerates portal.conf: settings
    // a test wrote there survive only through opts.env (REQUEST_TIMEOUT, ...).
    startAgain() {
      const r = spawnSync('sh', [stackScript, 'start'], { cwd: repo, env, encoding: 'utf8', ...SYNC_TIMEOUT });
      if (r.status !== 0) throw new Error(`stack.sh start failed: ${r.error || (r.stderr || '').trim()}`);
      return r;
    },

    // A query against the stack's database as its administrator (unix socket
    // authentication of the system user): the rows as tab-separated lines.
    // It runs at the stack's time: NOW() is what the portal's NOW() is.
    sql(query) {
      const at = clockOffset ? `SET timestamp = ${stack.now().getTime() / 1000}; ` : '';
      const r = spawnSync(
        'mariadb',
        [`--defaults-file=${path.join(dir, 'mariadb.cnf')}`, '-u', os.userInfo().username, '-N', '-B', 'portal', '-e', at + query],
        { encoding: 'utf8', ...SYNC_TIMEOUT },
      );
      if (r.status !== 0) throw new Error(`mariadb: ${r.error || (r.stderr || '').trim()}`);
      return r.stdout;
    },

    // portalctl -c <this stack's portal.conf> ARGS: spawnSync's result (status,
    // stdout, stderr as text).
    portalctl: (...args) =>
      spawnSync(path.join(env.PORTAL_BIN, 'portalctl'), ['-c', path.join(dir, 'portal.conf'), ...args], {
        encoding: 'utf8',
        env,
        ...SYNC_TIMEOUT,
      }),

    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(stack);
      const result = await runScript(env, 'stop');
      if (!process.env.KEEP_STACK) await fsp.rm(dir, { recursive: true, force: true });
      if (result.code !== 0) throw new Error(`stack.sh stop failed: ${result.stderr.trim()}`);
    },
  };

  running.add(stack);
  const result = await runScript(env, 'start');
  if (result.code !== 0) {
    const why = (result.stderr.trim() || result.stdout.trim()).split('\n').pop();
    const log = stack.log().trim().split('\n').slice(-5).join('\n');
    await stack.stop().catch(() => {});
    throw new Error(`stack.sh start failed: ${why}${log ? `\nportald.log:\n${log}` : ''}`);
  }
  return stack;
}
