// A resident's first minute on a phone (390x844): opens the property's invite
// link, sees it in the organisation's colours and logo, signs up and lands in
// the portal; then joins a second property with the same account and switches
// between the two. A dead link shows the friendly page. Screenshots
// join-phone.png and portal-after-join-phone.png go to tests/artifacts/.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { startStack } from '../integration/stack.mjs';
import { newManager } from '../integration/client.mjs';
import { launchBrowser, newPage, screenshot } from './browser.mjs';

const PHONE = { width: 390, height: 844 };
const PASSWORD = 'Ein Satz als Passwort, lang genug';
const BRAND = '#7b2d8e';
let stack, browser, manager;

// A plain logo (a coloured block with a lighter bar), so the page shows one.
function logoPng(width = 120, height = 40) {
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 4);
    for (let x = 0; x < width; x += 1) {
      const block = x < 36 && y >= 4 && y < 36;
      const bar = x >= 44 && x < 116 && y >= 14 && y < 24;
      const rgba = block ? [0x7b, 0x2d, 0x8e, 255] : bar ? [0x44, 0x44, 0x44, 255] : [0, 0, 0, 0];
      Buffer.from(rgba).copy(row, 1 + x * 4);
    }
    rows.push(row);
  }
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// The property's link on this stack: link.c's API when it answers, else a row
// with a token of our own.
async function joinUrl(propertyId) {
  const res = await manager.json(`/api/v1/properties/${propertyId}/invite`);
  if (res.status === 200 && res.body?.url) return res.body.url.replace(/^https?:\/\/[^/]+/, stack.base);
  const token = crypto.randomBytes(32).toString('base64url');
  const hash = crypto.createHash('sha256').update(token).digest('hex');
  stack.sql(`INSERT INTO invite_links (property_id, org_id, generation, token_hash, approval_required, created_at)
    VALUES (${propertyId}, ${manager.user.org_id}, 1, UNHEX('${hash}'), 0, UTC_TIMESTAMP())`);
  return `${stack.base}/join/${token}`;
}

const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

async function noSidewaysScroll(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
}

before(async () => {
  stack = await startStack({ plugins: 'example invites', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Sonnenschein' });
  assert.equal((await manager.json('/api/v1/org', { method: 'PATCH', body: { brand_color: BRAND } })).status, 200);
  const form = new FormData();
  form.append('file', new Blob([logoPng()], { type: 'image/png' }), 'logo.png');
  assert.equal((await manager.json('/api/v1/org/logo', { method: 'POST', body: form })).status, 200);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('on a phone: open the link, sign up, land in the portal; join a second property and switch', async () => {
  const first = (await manager.json('/api/v1/properties', { method: 'POST', body: { name: 'Lindenstraße 12', street: 'Lindenstraße 12', zip: '10969', city: 'Berlin' } })).body;
  const second = (await manager.json('/api/v1/properties', { method: 'POST', body: { name: 'Am Stadtpark 3' } })).body;
  const page = await newPage(browser, PHONE);
  const refused = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) refused.push(msg.text());
  });

  const response = await page.goto(await joinUrl(first.id));
  assert.equal(response.status(), 200);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Lindenstraße 12');
  assert.match(await page.locator('.join__eyebrow').textContent(), /Hausverwaltung Sonnenschein/);
  assert.ok(await page.locator('img.brand__logo').isVisible(), 'the organisation\'s logo');
  const stripe = await page.locator('.site-header').evaluate((el) => getComputedStyle(el).borderTopColor);
  assert.equal(stripe, rgb(BRAND), 'the organisation\'s colour');
  assert.ok(await page.getByText('Datenschutz:').isVisible());
  assert.equal(await page.getByRole('radio', { name: 'Bewohner' }).isChecked(), true);
  await noSidewaysScroll(page);
  await screenshot(page, 'join-phone');

  const signUp = page.getByRole('region', { name: 'Neu registrieren' });
  await signUp.getByRole('textbox', { name: 'Ihr Name' }).fill('Mara <Mieterin>');
  await signUp.getByRole('textbox', { name: 'E-Mail-Adresse' }).fill(`mara-${process.pid}@example.org`);
  await signUp.getByLabel('Passwort wählen').fill(PASSWORD);
  await signUp.getByRole('radio', { name: 'Mieter' }).check();
  await Promise.all([
    page.waitForURL(new RegExp(`/portal\\?property=${first.id}$`)),
    signUp.getByRole('button', { name: 'Registrieren' }).click(),
  ]);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Willkommen, Mara <Mieterin>');
  assert.ok(await page.getByRole('heading', { name: 'Lindenstraße 12' }).isVisible());
  assert.match(await page.locator('.account__name').textContent(), /Mara <Mieterin>/);
  await noSidewaysScroll(page);
  await screenshot(page, 'portal-after-join-phone');

  // The same person, signed in, follows the second property's link and joins
  // with the account they have.
  await page.goto(await joinUrl(second.id));
  const existing = page.getByRole('region', { name: 'Sie haben schon ein Konto?' });
  await existing.getByText('Sie haben schon ein Konto?').click();
  await existing.getByRole('textbox', { name: 'E-Mail-Adresse' }).fill(`mara-${process.pid}@example.org`);
  await existing.getByLabel('Passwort Ihres Kontos').fill('nicht das richtige');
  await existing.getByRole('button', { name: 'Mit meinem Konto beitreten' }).click();
  assert.match(await existing.getByRole('alert').textContent(), /E-Mail-Adresse oder Passwort ist falsch/);
  assert.ok(await existing.getByLabel('Passwort Ihres Kontos').isVisible(), 'the form for accounts stays open');
  assert.equal(await existing.getByRole('textbox', { name: 'E-Mail-Adresse' }).inputValue(), `mara-${process.pid}@example.org`);
  await existing.getByLabel('Passwort Ihres Kontos').fill(PASSWORD);
  await Promise.all([
    page.waitForURL(new RegExp(`/portal\\?property=${second.id}$`)),
    existing.getByRole('button', { name: 'Mit meinem Konto beitreten' }).click(),
  ]);
  const switcher = page.getByRole('navigation', { name: 'Ihre Liegenschaften' });
  assert.equal(await switcher.getByRole('link').count(), 2);
  assert.equal(await switcher.getByRole('link', { name: 'Am Stadtpark 3' }).getAttribute('aria-current'), 'page');
  assert.equal(await page.locator('section.card h2').first().textContent(), 'Am Stadtpark 3');
  await switcher.getByRole('link', { name: 'Lindenstraße 12' }).click();
  await page.waitForURL(new RegExp(`/portal\\?property=${first.id}$`));
  assert.equal(await page.locator('section.card h2').first().textContent(), 'Lindenstraße 12');
  await noSidewaysScroll(page);
  assert.deepEqual(refused, [], 'nothing refused by the Content-Security-Policy');
  await page.context().close();
});

test('a dead link: a friendly page that says to ask the management', async () => {
  const page = await newPage(browser, PHONE);
  const response = await page.goto(`${stack.base}/join/${crypto.randomBytes(32).toString('base64url')}`);
  assert.equal(response.status(), 404);
  assert.match(await page.locator('main').textContent(), /Einladungslink ist nicht mehr gültig/);
  assert.match(await page.locator('main').textContent(), /Hausverwaltung nach einem neuen Link/);
  await noSidewaysScroll(page);
  await page.context().close();
});
