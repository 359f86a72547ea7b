// A manager publishes an announcement to two of three properties through the
// "Neue Mitteilung" form (desktop); a resident of one of them opens the portal
// on a phone (390x844), finds it on the home and opens it; a resident of the
// third property does not see it. Screenshots announcement-new-desktop.png and
// announcement-phone.png go to tests/artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startStack } from '../integration/stack.mjs';
import { newManager, newResident } from '../integration/client.mjs';
import { launchBrowser, newPage, screenshot } from './browser.mjs';

const PHONE = { width: 390, height: 844 };
let stack, browser, manager;

before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Mitteilung' });
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(page, email, password) {
  await page.goto(`${stack.base}/login`);
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.locator('#login-password').press('Enter')]);
}

async function property(name) {
  const res = await manager.json('/api/v1/properties', { method: 'POST', body: { name } });
  assert.equal(res.status, 201);
  return res.body;
}

test('a manager publishes to two properties; a resident of one reads it on a phone', async () => {
  const lind = await property('Lindenstraße 5');
  const eich = await property('Eichenweg 12');
  const buch = await property('Buchenallee 1');
  const reader = await newResident(stack, manager, [lind.id]);
  const outsider = await newResident(stack, manager, [buch.id]);

  const desk = await newPage(browser);
  await signIn(desk, manager.email, manager.password);
  await desk.goto(`${stack.base}/app/content`);
  await desk.getByRole('link', { name: /^Mitteilung/ }).first().click();
  await desk.waitForURL(/\/app\/content\/announcement\/new$/);
  // The filter (portal.js) narrows the list; ticked boxes stay.
  const filter = desk.getByLabel('Liegenschaft suchen');
  await filter.fill('linden');
  assert.equal(await desk.getByLabel('Eichenweg 12').isVisible(), false, 'the filter hides the others');
  await desk.getByLabel('Lindenstraße 5').check();
  await filter.fill('eichen');
  await desk.getByLabel('Eichenweg 12').check();
  assert.equal(await desk.getByLabel('Lindenstraße 5').isVisible(), true, 'a ticked property stays');
  await filter.fill('');
  await desk.getByLabel('Titel').fill('Wasserabstellung am Montag <b>');
  await desk.getByLabel('Text').fill('Am Montag ist von 8 bis 12 Uhr das Wasser abgestellt.\n\nMehr unter https://example.org/wasser.');
  assert.equal(await desk.getByLabel('Empfänger benachrichtigen').isChecked(), true, 'notify is on by default');
  await screenshot(desk, 'announcement-new-desktop');
  await Promise.all([desk.waitForURL(/\/app\/content\/announcements\/\d+/), desk.getByRole('button', { name: 'Veröffentlichen' }).click()]);
  assert.equal(await desk.locator('.announcement-recipients').textContent(), '1', 'one resident mailed');
  const id = Number(/announcements\/(\d+)/.exec(desk.url())[1]);

  const phone = await newPage(browser, PHONE);
  await signIn(phone, reader.email, reader.password);
  await phone.goto(`${stack.base}/portal`);
  const link = phone.getByRole('link', { name: 'Wasserabstellung am Montag <b>' });
  await link.click();
  await phone.waitForURL(new RegExp(`/portal/announcements/${id}$`));
  assert.equal(await phone.getByRole('heading', { level: 1 }).textContent(), 'Wasserabstellung am Montag <b>');
  assert.equal(await phone.locator('.announcement-body p').count(), 2, 'two paragraphs');
  assert.equal(await phone.getByRole('link', { name: 'https://example.org/wasser' }).getAttribute('href'), 'https://example.org/wasser');
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
  await screenshot(phone, 'announcement-phone');

  await desk.reload();
  assert.equal(await desk.locator('.announcement-reads').textContent(), '1', 'the read is counted');
  assert.ok((await desk.locator('.announcement-readers').textContent()).includes('Rita Resident'));

  const other = await newPage(browser, PHONE);
  await signIn(other, outsider.email, outsider.password);
  await other.goto(`${stack.base}/portal`);
  assert.equal(await other.getByText('Wasserabstellung am Montag').count(), 0, 'not for the third property');
});
