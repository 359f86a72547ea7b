// A resident reports a problem from a phone (390x844) with a photo: the
// navigation leads to "Meine Anliegen" and the report form, where property
// and unit are preselected, the photo is
// chosen with the file input; the manager answers on the desktop and sets
// the status; the resident sees the answer and the assignee on the ticket's
// page. Nothing scrolls sideways at 320 px; axe finds nothing. Screenshots
// tickets-phone-form.png, tickets-phone-sent.png, tickets-desktop-manager.png
// and tickets-phone-answered.png go to tests/artifacts/. The print view in
// print media on A4: what it must show and what it must leave out
// (tickets-print.png and tickets-print.pdf).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { repo, startStack } from '../integration/stack.mjs';
import { newManager, newProperty, newResident } from '../integration/client.mjs';
import { accessibilityProblems, artifacts, launchBrowser, newPage, screenshot, sidewaysScroll } from './browser.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const PHOTO = path.join(repo, 'tests', 'fixtures', 'images', 'photo-gps-o6.jpg');
let stack, browser, manager, resident, unit, house;

before(async () => {
  stack = await startStack({ plugins: 'invites content documents tickets', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Vorgänge' });
  house = (await newProperty(manager, 'Kastanienallee 8')).id;
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

// A ticket with photos (one tall, one wide), a long description and a long
// history, reported and answered over the API.
async function longTicket() {
  const image = (name, type) => new Blob([fs.readFileSync(path.join(repo, 'tests', 'fixtures', 'images', name))], { type });
  const form = (fields, photos = []) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.append(k, String(v));
    for (const [name, type] of photos) f.append('files', image(name, type), name);
    return f;
  };
  const description = Array.from({ length: 14 }, (_, i) => `Absatz ${i + 1}: Seit Montag läuft an der Decke im Bad Wasser herunter, der Fleck wird jeden Tag größer.`).join('\n\n');
  const sent = await resident.json('/api/v1/tickets', {
    method: 'POST',
    headers: { Origin: stack.base },
    body: form({ property_id: house, title: 'Wasserschaden im Bad', description }, [['photo-gps-o6.jpg', 'image/jpeg'], ['text-chunk.png', 'image/png']]),
  });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const id = sent.body.id;
  for (let i = 1; i <= 6; i++) {
    const answer = await manager.json(`/api/v1/tickets/${id}/comments`, {
      method: 'POST', headers: { Origin: stack.base }, body: form({ body: `Antwort ${i}: Der Installateur kommt am Montag.\n${'Bitte sorgen Sie dafür, dass jemand zu Hause ist. '.repeat(4)}` }, i === 3 ? [['photo-gps-o6.jpg', 'image/jpeg']] : []),
    });
    assert.equal(answer.status, 201);
    assert.equal((await resident.json(`/api/v1/tickets/${id}/comments`, { method: 'POST', body: { body: `Danke ${i}. ${'Ich bin ab 9 Uhr da. '.repeat(5)}` } })).status, 201);
  }
  return sent.body;
}

test('the print view on A4: header with number, property and reporter; photos within the page; no navigation, buttons or forms; no entry cut apart', async () => {
  const t = await longTicket();
  const page = await signedIn(resident, { width: 794, height: 1123 }); // A4 at 96 dpi
  await page.goto(`${stack.base}/portal/tickets/${t.id}/print`);
  await page.emulateMedia({ media: 'print' });
  const header = await page.locator('article.ticket-print').evaluate((a) => a.innerText);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), `#${t.number} Wasserschaden im Bad`);
  assert.match(header, /Liegenschaft\s+Kastanienallee 8/);
  assert.match(header, /Gemeldet von\s+Rita Resident/);
  assert.match(header, /Absatz 14:/, 'the whole description');
  assert.match(header, /Danke 6\./, 'the whole history');
  assert.ok(await page.getByText('Hausverwaltung Vorgänge').first().isVisible(), 'the organisation it was reported to');

  // Nothing to click or fill in on paper, and not who is signed in.
  for (const selector of ['nav', 'button', 'form', '.poster-tools a', '.account', '.skip-link']) {
    const all = page.locator(selector);
    for (let i = 0; i < await all.count(); i++) {
      assert.equal(await all.nth(i).isVisible(), false, `${selector} #${i} is printed`);
    }
  }

  // Every photo loaded, within the text's width and at most half a page tall.
  const photos = await page.locator('.ticket-print__photos img').evaluateAll((imgs) => imgs.map((img) => {
    const box = img.getBoundingClientRect();
    return { loaded: img.complete && img.naturalWidth > 0, width: box.width, height: box.height, room: img.closest('article').getBoundingClientRect().width };
  }));
  assert.equal(photos.length, 3);
  for (const p of photos) {
    assert.ok(p.loaded, 'a photo did not load');
    assert.ok(p.width > 0 && p.width <= p.room / 2, `a photo of ${p.width}px is wider than its column of ${p.room / 2}px`);
    assert.ok(p.height <= (12 / 2.54) * 96 + 0.5, `a photo is ${p.height}px tall`);
  }

  // Each entry of the history on one page; headings stay with what follows;
  // a number of two digits fits in front of its entry.
  const entries = page.locator('.ticket-print .tickets-history > li');
  assert.ok(await entries.count() >= 13);
  for (let i = 0; i < await entries.count(); i++) {
    assert.equal(await entries.nth(i).evaluate((li) => getComputedStyle(li).breakInside), 'avoid');
  }
  for (const h2 of await page.locator('.ticket-print h2').all()) {
    assert.equal(await h2.evaluate((h) => getComputedStyle(h).breakAfter), 'avoid');
  }
  const room = await page.locator('.ticket-print .tickets-history').evaluate((ol) => parseFloat(getComputedStyle(ol).paddingLeft) / parseFloat(getComputedStyle(ol).fontSize));
  assert.ok(room >= 2, `the numbers have ${room}em`);
  await screenshot(page, 'tickets-print');

  // The page size comes from the stylesheet: A4 (595 x 842 pt), whatever the printer's default.
  const pdf = await page.pdf({ format: 'Letter', preferCSSPageSize: true, path: path.join(artifacts, 'tickets-print.pdf') });
  const boxes = [...pdf.toString('latin1').matchAll(/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)].map((m) => [Math.round(m[1]), Math.round(m[2])]);
  assert.ok(boxes.length >= 2, 'a long ticket takes pages');
  for (const box of boxes) assert.deepEqual(box, [595, 842]);
  await page.context().close();
});

// "Ist das schon gemeldet?" before sending, on a phone: with script the list
// follows the category chosen in the report and keeps what was typed;
// without script the check's button shows it. Either way "Ich bin auch
// betroffen" makes her a follower of the known ticket instead of a reporter.
test('phone: "Ist das schon gemeldet?" with and without script, then "Ich bin auch betroffen"', async () => {
  const known = async (title, category) => {
    const res = await manager.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title, description: 'Bekannt', category, reporter_name: 'Herr Schulz (Telefon)' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((await manager.json(`/api/v1/tickets/${res.body.id}`, { method: 'PATCH', body: { shared: true } })).status, 200);
    return res.body;
  };
  const lift = await known('Aufzug steckt im 3. Stock', 'Aufzug');
  const noise = await known('Baulärm im Hof', 'Lärm');
  const joined = async (page, t) => {
    await Promise.all([page.waitForURL(new RegExp(`/portal/tickets/${t.id}$`)), page.locator('[data-tickets-check-result] li').filter({ hasText: `#${t.number} ${t.title}` }).getByRole('button', { name: 'Ich bin auch betroffen' }).click()]);
    assert.match(await page.locator('main').textContent(), /Sie sind als betroffen eingetragen/);
  };

  const phone = await signedIn(resident, PHONE);
  await phone.goto(`${stack.base}/portal/tickets/new`);
  const result = phone.locator('[data-tickets-check-result]');
  await phone.getByLabel('Titel').fill('Aufzug geht nicht');
  await phone.getByLabel('Kategorie', { exact: true }).last().selectOption('Aufzug');
  // The page first lists every category's known tickets: the chosen
  // category's list replaces it when its answer is there.
  await result.getByRole('link', { name: `#${noise.number} Baulärm im Hof` }).waitFor({ state: 'detached', timeout: 10000 });
  await result.getByRole('link', { name: `#${lift.number} Aufzug steckt im 3. Stock` }).waitFor();
  assert.equal(await result.getByText('Baulärm im Hof').count(), 0, 'only the chosen category');
  assert.equal(await phone.getByLabel('Titel').inputValue(), 'Aufzug geht nicht', 'nothing typed is lost');
  assert.equal(await phone.getByLabel('Kategorie', { exact: true }).first().inputValue(), 'Aufzug', 'the check shows the category');
  await noProblems(phone, 'the report form with a known ticket');
  await screenshot(phone, 'tickets-phone-known');
  await joined(phone, lift);
  await phone.context().close();

  const bare = await signedIn(resident, { ...PHONE, javaScriptEnabled: false });
  await bare.goto(`${stack.base}/portal/tickets/new`);
  await bare.getByLabel('Kategorie', { exact: true }).first().selectOption('Lärm');
  await Promise.all([bare.waitForURL(/category=L%C3%A4rm/), bare.getByRole('button', { name: 'Anzeigen' }).click()]);
  const list = bare.locator('[data-tickets-check-result]');
  assert.equal(await list.getByRole('link', { name: `#${noise.number} Baulärm im Hof` }).count(), 1);
  assert.equal(await list.getByText('Aufzug steckt').count(), 0);
  await joined(bare, noise);
  await bare.context().close();
  for (const t of [lift, noise]) assert.equal((await manager.json(`/api/v1/tickets/${t.id}`)).body.affected_count, 1);
});
