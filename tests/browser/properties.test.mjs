// A manager's first minutes with the portfolio in Chromium: two properties
// through "Weitere Liegenschaft erstellen", the LibreOffice .xlsx imported
// through preview and result, a search, and the residents' preview.
// Screenshots at 1280x800 and 390x844 go to tests/artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startStack, repo } from '../integration/stack.mjs';
import { launchBrowser, newPage, screenshot } from './browser.mjs';

const PASSWORD = 'Ein Satz als Passwort, lang genug';
let stack, browser;

before(async () => {
  stack = await startStack({ env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signedIn(viewport) {
  const email = `portfolio-${viewport.width}@example.org`;
  const r = stack.portalctl('org', 'create', '--name', 'Hausverwaltung Lindner', '--admin-email', email);
  const url = /activation: (\S+)/.exec(r.stdout)[1];
  const page = await newPage(browser, viewport);
  await page.goto(url.replace(/^http:\/\/[^/]+/, stack.base));
  await page.getByLabel(/Neues Passwort|Passwort/).first().fill(PASSWORD);
  const confirm = page.getByLabel(/wiederholen|bestätigen/i);
  if (await confirm.count()) await confirm.fill(PASSWORD);
  await page.getByRole('button').filter({ hasText: /Passwort|Speichern|festlegen|Weiter/ }).first().click();
  await page.waitForURL(/\/app$/);
  return page;
}

test('two properties with "Weitere Liegenschaft erstellen", an import, a search, the preview', async () => {
  const page = await signedIn({ width: 1280, height: 800 });
  await page.goto(`${stack.base}/app/properties/new`);
  await page.getByLabel(/^Name/).fill('Parkstraße 4');
  await page.getByLabel('Ort').fill('Potsdam');
  await page.getByLabel('Weitere Liegenschaft erstellen').check();
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.waitForURL(/\/app\/properties\/new\?created=\d+/);
  assert.equal(await page.getByLabel(/^Name/).inputValue(), '', 'an empty form again');
  assert.ok(await page.getByRole('status').isVisible());
  assert.ok(await page.getByLabel('Weitere Liegenschaft erstellen').isChecked());
  await page.getByLabel(/^Name/).fill('Seestraße 9');
  await page.getByLabel('Weitere Liegenschaft erstellen').uncheck();
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.waitForURL(/\/app\/properties\/\d+$/);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Seestraße 9');

  await page.goto(`${stack.base}/app/properties/import`);
  await page.getByLabel('Datei').setInputFiles(`${repo}/tests/fixtures/import/properties.xlsx`);
  await page.getByRole('button', { name: 'Vorschau anzeigen' }).click();
  await page.waitForURL(/\/import\/preview$/);
  assert.equal(await page.locator('#column_name option:checked').textContent(), 'Name');
  assert.equal(await page.locator('#column_zip option:checked').textContent(), 'PLZ');
  await screenshot(page, 'import-preview-desktop');
  await page.getByRole('button', { name: 'Importieren' }).click();
  await page.waitForURL(/\/app\/properties\/import$/);
  assert.match(await page.getByRole('status').textContent(), /Neu angelegt:\s*13/);

  await page.goto(`${stack.base}/app/properties`);
  await page.getByLabel(/Suche/).fill('dresden');
  await page.getByRole('button', { name: 'Suchen' }).click();
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /Haus am Elbufer/);
  assert.match(await rows.first().textContent(), /01067 Dresden/);
  await screenshot(page, 'properties-search-desktop');

  await rows.first().getByRole('link').click();
  await page.getByRole('link', { name: 'Bewohneransicht' }).click();
  await page.waitForURL(/\/preview$/);
  assert.match(await page.getByRole('note').textContent(), /Vorschau/);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Bewohneransicht: Haus am Elbufer');
  assert.ok(await page.getByRole('heading', { name: 'Haus am Elbufer', exact: true }).isVisible());
  await screenshot(page, 'property-preview-desktop');
});

test('on a phone: the list and the preview fit the screen', async () => {
  const page = await signedIn({ width: 390, height: 844 });
  await page.goto(`${stack.base}/app/properties`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
  await screenshot(page, 'properties-phone');
  await page.getByRole('link', { name: 'Robert-Koch-Straße' }).click();
  await page.getByRole('link', { name: 'Bewohneransicht' }).click();
  assert.ok(await page.getByRole('heading', { name: 'Robert-Koch-Straße', exact: true }).isVisible());
  await screenshot(page, 'property-preview-phone');
});
