// The operators' tool against a running stack: organisations, plugins with a
// reload that fails no request, password reset links, throttling, the demo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { startStack, sleep } from './stack.mjs';
import { Client, newManager } from './client.mjs';

let stack;
before(async () => {
  stack = await startStack({ env: { DEMO: '1', SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
});
after(async () => { await stack?.stop(); });

async function signIn(email, password) {
  const c = new Client(stack);
  const res = await c.json('/api/v1/session', { method: 'POST', body: { email, password } });
  c.csrf = res.body?.csrf_token;
  return { c, res };
}

test('the demo organisation exists once, and its login works', async () => {
  const text = readFileSync(`${stack.var}/demo-login.txt`, 'utf8');
  const [, email, password] = /demo login: (\S+)\s+password: (\S+)/.exec(text);
  assert.equal(email, 'verwalter@example.org');
  const { c, res } = await signIn(email, password);
  assert.equal(res.status, 200);
  assert.equal(res.body.user.admin, true);
  assert.equal((await c.json('/api/v1/org')).body.name, 'Muster Hausverwaltung GmbH');
  const props = await c.json('/api/v1/properties');
  assert.deepEqual(props.body.items.map((p) => p.name), ['Robert-Koch-Straße']);
  stack.startAgain();
  assert.equal(readFileSync(`${stack.var}/demo-login.txt`, 'utf8'), text, 'a second start changes nothing');
  assert.equal(stack.sql("SELECT COUNT(*) FROM orgs WHERE name = 'Muster Hausverwaltung GmbH'").trim(), '1');
});

test('org create: one line with the link, a mail with the same link, and clear refusals', async () => {
  const r = stack.portalctl('org', 'create', '--name', 'Grün & Partner', '--admin-email', 'Chefin@Example.org', '--admin-name', 'Ute Grün');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const url = /^activation: (http\S+\/activate\/\S+)$/.exec(lines[0])[1];
  const [mail] = await stack.waitForMail((m) => m.headers.to?.includes('chefin@example.org'));
  assert.ok(mail.raw.replace(/=\r?\n/g, '').includes(url), 'the mail carries the printed link');

  for (const args of [
    ['org', 'create', '--name', 'Noch eine', '--admin-email', 'chefin@example.org'],
    ['org', 'create', '--name', 'X', '--admin-email', 'not-an-email'],
    ['org', 'create', '--name', '', '--admin-email', 'a@example.org'],
    ['org', 'create', '--admin-email', 'b@example.org'],
    ['org', 'create', '--name', 'X', '--admin-email', 'c@example.org', '--bogus', 'y'],
    ['org', 'frobnicate'],
    ['nonsense'],
    ['user', 'reset-password', 'nobody@example.org'],
    ['throttle', 'reset', '--email'],
  ]) {
    const bad = stack.portalctl(...args);
    assert.notEqual(bad.status, 0, args.join(' '));
    assert.equal(bad.stderr.trim().split('\n').length, 1, args.join(' '));
    assert.match(bad.stderr, /^portalctl: /);
  }
  assert.equal(stack.sql("SELECT COUNT(*) FROM users WHERE email IN ('a@example.org','b@example.org','c@example.org')").trim(), '0');
  const list = stack.portalctl('org', 'list');
  assert.equal(list.status, 0);
  assert.match(list.stdout, /Grün & Partner\t1 managers/);
});

test('user reset-password prints a link that sets a new password', async () => {
  const m = await newManager(stack);
  const r = stack.portalctl('user', 'reset-password', m.email.toUpperCase());
  assert.equal(r.status, 0, r.stderr);
  const token = /^reset: \S+\/password\/reset\/(\S+)$/.exec(r.stdout.trim())[1];
  const res = await new Client(stack).json('/api/v1/password/reset', { method: 'POST', body: { token, password: 'Ein ganz neues Passwort' } });
  assert.equal(res.status, 200);
  assert.equal((await signIn(m.email, 'Ein ganz neues Passwort')).res.status, 200);
  // What the portal refuses as an address everywhere, portalctl refuses too.
  for (const bad of [m.email.replace(/^a/, 'ä'), 'kein-at', 'a@b@example.org']) {
    const refused = stack.portalctl('user', 'reset-password', bad);
    assert.notEqual(refused.status, 0, bad);
    assert.match(refused.stderr, /^portalctl: .*not an email address/, bad);
  }
});

test('throttle reset clears sign-in throttling, by email, by address, or all', async () => {
  const m = await newManager(stack);
  for (let i = 0; i < 5; i++) assert.equal((await signIn(m.email, 'falsch falsch')).res.status, 401);
  assert.equal((await signIn(m.email, m.password)).res.status, 429);
  const r = stack.portalctl('throttle', 'reset', '--email', m.email);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cleared [1-9]\d* throttling entries/);
  assert.equal((await signIn(m.email, m.password)).res.status, 200);
  assert.equal(stack.portalctl('throttle', 'reset', '--ip', '127.0.0.1').status, 0);
  assert.equal(stack.sql("SELECT COUNT(*) FROM throttle_events WHERE scope = 'login_ip'").trim(), '0');
  for (let i = 0; i < 2; i++) await signIn(m.email, 'falsch falsch');
  assert.equal(stack.portalctl('throttle', 'reset').status, 0);
  assert.equal(stack.sql('SELECT COUNT(*) FROM throttle_events').trim(), '0');
});

test('plugins disable and enable reload the pool without a failed request', async () => {
  assert.equal(stack.portalctl('plugins').stdout.trim(), 'example 2.0.0\ninvites 1.0.0\ncontent 1.0.0');
  const m = await newManager(stack);
  const listed = await m.json('/api/v1/plugins');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.items.map((p) => [p.name, p.version]), [['example', '2.0.0'], ['invites', '1.0.0'], ['content', '1.0.0']]);
  assert.ok(listed.body.items[0].description);
  const statuses = await stack.underLoad('/api/v1/health', async () => {
    const off = stack.portalctl('plugins', 'disable', 'example');
    assert.equal(off.status, 0, off.stderr);
    assert.match(readFileSync(stack.conf, 'utf8'), /^plugins = invites content$/m);
    // the pool reloads in the background, which on a busy machine (CI with a
    // sanitizer build beside it) may take more than a few seconds
    let gone = false;
    for (let i = 0; i < 300 && !gone; i++) {
      await sleep(100);
      gone = (await stack.fetch('/api/v1/example')).status === 404;
    }
    assert.ok(gone, 'the disabled plugin\'s route answers 404');
    assert.deepEqual((await m.json('/api/v1/plugins')).body.items.map((p) => p.name), ['invites', 'content'],
      'GET /plugins lists only the enabled ones');
    assert.equal(stack.portalctl('plugins', 'disable', 'example').status, 1, 'already disabled');
    assert.equal(stack.portalctl('plugins', 'enable', 'example').status, 0);
    let back = false;
    for (let i = 0; i < 300 && !back; i++) {
      await sleep(100);
      back = (await stack.fetch('/api/v1/example')).status === 200;
    }
    assert.ok(back);
    const missing = stack.portalctl('plugins', 'enable', 'no_such_plugin');
    assert.equal(missing.status, 1);
    assert.match(readFileSync(stack.conf, 'utf8'), /^plugins = invites content example$/m, 'a failed enable changes nothing');
  }, 1);
  assert.deepEqual(Object.keys(statuses), ['200'], JSON.stringify(statuses));
});

test('under https the session cookie is __Host- and Secure', async () => {
  const m = await newManager(stack);
  const conf = readFileSync(stack.conf, 'utf8');
  stack.setConf({ base_url: stack.base.replace(/^http:/, 'https:') });
  await stack.reload();
  try {
    const res = await stack.fetch('/api/v1/session', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: m.email, password: m.password }),
    });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie');
    assert.match(cookie, /^__Host-session=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /; Path=\//);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Secure/);
    assert.doesNotMatch(cookie, /Domain=/i);
  } finally {
    writeFileSync(stack.conf, conf);
    await stack.reload();
  }
});

test('after an attack the real password works again once the window passed (no lock-out)', async () => {
  const m = await newManager(stack);
  const conf = readFileSync(stack.conf, 'utf8');
  stack.setConf({ login_window_seconds: 2 });
  await stack.reload();
  try {
    for (let i = 0; i < 8; i++) await signIn(m.email, 'ein Angreifer rät');
    const blocked = await signIn(m.email, m.password);
    assert.equal(blocked.res.status, 429);
    assert.ok(Number(blocked.res.headers.get('retry-after')) >= 1);
    await sleep(2500);
    assert.equal((await signIn(m.email, m.password)).res.status, 200);
  } finally {
    writeFileSync(stack.conf, conf);
    await stack.reload();
  }
});
