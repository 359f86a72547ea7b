// A resident reads their documents on a phone (390x844): the home shows the
// newest ones, the navigation leads to "Dokumente", where the document that
// asks for it is on top with "Gelesen und zur Kenntnis genommen"; pressing it
// (a plain form, here also with script off) records it and the document moves
// to its category. An owner's paper is not there for a tenant. Nothing
// scrolls sideways at 320 px; axe finds nothing. Screenshots
// documents-phone.png and documents-phone-acknowledged.png go to
// tests/artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startStack } from '../integration/stack.mjs';
import { newManager, newProperty, newResident } from '../integration/client.mjs';
import { accessibilityProblems, launchBrowser, newPage, screenshot, sidewaysScroll } from './browser.mjs';

const PHONE = { width: 390, height: 844 };
let stack, browser, manager, tenant, ids;

before(async () => {
  stack = await startStack({ plugins: 'invites content documents', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Dokumente' });
  const house = (await newProperty(manager, 'Kastanienallee 8')).id;
  tenant = await newResident(stack, manager, [house], { group: 'tenant' });
  const form = new FormData();
  for (const [name, title, category, audience, ack] of [
    ['Hausordnung.pdf', 'Hausordnung 2026', 'Hausordnung', 'residents', 'true'],
    ['Nebenkosten.pdf', 'Nebenkostenabrechnung 2025', 'Abrechnung', 'tenants', ''],
    ['Protokoll.pdf', 'Protokoll der Eigentümerversammlung', 'Protokoll', 'owners', ''],
  ]) {
    form.append('files', new Blob([`%PDF-1.4 ${title}`]), name);
    form.append('title', title);
    form.append('category', category);
    form.append('audience', audience);
    form.append('requires_ack', ack);
  }
  const res = await manager.json(`/api/v1/properties/${house}/documents`, { method: 'POST', body: form, headers: { Origin: stack.base } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  ids = res.body.items.map((d) => d.id);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signedIn(options = {}) {
  const page = await newPage(browser, { ...PHONE, ...options });
  const [name, value] = tenant.cookie.split('=');
  await page.context().addCookies([{ name, value, url: stack.base }]);
  return page;
}

async function noProblems(page, what) {
  const problems = await accessibilityProblems(page);
  assert.deepEqual(problems, [], `${what}:\n${problems.join('\n')}`);
}

test('phone: from the home to the documents, acknowledged with the button', async () => {
  const page = await signedIn();
  await page.goto(`${stack.base}/portal`);
  const section = page.locator('section.home-documents');
  await assert.doesNotReject(section.getByRole('heading', { name: 'Dokumente' }).waitFor());
  assert.equal(await section.getByRole('link', { name: 'Hausordnung 2026' }).count(), 1);
  assert.equal(await section.getByRole('link', { name: 'Nebenkostenabrechnung 2025' }).count(), 1);
  assert.equal(await section.getByText('Protokoll der Eigentümerversammlung').count(), 0, 'an owners\' paper is not a tenant\'s');

  // the navigation (behind its menu button on a phone, when there is one)
  const link = page.locator('nav a[href="/portal/documents"]').first();
  if (!(await link.isVisible())) await page.locator('.site-header button[aria-expanded]').first().click();
  await Promise.all([page.waitForURL(/\/portal\/documents$/), link.click()]);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Dokumente');
  const open = page.locator('.documents-open');
  assert.equal(await open.getByRole('link', { name: 'Hausordnung 2026' }).count(), 1, 'on top, to acknowledge');
  assert.equal(await page.getByText('Protokoll der Eigentümerversammlung').count(), 0);
  assert.match(await page.locator(`#document-${ids[1]}`).textContent(), /PDF, \d+ B/);
  assert.match(await page.locator(`#document-${ids[1]}`).textContent(), /neu/);
  await noProblems(page, 'documents on a phone');
  await screenshot(page, 'documents-phone');

  // the download link answers the file
  const download = await page.request.get(`${stack.base}/api/v1/documents/${ids[0]}/download`);
  assert.equal(download.status(), 200);

  const button = open.getByRole('button', { name: 'Gelesen und zur Kenntnis genommen' });
  await button.focus();
  await Promise.all([page.waitForURL(new RegExp(`/portal/documents#document-${ids[0]}$`)), page.keyboard.press('Enter')]);
  assert.equal(await page.locator('.documents-open').count(), 0, 'nothing left to acknowledge');
  assert.match(await page.locator(`#document-${ids[0]}`).textContent(), /Zur Kenntnis genommen am/);
  await noProblems(page, 'documents after the acknowledgement');
  await screenshot(page, 'documents-phone-acknowledged');

  await page.setViewportSize({ width: 320, height: 700 });
  await page.goto(`${stack.base}/portal/documents`);
  assert.equal(await sidewaysScroll(page), 0, 'nothing scrolls sideways at 320 px');
  await page.context().close();
});

test('phone without script: the button still works', async () => {
  const other = await newResident(stack, manager, [Number(stack.sql(`SELECT property_id FROM documents WHERE id = ${ids[0]}`).trim())]);
  const page = await newPage(browser, { ...PHONE, javaScriptEnabled: false });
  const [name, value] = other.cookie.split('=');
  await page.context().addCookies([{ name, value, url: stack.base }]);
  await page.goto(`${stack.base}/portal/documents`);
  await Promise.all([page.waitForURL(/#document-/), page.getByRole('button', { name: 'Gelesen und zur Kenntnis genommen' }).click()]);
  assert.equal(Number(stack.sql(`SELECT COUNT(*) FROM document_acks WHERE document_id = ${ids[0]} AND user_id = ${other.id}`).trim()), 1);
  assert.equal(await page.locator('.documents-open').count(), 0);
  await page.context().close();
});
