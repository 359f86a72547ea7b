// A new organisation's first manager in Chromium: follows the invitation link,
// sets a password, lands signed in, changes the brand colour on /app/settings
// and sees it applied under the Content-Security-Policy; uploads a logo; signs
// out. Then a phone: sign-in, the collapsed menu, and the residents' portal.
// Screenshots at 1280x800 and 390x844 go to tests/artifacts/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { startStack } from '../integration/stack.mjs';
import { launchBrowser, newPage, screenshot } from './browser.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'Ein Satz als Passwort, lang genug';

// A small logo drawn here (a house and two lines of "text" on transparent
// ground), so the screenshots show what a real one looks like.
function logoPng(width = 180, height = 48) {
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 4); // filter byte 0, then RGBA
    for (let x = 0; x < width; x += 1) {
      const roof = y >= 4 && y < 22 && Math.abs(x - 24) <= (y - 4) * 1.2;
      const walls = y >= 22 && y < 44 && x >= 10 && x <= 38 && !(x >= 20 && x <= 28 && y >= 32);
      const text = (y >= 12 && y < 20 && x >= 52 && x < 170) || (y >= 28 && y < 34 && x >= 52 && x < 130);
      const rgba = roof || walls ? [0x1b, 0x4d, 0x3e, 255] : text ? [0x33, 0x33, 0x33, 255] : [0, 0, 0, 0];
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
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const PNG = logoPng();

// What the CSS of an element computes, for colours as rgb(r, g, b).
function computed(page, selector, property) {
  return page.locator(selector).first().evaluate((el, p) => getComputedStyle(el).getPropertyValue(p).trim(), property);
}

// Every message in which Chromium refused something for the CSP.
function watchCsp(page) {
  const refused = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) refused.push(msg.text());
  });
  return refused;
}

describe('an organisation\'s first manager', () => {
  let stack;
  let browser;
  const email = `erste-verwalterin-${process.pid}@example.org`;
  const orgName = 'Sonnenhof Hausverwaltung GmbH';
  let printedLink;

  before(async () => {
    stack = await startStack({ env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
    browser = await launchBrowser();
    const r = stack.portalctl('org', 'create', '--name', orgName, '--admin-email', email, '--admin-name', 'Erika Erste');
    assert.equal(r.status, 0, r.stderr);
    printedLink = /activation: (\S+)/.exec(r.stdout)?.[1];
    assert.ok(printedLink, r.stdout);
  });

  after(async () => {
    if (browser) await browser.close();
    if (stack) await stack.stop();
  });

  it('follows the invitation, sets a password, changes the brand colour and sees it', async (t) => {
    // The link of the invitation mail; until portalctl mails it, the printed one.
    let link = printedLink;
    try {
      const [mail] = await stack.waitForMail((m) => (m.headers.to || '').includes(email), { timeout: 8000 });
      const text = mail.raw.replace(/=\r?\n/g, '');
      link = /(http:\/\/\S+\/activate\/[A-Za-z0-9_-]{43})/.exec(text)?.[1];
      assert.ok(link, 'the invitation mail carries the activation link');
      assert.equal(link, printedLink, 'the mail and portalctl name the same link');
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      t.diagnostic('portalctl sent no invitation mail (yet): following the printed link');
    }

    const page = await newPage(browser, DESKTOP);
    const refused = watchCsp(page);
    try {
      let res = await page.goto(link);
      assert.equal(res.status(), 200);
      await page.getByLabel('Neues Passwort', { exact: true }).fill(PASSWORD);
      await Promise.all([page.waitForURL(/\/app$/), page.getByRole('button', { name: /Passwort speichern/ }).click()]);

      // Signed in: the overview with the organisation's name and the menu.
      assert.match(await page.locator('h1').innerText(), new RegExp(orgName));
      assert.equal(await page.locator('.site-nav [aria-current="page"]').innerText(), 'Übersicht');
      assert.equal(await page.locator('.brand__name').innerText(), orgName);
      assert.equal(await computed(page, '.site-header', 'border-top-color'), 'rgb(31, 95, 168)', 'the default colour first');
      await screenshot(page, 'accounts-app-desktop');

      // The settings through the menu; the keyboard reaches the skip link first.
      await page.locator('.site-nav').getByRole('link', { name: 'Einstellungen' }).click();
      await page.waitForURL(/\/app\/settings$/);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
      await page.getByLabel('Markenfarbe').fill('#c0392b');
      await Promise.all([
        page.waitForURL(/\/app\/settings\?saved=1$/),
        page.locator('form[action="/app/settings"]').getByRole('button', { name: 'Speichern' }).click(),
      ]);
      assert.match(await page.getByRole('status').filter({ hasText: 'gespeichert' }).innerText(), /gespeichert/);

      // Applied through /brand/{id}.css: the variable and what uses it.
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()), '#c0392b');
      assert.equal(await computed(page, '.site-header', 'border-top-color'), 'rgb(192, 57, 43)');
      assert.equal(await computed(page, '.swatch', 'background-color'), 'rgb(192, 57, 43)');
      assert.equal(await page.getByLabel('Markenfarbe').inputValue(), '#c0392b');

      // The logo, shown in the header.
      await page.getByLabel('Logo-Datei').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
      await Promise.all([page.waitForURL(/\/app\/settings\?saved=1$/), page.getByRole('button', { name: 'Logo hochladen' }).click()]);
      const logo = page.locator('img.brand__logo');
      await logo.waitFor();
      assert.ok(await logo.evaluate((img) => img.complete && img.naturalWidth === 180), 'the logo loads');
      await screenshot(page, 'accounts-settings-desktop');
      assert.deepEqual(refused, [], 'nothing was refused by the Content-Security-Policy');

      // Sign out: the session is gone, /app leads to the sign-in.
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/app')), page.getByRole('button', { name: 'Abmelden' }).click()]);
      res = await page.goto(`${stack.base}/app`);
      assert.match(page.url(), /\/login$/);
    } finally {
      await page.context().close();
    }
  });

  it('on a phone: signs in, the menu wraps without script, nothing scrolls sideways', async () => {
    const page = await newPage(browser, PHONE);
    const refused = watchCsp(page);
    try {
      await page.goto(`${stack.base}/app/settings`);
      assert.match(page.url(), /\/login$/);
      await page.getByLabel('E-Mail-Adresse').fill(email);
      await page.getByLabel('Passwort', { exact: true }).fill(PASSWORD);
      await Promise.all([page.waitForURL(/\/app$/), page.getByRole('button', { name: 'Anmelden' }).click()]);
      await page.goto(`${stack.base}/app/settings`);
      assert.equal(await computed(page, '.site-header', 'border-top-color'), 'rgb(192, 57, 43)');
      // Every menu entry is visible and inside the screen: nothing hides offscreen.
      const boxes = await page.locator('.site-nav__link').evaluateAll((links) =>
        links.map((a) => {
          const r = a.getBoundingClientRect();
          return { left: r.left, right: r.right, height: r.height };
        }),
      );
      assert.ok(boxes.length >= 3);
      for (const box of boxes) {
        assert.ok(box.left >= 0 && box.right <= PHONE.width, `a menu entry is off the screen: ${JSON.stringify(box)}`);
        assert.ok(box.height >= 44, 'touch targets are at least 44 px high');
      }
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
      await screenshot(page, 'accounts-settings-phone');
      await page.goto(`${stack.base}/app/employees`);
      await screenshot(page, 'accounts-employees-phone');
      await page.goto(`${stack.base}/app`);
      await screenshot(page, 'accounts-app-phone');
      assert.deepEqual(refused, []);
    } finally {
      await page.context().close();
    }
  });

  it('a resident\'s portal on a phone: the same branding, a kind empty home', async () => {
    const resident = `bewohner-${process.pid}@example.org`;
    const id = stack.sql(`SELECT id FROM orgs WHERE name = '${orgName}'`).trim();
    stack.sql(
      `INSERT INTO users (org_id, role, email, name, created_at) VALUES (${id}, 'resident', '${resident}', 'Ben Bewohner', UTC_TIMESTAMP())`,
    );
    const r = stack.portalctl('user', 'reset-password', resident);
    assert.equal(r.status, 0, r.stderr);
    const link = /reset: (\S+)/.exec(r.stdout)[1];
    const page = await newPage(browser, PHONE);
    const refused = watchCsp(page);
    try {
      await page.goto(link);
      await page.getByLabel('Neues Passwort', { exact: true }).fill(PASSWORD);
      await Promise.all([page.waitForURL(/\/portal$/), page.getByRole('button', { name: /Passwort speichern/ }).click()]);
      assert.match(await page.locator('h1').innerText(), /Ben Bewohner/);
      assert.match(await page.locator('.empty-state').innerText(), /Noch ist es ruhig hier/);
      assert.equal(await computed(page, '.site-header', 'border-top-color'), 'rgb(192, 57, 43)');
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
      await screenshot(page, 'accounts-portal-phone');
      const desktop = await newPage(browser, DESKTOP);
      try {
        await desktop.context().addCookies(await page.context().cookies());
        await desktop.goto(`${stack.base}/portal`);
        await screenshot(desktop, 'accounts-portal-desktop');
      } finally {
        await desktop.context().close();
      }
      assert.deepEqual(refused, []);
    } finally {
      await page.context().close();
    }
  });
});
