// The board's pages as a browser without script uses them: the resident's
// /portal/board (kind filters, the form, a refused form shown again) and
// /portal/board/{id} (comments, follow, report, mark done, delete), safe
// links in people's text, the home section (shared by the property's
// residents, without one's pending posts), and the manager's tab of a
// property (switches, approve, hide, delete, comments) and the reports
// queue with its dismissal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, home, anna, ben, cara;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents community', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  home = (await newProperty(manager, 'Seitenbrett')).id;
  anna = await newResident(stack, manager, [home]);
  ben = await newResident(stack, manager, [home]);
  cara = await newResident(stack, manager, [home]);
  stack.sql(`UPDATE users SET name = 'Anna Albers' WHERE id = ${anna.id}`);
  stack.sql(`UPDATE users SET name = 'Ben Becker' WHERE id = ${ben.id}`);
});
after(async () => { await stack?.stop(); });

// A page's form as the browser sends it: urlencoded, the token in the body,
// the deployment's Origin. { status, location, html }.
async function submit(client, path, fields = {}) {
  const body = new URLSearchParams({ csrf_token: client.csrf, ...fields }).toString();
  const res = await stack.fetch(path, {
    method: 'POST',
    headers: { Cookie: client.cookie, 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body,
    redirect: 'manual',
  });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}
async function page(client, path) {
  const res = await client.fetch(path);
  assert.equal(res.status, 200, path);
  return res.text();
}
const count = (query) => Number(stack.sql(query).trim());
// The database round trips of the latest GET of route, from its log line.
const entry = (html, id) => new RegExp(`<li class="card board-item" id="post-${id}">([\\s\\S]*?)</li>\\s*(?:{{|<li class="card|</ul>)`).exec(html)?.[1] ?? null;

test('the resident posts through the form and reads the post with safe links', async () => {
  const empty = await page(anna, '/portal/board');
  assert.match(empty, /<h1>Schwarzes Brett<\/h1>/);
  assert.match(empty, /Noch keine Beiträge\./);
  assert.match(empty, /<option value="lost_found">Fundsache<\/option>/);
  const refused = await submit(anna, `/portal/properties/${home}/board`, { kind: 'offer', title: 'Ohne Text', body: '' });
  assert.equal(refused.status, 422);
  assert.match(refused.html, /role="alert"/);
  assert.match(refused.html, /value="Ohne Text"/, 'what was sent stays in the form');
  const past = await submit(anna, `/portal/properties/${home}/board`, { kind: 'offer', title: 'Alt', body: 'x', expires_on: '2020-01-01' });
  assert.equal(past.status, 422);
  assert.match(past.html, /Ablaufdatum darf nicht in der Vergangenheit/);
  assert.equal(count(`SELECT COUNT(*) FROM board_posts WHERE author_id = ${anna.id}`), 0);

  const sent = await submit(anna, `/portal/properties/${home}/board`, {
    kind: 'request', title: 'Suche <Bohrmaschine>', body: 'Siehe https://example.org/bohrer?a=1&b=2.\n<script>alert(1)</script> javascript:alert(2)', anonymous: 'on',
  });
  assert.equal(sent.status, 303);
  const id = Number(/\/portal\/board\/(\d+)\?done=created/.exec(sent.location)[1]);
  const html = await page(ben, `/portal/board/${id}`);
  assert.match(html, /<h1 id="post-title">Suche &lt;Bohrmaschine&gt;<\/h1>/);
  assert.match(html, /<a href="https:\/\/example.org\/bohrer\?a&#61;1&amp;b&#61;2" rel="nofollow noopener ugc">https:\/\/example.org\/bohrer\?a=1&amp;b=2<\/a>\./);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; javascript:alert\(2\)/);
  assert.doesNotMatch(html, /<script>alert/);
  assert.doesNotMatch(html, /Anna Albers/, 'anonymous to neighbours');
  assert.match(html, /class="muted">Anonym · /);
  assert.match(await page(anna, `/portal/board/${id}`), /Anna Albers \(ohne Namen veröffentlicht\)/, 'the author sees their name');
  const list = await page(ben, '/portal/board');
  assert.ok(entry(list, id), 'on the board');
  assert.match(await page(ben, '/portal/board?kind=request'), new RegExp(`id="post-${id}"`));
  assert.doesNotMatch(await page(ben, '/portal/board?kind=offer'), new RegExp(`id="post-${id}"`), 'the kind filter');
  assert.match(await page(ben, '/portal/board?kind=request'), /aria-current="page">Gesuch</);
});

test('the hot pages stay cheap: the list and the board page in two round trips, the home section from the cache', async () => {
  assert.ok(await stack.fewestTrips(ben, `/api/v1/properties/${home}/board`, '/api/v1/properties/{id}/board') <= 2, 'the list');
  assert.ok(await stack.fewestTrips(ben, '/portal/board', '/portal/board') <= 2, 'the board page');
  // who is asking, their properties, and the documents' own section (per
  // person, never cached): the board's section adds nothing once cached
  assert.ok(await stack.fewestTrips(ben, '/portal', '/portal') <= 3, 'the home');
});

test('several properties: a switcher, each board apart, pages that go on', async () => {
  const a = (await newProperty(manager, 'Aaa-Haus')).id;
  const b = (await newProperty(manager, 'Bbb-Haus')).id;
  const both = await newResident(stack, manager, [a, b]);
  const inA = [];
  for (const title of ['A eins', 'A zwei', 'A drei']) inA.push((await both.json(`/api/v1/properties/${a}/board`, { method: 'POST', body: { kind: 'info', title, body: 'x' } })).body.id);
  const inB = (await both.json(`/api/v1/properties/${b}/board`, { method: 'POST', body: { kind: 'info', title: 'B eins', body: 'x' } })).body.id;
  // attribute values as the page escapes them ('=' and '&'), read plainly
  const plain = (html) => html.replace(/&#61;/g, '=').replace(/&amp;/g, '&');
  const first = plain(await page(both, '/portal/board'));
  assert.match(first, new RegExp(`href="/portal/board\\?property=${a}" aria-current="page">Aaa-Haus<`), 'the first by name');
  assert.match(first, new RegExp(`href="/portal/board\\?property=${b}">Bbb-Haus<`));
  assert.ok(entry(first, inA[2]) && !entry(first, inB));
  const second = await page(both, `/portal/board?property=${b}`);
  assert.ok(entry(second, inB) && !entry(second, inA[0]));
  const foreign = await page(both, `/portal/board?property=${home}`);
  assert.ok(entry(foreign, inA[0]), 'a property not theirs: their first');
  const paged = plain(await page(both, `/portal/board?property=${a}&limit=2`));
  assert.ok(entry(paged, inA[2]) && entry(paged, inA[1]) && !entry(paged, inA[0]));
  const next = /href="(\/portal\/board\?property=\d+&after=[^"]+)"/.exec(paged)[1];
  const rest = await page(both, next);
  assert.ok(entry(rest, inA[0]) && !entry(rest, inA[2]), 'the next page goes on');
});

test('comments, follow and unfollow, report with a reason, mark done, delete', async () => {
  const id = (await anna.json(`/api/v1/properties/${home}/board`, { method: 'POST', body: { kind: 'offer', title: 'Einkaufen', body: 'Ich gehe Samstag' } })).body.id;
  let r = await submit(ben, `/portal/board/${id}/comments`, { body: 'Bitte Milch!\nUnd Brot.' });
  assert.equal(r.status, 303);
  assert.match(r.location, new RegExp(`/portal/board/${id}\\?done=commented`));
  let html = await page(ben, `/portal/board/${id}`);
  assert.match(html, /Bitte Milch!\nUnd Brot\./);
  assert.match(html, /Ben Becker/);
  assert.equal((await submit(ben, `/portal/board/${id}/comments`, { body: '' })).status, 422, 'an empty comment');
  const own = Number(stack.sql(`SELECT id FROM board_comments WHERE post_id = ${id} AND author_id = ${ben.id}`).trim());
  assert.match(html, new RegExp(`action="/portal/board/comments/${own}/delete"`), 'one\'s own comment has its delete button');
  assert.doesNotMatch(await page(anna, `/portal/board/${id}`), /\/portal\/board\/comments\/\d+\/delete/, 'not on others\' comments, even for the post\'s author');
  assert.equal((await submit(anna, `/portal/board/comments/${own}/delete`)).status, 403);
  const extra = (await ben.json(`/api/v1/board/${id}/comments`, { method: 'POST', body: { body: 'Doch nicht' } })).body.id;
  r = await submit(ben, `/portal/board/comments/${extra}/delete`);
  assert.equal(r.status, 303);
  assert.match(r.location, new RegExp(`/portal/board/${id}\\?done=deleted`));
  assert.equal(count(`SELECT COUNT(*) FROM board_comments WHERE id = ${extra}`), 0);
  r = await submit(ben, `/portal/board/${id}/follow`);
  assert.equal(r.status, 303);
  html = await page(ben, `/portal/board/${id}?done=followed`);
  assert.match(html, /Nicht mehr folgen/);
  assert.equal(count(`SELECT COUNT(*) FROM board_follows WHERE post_id = ${id} AND user_id = ${ben.id}`), 1);
  await submit(ben, `/portal/board/${id}/unfollow`);
  assert.equal(count(`SELECT COUNT(*) FROM board_follows WHERE post_id = ${id} AND user_id = ${ben.id}`), 0);
  assert.match(await page(ben, `/portal/board/${id}`), />Folgen</);
  assert.match(html, /<legend>Grund<\/legend>/);
  assert.equal((await submit(ben, `/portal/board/${id}/report`, { reason: 'spam', note: 'Werbung' })).status, 303);
  assert.equal(count(`SELECT COUNT(*) FROM board_reports WHERE post_id = ${id} AND reporter_id = ${ben.id} AND reason = 'spam'`), 1);
  assert.doesNotMatch(await page(anna, `/portal/board/${id}`), /Beitrag melden/, 'no report of one\'s own post');
  assert.doesNotMatch(await page(ben, `/portal/board/${id}`), /Als erledigt markieren/, 'only its author marks it done');
  assert.equal((await submit(ben, `/portal/board/${id}/edit`, { done: 'true' })).status, 403);
  assert.equal((await submit(anna, `/portal/board/${id}/edit`, { done: 'true' })).status, 303);
  assert.doesNotMatch(await page(ben, '/portal/board'), new RegExp(`id="post-${id}"`), 'done: off the list');
  assert.match(await page(ben, '/portal/board?include_done=1'), new RegExp(`id="post-${id}"[\\s\\S]*?erledigt`));
  r = await submit(anna, `/portal/board/${id}/delete`);
  assert.equal(r.status, 303);
  assert.match(r.location, new RegExp(`/portal/board\\?property=${home}&done=deleted`));
  assert.equal((await ben.fetch(`/portal/board/${id}`)).status, 404);
});

test('the home: the newest posts, alike for the residents, one\'s pending posts left out', async () => {
  const p = (await newProperty(manager, 'Startseitenhaus')).id;
  const [dora, emil] = [await newResident(stack, manager, [p]), await newResident(stack, manager, [p])];
  await dora.json(`/api/v1/properties/${p}/board`, { method: 'POST', body: { kind: 'giveaway', title: 'Sessel zu verschenken', body: 'Abholen im 2. OG' } });
  const section = (html) => /<section class="card home-board"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  assert.match(section(await page(emil, '/portal')), /Sessel zu verschenken/);
  assert.match(section(await page(emil, '/portal')), /Zu verschenken/);
  await manager.json(`/api/v1/properties/${p}/board/settings`, { method: 'PATCH', body: { approve_first_posts: true } });
  const held = (await emil.json(`/api/v1/properties/${p}/board`, { method: 'POST', body: { kind: 'info', title: 'Wartet noch', body: 'x' } })).body;
  assert.equal(held.state, 'pending');
  assert.doesNotMatch(section(await page(emil, '/portal')), /Wartet noch/, 'not even for its author: the section is shared');
  await manager.json(`/api/v1/board/${held.id}/approve`, { method: 'POST' });
  assert.match(section(await page(dora, '/portal')), /Wartet noch/, 'once approved, at once (the cache is invalidated)');
  await manager.json(`/api/v1/properties/${p}/board/settings`, { method: 'PATCH', body: { enabled: false } });
  assert.equal(section(await page(dora, '/portal')), '', 'a board switched off is no section');
  assert.doesNotMatch(await page(dora, '/portal/board'), /Sessel/);
});

test('the manager\'s tab: switches, approve, hide with a reason, delete a post and a comment', async () => {
  const propertyPage = await page(manager, `/app/properties/${home}`);
  assert.match(propertyPage, new RegExp(`href="/app/properties/${home}/board">Schwarzes Brett<`), 'a tab of the property');
  const id = (await cara.json(`/api/v1/properties/${home}/board`, { method: 'POST', body: { kind: 'info', title: 'Laute Party', body: 'Samstag bis 3 Uhr', anonymous: true } })).body.id;
  const comment = (await ben.json(`/api/v1/board/${id}/comments`, { method: 'POST', body: { body: 'Bitte leiser' } })).body.id;
  let html = await page(manager, `/app/properties/${home}/board`);
  assert.match(html, /<input type="checkbox" name="enabled" value="on" checked> Schwarzes Brett/, 'on by default');
  assert.match(html, /<input type="checkbox" name="approve_first_posts" value="on" aria-describedby="board-approve-hint"> Neue Beiträge prüfen/, '"Neue Beiträge prüfen" off by default');
  assert.match(entry(html, id), /Rita Resident \(ohne Namen veröffentlicht\)/, 'managers see the name');
  assert.match(entry(html, id), /Bitte leiser/);
  let r = await submit(manager, `/app/board/${id}/hide`, { reason: '' });
  assert.equal(r.status, 422, 'a reason is required');
  assert.match(r.html, /role="alert"/);
  assert.match(r.html, /<h1>Schwarzes Brett: Seitenbrett<\/h1>/, 'the board again, around the error');
  r = await submit(manager, `/app/board/${id}/hide`, { reason: 'Ruhestörung ist kein Thema fürs Brett' });
  assert.equal(r.status, 303);
  assert.match(r.location, new RegExp(`/app/properties/${home}/board\\?done=hidden#post-${id}`));
  html = await page(manager, r.location.replace(/#.*/, ''));
  assert.match(entry(html, id), /ausgeblendet/);
  assert.match(entry(html, id), /Ruhestörung ist kein Thema/);
  assert.equal((await ben.fetch(`/portal/board/${id}`)).status, 404);
  assert.equal((await submit(manager, `/app/board/comments/${comment}/delete`)).status, 303);
  assert.equal(count(`SELECT COUNT(*) FROM board_comments WHERE id = ${comment}`), 0);
  assert.equal((await submit(manager, `/app/board/${id}/delete`)).status, 303);
  assert.equal(count(`SELECT COUNT(*) FROM board_posts WHERE id = ${id}`), 0);

  r = await submit(manager, `/app/properties/${home}/board/settings`, { enabled: 'on', approve_first_posts: 'on' });
  assert.equal(r.status, 303);
  html = await page(manager, `/app/properties/${home}/board`);
  assert.match(html, /name="approve_first_posts" value="on"[^>]*checked/);
  const fresh = await newResident(stack, manager, [home]);
  const pending = (await fresh.json(`/api/v1/properties/${home}/board`, { method: 'POST', body: { kind: 'offer', title: 'Neu hier', body: 'Hallo' } })).body;
  assert.equal(pending.state, 'pending');
  html = await page(manager, `/app/properties/${home}/board`);
  assert.match(entry(html, pending.id), /wartet auf Freigabe/);
  assert.match(entry(html, pending.id), new RegExp(`action="/app/board/${pending.id}/approve"`));
  assert.equal((await submit(manager, `/app/board/${pending.id}/approve`)).status, 303);
  assert.equal((await ben.fetch(`/portal/board/${pending.id}`)).status, 200);
  await submit(manager, `/app/properties/${home}/board/settings`, { enabled: 'on' });
  assert.equal(count(`SELECT approve_first_posts FROM board_settings WHERE property_id = ${home}`), 0, 'an unticked box is off');
  await submit(manager, `/app/properties/${home}/board/settings`, {});
  assert.equal((await ben.fetch('/portal/board/' + pending.id)).status, 404, 'switched off');
  await submit(manager, `/app/properties/${home}/board/settings`, { enabled: 'on' });
});

test('the reports queue: reasons and count, dismiss shows the post again', async () => {
  const id = (await cara.json(`/api/v1/properties/${home}/board`, { method: 'POST', body: { kind: 'info', title: 'Gemeldet', body: 'x' } })).body.id;
  for (const [client, reason] of [[anna, 'insult'], [ben, 'personal_data']]) {
    await client.json(`/api/v1/board/${id}/report`, { method: 'POST', body: { reason, note: 'Bitte prüfen' } });
  }
  const dora = await newResident(stack, manager, [home]);
  await dora.json(`/api/v1/board/${id}/report`, { method: 'POST', body: { reason: 'other' } });
  assert.equal((await ben.fetch(`/portal/board/${id}`)).status, 404, 'hidden by three reports');
  const html = await page(manager, '/app/board/reports');
  assert.match(html, /<h1>Gemeldete Beiträge<\/h1>/);
  assert.match(html, /Gemeldet/);
  assert.match(html, /3 Bewohner haben den Beitrag gemeldet/);
  assert.match(html, /Beleidigung: Bitte prüfen/);
  assert.match(html, /Persönliche Daten/);
  const reportId = Number(new RegExp(`id="report-(\\d+)"[\\s\\S]*?/app/board/${id}/hide`).exec(html)[1]);
  const r = await submit(manager, `/app/board/reports/${reportId}/dismiss`);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/app/board/reports?done=dismissed');
  assert.equal((await ben.fetch(`/portal/board/${id}`)).status, 200, 'shown again');
  assert.match(await page(manager, r.location), /Keine offenen Meldungen|Die Meldungen sind abgewiesen/);
  assert.equal((await anna.fetch('/app/board/reports')).status, 404, 'not for residents');
});

test('"Schwarzes Brett" among the resident\'s mail settings: unticked, board mail is off', async () => {
  const html = await page(cara, '/portal/settings');
  assert.match(html, /<input type="checkbox" id="n-board" name="board" value="on" aria-describedby="n-board-hint" checked>/);
  assert.match(html, /id="n-board-hint"[^>]*>Neue Kommentare zu Ihren Beiträgen und zu Beiträgen, denen Sie folgen/);
  // the form sends only the ticked boxes: every other kind stays on
  const kinds = Object.keys((await cara.json('/api/v1/me/notifications')).body).filter((k) => k !== 'board');
  const r = await submit(cara, '/portal/settings', Object.fromEntries(kinds.map((k) => [k, 'on'])));
  assert.equal(r.status, 303);
  const now = (await cara.json('/api/v1/me/notifications')).body;
  assert.equal(now.board, false);
  assert.ok(kinds.every((k) => now[k] === true));
});
