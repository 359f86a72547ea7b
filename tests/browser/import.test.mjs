// The import's three steps in Chromium with 2,000 rows, with and without
// script: the upload shows its progress (sent by the page's script, whose
// upload reports it), the import shows "Wird importiert …" and a bar while it
// writes (streamed, no script needed), and then only the result.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startStack } from '../integration/stack.mjs';
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

async function signedIn(tag, options = {}) {
  const email = `import-${tag}@example.org`;
  const r = stack.portalctl('org', 'create', '--name', `Verwaltung ${tag}`, '--admin-email', email);
  const url = /activation: (\S+)/.exec(r.stdout)[1];
  const page = await newPage(browser, options);
  await page.goto(url.replace(/^http:\/\/[^/]+/, stack.base));
  await page.getByLabel(/Neues Passwort|Passwort/).first().fill(PASSWORD);
  const confirm = page.getByLabel(/wiederholen|bestätigen/i);
  if (await confirm.count()) await confirm.fill(PASSWORD);
  await page.getByRole('button').filter({ hasText: /Passwort|Speichern|festlegen|Weiter/ }).first().click();
  await page.waitForURL(/\/app$/);
  return page;
}

function csv(rows, tag) {
  const lines = ['Referenz-ID;Name;Straße;PLZ;Ort'];
  for (let i = 1; i <= rows; i++) lines.push(`${tag}-${i};Haus ${tag} ${i};Gartenweg ${i};04109;Leipzig`);
  return { name: `${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n')) };
}

// Steps 2 and 3: the import, its streamed progress, and what is left of it.
async function importAndCheck(page, rows) {
  await page.getByRole('button', { name: 'Importieren' }).click();
  await page.waitForURL(/\/app\/properties\/import$/);
  assert.match(await page.getByRole('status').textContent(), new RegExp(`Neu angelegt:\\s*${rows}`));
  const run = page.locator('.import-run');
  assert.equal(await run.count(), 1, 'the page showed the import running');
  assert.match(await run.textContent(), /Wird importiert/);
  assert.ok(await run.locator('progress').count() >= 2, 'a bar per step');
  assert.equal(await run.locator('progress').last().getAttribute('value'), '100');
  assert.ok(!(await run.isVisible()), 'once the result is there, only the result shows');
}

test('with script: the upload\'s progress, then the import\'s', async () => {
  const page = await signedIn('js');
  await page.goto(`${stack.base}/app/properties/import`);
  assert.ok(!(await page.locator('.upload-progress').isVisible()), 'no bar before the upload');
  // A slow line (the browser's network emulation), so that the upload can be
  // watched while it goes.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024,
  });
  const upload = page.waitForRequest((r) => r.url().endsWith('/import/preview') && r.method() === 'POST');
  await page.getByLabel('Datei').setInputFiles(csv(2000, 'JS'));
  await page.getByRole('button', { name: 'Vorschau anzeigen' }).click();
  assert.equal((await upload).resourceType(), 'xhr', 'the script sends the file');
  const box = page.locator('.upload-progress');
  await box.waitFor({ state: 'visible' });
  assert.match(await box.textContent(), /Wird hochgeladen/);
  assert.ok(await page.getByRole('button', { name: 'Vorschau anzeigen' }).isDisabled());
  await page.waitForFunction(() => {
    const bar = document.querySelector('.upload-progress progress');
    return !bar || bar.value > 0;
  });
  await screenshot(page, 'import-upload-progress');
  await page.waitForURL(/\/import\/preview$/);
  assert.equal(await page.locator('#column_name option:checked').textContent(), 'Name');
  assert.match(await page.locator('main').textContent(), /2000/);
  await importAndCheck(page, 2000);
  await screenshot(page, 'import-result');
});

test('without script: the same steps, and the import still shows its progress', async () => {
  const page = await signedIn('nojs', { javaScriptEnabled: false });
  await page.goto(`${stack.base}/app/properties/import`);
  const upload = page.waitForRequest((r) => r.url().endsWith('/import/preview') && r.method() === 'POST');
  await page.getByLabel('Datei').setInputFiles(csv(2000, 'NOJS'));
  await page.getByRole('button', { name: 'Vorschau anzeigen' }).click();
  assert.equal((await upload).resourceType(), 'document', 'the form itself sends the file');
  await page.waitForURL(/\/import\/preview$/);
  assert.equal(await page.locator('#column_reference_id option:checked').textContent(), 'Referenz-ID');
  await importAndCheck(page, 2000);
});
