// The stack itself: nginx in front of the pool (hardening, error shapes, logs),
// the SMTP sink, and stack.sh's promise to start nothing twice and stop it all.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childrenOf, isAlive, repo, sleep, startStack } from './stack.mjs';
import { newManager, newProperty } from './client.mjs';

// One raw HTTP/1.1 exchange, for what fetch will not send (TRACE, a lying
// Content-Length). Done when the headers and Content-Length bytes of body are in
// (nginx may keep reading a body it refused, then reset the connection).
function rawHttp(port, request, { timeout = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let answer = null;
    const timer = setTimeout(() => finish(new Error('no complete answer in time')), timeout);
    function finish(error) {
      clearTimeout(timer);
      socket.destroy();
      if (answer) resolve(answer);
      else reject(error || new Error('connection closed before a complete answer'));
    }
    function parse() {
      const text = data.toString('latin1');
      const cut = text.indexOf('\r\n\r\n');
      if (cut < 0) return;
      const lines = text.slice(0, cut).split('\r\n');
      const headers = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      const body = text.slice(cut + 4);
      const length = Number(headers['content-length'] ?? NaN);
      if (Number.isNaN(length) || body.length >= length) {
        answer = { status: Number((lines[0].match(/^HTTP\/1\.[01] (\d{3})/) || [])[1]), headers, body };
      }
      if (!Number.isNaN(length) && answer) finish();
    }
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
      parse();
    });
    socket.on('error', (e) => finish(e));
    socket.on('close', () => finish());
  });
}

function assertJsonError(res, body, code) {
  assert.match(res.headers.get ? res.headers.get('content-type') : res.headers['content-type'], /^application\/json/);
  const json = typeof body === 'string' ? JSON.parse(body) : body;
  assert.equal(json.error.code, code);
  assert.equal(typeof json.error.message, 'string');
}

// One SMTP dialogue over a raw socket: each command waits for its reply code.
function sendMail(port, { from, to, data }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setEncoding('utf8');
    const steps = [
      [null, 220],
      ['EHLO tests.invalid', 250],
      [`MAIL FROM:<${from}>`, 250],
      [`RCPT TO:<${to}>`, 250],
      ['DATA', 354],
      [`${data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.`, 250],
      ['QUIT', 221],
    ];
    let buffer = '';
    let step = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`SMTP: no reply at step ${step}`));
    }, 10000);
    socket.on('error', reject);
    socket.on('data', (d) => {
      buffer += d;
      // A reply is complete at a line "NNN text" (multi-line replies use "NNN-").
      const done = buffer.match(/^(\d{3}) .*\r\n/m);
      if (!done) return;
      const code = Number(done[1]);
      buffer = '';
      if (code !== steps[step][1]) {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`SMTP: expected ${steps[step][1]}, got ${code}`));
        return;
      }
      step += 1;
      if (step === steps.length) {
        clearTimeout(timer);
        socket.end();
        resolve();
        return;
      }
      socket.write(`${steps[step][0]}\r\n`);
    });
  });
}

describe('the stack', () => {
  let stack;

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    if (stack) await stack.stop();
  });

  it('routes an unknown API path to portald, which answers 404 in the JSON error shape', async () => {
    const res = await stack.fetch('/api/v1/nonexistent');
    assert.equal(res.status, 404);
    assertJsonError(res, await res.json(), 'not_found');
  });

  it('names no version in the Server header', async () => {
    for (const p of ['/api/v1/nonexistent', '/static/none.css']) {
      const res = await stack.fetch(p);
      await res.arrayBuffer();
      assert.equal(res.headers.get('server'), 'nginx', p);
    }
  });

  it('serves /static/ from templates/static with caching headers and nosniff', async () => {
    const res = await stack.fetch('/static/portal.css');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/css/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('cache-control'), /max-age=\d+/);
    assert.equal(await res.text(), fs.readFileSync(path.join(repo, 'templates/static/portal.css'), 'utf8'));
    const listing = await stack.fetch('/static/');
    assert.equal(listing.status, 403, 'no directory listing');
    await listing.arrayBuffer();
  });

  it('links the style sheet and the script by a version of their contents, so a deploy reaches every browser', async () => {
    const html = await (await stack.fetch('/login')).text();
    const files = ['portal.css', 'portal.js'].map((f) => fs.readFileSync(path.join(repo, 'templates/static', f)));
    const version = crypto.createHash('sha256').update(Buffer.concat(files)).digest('hex').slice(0, 12);
    assert.match(html, new RegExp(`<link rel="stylesheet" href="/static/portal\\.css\\?v=${version}">`));
    assert.match(html, new RegExp(`<script src="/static/portal\\.js\\?v=${version}" defer>`));
    const res = await stack.fetch(`/static/portal.js?v=${version}`);
    assert.equal(res.status, 200);
    assert.equal(Buffer.from(await res.arrayBuffer()).compare(files[1]), 0, 'the versioned address serves the file');
  });

  it('refuses TRACE with 405', async () => {
    const res = await rawHttp(stack.port, 'TRACE / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.equal(res.status, 405);
    assert.doesNotMatch(res.body, /TRACE \//, 'the request must not be echoed');
  });

  it('refuses other methods with 405, in the JSON shape under /api/', async () => {
    const res = await stack.fetch('/api/v1/nonexistent', { method: 'OPTIONS' });
    assert.equal(res.status, 405);
    assertJsonError(res, await res.json(), 'method_not_allowed');
    const page = await stack.fetch('/', { method: 'PROPFIND' });
    assert.equal(page.status, 405);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    await page.arrayBuffer();
  });

  it('answers 413 in the JSON shape for a body over 60 MiB', async () => {
    const limit = 60 * 1024 * 1024;
    // Announced: nginx refuses at the headers.
    const res = await rawHttp(
      stack.port,
      `POST /api/v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${limit + 1}\r\n\r\n`,
    );
    assert.equal(res.status, 413);
    assertJsonError(res, res.body, 'too_large');
    // Sent: a real body of 61 MiB.
    const big = await stack.fetch('/api/v1/x', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(limit + 1024 * 1024, 0x61),
    });
    assert.equal(big.status, 413);
    assertJsonError(big, await big.json(), 'too_large');
  });

  it('keeps /_files/ internal', async () => {
    const res = await stack.fetch('/_files/anything');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('keeps query strings and invite tokens out of the access log', async () => {
    await (await stack.fetch('/api/v1/nonexistent?token=SECRETQUERY1')).arrayBuffer();
    await (await stack.fetch('/join/SECRETPATH2')).arrayBuffer();
    await (await stack.fetch('/api/v1/calendar/SECRETFEED3.ics')).arrayBuffer();
    const log = stack.accessLog();
    assert.match(log, /"GET \/api\/v1\/nonexistent"/);
    assert.match(log, /"GET \/join\/-"/);
    for (const secret of ['SECRETQUERY1', 'SECRETPATH2', 'SECRETFEED3']) assert.ok(!log.includes(secret), secret);
  });

  it('gives the pool a socket only nginx may open (0660)', () => {
    const conf = fs.readFileSync(stack.conf, 'utf8');
    const socket = conf.match(/^listen = (.*)$/m)[1];
    const st = fs.statSync(socket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    if (process.getuid() === 0) {
      const group = fs.readFileSync('/etc/group', 'utf8').match(/^www-data:[^:]*:(\d+):/m);
      assert.equal(st.gid, Number(group[1]));
    }
  });

  it('keeps every mail the SMTP sink receives in the Maildir', async () => {
    const subject = `Stack test ${process.pid}-${Date.now()}`;
    await sendMail(stack.smtpPort, {
      from: 'portal@localhost',
      to: 'resident@example.org',
      data: `From: portal@localhost\nTo: resident@example.org\nSubject: ${subject}\n\nHallo,\n.leading dot\n`,
    });
    const [mail] = await stack.waitForMail((m) => m.headers.subject === subject, { timeout: 5000 });
    assert.equal(mail.headers.to, 'resident@example.org');
    assert.match(mail.body, /^Hallo,\n\.leading dot\n/);
    assert.equal(path.dirname(mail.file), path.join(stack.var, 'mail', 'new'));
  });

  it('answers 502 in the JSON shape while the pool is down, and start brings back only the pool', async () => {
    const before = Object.fromEntries(['mariadb', 'smtp', 'nginx'].map((n) => [n, stack.pidOf(n)]));
    const master = stack.pidOf('portald');
    const group = [master, ...childrenOf(master)];
    process.kill(-master, 'SIGTERM'); // the pool's process group: master and workers
    for (let i = 0; i < 100 && group.some(isAlive); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!group.some(isAlive), 'the pool did not stop');

    const api = await stack.fetch('/api/v1/nonexistent');
    assert.equal(api.status, 502);
    assertJsonError(api, await api.json(), 'unavailable');
    const page = await stack.fetch('/');
    assert.equal(page.status, 502);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    await page.arrayBuffer();

    const result = await stack.script('start');
    assert.equal(result.code, 0, result.stderr);
    assert.notEqual(stack.pidOf('portald'), master);
    for (const [name, pid] of Object.entries(before)) assert.equal(stack.pidOf(name), pid, name);
    const res = await stack.fetch('/api/v1/nonexistent');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('keeps every token out of every log: activation, reset, sign-up and a calendar feed', async () => {
    const tokens = [];
    const form = (p, fields, cookie) => stack.fetch(p, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base, ...(cookie ? { Cookie: cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
    const expectStatus = async (res, status, what) => {
      await res.arrayBuffer();
      assert.equal(res.status, status, what);
      return res;
    };

    // Activation through the mailed link's page, as a person uses it.
    const email = `logs-${process.pid}@example.org`;
    const created = stack.portalctl('org', 'create', '--name', 'Protokoll GmbH', '--admin-email', email);
    assert.equal(created.status, 0, created.stderr);
    const activation = /\/activate\/(\S+)/.exec(created.stdout)[1];
    tokens.push(activation);
    await expectStatus(await stack.fetch(`/activate/${activation}`), 200, 'activation form');
    await expectStatus(await form(`/activate/${activation}`, { password: 'Protokoll Passwort 1' }), 303, 'activated');

    // A password reset, the same way.
    const reset = /\/password\/reset\/(\S+)/.exec(stack.portalctl('user', 'reset-password', email).stdout)[1];
    tokens.push(reset);
    await expectStatus(await stack.fetch(`/password/reset/${reset}`), 200, 'reset form');
    await expectStatus(await form(`/password/reset/${reset}`, { password: 'Protokoll Passwort 2' }), 303, 'reset');

    // A sign-up through a property's invite link, page and API.
    const manager = await newManager(stack);
    const property = await newProperty(manager, 'Logweg 1');
    const invite = await manager.json(`/api/v1/properties/${property.id}/invite`);
    assert.equal(invite.status, 200);
    const join = /\/join\/([^/?#]+)$/.exec(invite.body.url)[1];
    tokens.push(join);
    await expectStatus(await stack.fetch(`/api/v1/join/${join}`), 200, 'join API');
    await expectStatus(await stack.fetch(`/join/${join}`), 200, 'join page');
    const joined = await expectStatus(await form(`/join/${join}`, {
      display_name: 'Lotte Log', email: `lotte-${process.pid}@example.org`, password: 'Protokoll Passwort 3',
    }), 303, 'joined');
    const cookie = joined.headers.get('set-cookie').split(';')[0];

    // The resident's calendar feed.
    const feed = await (await stack.fetch('/api/v1/me/calendar', { headers: { Cookie: cookie } })).json();
    const calendar = /\/calendar\/([^/]+)\.ics$/.exec(feed.url)[1];
    tokens.push(calendar);
    await expectStatus(await stack.fetch(`/api/v1/calendar/${calendar}.ics`), 200, 'calendar');

    // A link refused by nginx's limits (their lines in nginx's error log).
    const burst = await Promise.all(Array.from({ length: 40 }, () => stack.fetch(`/join/${join}`).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    })));
    assert.ok(burst.includes(429), 'nginx limited the link');

    await sleep(300); // portald writes its line after the answer
    const folder = path.join(stack.var, 'log');
    const files = fs.readdirSync(folder);
    assert.ok(files.includes('nginx-access.log') && files.includes('portald.log'), files.join(' '));
    for (const file of files) {
      const text = fs.readFileSync(path.join(folder, file), 'latin1');
      for (const token of tokens) assert.ok(!text.includes(token), `a token in log/${file}`);
    }
    // What the lines say instead.
    const access = stack.accessLog();
    for (const masked of ['"POST /activate/-"', '"POST /password/reset/-"', '"GET /api/v1/join/-"', '"POST /join/-"',
      '"GET /api/v1/calendar/-.ics"', '"GET /join/-" 429']) {
      assert.ok(access.includes(masked), `the access log has ${masked}`);
    }
    assert.match(stack.log(), /POST \/join\/\{token\} 303 /);
  });

  it('limits each group of anonymous routes per client address, pages and API: 429 with Retry-After', async () => {
    const dead = 'x'.repeat(43);
    // Each group has a zone of its own; its page and its API route share it.
    const groups = {
      'sign-in': [['GET', '/login'], ['POST', '/api/v1/session']],
      reset: [['GET', '/password/forgot'], ['POST', '/api/v1/password/reset']],
      'sign-up': [['GET', `/join/${dead}`], ['GET', `/api/v1/join/${dead}`]],
      activation: [['GET', `/activate/${dead}`], ['POST', '/api/v1/activate']],
      confirmation: [['GET', `/confirm/${dead}`], ['POST', '/api/v1/confirm']],
    };
    const burst = (method, p) => Promise.all(Array.from({ length: 40 }, () => stack.fetch(p, {
      method,
      redirect: 'manual',
      headers: method === 'POST' ? { 'Content-Type': 'application/json' } : {},
      body: method === 'POST' ? '{}' : undefined,
    }).then(async (r) => ({ r, body: await r.text() }))));
    for (const [group, routes] of Object.entries(groups)) {
      for (const [method, p] of routes) {
        const limited = (await burst(method, p)).filter(({ r }) => r.status === 429);
        assert.ok(limited.length > 0, `${group}: ${method} ${p} was not limited`);
        const [{ r, body }] = limited;
        assert.ok(Number(r.headers.get('retry-after')) > 0, `${p}: Retry-After`);
        if (p.startsWith('/api/')) assertJsonError(r, body, 'rate_limited');
        else assert.match(r.headers.get('content-type'), /^text\/html/, p);
      }
    }
    // Routes of people who are signed in, and everything else, are not limited here.
    for (const p of ['/api/v1/health', '/api/v1/me']) {
      const statuses = (await burst('GET', p)).map(({ r }) => r.status);
      assert.ok(!statuses.includes(429), `${p} was limited`);
    }
  });

  it('starts nothing twice', async () => {
    const names = ['mariadb', 'smtp', 'portald', 'nginx'];
    const pids = names.map((n) => stack.pidOf(n));
    assert.ok(pids.every((p) => p && isAlive(p)), `not all running: ${pids}`);
    const result = await stack.script('start');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(names.map((n) => stack.pidOf(n)), pids);
  });

  it('stops every process it started', async () => {
    const pids = ['mariadb', 'smtp', 'portald', 'nginx'].map((n) => stack.pidOf(n));
    const all = [...pids, ...childrenOf(stack.pidOf('portald')), ...childrenOf(stack.pidOf('nginx'))];
    const result = await stack.script('stop');
    assert.equal(result.code, 0, result.stderr);
    const left = all.filter(isAlive);
    assert.deepEqual(left, [], `still alive: ${left}`);
    for (const n of ['mariadb', 'smtp', 'portald', 'nginx']) assert.equal(stack.pidOf(n), null, `${n}.pid left`);
    const status = await stack.script('status');
    assert.equal(status.code, 3);
  });
});
