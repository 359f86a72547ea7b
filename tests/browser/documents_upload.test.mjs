// A manager puts three papers in front of different residents on a phone
// (390x844): three files dropped onto the documents page's drop zone and a
// fourth added from "another folder" through the file input, each with its
// own category, audience and unit ("Auf alle anwenden" first, then changed
// per file), the count of people each audience reaches shown live. The
// fourth is over the limit: the server refuses the batch, the error shows at
// that file, every file and setting stays; taken out again, the batch goes
// up with a bar per file that fills as its bytes go up (the upload slowed
// down by Chromium's network throttling). The list then shows the three with
// their audiences, and a tenant of the unit and an owner each see on their
// phone exactly the papers meant for them. Without script the same page
// uploads two files with one set of fields. Screenshots documents-*.png go to
// tests/artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startStack } from '../integration/stack.mjs';
import { newManager, newProperty, newResident } from '../integration/client.mjs';
import { accessibilityProblems, launchBrowser, newPage, screenshot, sidewaysScroll } from './browser.mjs';

const PHONE = { width: 390, height: 844 };
let stack, browser, manager, home, unit, owner, tenant;

before(async () => {
  stack = await startStack({ plugins: 'invites content documents', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  stack.setConf({ 'documents.max_file_mib': 1 });
  await stack.reload();
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Dokumente' });
  home = (await newProperty(manager, 'Gartenhaus')).id;
  unit = (await manager.json(`/api/v1/properties/${home}/units`, { method: 'POST', body: { name: 'WE 1' } })).body.id;
  owner = await newResident(stack, manager, [home], { group: 'owner' });
  await newResident(stack, manager, [home], { group: 'resident' });
  tenant = await newResident(stack, manager, [home], { group: 'tenant' });
  const res = await manager.json(`/api/v1/properties/${home}/residents/${tenant.id}`, { method: 'PATCH', body: { unit_id: unit } });
  assert.equal(res.status, 200);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signedIn(options = {}, client = manager) {
  const page = await newPage(browser, { ...PHONE, ...options });
  const [name, value] = client.cookie.split('=');
  await page.context().addCookies([{ name, value, url: stack.base }]);
  return page;
}

async function noProblems(page, what) {
  const problems = await accessibilityProblems(page);
  assert.deepEqual(problems, [], `${what}:\n${problems.join('\n')}`);
  assert.equal(await sidewaysScroll(page), 0, `${what}: scrolls sideways`);
}

// Drops files onto the drop zone as a drag from the desktop does.
function dropFiles(page, files) {
  return page.locator('[data-docs-drop]').evaluate((zone, list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([f.text], f.name, { type: f.type }));
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

const rows = (page) => page.locator('[data-docs-batch] > li');
const row = (page, name) => rows(page).filter({ has: page.locator('legend', { hasText: name }) });

test('phone: three files by drag and drop and one from another folder, each with its own audience; a refused batch keeps them; a bar per file; what a tenant and an owner see', async () => {
  const page = await signedIn();
  await page.goto(`${stack.base}/app/properties/${home}/documents`);
  assert.ok(await page.getByText('Jede Person mit dem allgemeinen Einladungslink').isVisible(), 'the warning');
  assert.equal(await page.locator('[data-docs-row]').isVisible(), false, 'the pattern row waits for files');

  await dropFiles(page, [
    { name: 'Hausordnung.pdf', text: '%PDF-1.4 Hausordnung', type: 'application/pdf' },
    // large enough that its bar is seen filling while the upload is slowed
    { name: 'Protokoll Eigentümer.txt', text: `Protokoll der Eigentümerversammlung\n${'Tagesordnung. '.repeat(16000)}`, type: 'text/plain' },
    { name: 'Mietvertrag WE 1.txt', text: 'Mietvertrag der WE 1', type: 'text/plain' },
  ]);
  assert.equal(await rows(page).count(), 3);
  // Another folder: the file input adds to the batch.
  await page.locator('#docs-files').setInputFiles([
    { name: 'Zu groß.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1024 * 1024 + 10, 7) },
  ]);
  assert.equal(await rows(page).count(), 4);
  assert.equal(await row(page, 'Hausordnung.pdf').getByLabel('Titel').inputValue(), 'Hausordnung');
  assert.equal(await row(page, 'Mietvertrag WE 1.txt').getByLabel('Titel').inputValue(), 'Mietvertrag WE 1');

  // The first row's settings for all, then each file its own.
  const first = row(page, 'Hausordnung.pdf');
  await first.getByLabel('Kategorie').selectOption('Hausordnung');
  await first.getByLabel('Sichtbar für').selectOption('residents');
  await first.getByRole('button', { name: 'Auf alle anwenden Hausordnung.pdf' }).click();
  for (const name of ['Protokoll Eigentümer.txt', 'Mietvertrag WE 1.txt', 'Zu groß.bin']) {
    assert.equal(await row(page, name).getByLabel('Sichtbar für').inputValue(), 'residents', name);
    assert.equal(await row(page, name).getByLabel('Kategorie').inputValue(), 'Hausordnung', name);
  }
  await assertReach(first, 'Sichtbar für 3 Personen.');
  const minutes = row(page, 'Protokoll Eigentümer.txt');
  await minutes.getByLabel('Kategorie').selectOption('Protokoll');
  await minutes.getByLabel('Sichtbar für').selectOption('owners');
  await assertReach(minutes, 'Sichtbar für 1 Person.');
  const contract = row(page, 'Mietvertrag WE 1.txt');
  await contract.getByLabel('Kategorie').selectOption('Vertrag');
  await contract.getByLabel('Sichtbar für').selectOption('tenants');
  await contract.getByLabel('Einheit (optional)').selectOption({ label: 'WE 1' });
  await contract.getByLabel('Kenntnisnahme erforderlich').check();
  await assertReach(contract, 'Sichtbar für 1 Person.');
  await noProblems(page, 'the batch');
  await screenshot(page, 'documents-batch-phone');

  // The file over the limit: the server refuses the whole batch.
  const before = Number(stack.sql(`SELECT COUNT(*) FROM documents WHERE property_id = ${home}`).trim());
  await page.getByRole('button', { name: 'Dokumente hochladen' }).click();
  const alert = page.locator('form [role=alert]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /größer als erlaubt/);
  assert.equal(Number(stack.sql(`SELECT COUNT(*) FROM documents WHERE property_id = ${home}`).trim()), before, 'nothing stored');
  assert.equal(await rows(page).count(), 4, 'every file stays');
  assert.equal(await row(page, 'Zu groß.bin').locator('.field__error').count(), 1, 'the error at the file it is about');
  assert.equal(await row(page, 'Hausordnung.pdf').locator('.field__error').count(), 0);
  assert.equal(await contract.getByLabel('Sichtbar für').inputValue(), 'tenants', 'the settings stay');
  assert.ok(await contract.getByLabel('Kenntnisnahme erforderlich').isChecked());
  assert.equal(await page.locator('.docs-file__progress:visible').count(), 0, 'no bar once refused');
  await noProblems(page, 'the refused batch');
  await screenshot(page, 'documents-refused-phone');

  await row(page, 'Zu groß.bin').getByRole('button', { name: 'Entfernen Zu groß.bin' }).click();
  assert.equal(await rows(page).count(), 3);
  // The upload, slowed to 64 KiB/s: each file's bar fills in the files'
  // order, the first full while the second (224 KB) is still going up and
  // the third has not begun.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
  const bars = page.locator('[data-docs-batch] progress');
  const uploaded = page.waitForURL((u) => u.searchParams.get('done') === 'uploaded');
  await page.getByRole('button', { name: 'Dokumente hochladen' }).click();
  for (const name of ['Hausordnung.pdf', 'Protokoll Eigentümer.txt', 'Mietvertrag WE 1.txt']) {
    assert.ok(await page.getByRole('progressbar', { name: `Hochgeladen: ${name}` }).isVisible(), `a bar for ${name}`);
  }
  await page.waitForFunction(() => {
    const [a, b, c] = document.querySelectorAll('[data-docs-batch] progress');
    return a.value === a.max && b.value > 0 && b.value < b.max && c.value === 0;
  });
  const midway = await bars.evaluateAll((list) => list.map((b) => [b.max, b.value]));
  assert.deepEqual(midway.map(([max]) => max), [20, 224037, 20], 'each bar measures its own file');
  await screenshot(page, 'documents-progress-phone');
  assert.ok(await page.getByRole('button', { name: 'Dokumente hochladen' }).isDisabled(), 'sent once');
  await uploaded;
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assert.ok(await page.getByText('Die Dokumente wurden hochgeladen.').isVisible());

  const list = page.locator('#documents tbody tr');
  assert.equal(await list.count(), 3);
  // Each row's cells by their column (the phone shows the column's name before each).
  const cells = (title) => list.filter({ has: page.getByRole('link', { name: title, exact: true }) })
    .evaluate((tr) => Object.fromEntries([...tr.querySelectorAll('td[data-label]')].map((td) => [td.dataset.label, td.textContent.replace(/\s+/g, ' ').trim()])));
  const pick = ({ Kategorie, 'Sichtbar für': audience, Einheit, Version, Kenntnisnahme }) => [Kategorie, audience, Einheit, Version, Kenntnisnahme];
  assert.deepEqual(pick(await cells('Hausordnung')), ['Hausordnung', 'Alle Bewohner', '–', '1', '–']);
  assert.deepEqual(pick(await cells('Protokoll Eigentümer')), ['Protokoll', 'Eigentümer', '–', '1', '–']);
  assert.deepEqual(pick(await cells('Mietvertrag WE 1')), ['Vertrag', 'Mieter', 'WE 1', '1', '0 von 1 für Mietvertrag WE 1']);
  await noProblems(page, 'the list');
  await screenshot(page, 'documents-list-phone');

  const items = (await manager.json(`/api/v1/properties/${home}/documents`)).body.items;
  assert.deepEqual(items.map((d) => [d.title, d.category, d.audience, d.unit?.name ?? null, d.requires_ack]).sort(), [
    ['Hausordnung', 'Hausordnung', 'residents', null, false],
    ['Mietvertrag WE 1', 'Vertrag', 'tenants', 'WE 1', true],
    ['Protokoll Eigentümer', 'Protokoll', 'owners', null, false],
  ]);
  await page.context().close();

  // What each resident sees of the three, on their phone.
  const seen = async (client, shot) => {
    const view = await signedIn({}, client);
    await view.goto(`${stack.base}/portal/documents`);
    const titles = await view.locator('.documents-item a[href$="/download"]').allTextContents();
    const open = await view.locator('.documents-open a[href$="/download"]').allTextContents();
    await noProblems(view, shot);
    await screenshot(view, shot);
    await view.context().close();
    return { titles: titles.map((x) => x.trim()).sort(), open: open.map((x) => x.trim()) };
  };
  assert.deepEqual(await seen(tenant, 'documents-tenant-phone'), { titles: ['Hausordnung', 'Mietvertrag WE 1'], open: ['Mietvertrag WE 1'] },
    'the tenant of WE 1: the house rules and the unit\'s contract, to acknowledge on top; not the owners\' minutes');
  assert.deepEqual(await seen(owner, 'documents-owner-phone'), { titles: ['Hausordnung', 'Protokoll Eigentümer'], open: [] },
    'an owner: the house rules and the minutes; not the tenants\' contract');
});

// The row's line of how many people its audience reaches, once the API answered.
async function assertReach(rowLocator, text) {
  await rowLocator.locator('[data-docs-reach]', { hasText: text }).waitFor();
}

test('"Wer sieht es?" answers as the audience changes', async () => {
  const page = await signedIn();
  await page.goto(`${stack.base}/app/properties/${home}/documents`);
  const check = page.locator('[data-docs-check]');
  await check.getByLabel('Sichtbar für').selectOption('owners');
  await page.locator('[data-docs-check-result]', { hasText: 'Sichtbar für 1 Person.' }).waitFor();
  await check.getByLabel('Sichtbar für').selectOption('residents');
  await page.locator('[data-docs-check-result]', { hasText: 'Sichtbar für 3 Personen.' }).waitFor();
  await page.context().close();
});

test('a batch larger than one request may carry: the page says so before sending, in German, and keeps the files', async () => {
  // the core's max_body_bytes (which nginx's client_max_body_size matches
  // in a deployment) at 3 MiB here, so that two small files exceed it
  stack.setConf({ max_body_bytes: 3 * 1024 * 1024 });
  await stack.reload();
  try {
    const page = await signedIn();
    await page.goto(`${stack.base}/app/properties/${home}/documents`);
    await page.locator('#docs-files').setInputFiles(['Scan 1.pdf', 'Scan 2.pdf'].map((name) => ({ name, mimeType: 'application/pdf', buffer: Buffer.alloc(2 * 1024 * 1024, 1) })));
    for (const name of ['Scan 1.pdf', 'Scan 2.pdf']) await row(page, name).getByLabel('Sichtbar für').selectOption('residents');
    const sent = [];
    page.on('request', (r) => { if (r.method() === 'POST') sent.push(r.url()); });
    await page.getByRole('button', { name: 'Dokumente hochladen' }).click();
    const alert = page.locator('form [role=alert]');
    await alert.waitFor();
    assert.equal((await alert.textContent()).trim(),
      'Zusammen sind die Dateien größer als die 3 MB, die auf einmal hochgeladen werden können. Bitte laden Sie sie in mehreren Schritten hoch.');
    assert.deepEqual(sent, [], 'nothing sent');
    assert.equal(await rows(page).count(), 2, 'the files stay');
    // one of them fits
    await row(page, 'Scan 2.pdf').getByRole('button', { name: 'Entfernen Scan 2.pdf' }).click();
    await page.getByRole('button', { name: 'Dokumente hochladen' }).click();
    await page.locator('form [role=alert]', { hasText: 'größer als erlaubt' }).waitFor();
    assert.equal(sent.length, 1, 'sent, and refused by the server for the file\'s own limit (1 MiB here)');
    await page.context().close();
  } finally {
    stack.withoutConf('max_body_bytes');
    await stack.reload();
  }
});

test('without script: two files with one set of fields', async () => {
  const page = await signedIn({ javaScriptEnabled: false });
  await page.goto(`${stack.base}/app/properties/${home}/documents`);
  await page.locator('#docs-files').setInputFiles([
    { name: 'Aushang Keller.txt', mimeType: 'text/plain', buffer: Buffer.from('Keller räumen') },
    { name: 'Aushang Hof.txt', mimeType: 'text/plain', buffer: Buffer.from('Hof fegen') },
  ]);
  await page.locator('#docs-category').selectOption('Aushang');
  await page.locator('#docs-audience').selectOption('residents');
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('done') === 'uploaded'),
    page.getByRole('button', { name: 'Dokumente hochladen' }).click(),
  ]);
  for (const title of ['Aushang Keller', 'Aushang Hof']) assert.ok(await page.getByRole('link', { name: title, exact: true }).isVisible(), title);
  await screenshot(page, 'documents-noscript-phone');
  await page.context().close();
});
