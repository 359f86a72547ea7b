// A resident reports a problem from a phone (390x844) with a photo: the
// navigation leads to "Meine Anliegen" and the report form, where property
// and unit are preselected, the photo is
// chosen with the file input; the manager answers on the desktop and sets
// the status; the resident sees the answer and the assignee on the ticket's
// page. Nothing scrolls sideways at 320 px; axe finds nothing. Screenshots
// tickets-phone-form.png, tickets-phone-sent.png, tickets-desktop-manager.png
// and tickets-phone-answered.png go to tests/artifacts/.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { repo, startStack } from '../integration/stack.mjs';
import { newManager, newProperty, newResident } from '../integration/client.mjs';
import { accessibilityProblems, launchBrowser, newPage, screenshot, sidewaysScroll } from './browser.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const PHOTO = path.join(repo, 'tests', 'fixtures', 'images', 'photo-gps-o6.jpg');
let stack, browser, manager, resident, unit;

before(async () => {
  stack = await startStack({ plugins: 'invites content documents tickets', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Vorgänge' });
  const house = (await newProperty(manager, 'Kastanienallee 8')).id;
  unit = (await manager.json(`/api/v1/properties/${house}/units`, { method: 'POST', body: { name: 'WE 4 rechts' } })).body.id;
  resident = await newResident(stack, manager, [house]);
  const res = await manager.json(`/api/v1/properties/${house}/residents/${resident.id}`, { method: 'PATCH', body: { unit_id: unit } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signedIn(client, size) {
  const page = await newPage(browser, size);
  const [name, value] = client.cookie.split('=');
  await page.context().addCookies([{ name, value, url: stack.base }]);
  return page;
}

async function noProblems(page, what) {
  const problems = await accessibilityProblems(page);
  assert.deepEqual(problems, [], `${what}:\n${problems.join('\n')}`);
}

test('phone: a report with a photo; the manager answers; the resident sees the answer', async () => {
  const phone = await signedIn(resident, PHONE);
  await phone.goto(`${stack.base}/portal`);
  // the navigation (behind its menu button on a phone, when there is one)
  const link = phone.locator('nav a[href="/portal/tickets"]').first();
  if (!(await link.isVisible())) await phone.locator('.site-header button[aria-expanded]').first().click();
  await Promise.all([phone.waitForURL(/\/portal\/tickets$/), link.click()]);
  assert.equal(await phone.getByRole('heading', { level: 1 }).textContent(), 'Meine Anliegen');
  await Promise.all([phone.waitForURL(/\/portal\/tickets\/new$/), phone.getByRole('link', { name: 'Neues Anliegen melden' }).click()]);
  assert.equal(await phone.getByRole('heading', { level: 1 }).textContent(), 'Anliegen melden');
  assert.equal(await phone.getByLabel('Einheit').inputValue(), String(unit), 'her unit is preselected');
  await phone.getByLabel('Kategorie', { exact: true }).last().selectOption('Schaden/Reparatur');
  await phone.getByLabel('Titel').fill('Wasserfleck an der Decke');
  await phone.getByLabel('Beschreibung').fill('Im Bad, seit dem Regen am Wochenende.');
  await phone.getByLabel('Hinweis zum Zugang').fill('Schlüssel bei Familie Weber');
  await phone.getByLabel('Ein Handwerker darf mich direkt kontaktieren').check();
  await phone.getByLabel('Fotos (höchstens 10)').setInputFiles(PHOTO);
  await noProblems(phone, 'the report form on a phone');
  await screenshot(phone, 'tickets-phone-form');
  await Promise.all([phone.waitForURL(/\/portal\/tickets\/\d+$/), phone.getByRole('button', { name: 'Absenden' }).click()]);
  const id = Number(/\/portal\/tickets\/(\d+)$/.exec(phone.url())[1]);
  assert.match(await phone.getByRole('heading', { level: 1 }).textContent(), /^#\d+ Wasserfleck an der Decke$/);
  const thumb = phone.locator('.tickets-photos img');
  assert.equal(await thumb.count(), 1);
  assert.equal(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0), true, 'the thumbnail loads');
  await noProblems(phone, 'the sent report on a phone');
  await screenshot(phone, 'tickets-phone-sent');

  // the manager, on the desktop: the ticket in the list, the answer, the status
  const desk = await signedIn(manager, DESKTOP);
  await desk.goto(`${stack.base}/app/tickets`);
  await Promise.all([desk.waitForURL(new RegExp(`/app/tickets/${id}$`)), desk.getByRole('link', { name: /Wasserfleck an der Decke/ }).click()]);
  assert.equal(await desk.locator('.tickets-photos img').count(), 1);
  await desk.getByLabel('Status').selectOption('in_progress');
  await desk.getByLabel('Zuständig').selectOption(String(manager.user.id));
  await Promise.all([desk.waitForURL(new RegExp(`/app/tickets/${id}$`)), desk.getByRole('button', { name: 'Speichern' }).click()]);
  await desk.getByLabel('Nachricht', { exact: true }).fill('Der Dachdecker kommt am Dienstag um 9 Uhr.');
  await Promise.all([desk.waitForURL(new RegExp(`/app/tickets/${id}$`)), desk.getByRole('button', { name: 'Nachricht senden' }).click()]);
  await desk.getByLabel('Nachricht', { exact: true }).fill('Versicherung informieren.');
  await desk.getByLabel(/Interne Notiz/).check();
  await Promise.all([desk.waitForURL(new RegExp(`/app/tickets/${id}$`)), desk.getByRole('button', { name: 'Nachricht senden' }).click()]);
  assert.equal(await desk.locator('.tickets-note').count(), 1);
  await noProblems(desk, 'the manager\'s ticket');
  await screenshot(desk, 'tickets-desktop-manager');

  // the resident sees the answer, the status and who handles it, not the note
  await phone.reload();
  const text = await phone.locator('main').textContent();
  assert.match(text, /Der Dachdecker kommt am Dienstag um 9 Uhr\./);
  assert.match(text, /In Bearbeitung/);
  assert.match(text, /Zuständig:/);
  assert.doesNotMatch(text, /Versicherung/);
  await noProblems(phone, 'the answered ticket on a phone');
  await screenshot(phone, 'tickets-phone-answered');
  await phone.setViewportSize({ width: 320, height: 700 });
  for (const p of ['/portal/tickets', '/portal/tickets/new', `/portal/tickets/${id}`]) {
    await phone.goto(`${stack.base}${p}`);
    assert.equal(await sidewaysScroll(phone), 0, `${p} scrolls sideways at 320 px`);
  }
  await phone.context().close();
  await desk.context().close();
});
