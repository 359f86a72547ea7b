// The organisation and its employees over HTTP, through nginx and the pool:
// GET/PATCH /org, the logo (upload, delivery through nginx, types by content,
// size), /brand/{id}.css, GET/POST/DELETE /employees with the invitation mail,
// and the pages /app, /app/settings, /app/employees and /portal. Two
// organisations, so that every id of the other one is a 404.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startStack } from './stack.mjs';

let stack;

// A client with its own cookie jar and CSRF token.
class Client {
  constructor(cookie = '', csrf = '') {
    this.cookie = cookie;
    this.csrf = csrf;
  }

  async fetch(p, init = {}) {
    const headers = { ...(init.headers || {}) };
    if (this.cookie) headers.Cookie = this.cookie;
    if (this.csrf && init.method && init.method !== 'GET' && !init.noCsrf) headers['X-CSRF-Token'] = this.csrf;
    let { body } = init;
    if (body && typeof body === 'object' && !(body instanceof FormData) && !(body instanceof URLSearchParams)) {
      body = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await stack.fetch(p, { method: init.method, headers, body, redirect: 'manual' });
    const set = res.headers.get('set-cookie');
    if (set) {
      const [pair] = set.split(';');
      this.cookie = pair.endsWith('=') ? '' : pair;
    }
    return res;
  }

  async json(p, init) {
    const res = await this.fetch(p, init);
    const text = await res.text();
    let body = null;
    if (text) {
      assert.match(res.headers.get('content-type') || '', /^application\/json/, `${p}: ${text.slice(0, 200)}`);
      body = JSON.parse(text);
    }
    return { status: res.status, headers: res.headers, body };
  }

  // A page as a browser loads it: forms carry the token as the field csrf_token,
  // never as a header.
  async page(p, init = {}) {
    const res = await this.fetch(p, { ...init, noCsrf: true });
    return { status: res.status, headers: res.headers, html: await res.text() };
  }
}

const anonymous = new Client();

function expectError(res, status, code, field) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body?.error?.code, code, JSON.stringify(res.body));
  assert.ok(res.body.error.message.length > 0);
  if (field !== undefined) assert.equal(res.body.error.field, field, JSON.stringify(res.body));
}

// Redeems an activation or reset link through the real API: signed in.
async function redeem(kind, token, password = 'ein langes Passwort 123') {
  const client = new Client();
  const res = await client.json(kind === 'reset' ? '/api/v1/password/reset' : '/api/v1/activate', {
    method: 'POST',
    body: { token, password },
  });
  assert.equal(res.status, 200, `${kind}: ${JSON.stringify(res.body)}`);
  assert.ok(client.cookie, 'the activation sets the session cookie');
  client.csrf = res.body.csrf_token;
  client.user = res.body.user;
  return client;
}

let orgCounter = 0;

// An organisation created with portalctl, its admin activated with the printed link.
async function newOrg(name) {
  orgCounter += 1;
  const email = `chefin-${orgCounter}-${process.pid}@example.org`;
  const r = stack.portalctl('org', 'create', '--name', name, '--admin-email', email);
  assert.equal(r.status, 0, r.stderr);
  const token = /activation: \S+\/activate\/(\S+)/.exec(r.stdout)?.[1];
  assert.ok(token, r.stdout);
  const admin = await redeem('activation', token);
  const org = await admin.json('/api/v1/org');
  assert.equal(org.status, 200);
  return { admin, email, id: org.body.id, name };
}

// The activation token in the newest invitation mail to address.
async function invitationToken(address) {
  const [mail] = await stack.waitForMail((m) => (m.headers.to || '').includes(address));
  const text = mail.raw.replace(/=\r?\n/g, '');
  const token = /\/activate\/([A-Za-z0-9_-]{43})/.exec(text)?.[1];
  assert.ok(token, `no activation link in the invitation mail:\n${mail.raw.slice(0, 2000)}`);
  return { mail, token };
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(64, 1)]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(256)]);

function upload(bytes, filename, type) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), filename);
  return form;
}

let a; // { admin, email, id, name }: organisation A
let b; // organisation B

before(async () => {
  stack = await startStack({ env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newOrg('Hausverwaltung Anfang GmbH');
  b = await newOrg('Bestand & Partner KG');
});

after(async () => {
  await stack?.stop();
});

describe('signed out', () => {
  test('every API route is 401 unauthenticated', async () => {
    for (const [method, p] of [
      ['GET', '/api/v1/org'],
      ['PATCH', '/api/v1/org'],
      ['POST', '/api/v1/org/logo'],
      ['GET', '/api/v1/employees'],
      ['POST', '/api/v1/employees'],
      ['DELETE', `/api/v1/employees/${a.admin.user.id}`],
    ]) {
      const res = await anonymous.json(p, { method, body: method === 'GET' ? undefined : {} });
      expectError(res, 401, 'unauthenticated');
    }
  });

  test('the pages of both shells redirect to /login', async () => {
    for (const p of ['/app', '/portal', '/app/settings', '/app/employees', `/app/employees/${a.admin.user.id}/remove`]) {
      const res = await anonymous.fetch(p);
      assert.equal(res.status, 303, p);
      assert.equal(res.headers.get('location'), '/login', p);
    }
  });

  test('an unsafe page request is refused, not redirected', async () => {
    const res = await anonymous.fetch('/app/settings', {
      method: 'POST',
      body: new URLSearchParams({ name: 'Übernommen' }),
    });
    assert.equal(res.status, 401);
    assert.equal((await a.admin.json('/api/v1/org')).body.name, a.name);
  });
});

describe('GET and PATCH /org', () => {
  test('GET /org answers the caller\'s organisation', async () => {
    const res = await a.admin.json('/api/v1/org');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { id: a.id, name: a.name, brand_color: '#1f5fa8', logo_url: null, locale: 'de' });
    const other = await b.admin.json('/api/v1/org');
    assert.equal(other.body.id, b.id);
    assert.notEqual(a.id, b.id);
  });

  test('PATCH changes name, colour (stored lower-case) and language', async () => {
    const res = await b.admin.json('/api/v1/org', {
      method: 'PATCH',
      body: { name: '  Bestand & Partner KG (neu)  ', brand_color: '#A0B1C2', locale: 'en' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, {
      id: b.id,
      name: 'Bestand & Partner KG (neu)',
      brand_color: '#a0b1c2',
      logo_url: null,
      locale: 'en',
    });
    assert.deepEqual((await b.admin.json('/api/v1/org')).body, res.body);
    // One field alone leaves the others; the other organisation is untouched.
    const one = await b.admin.json('/api/v1/org', { method: 'PATCH', body: { locale: 'de' } });
    assert.equal(one.body.name, 'Bestand & Partner KG (neu)');
    assert.equal(one.body.brand_color, '#a0b1c2');
    assert.equal(one.body.locale, 'de');
    assert.equal((await a.admin.json('/api/v1/org')).body.name, a.name);
  });

  test('fields a caller may not set are ignored', async () => {
    const res = await a.admin.json('/api/v1/org', {
      method: 'PATCH',
      body: { id: b.id, org_id: b.id, admin: false, role: 'resident', logo_url: '/etc/passwd', logo_file: 'x' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, a.id);
    assert.equal(res.body.logo_url, null);
    const session = await a.admin.json('/api/v1/session');
    assert.equal(session.body.user.admin, true);
    assert.equal(session.body.user.role, 'manager');
  });

  test('bad values are 422 with the field, and change nothing', async () => {
    const before = (await a.admin.json('/api/v1/org')).body;
    for (const [body, field] of [
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ name: 42 }, 'name'],
      [{ name: 'Zeile\r\nBcc: x@example.org' }, 'name'],
      [{ brand_color: 'red' }, 'brand_color'],
      [{ brand_color: '#12345' }, 'brand_color'],
      [{ brand_color: '#12345g' }, 'brand_color'],
      [{ brand_color: '#1234567' }, 'brand_color'],
      [{ brand_color: '#123;}body{x' }, 'brand_color'],
      [{ brand_color: null }, 'brand_color'],
      [{ locale: 'fr' }, 'locale'],
      [{ locale: ['de'] }, 'locale'],
      [{ name: 'Gültig', brand_color: 'blau' }, 'brand_color'],
    ]) {
      const res = await a.admin.json('/api/v1/org', { method: 'PATCH', body });
      expectError(res, 422, 'validation', field);
    }
    // 200 characters (not bytes) are allowed.
    const long = 'ä'.repeat(200);
    const ok = await a.admin.json('/api/v1/org', { method: 'PATCH', body: { name: long } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.name, long);
    const back = await a.admin.json('/api/v1/org', { method: 'PATCH', body: { name: before.name } });
    assert.deepEqual(back.body, before);
  });

  test('PATCH without the CSRF token is 403 csrf', async () => {
    const res = await a.admin.json('/api/v1/org', { method: 'PATCH', body: { name: 'Ohne Token' }, noCsrf: true });
    expectError(res, 403, 'csrf');
  });
});

describe('brand stylesheet', () => {
  test('GET /brand/{id}.css reflects PATCH', async () => {
    let res = await anonymous.fetch(`/brand/${a.id}.css`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/css/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await res.text()).trim(), ':root{--brand:#1f5fa8}');
    await a.admin.json('/api/v1/org', { method: 'PATCH', body: { brand_color: '#C0FFEE' } });
    res = await anonymous.fetch(`/brand/${a.id}.css`);
    assert.equal((await res.text()).trim(), ':root{--brand:#c0ffee}');
    await a.admin.json('/api/v1/org', { method: 'PATCH', body: { brand_color: '#1f5fa8' } });
    res = await anonymous.fetch(`/brand/${b.id}.css`);
    assert.equal((await res.text()).trim(), ':root{--brand:#a0b1c2}');
  });

  test('an unknown organisation is 404', async () => {
    assert.equal((await anonymous.fetch('/brand/999999.css')).status, 404);
    assert.equal((await anonymous.fetch('/brand/abc.css')).status, 404);
  });

  test('the layout links it and shows the organisation', async () => {
    const { status, html } = await a.admin.page('/app');
    assert.equal(status, 200);
    assert.match(html, new RegExp(`<link rel="stylesheet" href="/brand/${a.id}\\.css">`));
    assert.match(html, /class="brand__name">Hausverwaltung Anfang GmbH</);
    assert.doesNotMatch(html, /style="/, 'no inline style: the CSP forbids it');
    assert.doesNotMatch(html, /<script>/);
  });
});

describe('the logo', () => {
  test('a PNG is stored under its SHA-256 and served through nginx as image/png', async () => {
    const res = await a.admin.json('/api/v1/org/logo', { method: 'POST', body: upload(PNG, 'logo.png', 'image/png') });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, a.id);
    assert.equal(res.body.logo_url, `/api/v1/orgs/${a.id}/logo`);
    assert.equal((await a.admin.json('/api/v1/org')).body.logo_url, res.body.logo_url);

    const sha = crypto.createHash('sha256').update(PNG).digest('hex');
    const file = path.join(stack.var, 'files', sha);
    assert.deepEqual(fs.readFileSync(file), PNG);
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(
      fs.readdirSync(path.join(stack.var, 'files')).filter((n) => n.startsWith('.')),
      [],
      'no temporary file is left',
    );

    // Public (the login and join pages show it), answered by nginx's /_files/.
    const got = await anonymous.fetch(res.body.logo_url);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), PNG);
    assert.equal(stack.sql(`SELECT logo_file, logo_type FROM orgs WHERE id = ${a.id}`).trim(), `${sha}\timage/png`);
  });

  test('a JPEG is served as image/jpeg; the page shows the logo', async () => {
    const res = await b.admin.json('/api/v1/org/logo', { method: 'POST', body: upload(JPEG, 'x.bin', 'application/octet-stream') });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const got = await anonymous.fetch(`/api/v1/orgs/${b.id}/logo`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), JPEG);
    const { html } = await b.admin.page('/app/settings');
    assert.match(html, new RegExp(`<img class="brand__logo" src="/api/v1/orgs/${b.id}/logo" alt="">`));
  });

  test('an SVG or a renamed executable is 415, and the logo stays', async () => {
    for (const [bytes, name, type] of [
      [SVG, 'logo.svg', 'image/svg+xml'],
      [SVG, 'logo.png', 'image/png'],
      [ELF, 'logo.png', 'image/png'],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'short.png', 'image/png'],
      [Buffer.from('GIF89a...'), 'logo.gif', 'image/gif'],
    ]) {
      const res = await a.admin.json('/api/v1/org/logo', { method: 'POST', body: upload(bytes, name, type) });
      expectError(res, 415, 'unsupported_media_type');
    }
    const got = await anonymous.fetch(`/api/v1/orgs/${a.id}/logo`);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), PNG);
  });

  test('over 2 MiB is 413; exactly 2 MiB is accepted', async () => {
    const big = Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024 + 1 - PNG.length)]);
    const res = await a.admin.json('/api/v1/org/logo', { method: 'POST', body: upload(big, 'big.png', 'image/png') });
    expectError(res, 413, 'too_large');
    const limit = big.subarray(0, 2 * 1024 * 1024);
    const ok = await a.admin.json('/api/v1/org/logo', { method: 'POST', body: upload(limit, 'limit.png', 'image/png') });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const sha = crypto.createHash('sha256').update(limit).digest('hex');
    assert.equal(fs.statSync(path.join(stack.var, 'files', sha)).size, limit.length);
    // Back to the small one: the same content, the same file.
    const again = await a.admin.json('/api/v1/org/logo', { method: 'POST', body: upload(PNG, 'logo.png', 'image/png') });
    assert.equal(again.status, 200);
  });

  test('a missing file is 422 on file', async () => {
    const form = new FormData();
    form.append('note', 'kein Bild');
    expectError(await a.admin.json('/api/v1/org/logo', { method: 'POST', body: form }), 422, 'validation', 'file');
    const other = new FormData();
    other.append('picture', new Blob([PNG], { type: 'image/png' }), 'logo.png');
    expectError(await a.admin.json('/api/v1/org/logo', { method: 'POST', body: other }), 422, 'validation', 'file');
  });

  test('no logo, or no organisation, is 404', async () => {
    const c = await newOrg('Ohne Logo eG');
    assert.equal((await anonymous.fetch(`/api/v1/orgs/${c.id}/logo`)).status, 404);
    assert.equal((await anonymous.fetch('/api/v1/orgs/999999/logo')).status, 404);
    assert.equal((await c.admin.json('/api/v1/org')).body.logo_url, null);
  });
});

describe('employees', () => {
  let manager; // a manager of A without the admin flag
  let managerEmail;

  test('GET /employees lists the organisation\'s managers', async () => {
    const res = await a.admin.json('/api/v1/employees');
    assert.equal(res.status, 200);
    assert.equal(res.body.next, null);
    assert.equal(res.body.items.length, 1);
    const [me] = res.body.items;
    assert.equal(me.id, a.admin.user.id);
    assert.equal(me.email, a.email);
    assert.equal(me.admin, true);
    assert.equal(typeof me.name, 'string');
    assert.deepEqual(Object.keys(me).filter((k) => ['id', 'name', 'email', 'admin'].includes(k)).sort(), ['admin', 'email', 'id', 'name']);
  });

  test('POST /employees invites: 201, the manager, the mail with the activation link', async () => {
    managerEmail = `Kollege.${process.pid}@Example.org`;
    const res = await a.admin.json('/api/v1/employees', {
      method: 'POST',
      body: { email: managerEmail, name: 'Karl Kollege', org_id: b.id, role: 'resident' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.email, managerEmail.toLowerCase());
    assert.equal(res.body.name, 'Karl Kollege');
    assert.equal(res.body.admin, false);
    assert.ok(res.body.id > 0);
    assert.equal(stack.sql(`SELECT org_id, role FROM users WHERE id = ${res.body.id}`).trim(), `${a.id}\tmanager`);

    const { mail, token } = await invitationToken(managerEmail.toLowerCase());
    assert.match(mail.headers.subject, /=\?UTF-8\?|Hausverwaltung Anfang GmbH/i);
    assert.match(mail.raw, /Karl Kollege/);
    // Opening the link consumes nothing; the POST signs in, as a manager without admin.
    assert.equal((await anonymous.fetch(`/activate/${token}`)).status, 200);
    manager = await redeem('activation', token);
    assert.equal(manager.user.id, res.body.id);
    assert.equal(manager.user.admin, false);
    assert.equal(manager.user.org_id, a.id);
    const list = await a.admin.json('/api/v1/employees');
    assert.deepEqual(list.body.items.map((e) => e.id), [a.admin.user.id, res.body.id]);
  });

  test('an admin may invite another admin', async () => {
    const res = await a.admin.json('/api/v1/employees', {
      method: 'POST',
      body: { email: `zweite-admin-${process.pid}@example.org`, name: 'Zweite Admin', admin: true },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.admin, true);
  });

  test('a manager without the admin flag reads but may not change: 403 forbidden', async () => {
    assert.equal((await manager.json('/api/v1/org')).status, 200);
    assert.equal((await manager.json('/api/v1/employees')).status, 200);
    expectError(await manager.json('/api/v1/org', { method: 'PATCH', body: { name: 'Übernahme' } }), 403, 'forbidden');
    expectError(
      await manager.json('/api/v1/org/logo', { method: 'POST', body: upload(PNG, 'logo.png', 'image/png') }),
      403,
      'forbidden',
    );
    expectError(
      await manager.json('/api/v1/employees', { method: 'POST', body: { email: 'x@example.org', name: 'X' } }),
      403,
      'forbidden',
    );
    expectError(await manager.json(`/api/v1/employees/${a.admin.user.id}`, { method: 'DELETE' }), 403, 'forbidden');
    // "admin" in a body the manager may send elsewhere changes nothing either.
    assert.equal((await manager.json('/api/v1/session')).body.user.admin, false);
    assert.equal((await a.admin.json('/api/v1/org')).body.name, a.name);

    // The settings page is read-only for them; its form's POST is 403.
    const page = await manager.page('/app/settings');
    assert.equal(page.status, 200);
    assert.match(page.html, /<fieldset class="plain" disabled>/);
    const post = await manager.page('/app/settings', {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: manager.csrf, name: 'Übernahme' }),
    });
    assert.equal(post.status, 403);
    const employees = await manager.page('/app/employees');
    assert.equal(employees.status, 200);
    assert.doesNotMatch(employees.html, /action="\/app\/employees"/, 'no invite form for a non-admin');
    assert.doesNotMatch(employees.html, /\/remove"/);
    assert.equal((await manager.page(`/app/employees/${a.admin.user.id}/remove`)).status, 403);
  });

  test('an address of the organisation\'s own (employee, resident) is 409 conflict, whatever its case', async () => {
    const resident = `bewohnerin-${process.pid}@example.org`;
    stack.sql(`INSERT INTO users (org_id, role, email, name, created_at)
      VALUES (${a.id}, 'resident', '${resident}', 'Bea Bewohnerin', UTC_TIMESTAMP())`);
    for (const email of [managerEmail, managerEmail.toUpperCase(), a.email, resident]) {
      const res = await a.admin.json('/api/v1/employees', { method: 'POST', body: { email, name: 'Doppelt' } });
      expectError(res, 409, 'conflict', 'email');
    }
    stack.sql(`DELETE FROM users WHERE email = '${resident}'`);
  });

  test('an address with an account in another organisation is answered like a new one, and told instead', async () => {
    const invite = (email, name) => a.admin.json('/api/v1/employees', { method: 'POST', body: { email, name } });
    const fresh = `frisch-${process.pid}@example.org`;
    const elsewhere = await invite(b.email.toUpperCase(), 'Bernd Bestand');
    const created = await invite(fresh, 'Frida Frisch');
    for (const res of [elsewhere, created]) {
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), ['admin', 'email', 'id', 'name', 'pending', 'self']);
      assert.equal(res.body.pending, true);
      assert.equal(res.body.admin, false);
    }
    assert.equal(elsewhere.body.email, b.email);
    assert.ok(created.body.id > elsewhere.body.id, 'ids in one order');
    // Listed alike, as invitations nobody accepted yet.
    const listed = (await a.admin.json('/api/v1/employees?limit=1000')).body.items;
    for (const res of [elsewhere, created]) {
      assert.deepEqual(listed.find((e) => e.id === res.body.id), res.body);
    }
    assert.equal((await a.admin.json('/api/v1/employees?limit=1')).body.items.length, 1);
    // The outbox shows two invitations alike.
    const outbox = (await a.admin.json('/api/v1/outbox')).body.items;
    const [o1, o2] = [b.email, fresh].map((to) => outbox.find((m) => m.to === to));
    assert.ok(o1 && o2, JSON.stringify(outbox));
    assert.equal(o1.kind, 'invitation');
    assert.equal(o1.kind, o2.kind);
    assert.equal(o1.subject, o2.subject);

    // B's account is untouched; its owner is told, with no link to follow.
    assert.equal(stack.sql(`SELECT org_id, role FROM users WHERE email = '${b.email}'`).trim(), `${b.id}\tmanager`);
    assert.equal((await b.admin.json('/api/v1/org')).status, 200);
    const text = (m) => m.raw.replace(/=\r?\n/g, '');
    const [told] = await stack.waitForMail((m) => (m.headers.to || '').includes(b.email) && text(m).includes('schon einen Zugang'));
    assert.doesNotMatch(text(told), /\/activate\//);
    assert.match(text(told), /Hausverwaltung Anfang GmbH/);
    const [real] = await stack.waitForMail((m) => (m.headers.to || '').includes(fresh));
    assert.equal(told.headers.subject, real.headers.subject);

    // Again: a 409 like any open invitation. It is removed like one, by A only.
    expectError(await invite(b.email, 'Nochmal'), 409, 'conflict', 'email');
    const confirm = await a.admin.page(`/app/employees/${elsewhere.body.id}/remove`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.html, /Bernd Bestand/);
    expectError(await b.admin.json(`/api/v1/employees/${elsewhere.body.id}`, { method: 'DELETE' }), 404, 'not_found');
    for (const res of [elsewhere, created]) {
      assert.equal((await a.admin.fetch(`/api/v1/employees/${res.body.id}`, { method: 'DELETE' })).status, 204);
      expectError(await a.admin.json(`/api/v1/employees/${res.body.id}`, { method: 'DELETE' }), 404, 'not_found');
    }
    assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${b.email}'`).trim(), '1');
  });

  test('bad input is 422 on email, name or admin', async () => {
    for (const [body, field] of [
      [{ name: 'Ohne Adresse' }, 'email'],
      [{ email: 'keine-adresse', name: 'X' }, 'email'],
      [{ email: 'a@b.de, c@d.de', name: 'X' }, 'email'],
      [{ email: 'x\r\nBcc: y@example.org', name: 'X' }, 'email'],
      [{ email: 42, name: 'X' }, 'email'],
      [{ email: 'ohne-name@example.org' }, 'name'],
      [{ email: 'ohne-name@example.org', name: '' }, 'name'],
      [{ email: 'ohne-name@example.org', name: 'n'.repeat(201) }, 'name'],
      [{ email: 'ohne-name@example.org', name: 'Zeile\nZwei' }, 'name'],
      [{ email: 'ohne-name@example.org', name: 'X', admin: 'vielleicht' }, 'admin'],
    ]) {
      expectError(await a.admin.json('/api/v1/employees', { method: 'POST', body }), 422, 'validation', field);
    }
    assert.equal(stack.sql("SELECT COUNT(*) FROM users WHERE email = 'ohne-name@example.org'").trim(), '0');
  });

  test('lists are keyset pages; a malformed cursor is 400', async () => {
    const first = await a.admin.json('/api/v1/employees?limit=1');
    assert.equal(first.body.items.length, 1);
    assert.equal(typeof first.body.next, 'string');
    const second = await a.admin.json(`/api/v1/employees?limit=1&after=${encodeURIComponent(first.body.next)}`);
    assert.equal(second.body.items.length, 1);
    assert.ok(second.body.items[0].id > first.body.items[0].id);
    const all = await a.admin.json('/api/v1/employees?limit=1000');
    assert.equal(all.body.next, null);
    assert.equal(all.body.items.length, 3);
    expectError(await a.admin.json('/api/v1/employees?after=abc'), 400, 'bad_request');
    expectError(await a.admin.json('/api/v1/employees?limit=0'), 400, 'bad_request');
  });

  test('lists and removals never cross organisations: 404', async () => {
    const list = await b.admin.json('/api/v1/employees');
    assert.deepEqual(list.body.items.map((e) => e.id), [b.admin.user.id]);
    expectError(await b.admin.json(`/api/v1/employees/${manager.user.id}`, { method: 'DELETE' }), 404, 'not_found');
    expectError(await b.admin.json('/api/v1/employees/999999', { method: 'DELETE' }), 404, 'not_found');
    assert.equal((await b.admin.page(`/app/employees/${manager.user.id}/remove`)).status, 404);
    const post = await b.admin.page(`/app/employees/${manager.user.id}/remove`, {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: b.admin.csrf }),
    });
    assert.equal(post.status, 404);
    assert.equal((await manager.json('/api/v1/org')).status, 200, 'the manager is still there');
  });

  test('an admin cannot remove themself: 409 conflict', async () => {
    expectError(await a.admin.json(`/api/v1/employees/${a.admin.user.id}`, { method: 'DELETE' }), 409, 'conflict');
    assert.equal((await a.admin.json('/api/v1/org')).status, 200);
  });

  test('DELETE /employees/{id}: 204, and their sessions end at once', async () => {
    const res = await a.admin.fetch(`/api/v1/employees/${manager.user.id}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    expectError(await manager.json('/api/v1/org'), 401, 'unauthenticated');
    assert.equal(stack.sql(`SELECT COUNT(*) FROM sessions WHERE user_id = ${manager.user.id}`).trim(), '0');
    const list = await a.admin.json('/api/v1/employees');
    assert.ok(!list.body.items.some((e) => e.id === manager.user.id));
    expectError(await a.admin.json(`/api/v1/employees/${manager.user.id}`, { method: 'DELETE' }), 404, 'not_found');
  });
});

describe('pages', () => {
  test('/app: welcome with the organisation, the menu, logout', async () => {
    const { status, headers, html } = await a.admin.page('/app');
    assert.equal(status, 200);
    assert.match(headers.get('content-type'), /^text\/html/);
    assert.equal(headers.get('cache-control'), 'no-store');
    assert.match(html, /<h1 id="welcome-title">Willkommen bei Hausverwaltung Anfang GmbH<\/h1>/);
    // The core's entries, in order, only the overview current.
    const nav = html.slice(html.indexOf('class="site-nav"'), html.indexOf('</nav>'));
    const labels = [...nav.matchAll(/class="site-nav__link" href="([^"]+)"[^>]*>([^<]+)</g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(labels.slice(0, 2), [['/app', 'Übersicht'], ['/app/properties', 'Liegenschaften']]);
    assert.deepEqual(labels.at(-1), ['/app/settings', 'Einstellungen']);
    assert.equal((nav.match(/aria-current="page"/g) || []).length, 1);
    assert.match(nav, /href="\/app" aria-current="page"/);
    // Quick links from the menu, and the employees for an admin.
    assert.match(html, /class="quick-link" href="\/app\/settings"/);
    assert.match(html, /class="quick-link" href="\/app\/employees"/);
    // Logout: a POST form with the session's CSRF token.
    assert.match(html, new RegExp(`<form class="account__logout" method="post" action="/logout">\\s*<input type="hidden" name="csrf_token" value="${a.admin.csrf}">`));
  });

  test('/app/settings: only Einstellungen is current; a form with labels and a colour input', async () => {
    const { status, html } = await a.admin.page('/app/settings');
    assert.equal(status, 200);
    const nav = html.slice(html.indexOf('class="site-nav"'), html.indexOf('</nav>'));
    assert.equal((nav.match(/aria-current="page"/g) || []).length, 1);
    assert.match(nav, /href="\/app\/settings" aria-current="page"/);
    assert.match(html, /<label for="settings-name">/);
    assert.match(html, /<input id="settings-color" name="brand_color" type="color" value="#1f5fa8"/);
    assert.match(html, /<option value="de" lang="de" selected>/);
    assert.match(html, /enctype="multipart\/form-data"/);
    assert.doesNotMatch(html, /<fieldset class="plain" disabled>/);
  });

  test('the settings form saves, and shows a bad value again with its error', async () => {
    let res = await a.admin.page('/app/settings', {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: a.admin.csrf, name: 'Hausverwaltung Anfang GmbH', brand_color: '#336699', locale: 'de' }),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/app/settings?saved=1');
    assert.equal((await a.admin.json('/api/v1/org')).body.brand_color, '#336699');
    res = await a.admin.page('/app/settings?saved=1');
    assert.match(res.html, /role="status"/);

    res = await a.admin.page('/app/settings', {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: a.admin.csrf, name: '', brand_color: '#336699', locale: 'de' }),
    });
    assert.equal(res.status, 422);
    assert.match(res.html, /role="alert"/);
    assert.match(res.html, /id="settings-name"[^>]*aria-invalid="true"/);
    assert.equal((await a.admin.json('/api/v1/org')).body.name, 'Hausverwaltung Anfang GmbH');

    // A form without the token is refused.
    res = await a.admin.page('/app/settings', {
      method: 'POST',
      body: new URLSearchParams({ name: 'Ohne Token' }),
    });
    assert.equal(res.status, 403);

    // The logo form: a wrong type is shown again with its error.
    const form = upload(SVG, 'logo.svg', 'image/svg+xml');
    form.append('csrf_token', a.admin.csrf);
    res = await a.admin.page('/app/settings/logo', { method: 'POST', body: form });
    assert.equal(res.status, 415);
    assert.match(res.html, /id="settings-logo"[^>]*aria-invalid="true"/);
    await a.admin.json('/api/v1/org', { method: 'PATCH', body: { brand_color: '#1f5fa8' } });
  });

  test('/app/employees: invite through the form, confirm and remove without script', async () => {
    const email = `formular-${process.pid}@example.org`;
    let res = await a.admin.page('/app/employees', {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: a.admin.csrf, name: 'Frieda Formular', email, admin: 'on' }),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/app/employees?invited=1');
    await invitationToken(email);
    const id = Number(stack.sql(`SELECT id FROM users WHERE email = '${email}'`).trim());
    assert.equal(stack.sql(`SELECT admin FROM users WHERE id = ${id}`).trim(), '1');

    res = await a.admin.page('/app/employees?invited=1');
    assert.equal(res.status, 200);
    // Employees are a tab of the settings: the menu marks "Einstellungen" only.
    const nav = res.html.slice(res.html.indexOf('class="site-nav"'), res.html.indexOf('</nav>'));
    assert.equal((nav.match(/aria-current="page"/g) || []).length, 1);
    assert.match(nav, /href="\/app\/settings" aria-current="page"/);
    assert.match(res.html, /Frieda Formular/);
    assert.match(res.html, /Einladung offen/);
    assert.match(res.html, new RegExp(`href="/app/employees/${id}/remove"`));
    assert.doesNotMatch(res.html, new RegExp(`href="/app/employees/${a.admin.user.id}/remove"`), 'no removal of oneself');

    // A bad address: the form again, with what was typed and the field marked.
    res = await a.admin.page('/app/employees', {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: a.admin.csrf, name: 'Falsch <b>', email: 'falsch' }),
    });
    assert.equal(res.status, 422);
    assert.match(res.html, /id="invite-email"[^>]*value="falsch"[^>]*aria-invalid="true"/);
    assert.match(res.html, /value="Falsch &lt;b&gt;"/);
    assert.match(res.html, /Frieda Formular/, 'the list is shown again');

    res = await a.admin.page(`/app/employees/${id}/remove`);
    assert.equal(res.status, 200);
    assert.match(res.html, new RegExp(`<form method="post" action="/app/employees/${id}/remove">`));
    assert.match(res.html, /Frieda Formular/);
    res = await a.admin.page(`/app/employees/${id}/remove`, {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: a.admin.csrf }),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/app/employees?removed=1');
    assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE id = ${id}`).trim(), '0');

    res = await a.admin.page(`/app/employees/${a.admin.user.id}/remove`);
    assert.equal(res.status, 409);
  });

  test('English pages when the organisation chose English', async () => {
    await b.admin.json('/api/v1/org', { method: 'PATCH', body: { locale: 'en' } });
    const { html } = await b.admin.page('/app');
    assert.match(html, /<html lang="en"/);
    assert.match(html, /Welcome to Bestand &amp; Partner KG \(neu\)/);
    assert.match(html, />Sign out</);
    const settings = await b.admin.page('/app/settings');
    assert.match(settings.html, /<option value="en" lang="en" selected>/);
    await b.admin.json('/api/v1/org', { method: 'PATCH', body: { locale: 'de' } });
    assert.match((await b.admin.page('/app')).html, /<html lang="de"/);
  });

  test('/portal: the residents\' home with the branding and a kind empty state', async () => {
    const email = `bewohnerin-${process.pid}@example.org`;
    stack.sql(
      `INSERT INTO users (org_id, role, email, name, created_at) VALUES (${a.id}, 'resident', '${email}', 'Berta Bewohnerin', UTC_TIMESTAMP())`,
    );
    const r = stack.portalctl('user', 'reset-password', email);
    assert.equal(r.status, 0, r.stderr);
    const token = /\/password\/reset\/(\S+)/.exec(r.stdout)[1];
    const resident = await redeem('reset', token);
    assert.equal(resident.user.role, 'resident');

    const { status, html } = await resident.page('/portal');
    assert.equal(status, 200);
    assert.match(html, /<body class="area-portal">/);
    assert.match(html, new RegExp(`href="/brand/${a.id}\\.css"`));
    assert.match(html, /Willkommen, Berta Bewohnerin/);
    assert.match(html, /Noch ist es ruhig hier/);
    assert.match(html, /action="\/logout"/);
    assert.match(html, /href="\/portal" aria-current="page"/);

    // Each shell is for its own people.
    assert.equal((await resident.page('/app')).status, 404);
    expectError(await resident.json('/api/v1/org'), 404, 'not_found');
    expectError(await resident.json('/api/v1/employees'), 404, 'not_found');
    assert.equal((await a.admin.page('/portal')).status, 404);
  });
});

test('no request of this file failed inside the pool, nor any template', () => {
  const log = stack.log();
  assert.doesNotMatch(log, / 5\d\d \d+ms worker=/, 'a 5xx answer');
  assert.doesNotMatch(log, /template/i, 'a template failed');
});
