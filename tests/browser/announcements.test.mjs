// A manager publishes an announcement through "Neue Mitteilung", at desktop
// size and on a phone (390x844), in an organisation of more properties than
// the form lists: the picker ("Senden an") searches the server as one types,
// the manager picks two properties as chips (one with the mouse, one with the
// keyboard), removes one again, and publishes to the rest. A resident of the
// property kept reads it on a phone; a resident of the removed one does not
// see it. The picker's states pass axe's WCAG 2.1 AA rules. Screenshots
// announcement-new-desktop.png, announcement-new-phone.png and
// announcement-phone.png go to tests/artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startStack } from '../integration/stack.mjs';
import { newManager, newResident } from '../integration/client.mjs';
import { accessibilityProblems, launchBrowser, newPage, screenshot, sidewaysScroll } from './browser.mjs';

// Each size its own properties (and the words that find them, in any case).
const SIZES = [
  ['desktop', { width: 1280, height: 800 }, { kept: 'Lindenstraße 5', find: 'lindenstr', removed: 'Eichenweg 12', findRemoved: 'EICHENWEG' }],
  ['phone', { width: 390, height: 844 }, { kept: 'Lindenhof 7', find: 'lindenhof', removed: 'Eichenallee 3', findRemoved: 'EICHENALLEE' }],
];
const PHONE = SIZES[1][1];
let stack, browser, manager;

before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Mitteilung' });
  // More properties than the form lists: the ones wanted are found by searching.
  stack.sql(`INSERT INTO properties (org_id, reference_id, name, street, zip, city, notes, created_at)
    SELECT ${manager.user.org_id}, CONCAT('AH-', seq), CONCAT('Ahornweg ', seq), CONCAT('Ahornweg ', seq), '10115', 'Berlin', '', UTC_TIMESTAMP()
    FROM seq_1_to_60`);
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

async function property(name, city) {
  const res = await manager.json('/api/v1/properties', { method: 'POST', body: { name, city } });
  assert.equal(res.status, 201);
  return res.body;
}

async function noProblems(page, what) {
  const problems = await accessibilityProblems(page);
  assert.deepEqual(problems, [], `${what}:\n${problems.join('\n')}`);
}

for (const [size, viewport, { kept, find, removed, findRemoved }] of SIZES) {
  test(`${size}: a manager searches, picks two properties as chips, removes one and publishes to the rest`, async () => {
    const lind = await property(kept, 'Potsdam');
    const eich = await property(removed, 'Berlin');
    const reader = await newResident(stack, manager, [lind.id]);
    const outsider = await newResident(stack, manager, [eich.id]);
    const title = `Wasserabstellung am Montag <b> (${size})`;

    const page = await newPage(browser, viewport);
    await signIn(page, manager.email, manager.password);
    await page.goto(`${stack.base}/app/content`);
    await page.getByRole('link', { name: /^Mitteilung/ }).first().click();
    await page.waitForURL(/\/app\/content\/announcement\/new$/);
    const picker = page.getByRole('group', { name: 'Senden an' });
    const status = picker.getByRole('status');
    const chips = picker.getByRole('list', { name: 'Ausgewählt' });
    const matches = picker.getByRole('list', { name: 'Treffer' });
    // The form lists the first properties, not all; with script no search button.
    assert.equal(await matches.getByRole('checkbox').count(), 20);
    assert.equal(await picker.getByRole('button', { name: 'Suchen' }).count(), 0);
    assert.equal(await chips.getByRole('listitem').count(), 0);

    // Typing searches the server; the status line says what it found.
    const search = picker.getByLabel('Liegenschaft suchen');
    await search.fill(find);
    await status.filter({ hasText: '1 Liegenschaft gefunden.' }).waitFor();
    assert.equal(await matches.getByRole('checkbox').count(), 1);
    await matches.getByRole('checkbox', { name: new RegExp(kept) }).check();
    await status.filter({ hasText: `${kept} ausgewählt.` }).waitFor();
    assert.equal(await picker.getByRole('button', { name: `${kept} entfernen` }).count(), 1);

    // The second with the keyboard: down from the search to the match, space ticks.
    await search.fill(findRemoved);
    await status.filter({ hasText: '1 Liegenschaft gefunden.' }).waitFor();
    await search.press('ArrowDown');
    await page.keyboard.press('Space');
    const eichRemove = picker.getByRole('button', { name: `${removed} entfernen` });
    await eichRemove.waitFor();
    assert.equal(await chips.getByRole('listitem').count(), 2);
    await noProblems(page, `the picker with two chips (${size})`);
    await screenshot(page, `announcement-new-${size}`);

    // Removing a chip unticks its match, says so, and leaves the focus on the next control.
    await eichRemove.click();
    await status.filter({ hasText: `${removed} entfernt.` }).waitFor();
    assert.equal(await chips.getByRole('listitem').count(), 1);
    assert.equal(await matches.getByRole('checkbox', { name: new RegExp(removed) }).isChecked(), false);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), `×${kept} entfernen`);
    // Enter in the search field searches; it does not publish.
    await search.fill('gibt es nicht');
    await search.press('Enter');
    await status.filter({ hasText: 'Keine Liegenschaft gefunden.' }).waitFor();
    assert.match(page.url(), /\/app\/content\/announcement\/new$/);

    await page.getByLabel('Titel').fill(title);
    await page.getByLabel('Text').fill('Am Montag ist von 8 bis 12 Uhr das Wasser abgestellt.\n\nMehr unter https://example.org/wasser.');
    assert.equal(await page.getByLabel('Empfänger benachrichtigen').isChecked(), true, 'notify is on by default');
    assert.equal(await sidewaysScroll(page), 0, 'nothing scrolls sideways');
    await Promise.all([page.waitForURL(/\/app\/content\/announcements\/\d+/), page.getByRole('button', { name: 'Veröffentlichen' }).click()]);
    assert.equal(await page.locator('.announcement-recipients').textContent(), '1', 'one resident mailed');
    const id = Number(/announcements\/(\d+)/.exec(page.url())[1]);
    const made = (await manager.json(`/api/v1/announcements/${id}`)).body;
    assert.deepEqual(made.properties.map((p) => p.id), [lind.id], 'sent to the property kept');
    // The edit form shows the stored target as a chip.
    assert.equal(await page.getByRole('button', { name: `${kept} entfernen` }).count(), 1);

    const phone = await newPage(browser, PHONE);
    await signIn(phone, reader.email, reader.password);
    await phone.goto(`${stack.base}/portal`);
    await phone.getByRole('link', { name: title }).click();
    await phone.waitForURL(new RegExp(`/portal/announcements/${id}$`));
    assert.equal(await phone.getByRole('heading', { level: 1 }).textContent(), title);
    assert.equal(await phone.locator('.announcement-body p').count(), 2, 'two paragraphs');
    assert.equal(await phone.getByRole('link', { name: 'https://example.org/wasser' }).getAttribute('href'), 'https://example.org/wasser');
    assert.equal(await sidewaysScroll(phone), 0, 'the phone does not scroll sideways');
    if (size === 'desktop') await screenshot(phone, 'announcement-phone');

    await page.reload();
    assert.equal(await page.locator('.announcement-reads').textContent(), '1', 'the read is counted');
    assert.ok((await page.locator('.announcement-readers').textContent()).includes('Rita Resident'));

    const other = await newPage(browser, PHONE);
    await signIn(other, outsider.email, outsider.password);
    await other.goto(`${stack.base}/portal`);
    assert.equal(await other.getByText(title).count(), 0, 'not for the property removed');
  });
}

// Without script the picker is checkboxes and a search button that posts the
// form to its own page (never a GET: the CSRF token must not go into a URL or
// the history); the page comes back with the matches, what was typed and
// chosen, and the form then publishes to what was ticked. At desktop size
// and at 320 pixels, where nothing may scroll sideways.
for (const [size, viewport, name] of [
  ['desktop', { width: 1280, height: 800 }, 'Ulmenhof 9'],
  ['320px', { width: 320, height: 640 }, 'Ulmenhof 11'],
]) {
  test(`without script (${size}): the search posts the form, keeps what was typed and never puts the token into a URL`, async () => {
    const ulme = await property(name, 'Potsdam');
    const title = `Hoffest ohne Skript (${size})`;
    // The page's script never loads (axe, which the test injects, still runs).
    const page = await newPage(browser, viewport);
    await page.route(/\.js(\?.*)?$/, (route) => route.abort());
    const urls = [];
    page.on('request', (request) => urls.push(request.url()));
    await signIn(page, manager.email, manager.password);
    await page.goto(`${stack.base}/app/content/announcement/new`);
    const token = await page.locator('input[name="csrf_token"]').first().inputValue();
    const picker = page.getByRole('group', { name: 'Senden an' });
    const matches = picker.getByRole('list', { name: 'Treffer' });
    assert.equal(await matches.getByRole('checkbox').count(), 20);
    await page.getByLabel('Titel').fill(title);
    await picker.getByLabel('Liegenschaft suchen').fill(name.toLowerCase());
    // The search button is the form's first: Enter in the search field
    // searches as clicking it does.
    const searchButton = picker.getByRole('button', { name: 'Suchen' });
    await Promise.all([page.waitForNavigation(), size === 'desktop' ? searchButton.click() : picker.getByLabel('Liegenschaft suchen').press('Enter')]);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/app/content/announcement/new');
    assert.equal(url.search, '', 'nothing of the form in the URL');
    assert.equal(await picker.getByRole('status').textContent(), '1 Liegenschaft gefunden.');
    assert.equal(await page.getByLabel('Titel').inputValue(), title, 'what was typed stays');
    assert.equal(await picker.getByLabel('Liegenschaft suchen').inputValue(), name.toLowerCase());
    await noProblems(page, `the picker without script, after a search (${size})`);
    assert.equal(await sidewaysScroll(page), 0, 'nothing scrolls sideways');
    await screenshot(page, `announcement-new-noscript-${size}`);

    await matches.getByRole('checkbox', { name: new RegExp(name) }).check();
    await page.getByLabel('Text').fill('Am Samstag im Hof.');
    await Promise.all([page.waitForURL(/\/app\/content\/announcements\/\d+/), page.getByRole('button', { name: 'Veröffentlichen' }).click()]);
    const id = Number(/announcements\/(\d+)/.exec(page.url())[1]);
    const made = (await manager.json(`/api/v1/announcements/${id}`)).body;
    assert.deepEqual(made.properties.map((p) => p.id), [ulme.id], 'sent to the property ticked after the search');
    assert.equal(made.title, title);
    for (const u of urls) assert.ok(!u.includes(token) && !/csrf/i.test(u), u);
  });
}
