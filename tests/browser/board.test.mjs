// A resident uses the board on a phone (390x844): the home shows the newest
// posts, the navigation leads to "Schwarzes Brett", the kind filter narrows
// the list, a new post goes out through the form (without their name), a
// neighbour's post gets a comment, is followed and reported with a reason,
// and the resident marks their own post as done. The same with script off.
// Nothing scrolls sideways at 320 px; axe finds nothing. Screenshots
// board-phone*.png go to tests/artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startStack } from '../integration/stack.mjs';
import { newManager, newProperty, newResident } from '../integration/client.mjs';
import { accessibilityProblems, launchBrowser, newPage, screenshot, sidewaysScroll } from './browser.mjs';

const PHONE = { width: 390, height: 844 };
let stack, browser, manager, house, rita, nora, neighbourPost;

before(async () => {
  stack = await startStack({ plugins: 'invites content documents community', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Brett' });
  house = (await newProperty(manager, 'Kastanienallee 8')).id;
  rita = await newResident(stack, manager, [house]);
  nora = await newResident(stack, manager, [house]);
  stack.sql(`UPDATE users SET name = 'Nora Nachbarin' WHERE id = ${nora.id}`);
  const res = await nora.json(`/api/v1/properties/${house}/board`, {
    method: 'POST', body: { kind: 'request', title: 'Suche Bohrmaschine', body: 'Für ein Regal, nur eine Stunde. Modell egal, siehe https://example.org/regal.' },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  neighbourPost = res.body.id;
  await manager.json(`/api/v1/properties/${house}/board`, { method: 'POST', body: { kind: 'info', title: 'Hoffest am Samstag', body: 'Ab 15 Uhr im Hof.' } });
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signedIn(client, options = {}) {
  const page = await newPage(browser, { ...PHONE, ...options });
  const [name, value] = client.cookie.split('=');
  await page.context().addCookies([{ name, value, url: stack.base }]);
  return page;
}

async function noProblems(page, what) {
  const problems = await accessibilityProblems(page);
  assert.deepEqual(problems, [], `${what}:\n${problems.join('\n')}`);
}

test('phone: from the home to the board, a post, a comment, follow, report, done', async () => {
  const page = await signedIn(rita);
  await page.goto(`${stack.base}/portal`);
  const section = page.locator('section.home-board');
  await assert.doesNotReject(section.getByRole('heading', { name: 'Schwarzes Brett' }).waitFor());
  assert.equal(await section.getByRole('link', { name: 'Suche Bohrmaschine' }).count(), 1);
  await screenshot(page, 'board-phone-home');

  const link = page.locator('nav a[href="/portal/board"]').first();
  if (!(await link.isVisible())) await page.locator('.site-header button[aria-expanded]').first().click();
  await Promise.all([page.waitForURL(/\/portal\/board$/), link.click()]);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Schwarzes Brett');
  assert.equal(await page.locator('.board-item').count(), 2);
  await noProblems(page, 'the board on a phone');
  await screenshot(page, 'board-phone');

  await Promise.all([page.waitForURL(/kind=request/), page.getByRole('link', { name: 'Gesuch', exact: true }).click()]);
  assert.equal(await page.locator('.board-item').count(), 1, 'only requests');
  assert.equal(await page.getByRole('link', { name: 'Gesuch', exact: true }).getAttribute('aria-current'), 'page');

  // a new post through the form, without the name
  await page.getByLabel('Art', { exact: true }).selectOption('giveaway');
  await page.getByLabel('Titel', { exact: true }).fill('Kinderwagen zu verschenken');
  await page.getByLabel('Text', { exact: true }).fill('Gut erhalten, abzuholen im 3. OG.');
  await page.getByLabel('Ohne meinen Namen veröffentlichen').check();
  await Promise.all([page.waitForURL(/\/portal\/board\/\d+\?done=created$/), page.getByRole('button', { name: 'Veröffentlichen' }).click()]);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Kinderwagen zu verschenken');
  assert.match(await page.locator('[role=status]').textContent(), /veröffentlicht/);
  const mine = Number(/board\/(\d+)/.exec(page.url())[1]);
  await noProblems(page, 'one\'s own post');
  await screenshot(page, 'board-phone-post');
  const seen = await nora.json(`/api/v1/board/${mine}`);
  assert.deepEqual(seen.body.author, { display_name: null, anonymous: true }, 'the neighbour does not see the name');

  // the neighbour's post: the link is a safe link, a comment, follow, report
  await page.goto(`${stack.base}/portal/board/${neighbourPost}`);
  const safe = page.locator('.board-text a');
  assert.equal(await safe.getAttribute('rel'), 'nofollow noopener ugc');
  assert.equal(await safe.getAttribute('href'), 'https://example.org/regal');
  await page.getByLabel('Ihr Kommentar').fill('Ich habe eine, klingeln Sie bei mir.');
  await Promise.all([page.waitForURL(/done=commented/), page.getByRole('button', { name: 'Kommentieren' }).click()]);
  assert.match(await page.locator('.board-comments').textContent(), /Ich habe eine, klingeln Sie bei mir\./);
  await Promise.all([page.waitForURL(/done=followed/), page.getByRole('button', { name: 'Folgen' }).click()]);
  assert.equal(await page.getByRole('button', { name: 'Nicht mehr folgen' }).count(), 1);
  await page.getByText('Beitrag melden').click();
  await page.getByLabel('Spam').check();
  await page.getByLabel('Anmerkung (optional)').fill('Nur ein Test');
  await noProblems(page, 'a neighbour\'s post with the report open');
  await screenshot(page, 'board-phone-report');
  await Promise.all([page.waitForURL(/done=reported/), page.getByRole('button', { name: 'Melden', exact: true }).click()]);
  assert.equal(Number(stack.sql(`SELECT COUNT(*) FROM board_reports WHERE post_id = ${neighbourPost} AND reporter_id = ${rita.id} AND reason = 'spam'`).trim()), 1);

  // one's own post: done, and off the board
  await page.goto(`${stack.base}/portal/board/${mine}`);
  await Promise.all([page.waitForURL(/done=updated/), page.getByRole('button', { name: 'Als erledigt markieren' }).click()]);
  assert.match(await page.locator('.board-item__kind').textContent(), /erledigt/);
  await page.goto(`${stack.base}/portal/board`);
  assert.equal(await page.locator(`#post-${mine}`).count(), 0);

  await page.setViewportSize({ width: 320, height: 700 });
  for (const path of ['/portal/board', `/portal/board/${neighbourPost}`]) {
    await page.goto(`${stack.base}${path}`);
    assert.equal(await sidewaysScroll(page), 0, `nothing scrolls sideways at 320 px: ${path}`);
  }
  await page.context().close();
});

test('phone without script: posting and commenting still work', async () => {
  const page = await signedIn(nora, { javaScriptEnabled: false });
  await page.goto(`${stack.base}/portal/board`);
  await page.getByLabel('Titel', { exact: true }).fill('Schlüssel im Hof gefunden');
  await page.getByLabel('Art', { exact: true }).selectOption('lost_found');
  await page.getByLabel('Text', { exact: true }).fill('Am Fahrradständer.');
  await Promise.all([page.waitForURL(/done=created/), page.getByRole('button', { name: 'Veröffentlichen' }).click()]);
  await page.getByLabel('Ihr Kommentar').fill('Liegt jetzt bei der Verwaltung.');
  await Promise.all([page.waitForURL(/done=commented/), page.getByRole('button', { name: 'Kommentieren' }).click()]);
  assert.match(await page.locator('.board-comments').textContent(), /Liegt jetzt bei der Verwaltung\./);
  await page.context().close();
});
