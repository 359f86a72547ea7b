// The invites plugin's link part (plugins/invites/link.c): the property's invite
// link and its rotation, the approval setting, the QR codes (decoded with
// zbarimg), the printable poster and email invitations, and the access rules
// across organisations and roles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startStack, decodeWords, decodeQP } from './stack.mjs';
import { Client, newManager, newResident } from './client.mjs';
import { launchBrowser, newPage, screenshot } from '../browser/browser.mjs';

let stack, a, b, browser;
before(async () => {
  stack = await startStack({ plugins: 'example invites', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newManager(stack);
  b = await newManager(stack);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

let counter = 0;
async function newProperty(client = a, name) {
  counter += 1;
  const res = await client.json('/api/v1/properties', { method: 'POST', body: { name: name || `Einladungshaus ${counter}` } });
  assert.equal(res.status, 201);
  return res.body;
}

const invite = (client, id) => client.json(`/api/v1/properties/${id}/invite`);

// A form of the invite page, as a browser sends it.
function form(client, url, fields = {}) {
  return client.fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams({ csrf_token: client.csrf, ...fields }).toString(),
  });
}

// The modules of a QR PNG as the server writes it (1-bit gray, 8 px a module):
// rows of booleans, dark true, read back through zlib and the PNG row filters.
function pngModules(png) {
  const width = png.readUInt32BE(16);
  const idat = [];
  for (let at = 8; at < png.length;) {
    const len = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = Math.ceil(width / 8);
  const rows = [];
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < width; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const left = i ? line[i - 1] : 0, up = prev[i], ul = i ? prev[i - 1] : 0;
      const p = left + up - ul, pa = Math.abs(p - left), pb = Math.abs(p - up), pc = Math.abs(p - ul);
      const paeth = pa <= pb && pa <= pc ? left : pb <= pc ? up : ul;
      line[i] = (line[i] + [0, left, up, (left + up) >> 1, paeth][filter]) & 0xff;
    }
    rows.push(line);
    prev = line;
  }
  // Every module is one whole byte: all dark or all light.
  const modules = [];
  for (let y = 0; y < width; y += 8) {
    for (let k = 1; k < 8; k++) assert.ok(rows[y + k].equals(rows[y]), 'a module is 8 pixels high');
    modules.push([...rows[y]].map((byte) => {
      assert.ok(byte === 0 || byte === 0xff, 'a module is 8 pixels wide');
      return byte === 0;
    }));
  }
  return modules;
}

// The modules of a QR SVG: its viewBox square, dark where a run of the path lies.
function svgModules(svg) {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)[1]);
  const modules = Array.from({ length: size }, () => Array(size).fill(false));
  const d = /<path fill="#000" d="([^"]+)"/.exec(svg)[1];
  for (const [, x, y, n] of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let i = 0; i < Number(n); i++) modules[Number(y)][Number(x) + i] = true;
  }
  return modules;
}

// A 4-module light border, and the finder patterns' dark corners right inside it.
function assertQuietZone(modules) {
  const size = modules.length;
  modules.forEach((row, y) => row.forEach((dark, x) => {
    if (x < 4 || y < 4 || x >= size - 4 || y >= size - 4) assert.equal(dark, false, `module ${x},${y} of the quiet zone is dark`);
  }));
  for (const [x, y] of [[4, 4], [size - 5, 4], [4, size - 5]]) assert.equal(modules[y][x], true, `finder corner ${x},${y}`);
}

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex').toUpperCase();
const tokenOf = (url) => url.slice(url.lastIndexOf('/') + 1);

// The text zbarimg reads from an image, or throws with what it said.
function zbar(bytes, ext) {
  const file = path.join(os.tmpdir(), `invites-qr-${process.pid}-${crypto.randomBytes(4).toString('hex')}.${ext}`);
  fs.writeFileSync(file, bytes);
  try {
    const r = spawnSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `zbarimg found no code (status ${r.status}): ${r.stderr}`);
    return r.stdout.replace(/\n$/, '');
  } finally {
    fs.rmSync(file, { force: true });
  }
}

// A page of Chromium signed in as client (its session cookie).
async function signedInPage(client, viewport) {
  browser ??= await launchBrowser();
  const page = await newPage(browser, viewport);
  const [name, value] = client.cookie.split(/=(.*)/s);
  await page.context().addCookies([{ name, value, url: stack.base }]);
  return page;
}

// The text and HTML parts of a multipart mail (decodeQP and decodeWords: stack.mjs).
function parts(mail) {
  const m = /boundary="([^"]+)"/.exec(mail.headers['content-type'] || '');
  assert.ok(m, `no boundary in ${mail.headers['content-type']}`);
  const chunks = mail.body.replace(/\r\n/g, '\n').split(`--${m[1]}`);
  const found = {};
  for (const chunk of chunks.slice(1, -1)) {
    const cut = chunk.indexOf('\n\n');
    const type = /Content-Type: ([^;\n]+)/i.exec(chunk.slice(0, cut))[1];
    found[type] = decodeQP(chunk.slice(cut + 2).replace(/\n$/, ''));
  }
  return { text: found['text/plain'], html: found['text/html'] };
}
const mailsTo = (addr) => stack.mails().filter((m) => (m.headers['x-rcptto'] || m.headers.to || '').includes(addr));
const outboxCount = (orgId) => Number(stack.sql(`SELECT COUNT(*) FROM outbox WHERE org_id = ${orgId} AND kind = 'invitation'`).trim());

test('the link: made on first use, then the same; only its hash is stored', async () => {
  const p = await newProperty();
  assert.equal(stack.sql(`SELECT COUNT(*) FROM invite_links WHERE property_id = ${p.id}`).trim(), '0');
  const first = await invite(a, p.id);
  assert.equal(first.status, 200);
  assert.deepEqual(Object.keys(first.body).sort(), ['approval_required', 'created_at', 'qr_png_url', 'qr_svg_url', 'url']);
  assert.match(first.body.url, new RegExp(`^${stack.base}/join/[A-Za-z0-9_-]{43}$`), 'base_url without a trailing slash, 256 bits of token');
  assert.equal(first.body.qr_svg_url, `/api/v1/properties/${p.id}/invite/qr.svg`);
  assert.equal(first.body.qr_png_url, `/api/v1/properties/${p.id}/invite/qr.png`);
  assert.match(first.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(first.body.approval_required, false, 'off by default');

  const again = await invite(a, p.id);
  assert.equal(again.body.url, first.body.url, 'the same link when shown again');
  assert.equal(again.body.created_at, first.body.created_at);
  const row = stack.sql(`SELECT generation, HEX(token_hash), org_id FROM invite_links WHERE property_id = ${p.id}`).trim().split('\t');
  assert.deepEqual(row, ['1', sha256(tokenOf(first.body.url)), String(a.user.org_id)]);

  // Two properties never share a link; first views at once make one row.
  const q = await newProperty();
  const views = await Promise.all(Array.from({ length: 6 }, () => invite(a, q.id)));
  assert.deepEqual(views.map((v) => v.status), Array(6).fill(200));
  assert.equal(new Set(views.map((v) => v.body.url)).size, 1);
  assert.notEqual(views[0].body.url, first.body.url);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM invite_links WHERE property_id = ${q.id}`).trim(), '1');
});

test('rotation: a new link at once, the old one dead', async () => {
  const p = await newProperty();
  const old = (await invite(a, p.id)).body;
  assert.equal((await stack.fetch(`/api/v1/join/${tokenOf(old.url)}`)).status, 200, 'the link works before');

  const rotated = await a.json(`/api/v1/properties/${p.id}/invite/rotate`, { method: 'POST', body: {} });
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.url, old.url);
  assert.match(rotated.body.url, new RegExp(`^${stack.base}/join/[A-Za-z0-9_-]{43}$`));
  assert.equal((await invite(a, p.id)).body.url, rotated.body.url, 'GET shows the new link');
  const [generation, hash] = stack.sql(`SELECT generation, HEX(token_hash) FROM invite_links WHERE property_id = ${p.id}`).trim().split('\t');
  assert.equal(generation, '2');
  assert.equal(hash, sha256(tokenOf(rotated.body.url)));
  assert.equal((await stack.fetch(`/api/v1/join/${tokenOf(old.url)}`)).status, 404, 'the old link is dead');
  assert.equal((await stack.fetch(`/api/v1/join/${tokenOf(rotated.body.url)}`)).status, 200, 'the new one works');

  // An empty body works too; a rotation without a link yet makes one first.
  const fresh = await newProperty();
  const r = await a.fetch(`/api/v1/properties/${fresh.id}/invite/rotate`, { method: 'POST' });
  assert.equal(r.status, 200);
  assert.equal(stack.sql(`SELECT generation FROM invite_links WHERE property_id = ${fresh.id}`).trim(), '2');

  // The page's button: a form with its confirmation sentence, then back with a notice.
  const page = await (await a.fetch(`/app/properties/${p.id}/invite`)).text();
  assert.match(page, new RegExp(`<form method="post" action="/app/properties/${p.id}/invite/rotate" data-confirm="[^"]*funktioniert danach sofort nicht mehr`));
  const res = await form(a, `/app/properties/${p.id}/invite/rotate`);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/app/properties/${p.id}/invite?rotated=1`);
  const after = await (await a.fetch(res.headers.get('location'))).text();
  assert.match(after, /role="status">Der Link wurde erneuert/);
  const third = (await invite(a, p.id)).body.url;
  assert.ok(after.includes(`value="${third}" readonly`));
  assert.ok(!after.includes(rotated.body.url));
  assert.equal((await stack.fetch(`/api/v1/join/${tokenOf(rotated.body.url)}`)).status, 404);

  const noToken = await stack.fetch(`/app/properties/${p.id}/invite/rotate`, {
    method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: a.cookie }, body: '',
  });
  assert.equal(noToken.status, 403, 'the form needs the CSRF token');
  assert.equal((await invite(a, p.id)).body.url, third);
});

test('approval: off by default, PATCH and the page\'s checkbox', async () => {
  const p = await newProperty();
  const on = await a.json(`/api/v1/properties/${p.id}/invite`, { method: 'PATCH', body: { approval_required: true } });
  assert.equal(on.status, 200);
  assert.equal(on.body.approval_required, true);
  assert.match(on.body.url, /\/join\//);
  assert.equal(stack.sql(`SELECT approval_required FROM invite_links WHERE property_id = ${p.id}`).trim(), '1');
  assert.equal((await invite(a, p.id)).body.approval_required, true);

  for (const bad of ['vielleicht', 2, [], {}]) {
    const res = await a.json(`/api/v1/properties/${p.id}/invite`, { method: 'PATCH', body: { approval_required: bad } });
    assert.equal(res.status, 422, JSON.stringify(bad));
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, 'approval_required');
  }
  const untouched = await a.json(`/api/v1/properties/${p.id}/invite`, { method: 'PATCH', body: {} });
  assert.equal(untouched.status, 200);
  assert.equal(untouched.body.approval_required, true, 'a PATCH without the field changes nothing');

  const off = await a.json(`/api/v1/properties/${p.id}/invite`, { method: 'PATCH', body: { approval_required: false } });
  assert.equal(off.body.approval_required, false);

  // The page: a checkbox, absent means off.
  let page = await (await a.fetch(`/app/properties/${p.id}/invite`)).text();
  assert.match(page, /<input name="approval_required" type="checkbox" value="true" aria-describedby="approval-hint">/);
  assert.match(page, /Beitritte bestätigen/);
  assert.match(page, /Wer ihn kennt, kann beitreten/, 'the weakness of a general link is explained');
  let res = await form(a, `/app/properties/${p.id}/invite/settings`, { approval_required: 'on' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/app/properties/${p.id}/invite?saved=1`);
  assert.equal((await invite(a, p.id)).body.approval_required, true);
  page = await (await a.fetch(res.headers.get('location'))).text();
  assert.match(page, /type="checkbox" value="true" aria-describedby="approval-hint" checked>/);
  res = await form(a, `/app/properties/${p.id}/invite/settings`);
  assert.equal(res.status, 303);
  assert.equal((await invite(a, p.id)).body.approval_required, false, 'an unchecked box turns it off');
});

test('another organisation\'s property, a missing one, a resident, and signed out: nothing', async () => {
  const p = await newProperty();
  const before = (await invite(a, p.id)).body;
  const mailsBefore = outboxCount(b.user.org_id);
  const routes = (id) => [
    ['GET', `/api/v1/properties/${id}/invite`],
    ['POST', `/api/v1/properties/${id}/invite/rotate`, {}],
    ['PATCH', `/api/v1/properties/${id}/invite`, { approval_required: true }],
    ['GET', `/api/v1/properties/${id}/invite/qr.svg`],
    ['GET', `/api/v1/properties/${id}/invite/qr.png`],
    ['POST', `/api/v1/properties/${id}/invite/email`, { emails: 'fremd@example.org' }],
    ['GET', `/app/properties/${id}/invite`],
    ['GET', `/app/properties/${id}/invite/poster`],
  ];
  const pageForms = (id) => [
    [`/app/properties/${id}/invite/rotate`, {}],
    [`/app/properties/${id}/invite/settings`, { approval_required: 'on' }],
    [`/app/properties/${id}/invite/email`, { emails: 'fremd@example.org' }],
  ];
  for (const id of [p.id, 999999999]) {
    for (const [method, url, body] of routes(id)) {
      const res = await b.fetch(url, { method, body });
      assert.equal(res.status, 404, `${method} ${url} of another organisation`);
      assert.ok(!(await res.text()).includes(tokenOf(before.url)));
    }
    for (const [url, fields] of pageForms(id)) {
      assert.equal((await form(b, url, fields)).status, 404, `POST ${url} of another organisation`);
    }
  }
  const now = (await invite(a, p.id)).body;
  assert.equal(now.url, before.url, 'not rotated');
  assert.equal(now.approval_required, false, 'not changed');
  assert.equal(outboxCount(b.user.org_id), mailsBefore, 'no mail');

  const resident = await newResident(stack, a, [p.id]);
  for (const [method, url, body] of routes(p.id)) {
    assert.equal((await resident.fetch(url, { method, body })).status, 404, `${method} ${url} as a resident of it`);
  }
  const anonymous = new Client(stack);
  for (const [method, url, body] of routes(p.id).filter(([, url]) => url.startsWith('/api/'))) {
    const res = await anonymous.json(url, { method, body });
    assert.equal(res.status, 401, `${method} ${url} signed out`);
    assert.equal(res.body.error.code, 'unauthenticated');
  }
  for (const url of [`/app/properties/${p.id}/invite`, `/app/properties/${p.id}/invite/poster`]) {
    const res = await anonymous.fetch(url);
    assert.ok([302, 303].includes(res.status), `${url} signed out: ${res.status}`);
    assert.match(res.headers.get('location'), /^\/login/);
  }
  assert.equal((await invite(a, p.id)).body.url, before.url);
});

test('the QR code as PNG decodes to exactly the link, with a quiet zone', async () => {
  const p = await newProperty();
  const { url } = (await invite(a, p.id)).body;
  const res = await a.fetch(`/api/v1/properties/${p.id}/invite/qr.png`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const png = Buffer.from(await res.arrayBuffer());
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
  // IHDR: square, 8 px a module, a QR size (21 + 4k modules) plus 4 + 4 quiet modules, 1-bit gray.
  const width = png.readUInt32BE(16);
  assert.equal(png.readUInt32BE(20), width);
  assert.equal(width % 8, 0);
  assert.equal((width / 8 - 8 - 21) % 4, 0, `${width / 8} modules`);
  assert.equal(png[24], 1, 'bit depth 1');
  assert.equal(png[25], 0, 'grayscale');
  const modules = pngModules(png);
  assert.equal(modules.length, width / 8);
  assertQuietZone(modules);
  assert.equal(zbar(png, 'png'), url);
  // The same symbol as the SVG's.
  assert.deepEqual(modules, svgModules(await (await a.fetch(`/api/v1/properties/${p.id}/invite/qr.svg`)).text()));

  // After a rotation the code is the new link's.
  const rotated = (await a.json(`/api/v1/properties/${p.id}/invite/rotate`, { method: 'POST', body: {} })).body;
  const again = Buffer.from(await (await a.fetch(rotated.qr_png_url)).arrayBuffer());
  assert.equal(zbar(again, 'png'), rotated.url);
});

test('the QR code as SVG: a quiet zone, crisp edges, and it decodes in a browser', async () => {
  const p = await newProperty();
  const { url, qr_svg_url: svgUrl } = (await invite(a, p.id)).body;
  const res = await a.fetch(svgUrl);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/svg+xml');
  const svg = await res.text();
  const box = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  assert.ok(box, 'a viewBox');
  const size = Number(box[1]);
  assert.equal(Number(box[2]), size);
  assert.equal((size - 8 - 21) % 4, 0);
  assert.match(svg, /shape-rendering="crispEdges"/);
  assert.match(svg, new RegExp(`<rect width="${size}" height="${size}" fill="#fff"/>`), 'a white background');
  assert.doesNotMatch(svg, /<script|on\w+=/i);
  const d = /<path fill="#000" d="([^"]+)"/.exec(svg)[1];
  assert.match(d, /^(M\d+ \d+h\d+v1h-\d+z)+$/, 'nothing but runs of modules in the path');
  assertQuietZone(svgModules(svg));

  // Chromium renders what the server sends; zbarimg reads the screenshot.
  const page = await signedInPage(a, { width: 900, height: 900 });
  const shown = await page.goto(`${stack.base}${svgUrl}`);
  assert.equal(shown.status(), 200);
  const shot = await page.locator('svg').screenshot();
  assert.equal(zbar(shot, 'png'), url);
  await page.context().close();
});

test('the poster: logo, names, QR code, the link, three steps, one A4 page without navigation', async () => {
  const p = await newProperty(a, 'Lindenhof <i>Süd</i>');
  const { url, qr_svg_url: svgUrl } = (await invite(a, p.id)).body;
  const res = await a.fetch(`/app/properties/${p.id}/invite/poster`);
  assert.equal(res.status, 200);
  let html = await res.text();
  assert.ok(html.includes(`<p class="poster__url">${url}</p>`), 'the link written out');
  assert.ok(html.includes(`<img class="poster__qr" src="${svgUrl}"`), 'the QR code');
  assert.ok(html.includes('Lindenhof &lt;i&gt;Süd&lt;/i&gt;'), 'the name as text');
  assert.ok(!html.includes('<i>Süd</i>'));
  assert.ok(html.includes(`<p class="poster__org-name">${a.org}</p>`));
  for (const step of ['QR-Code mit der Handykamera scannen', 'Registrieren', 'Scan the QR code', 'Sign up']) {
    assert.ok(html.includes(step), step);
  }
  assert.match(html, /<ol lang="de">[\s\S]*<ol class="poster__english" lang="en">/, 'German first, English below');
  assert.doesNotMatch(html, /poster__logo/, 'no logo yet');
  assert.doesNotMatch(html, /<script>|onclick=/, 'no inline script');

  // With the organisation's logo (the QR code makes a fine PNG to upload).
  const logo = new FormData();
  logo.append('file', new Blob([Buffer.from(await (await a.fetch(`/api/v1/properties/${p.id}/invite/qr.png`)).arrayBuffer())]), 'logo.png');
  assert.equal((await a.json('/api/v1/org/logo', { method: 'POST', body: logo })).status, 200);
  html = await (await a.fetch(`/app/properties/${p.id}/invite/poster`)).text();
  assert.ok(html.includes(`<img class="poster__logo" src="/api/v1/orgs/${a.user.org_id}/logo" alt="">`));

  // In Chromium: the print button appears with the script; printed, the page
  // is one A4 sheet without header, menu or buttons, and its QR code decodes.
  const page = await signedInPage(a, { width: 1280, height: 900 });
  await page.goto(`${stack.base}/app/properties/${p.id}/invite/poster`);
  assert.equal(await page.locator('[data-print]').isVisible(), true);
  await screenshot(page, 'invites-poster-desktop');
  await page.emulateMedia({ media: 'print' });
  for (const selector of ['.site-header', '.site-nav', '.site-footer', '.poster-tools']) {
    assert.equal(await page.locator(selector).isVisible(), false, `${selector} printed`);
  }
  assert.equal(await page.locator('.poster__qr').isVisible(), true);
  assert.equal(zbar(await page.locator('.poster__qr').screenshot(), 'png'), url);
  const pdf = (await page.pdf({ preferCSSPageSize: true })).toString('latin1');
  assert.equal([...pdf.matchAll(/\/Type\s*\/Page[^s]/g)].length, 1, 'one page');
  const media = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf);
  assert.ok(media);
  assert.ok(Math.abs(Number(media[1]) - 595) < 2 && Math.abs(Number(media[2]) - 842) < 2, `A4, not ${media[1]}×${media[2]}`);
  await page.context().close();

  assert.equal((await b.fetch(`/app/properties/${p.id}/invite/poster`)).status, 404);
});

test('email invitations: split, trimmed, lower-cased, once each; markup stays text', async () => {
  const p = await newProperty(a, 'Am Markt 3');
  const { url } = (await invite(a, p.id)).body;
  const queued = outboxCount(a.user.org_id);
  const message = 'Liebe Nachbarn,\n\n<b>bitte</b> registrieren & "mitmachen"\nZweite Zeile';
  const res = await a.json(`/api/v1/properties/${p.id}/invite/email`, {
    method: 'POST', body: { emails: 'a@x.de; b@x.de\nB@x.de, kaputt', message },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { sent: 2, invalid: ['kaputt'] });
  assert.equal(outboxCount(a.user.org_id), queued + 2, 'one mail per address');

  await stack.waitForMail(() => mailsTo('a@x.de').length && mailsTo('b@x.de').length);
  assert.equal(mailsTo('b@x.de').length, 1, 'B@x.de is b@x.de');
  for (const addr of ['a@x.de', 'b@x.de']) {
    const [mail] = mailsTo(addr);
    assert.equal(decodeWords(mail.headers.subject), 'Einladung zum Bewohnerportal: Am Markt 3');
    const { text, html } = parts(mail);
    assert.ok(text.includes(url), 'the link in the text part');
    assert.ok(text.includes('<b>bitte</b> registrieren & "mitmachen"'), 'plain text as written');
    assert.ok(html.includes(`<a href="${url}">`), 'the link in the HTML part');
    assert.ok(html.includes('&lt;b&gt;bitte&lt;/b&gt; registrieren &amp; &quot;mitmachen&quot;<br>Zweite Zeile'), html);
    assert.ok(!html.includes('<b>bitte</b>'), 'markup in the message is text');
    assert.match(html, /<p>Liebe Nachbarn,<\/p>\s*<p>&lt;b&gt;/, 'a blank line makes a paragraph');
    assert.ok(!text.includes('kaputt') && !html.includes('kaputt'));
  }
  const kinds = stack.sql(`SELECT DISTINCT kind FROM outbox WHERE to_addr IN ('a@x.de', 'b@x.de')`).trim();
  assert.equal(kinds, 'invitation');

  // A list works as well as one string; duplicates across items count once.
  const list = await a.json(`/api/v1/properties/${p.id}/invite/email`, {
    method: 'POST', body: { emails: [' Liste1@Example.org ', 'liste1@example.org', 'liste2@example.org,liste3@example.org', 'x@', 'ü@example.org'] },
  });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, { sent: 3, invalid: ['x@', 'ü@example.org'] });
});

test('email invitations: bad input is 422 and sends nothing', async () => {
  const p = await newProperty();
  const queued = outboxCount(a.user.org_id);
  const send = (body) => a.json(`/api/v1/properties/${p.id}/invite/email`, { method: 'POST', body });
  for (const [body, field] of [
    [{}, 'emails'],
    [{ emails: '' }, 'emails'],
    [{ emails: 'kaputt, auch kaputt;@x.de a@b' }, 'emails'],
    [{ emails: 5 }, 'emails'],
    [{ emails: ['ok@example.org', 7] }, 'emails'],
    [{ emails: Array.from({ length: 501 }, (_, i) => `n${i}@example.org`).join('\n') }, 'emails'],
    [{ emails: 'ok@example.org', message: 'ß'.repeat(2001) }, 'message'],
  ]) {
    const res = await send(body);
    assert.equal(res.status, 422, JSON.stringify(body).slice(0, 80));
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, field);
  }
  // 500 distinct entries are within the limit (all invalid here: none sent).
  const many = await send({ emails: Array.from({ length: 500 }, (_, i) => `kein-${i}`).join(';') });
  assert.equal(many.status, 422);
  assert.match(many.body.error.message, /gültige/, 'refused for being invalid, not for being too many');
  assert.equal(outboxCount(a.user.org_id), queued, 'nothing queued');
  // At the limit of the message.
  const long = await send({ emails: `lang-${Date.now()}@example.org`, message: 'ß'.repeat(2000) });
  assert.equal(long.status, 200);
});

test('email invitations in the organisation\'s language, with the default text', async () => {
  assert.equal((await b.json('/api/v1/org', { method: 'PATCH', body: { locale: 'en' } })).status, 200);
  const p = await newProperty(b, 'Baker Street 221');
  const { url } = (await invite(b, p.id)).body;
  const to = `english-${Date.now()}@example.org`;
  const res = await b.json(`/api/v1/properties/${p.id}/invite/email`, { method: 'POST', body: { emails: [to] } });
  assert.deepEqual(res.body, { sent: 1, invalid: [] });
  const [mail] = await stack.waitForMail((m) => (m.headers['x-rcptto'] || m.headers.to || '').includes(to));
  assert.equal(decodeWords(mail.headers.subject), 'Invitation to the residents\' portal: Baker Street 221');
  const { text, html } = parts(mail);
  assert.match(text, /we warmly invite you/);
  assert.ok(text.includes(url));
  assert.match(html, /<p>we warmly invite you/);

  // The page in English too.
  const page = await (await b.fetch(`/app/properties/${p.id}/invite`)).text();
  assert.match(page, /<h2 id="email-title">Invite by email<\/h2>/);
  assert.match(page, /we warmly invite you/, 'the default text prefilled');
});

test('the invite page: link to copy, QR code, downloads, forms, results', async () => {
  const p = await newProperty(a, 'Seitenweg 1');
  const { url, qr_svg_url: svg, qr_png_url: png } = (await invite(a, p.id)).body;
  const res = await a.fetch(`/app/properties/${p.id}/invite`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(html.includes(`<input id="invite-url" class="invite-link__url" type="url" value="${url}" readonly`));
  assert.ok(html.includes(`<img class="invite-qr" src="${svg}"`));
  assert.ok(html.includes(`href="${svg}" download=`) && html.includes(`href="${png}" download=`));
  assert.ok(html.includes(`href="/app/properties/${p.id}/invite/poster"`));
  assert.match(html, /<label for="invite-emails">E-Mail-Adressen<\/label>/);
  assert.match(html, /<textarea id="invite-message" name="message"[^>]*>Guten Tag,\n\nwir laden Sie herzlich/);
  assert.match(html, /Link erneuern/);

  // The property page links here and to the contacts.
  const property = await (await a.fetch(`/app/properties/${p.id}`)).text();
  assert.ok(property.includes(`href="/app/properties/${p.id}/invite"`));
  assert.ok(property.includes(`href="/app/properties/${p.id}/residents"`));

  // All valid: back to the page with the count.
  const tag = Date.now();
  let sent = await form(a, `/app/properties/${p.id}/invite/email`, { emails: `s1-${tag}@example.org\ns2-${tag}@example.org`, message: 'Hallo' });
  assert.equal(sent.status, 303);
  assert.equal(sent.headers.get('location'), `/app/properties/${p.id}/invite?sent=2`);
  assert.match(await (await a.fetch(sent.headers.get('location'))).text(), /role="status">Verschickte Einladungen: 2</);

  // Some invalid: the page lists them and keeps them in the form to correct.
  sent = await form(a, `/app/properties/${p.id}/invite/email`, { emails: `s3-${tag}@example.org, <falsch>`, message: 'Hallo <b>du</b>' });
  assert.equal(sent.status, 200);
  let page = await sent.text();
  assert.match(page, /Verschickte Einladungen: 1/);
  assert.ok(page.includes('<li><code>&lt;falsch&gt;</code></li>'));
  assert.match(page, /<textarea id="invite-emails"[^>]*>&lt;falsch&gt;<\/textarea>/);
  assert.match(page, /<textarea id="invite-message"[^>]*>Hallo &lt;b&gt;du&lt;\/b&gt;<\/textarea>/);
  assert.ok(!page.includes(`s3-${tag}@example.org`), 'the sent addresses are not shown again');

  // None valid: 422, the field marked, what was typed kept.
  sent = await form(a, `/app/properties/${p.id}/invite/email`, { emails: 'nix', message: 'Text' });
  assert.equal(sent.status, 422);
  page = await sent.text();
  assert.match(page, /role="alert"/);
  assert.match(page, /<textarea id="invite-emails"[^>]*aria-invalid="true">nix<\/textarea>/);
  assert.ok(page.includes(`value="${url}" readonly`), 'the page around the error is whole');
});

test('no resident\'s email in any of these answers', async () => {
  const p = await newProperty();
  const resident = await newResident(stack, a, [p.id]);
  const answers = [
    await a.fetch(`/api/v1/properties/${p.id}/invite`),
    await a.fetch(`/api/v1/properties/${p.id}/invite`, { method: 'PATCH', body: { approval_required: true } }),
    await a.fetch(`/api/v1/properties/${p.id}/invite/rotate`, { method: 'POST', body: {} }),
    await a.fetch(`/api/v1/properties/${p.id}/invite/email`, { method: 'POST', body: { emails: `${resident.email}, falsch` } }),
    await a.fetch(`/app/properties/${p.id}/invite`),
    await a.fetch(`/app/properties/${p.id}/invite/poster`),
    await form(a, `/app/properties/${p.id}/invite/email`, { emails: resident.email }),
  ];
  for (const res of answers) {
    assert.ok(res.status < 400, `${res.url}: ${res.status}`);
    const body = await res.text();
    assert.ok(!body.toLowerCase().includes(resident.email.toLowerCase()), `${res.url} shows a resident's email`);
    assert.ok(!body.includes('@example.org'), res.url);
  }
});
