// The community board against the whole stack: every route and role, who
// sees what (residents, pending members, managers, another organisation),
// anonymity as residents and managers see it, bad input that stores
// nothing, the rate limits, moderation (hide with its mail, the report
// threshold of three residents and a dismissal, approval of first posts, the
// board switched off) and the hourly mail about new comments, sent by the
// jobs worker as the stack's clock moves on (stack.setClock).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, decodeWords, mailParts } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, other, home, neighbour, anna, ben, cara, dora, pending, elsewhere;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents community', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  other = await newManager(stack); // another organisation
  home = (await newProperty(manager, 'Brettstraße 1')).id;
  neighbour = (await newProperty(manager, 'Nachbarhaus')).id;
  const named = async (name, props, opts) => {
    const r = await newResident(stack, manager, props, opts);
    stack.sql(`UPDATE users SET name = '${name}' WHERE id = ${r.id}`);
    return r;
  };
  anna = await named('Anna Albers', [home]);
  ben = await named('Ben Becker', [home]);
  cara = await named('Cara Conrad', [home]);
  dora = await named('Dora Dietz', [home]);
  pending = await named('Paul Pending', [home], { state: 'pending' });
  elsewhere = await named('Erik Else', [neighbour]);
});
after(async () => { await stack?.stop(); });

const count = (query) => Number(stack.sql(query).trim());
const board = (p = home) => `/api/v1/properties/${p}/board`;
async function post(client, body, p = home, status = 201) {
  const res = await client.json(board(p), { method: 'POST', body: { kind: 'offer', title: 'Ich gehe einkaufen', body: 'Wer braucht etwas?', ...body } });
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
}
const ids = async (client, query = '', p = home) => {
  const res = await client.json(`${board(p)}${query}`);
  return res.status === 200 ? res.body.items.map((x) => x.id) : res.status;
};
const today = () => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(new Date());
const dayFrom = (days) => {
  const d = new Date(`${today()}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

test('a post: its shape, expiry by kind, newest first, kind filter, keyset pages', async () => {
  const offer = await post(anna, { kind: 'offer', title: 'Ich gehe für Nachbarn einkaufen' });
  assert.deepEqual(Object.keys(offer).sort(), ['author', 'body', 'comments_count', 'created_at', 'done', 'expires_on', 'following', 'hidden', 'hidden_reason', 'id', 'kind', 'mine', 'property_id', 'state', 'title']);
  assert.deepEqual([offer.kind, offer.state, offer.done, offer.hidden, offer.hidden_reason, offer.comments_count, offer.mine, offer.following],
    ['offer', 'published', false, false, null, 0, true, true]);
  assert.deepEqual(offer.author, { display_name: 'Anna Albers' }, 'the display name only: no email, no unit');
  assert.equal(offer.expires_on, dayFrom(30), 'offers expire after 30 days');
  assert.match(offer.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const request = await post(ben, { kind: 'request', title: 'Suche Bohrmaschine' });
  assert.equal(request.expires_on, dayFrom(30), 'requests too');
  const found = await post(cara, { kind: 'lost_found', title: 'Schlüssel im Hof gefunden' });
  assert.equal(found.expires_on, null, 'other kinds keep no expiry unless given');
  const info = await post(cara, { kind: 'info', title: 'Hoffest', expires_on: dayFrom(3) });
  assert.equal(info.expires_on, dayFrom(3));
  const give = await post(manager, { kind: 'giveaway', title: 'Sessel zu verschenken', expires_on: today() });
  assert.equal(give.expires_on, today(), 'today is not in the past');

  for (const client of [anna, dora, manager]) {
    const list = await ids(client);
    assert.deepEqual(list.slice(0, 5), [give.id, info.id, found.id, request.id, offer.id], 'newest first');
  }
  assert.deepEqual((await ids(dora, '?kind=lost_found')), [found.id]);
  const page = await dora.json(`${board()}?limit=2`);
  assert.deepEqual(page.body.items.map((x) => x.id), [give.id, info.id]);
  const rest = await dora.json(`${board()}?limit=2&after=${encodeURIComponent(page.body.next)}`);
  assert.deepEqual(rest.body.items.map((x) => x.id), [found.id, request.id]);
  assert.equal((await dora.json(`${board()}?after=%%%`)).status, 400, 'a malformed cursor');
  assert.equal((await dora.json(`${board()}?kind=party`)).status, 422);

  const one = await dora.json(`/api/v1/board/${request.id}`);
  assert.equal(one.status, 200);
  assert.deepEqual(one.body.comments, []);
  assert.equal(one.body.mine, false);
  assert.equal(one.body.following, false);
  assert.equal(JSON.stringify(one.body).includes(ben.email), false);
});

test('who sees a board: its residents and the organisation\'s managers; 404 for everyone else', async () => {
  const p = await post(anna, { title: 'Nur für das Haus' });
  assert.equal((await pending.json(board())).status, 404, 'a pending membership sees nothing');
  assert.equal((await pending.json(`/api/v1/board/${p.id}`)).status, 404);
  assert.equal((await pending.json(board(), { method: 'POST', body: { kind: 'info', title: 'x', body: 'y' } })).status, 404);
  assert.equal((await elsewhere.json(board())).status, 404, 'a resident of another property');
  assert.equal((await elsewhere.json(`/api/v1/board/${p.id}`)).status, 404);
  assert.equal((await elsewhere.json(`/api/v1/board/${p.id}/comments`, { method: 'POST', body: { body: 'x' } })).status, 404);
  assert.equal((await elsewhere.json(`/api/v1/board/${p.id}/report`, { method: 'POST', body: { reason: 'spam' } })).status, 404);
  assert.equal((await elsewhere.fetch(`/api/v1/board/${p.id}/follow`, { method: 'POST' })).status, 404);
  for (const [method, path, body] of [
    ['GET', board()], ['POST', board(), { kind: 'info', title: 'x', body: 'y' }], ['GET', `/api/v1/board/${p.id}`],
    ['PATCH', `/api/v1/board/${p.id}`, { title: 'gekapert' }], ['DELETE', `/api/v1/board/${p.id}`],
    ['POST', `/api/v1/board/${p.id}/comments`, { body: 'x' }], ['POST', `/api/v1/board/${p.id}/hide`, { reason: 'x' }],
    ['POST', `/api/v1/board/${p.id}/approve`], ['POST', `/api/v1/board/${p.id}/report`, { reason: 'spam' }],
    ['PATCH', `${board()}/settings`, { enabled: false }],
  ]) {
    assert.equal((await other.json(path, { method, body })).status, 404, `another organisation: ${method} ${path}`);
  }
  assert.deepEqual((await other.json('/api/v1/board/reports')).body.items, [], 'another organisation\'s reports are not theirs');
  // manager-only routes are 404 to residents; following is the residents'
  assert.equal((await anna.json('/api/v1/board/reports')).status, 404);
  assert.equal((await ben.json(`/api/v1/board/${p.id}/hide`, { method: 'POST', body: { reason: 'x' } })).status, 404);
  assert.equal((await ben.json(`/api/v1/board/${p.id}/approve`, { method: 'POST' })).status, 404);
  assert.equal((await ben.json(`${board()}/settings`, { method: 'PATCH', body: { enabled: false } })).status, 404);
  assert.equal((await manager.fetch(`/api/v1/board/${p.id}/follow`, { method: 'POST' })).status, 404);
  assert.equal((await stack.fetch(board())).status, 401);
  assert.equal((await stack.fetch(`/api/v1/board/${p.id}`, { method: 'DELETE', headers: { Cookie: anna.cookie } })).status, 403, 'CSRF');
  assert.equal(stack.sql(`SELECT title FROM board_posts WHERE id = ${p.id}`).trim(), 'Nur für das Haus');
});

test('anonymity: residents see no name, the author and the managers do', async () => {
  const p = await post(anna, { anonymous: true, title: 'Anonymes Angebot' });
  assert.deepEqual(p.author, { display_name: 'Anna Albers', anonymous: true }, 'the author sees their name');
  const seen = (await ben.json(`/api/v1/board/${p.id}`)).body;
  assert.deepEqual(seen.author, { display_name: null, anonymous: true });
  assert.equal(JSON.stringify(seen).includes('Anna'), false);
  const inList = (await ben.json(board())).body.items.find((x) => x.id === p.id);
  assert.deepEqual(inList.author, { display_name: null, anonymous: true });
  assert.deepEqual((await manager.json(`/api/v1/board/${p.id}`)).body.author, { display_name: 'Anna Albers', anonymous: true });
  // the author's own comment under it stays as anonymous as the post
  await anna.json(`/api/v1/board/${p.id}/comments`, { method: 'POST', body: { body: 'Noch frei' } });
  await ben.json(`/api/v1/board/${p.id}/comments`, { method: 'POST', body: { body: 'Gern!' } });
  const comments = (await cara.json(`/api/v1/board/${p.id}`)).body.comments;
  assert.deepEqual(comments.map((c) => [c.body, c.author]), [['Noch frei', { display_name: null, anonymous: true }], ['Gern!', { display_name: 'Ben Becker' }]]);
  const byManager = (await manager.json(`/api/v1/board/${p.id}`)).body.comments;
  assert.deepEqual(byManager[0].author, { display_name: 'Anna Albers', anonymous: true });
  // the home's section of the neighbours: the post, without the name
  const res = await ben.fetch('/portal');
  const section = /<section class="card home-board"[\s\S]*?<\/section>/.exec(await res.text())?.[0] ?? '';
  const item = new RegExp(`<li>\\s*<span class="badge">[^<]*</span>\\s*<a href="/portal/board/${p.id}">Anonymes Angebot</a>[\\s\\S]*?</li>`).exec(section)?.[0];
  assert.ok(item, section);
  assert.doesNotMatch(item, /Anna Albers/);
});

test('bad input: clear errors on the field, and nothing stored', async () => {
  const before = count('SELECT COUNT(*) FROM board_posts');
  const cases = [
    [{ kind: 'party' }, 'kind'], [{ kind: undefined }, 'kind'], [{ title: '' }, 'title'], [{ title: 'x'.repeat(201) }, 'title'],
    [{ body: '' }, 'body'], [{ body: '   ' }, 'body'], [{ body: 'x'.repeat(5001) }, 'body'], [{ title: 'a\u0001b' }, 'title'],
    [{ expires_on: dayFrom(-1) }, 'expires_on'], [{ expires_on: '2026-13-45' }, 'expires_on'], [{ anonymous: 'vielleicht' }, 'anonymous'],
  ];
  for (const [body, field] of cases) {
    const res = await anna.json(board(), { method: 'POST', body: { kind: 'offer', title: 'T', body: 'B', ...body } });
    assert.equal(res.status, 422, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, field, JSON.stringify(body));
  }
  assert.equal(count('SELECT COUNT(*) FROM board_posts'), before, 'no post stored');
  const p = await post(anna, { title: 'Richtig' });
  const comments = count('SELECT COUNT(*) FROM board_comments');
  for (const body of [{ body: '' }, { body: 'x'.repeat(2001) }, {}]) {
    const res = await ben.json(`/api/v1/board/${p.id}/comments`, { method: 'POST', body });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.field, 'body');
  }
  assert.equal(count('SELECT COUNT(*) FROM board_comments'), comments);
  const past = await anna.json(`/api/v1/board/${p.id}`, { method: 'PATCH', body: { expires_on: dayFrom(-2) } });
  assert.equal(past.status, 422);
  assert.equal(past.body.error.field, 'expires_on');
  assert.equal((await ben.json(`/api/v1/board/${p.id}/report`, { method: 'POST', body: { reason: 'boring' } })).body.error.field, 'reason');
  assert.equal((await manager.json(`/api/v1/board/${p.id}/hide`, { method: 'POST', body: {} })).body.error.field, 'reason');
  assert.equal((await manager.json(`/api/v1/board/${p.id}/hide`, { method: 'POST', body: { reason: '' } })).status, 422);
  const own = await anna.json(`/api/v1/board/${p.id}/report`, { method: 'POST', body: { reason: 'spam' } });
  assert.equal(own.status, 422, 'reporting one\'s own post');
  assert.equal(count(`SELECT COUNT(*) FROM board_reports WHERE post_id = ${p.id}`), 0);
  // another property's board, and a post of another property: not there
  // for this resident, and nothing of what was sent is stored
  assert.equal((await anna.json(`${board(neighbour)}`)).status, 404);
  const theirs = await post(elsewhere, { title: 'Nebenan' }, neighbour);
  const stored = () => ['board_posts', 'board_comments', 'board_reports', 'board_follows'].map((t) => count(`SELECT COUNT(*) FROM ${t}`));
  const was = stored();
  for (const [method, path, body] of [['POST', board(neighbour), { kind: 'info', title: 'Fremd', body: 'x' }],
    ['GET', `/api/v1/board/${theirs.id}`], ['PATCH', `/api/v1/board/${theirs.id}`, { done: true }],
    ['POST', `/api/v1/board/${theirs.id}/comments`, { body: 'x' }], ['POST', `/api/v1/board/${theirs.id}/report`, { reason: 'spam' }],
    ['POST', `/api/v1/board/${theirs.id}/follow`], ['DELETE', `/api/v1/board/${theirs.id}`]]) {
    const res = await anna.json(path, { method, body });
    assert.deepEqual([res.status, res.body.error.code], [404, 'not_found'], `${method} ${path}`);
  }
  assert.deepEqual(stored(), was, 'nothing stored');
  assert.equal((await elsewhere.json(`/api/v1/board/${theirs.id}`)).body.done, false);
  // a deleted post
  assert.equal((await anna.fetch(`/api/v1/board/${p.id}`, { method: 'DELETE' })).status, 204);
  for (const [method, path, body] of [['GET', `/api/v1/board/${p.id}`], ['PATCH', `/api/v1/board/${p.id}`, { title: 'x' }],
    ['POST', `/api/v1/board/${p.id}/comments`, { body: 'x' }], ['POST', `/api/v1/board/${p.id}/report`, { reason: 'spam' }],
    ['DELETE', `/api/v1/board/${p.id}`]]) {
    const res = await ben.json(path, { method, body });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.body.error.code, 'not_found');
  }
});

test('changes: only the author edits; done and expired posts leave the board but stay reachable', async () => {
  const p = await post(ben, { kind: 'request', title: 'Suche Leiter' });
  const forbidden = await anna.json(`/api/v1/board/${p.id}`, { method: 'PATCH', body: { title: 'Meins' } });
  assert.equal(forbidden.status, 403, 'a reader may see but not change it');
  assert.equal((await manager.json(`/api/v1/board/${p.id}`, { method: 'PATCH', body: { title: 'x' } })).status, 403);
  const edited = await ben.json(`/api/v1/board/${p.id}`, { method: 'PATCH', body: { title: 'Suche lange Leiter', body: 'Bis 3 m' } });
  assert.equal(edited.status, 200);
  assert.deepEqual([edited.body.title, edited.body.body], ['Suche lange Leiter', 'Bis 3 m']);
  const done = await ben.json(`/api/v1/board/${p.id}`, { method: 'PATCH', body: { done: true } });
  assert.equal(done.body.done, true);
  assert.ok(!(await ids(anna)).includes(p.id), 'done: off the board');
  assert.ok((await ids(anna, '?include_done=true')).includes(p.id), 'with include_done');
  assert.equal((await anna.json(`/api/v1/board/${p.id}`)).status, 200, 'and reachable');
  const old = await post(ben, { kind: 'info', title: 'Abgelaufen' });
  stack.sql(`UPDATE board_posts SET expires_on = '${dayFrom(-1)}' WHERE id = ${old.id}`);
  assert.ok(!(await ids(anna)).includes(old.id), 'expired: off the board');
  assert.ok((await ids(anna, '?include_done=1')).includes(old.id));
  const cleared = await ben.json(`/api/v1/board/${old.id}`, { method: 'PATCH', body: { expires_on: null } });
  assert.equal(cleared.body.expires_on, null);
  assert.ok((await ids(anna)).includes(old.id), 'without expiry it is back');
});

test('deleting: the author or a manager; a post\'s author cannot delete other people\'s comments', async () => {
  const p = await post(anna, { title: 'Zum Löschen' });
  const c1 = (await ben.json(`/api/v1/board/${p.id}/comments`, { method: 'POST', body: { body: 'Von Ben' } })).body;
  const c2 = (await anna.json(`/api/v1/board/${p.id}/comments`, { method: 'POST', body: { body: 'Von Anna' } })).body;
  const c3 = (await cara.json(`/api/v1/board/${p.id}/comments`, { method: 'POST', body: { body: 'Von Cara' } })).body;
  assert.deepEqual([c1.body, c1.author, c1.mine], ['Von Ben', { display_name: 'Ben Becker' }, true]);
  assert.equal((await anna.fetch(`/api/v1/board/comments/${c1.id}`, { method: 'DELETE' })).status, 403, 'the post\'s author');
  assert.equal((await cara.fetch(`/api/v1/board/comments/${c1.id}`, { method: 'DELETE' })).status, 403);
  assert.equal((await elsewhere.fetch(`/api/v1/board/comments/${c1.id}`, { method: 'DELETE' })).status, 404);
  assert.equal((await other.fetch(`/api/v1/board/comments/${c1.id}`, { method: 'DELETE' })).status, 404);
  assert.equal((await ben.fetch(`/api/v1/board/comments/${c1.id}`, { method: 'DELETE' })).status, 204, 'its author');
  assert.equal((await manager.fetch(`/api/v1/board/comments/${c3.id}`, { method: 'DELETE' })).status, 204, 'a manager');
  assert.equal((await ben.fetch(`/api/v1/board/comments/${c1.id}`, { method: 'DELETE' })).status, 404, 'gone');
  assert.deepEqual((await anna.json(`/api/v1/board/${p.id}`)).body.comments.map((c) => c.id), [c2.id]);
  assert.equal((await anna.json(`/api/v1/board/${p.id}`)).body.comments_count, 1);
  assert.equal((await ben.fetch(`/api/v1/board/${p.id}`, { method: 'DELETE' })).status, 403, 'a reader');
  assert.equal((await manager.fetch(`/api/v1/board/${p.id}`, { method: 'DELETE' })).status, 204, 'a manager');
  assert.equal(count(`SELECT COUNT(*) FROM board_comments WHERE post_id = ${p.id}`), 0, 'its comments went with it');
});

test('hiding: seen only by managers and, with the reason, by the author, who is mailed the reason', async () => {
  const p = await post(dora, { title: 'Ärger im Hof' });
  const res = await manager.json(`/api/v1/board/${p.id}/hide`, { method: 'POST', body: { reason: 'Persönliche Angriffe auf Nachbarn' } });
  assert.equal(res.status, 200);
  assert.deepEqual([res.body.hidden, res.body.hidden_reason], [true, 'Persönliche Angriffe auf Nachbarn']);
  assert.equal((await anna.json(`/api/v1/board/${p.id}`)).status, 404, 'other residents');
  assert.ok(!(await ids(anna, '?include_done=true')).includes(p.id));
  const mine = await dora.json(`/api/v1/board/${p.id}`);
  assert.deepEqual([mine.status, mine.body.hidden, mine.body.hidden_reason], [200, true, 'Persönliche Angriffe auf Nachbarn']);
  assert.ok((await ids(dora)).includes(p.id), 'the author still lists it');
  assert.ok((await ids(manager)).includes(p.id));
  const [mail] = await stack.waitForMail((m) => (m.headers.to || '').includes(dora.email) && /ausgeblendet/.test(decodeWords(m.headers.subject)));
  assert.equal(decodeWords(mail.headers.subject), 'Ihr Beitrag „Ärger im Hof“ wurde ausgeblendet');
  const text = mailParts(mail).find((x) => x.type === 'text/plain').text;
  assert.match(text, /Begründung: Persönliche Angriffe auf Nachbarn/);
  assert.equal(count(`SELECT COUNT(*) FROM outbox WHERE kind = 'board_hidden' AND to_addr = '${dora.email}'`), 1);

  // in English for an English reader; nothing to an address nobody confirmed
  const eve = await newResident(stack, manager, [home]);
  stack.sql(`UPDATE users SET locale = 'en' WHERE id = ${eve.id}`);
  const english = await post(eve, { title: 'Party tonight' });
  await manager.json(`/api/v1/board/${english.id}/hide`, { method: 'POST', body: { reason: 'Not for the board' } });
  const [en] = await stack.waitForMail((m) => (m.headers.to || '').includes(eve.email));
  assert.equal(decodeWords(en.headers.subject), 'Your post "Party tonight" was hidden');
  assert.match(mailParts(en).find((x) => x.type === 'text/plain').text, /Reason: Not for the board/);
  const fresh = await newResident(stack, manager, [home]);
  stack.sql(`UPDATE users SET email_confirmed_at = NULL WHERE id = ${fresh.id}`);
  const unconfirmed = await post(fresh, { title: 'Unbestätigt' });
  assert.equal((await manager.json(`/api/v1/board/${unconfirmed.id}/hide`, { method: 'POST', body: { reason: 'x' } })).status, 200);
  assert.equal(count(`SELECT COUNT(*) FROM outbox WHERE to_addr = '${fresh.email}' AND kind = 'board_hidden'`), 0);
});

// Reports of one post take turns on its row: at the same instant each saw
// too few reports to hide it, or held the row shared while waiting to hide
// it and was refused as a deadlock (503).
test('residents reporting a post at the same instant: none refused, and the post is hidden', async () => {
  const readers = [];
  for (let i = 0; i < 10; i++) readers.push(await newResident(stack, manager, [home]));
  for (const title of ['Werbung eins', 'Werbung zwei', 'Werbung drei']) {
    const p = await post(dora, { title });
    const answers = await Promise.all(readers.map((r) =>
      r.json(`/api/v1/board/${p.id}/report`, { method: 'POST', body: { reason: 'spam' } })));
    const statuses = answers.map((r) => r.status);
    // those that came after it was hidden no longer see it
    assert.ok(statuses.every((s) => s === 202 || s === 404), statuses.join(' '));
    assert.ok(statuses.filter((s) => s === 202).length >= 3, statuses.join(' '));
    assert.equal((await ben.json(`/api/v1/board/${p.id}`)).status, 404, 'hidden');
    const queue = (await manager.json('/api/v1/board/reports')).body.items.find((x) => x.post.id === p.id);
    assert.equal(queue.count, statuses.filter((s) => s === 202).length);
    assert.equal((await manager.json(`/api/v1/board/reports/${queue.id}/dismiss`, { method: 'POST' })).status, 200);
  }
});

test('reports: three different residents hide the post, a second report counts once, a dismissal shows it again', async () => {
  const p = await post(dora, { title: 'Werbung für meinen Laden' });
  const reportMails = () => count(`SELECT COUNT(*) FROM outbox WHERE kind = 'board_report' AND to_addr = '${manager.email}'`);
  const mailsBefore = reportMails();
  const report = (client, reason, note) => client.json(`/api/v1/board/${p.id}/report`, { method: 'POST', body: { reason, note } });
  assert.equal((await report(anna, 'spam', 'Reklame')).status, 202);
  assert.equal((await report(anna, 'spam', 'Reklame')).status, 202, 'again');
  assert.equal((await report(anna, 'insult')).status, 202, 'and again, with another reason');
  assert.equal((await report(ben, 'spam')).status, 202);
  assert.equal(reportMails(), mailsBefore + 2, 'the managers are mailed once per reader');
  let queue = (await manager.json('/api/v1/board/reports')).body.items.find((x) => x.post.id === p.id);
  assert.deepEqual([queue.count, queue.hidden, queue.post.title, queue.post.property], [2, false, 'Werbung für meinen Laden', { id: home, name: 'Brettstraße 1' }]);
  assert.deepEqual(queue.reasons.map((r) => r.reason).sort(), ['insult', 'spam']);
  assert.ok((await ids(cara)).includes(p.id), 'two residents do not hide it');
  assert.equal((await report(manager, 'other', 'Verwaltung')).status, 202);
  assert.ok((await ids(cara)).includes(p.id), 'a manager\'s report is no resident\'s');
  assert.equal((await report(cara, 'personal_data')).status, 202);
  assert.ok(!(await ids(ben)).includes(p.id), 'the third resident hides it');
  assert.equal((await ben.json(`/api/v1/board/${p.id}`)).status, 404);
  assert.equal((await dora.json(`/api/v1/board/${p.id}`)).body.hidden, true, 'its author sees it hidden');
  queue = (await manager.json('/api/v1/board/reports')).body.items.find((x) => x.post.id === p.id);
  assert.deepEqual([queue.count, queue.hidden], [3, true]);
  const [mail] = await stack.waitForMail((m) => (m.headers.to || '').includes(manager.email) && /Gemeldeter Beitrag/.test(decodeWords(m.headers.subject)));
  assert.match(mailParts(mail).find((x) => x.type === 'text/plain').text, /Liegenschaft: Brettstraße 1/);
  assert.equal((await anna.json(`/api/v1/board/reports/${queue.id}/dismiss`, { method: 'POST' })).status, 404);
  const dismissed = await manager.json(`/api/v1/board/reports/${queue.id}/dismiss`, { method: 'POST' });
  assert.equal(dismissed.status, 200);
  assert.equal(dismissed.body.hidden, false);
  assert.ok((await ids(ben)).includes(p.id), 'shown again');
  assert.equal((await manager.json('/api/v1/board/reports')).body.items.some((x) => x.post.id === p.id), false, 'no open report left');
  assert.equal((await manager.json(`/api/v1/board/reports/${queue.id}/dismiss`, { method: 'POST' })).status, 404, 'decided');
  // a post a manager hid stays hidden when its reports are dismissed
  await report(anna, 'insult');
  const again = (await manager.json('/api/v1/board/reports')).body.items.find((x) => x.post.id === p.id);
  await manager.json(`/api/v1/board/${p.id}/hide`, { method: 'POST', body: { reason: 'Werbung' } });
  assert.equal((await manager.json('/api/v1/board/reports')).body.items.some((x) => x.post.id === p.id), false, 'hiding decides');
  assert.equal((await manager.json(`/api/v1/board/reports/${again.id}/dismiss`, { method: 'POST' })).status, 404);
  assert.equal((await ben.json(`/api/v1/board/${p.id}`)).status, 404);
});

test('the threshold is a setting', async () => {
  stack.setConf({ 'community.report_threshold': 1 });
  await stack.reload();
  try {
    const p = await post(dora, { title: 'Schon einmal gemeldet' });
    await anna.json(`/api/v1/board/${p.id}/report`, { method: 'POST', body: { reason: 'other' } });
    assert.equal((await ben.json(`/api/v1/board/${p.id}`)).status, 404);
  } finally {
    stack.withoutConf('community.report_threshold');
    await stack.reload();
  }
});

test('a resident who reports every post weighs no more than one who reports once', async () => {
  const p = (await newProperty(manager, 'Meldehaus')).id;
  const [author, serial, once, third] = await Promise.all([1, 2, 3, 4].map(() => newResident(stack, manager, [p])));
  const posts = [];
  for (const title of ['Eins', 'Zwei', 'Drei', 'Vier']) posts.push((await post(author, { title }, p)).id);
  for (const id of posts) {
    for (const reason of ['spam', 'insult', 'other']) {
      assert.equal((await serial.json(`/api/v1/board/${id}/report`, { method: 'POST', body: { reason } })).status, 202);
    }
  }
  const queue = async () => Object.fromEntries((await manager.json('/api/v1/board/reports')).body.items
    .filter((x) => posts.includes(x.post.id)).map((x) => [x.post.id, [x.count, x.hidden]]));
  assert.deepEqual(await queue(), Object.fromEntries(posts.map((id) => [id, [1, false]])), 'one resident, one voice a post');
  assert.deepEqual((await ids(third, '', p)).sort(), [...posts].sort(), 'nothing hidden');
  await once.json(`/api/v1/board/${posts[0]}/report`, { method: 'POST', body: { reason: 'spam' } });
  assert.ok((await ids(third, '', p)).includes(posts[0]), 'two residents: still shown');
  await third.json(`/api/v1/board/${posts[0]}/report`, { method: 'POST', body: { reason: 'spam' } });
  assert.deepEqual(await queue(), { ...Object.fromEntries(posts.map((id) => [id, [1, false]])), [posts[0]]: [3, true] },
    'the third resident hides it; the serial reporter counted once there, and once on each of the others');
  assert.deepEqual((await ids(once, '', p)).sort(), posts.slice(1).sort());
});

test('first posts held for approval: 202 pending, seen by the author and managers until approved', async () => {
  const p = (await newProperty(manager, 'Prüfhaus')).id;
  const eva = await newResident(stack, manager, [p]);
  const finn = await newResident(stack, manager, [p]);
  const set = await manager.json(`${board(p)}/settings`, { method: 'PATCH', body: { approve_first_posts: true } });
  assert.deepEqual([set.status, set.body.enabled, set.body.approve_first_posts], [200, true, true]);
  const first = await post(eva, { title: 'Mein erster Beitrag' }, p, 202);
  assert.equal(first.state, 'pending');
  assert.deepEqual(await ids(finn, '', p), [], 'neighbours do not see it');
  assert.equal((await finn.json(`/api/v1/board/${first.id}`)).status, 404);
  assert.deepEqual(await ids(eva, '', p), [first.id], 'its author does, marked pending');
  assert.equal((await manager.json(`/api/v1/board/${first.id}`)).body.state, 'pending');
  const second = await post(eva, { title: 'Noch einer' }, p, 202);
  assert.equal(second.state, 'pending', 'held until one is approved');
  const managerPost = await post(manager, { title: 'Von der Verwaltung' }, p, 201);
  assert.equal(managerPost.state, 'published');
  const approved = await manager.json(`/api/v1/board/${first.id}/approve`, { method: 'POST' });
  assert.deepEqual([approved.status, approved.body.state], [200, 'published']);
  assert.ok((await ids(finn, '', p)).includes(first.id));
  const third = await post(eva, { title: 'Jetzt sofort' }, p, 201);
  assert.equal(third.state, 'published', 'after a first approved post, no more waiting');
});

test('a board switched off is 404 to residents; managers still see it and switch it on again', async () => {
  const p = await post(anna, { title: 'Vor dem Abschalten' });
  assert.deepEqual((await manager.json(`${board()}/settings`, { method: 'PATCH', body: { enabled: false } })).body.enabled, false);
  try {
    assert.equal((await anna.json(board())).status, 404);
    assert.equal((await anna.json(`/api/v1/board/${p.id}`)).status, 404);
    assert.equal((await anna.json(board(), { method: 'POST', body: { kind: 'info', title: 'x', body: 'y' } })).status, 404);
    assert.equal((await ben.json(`/api/v1/board/${p.id}/comments`, { method: 'POST', body: { body: 'x' } })).status, 404);
    assert.equal((await manager.json(board())).status, 200);
    assert.equal((await manager.json(`/api/v1/board/${p.id}`)).status, 200);
  } finally {
    assert.equal((await manager.json(`${board()}/settings`, { method: 'PATCH', body: { enabled: true } })).status, 200);
  }
  assert.equal((await anna.json(`/api/v1/board/${p.id}`)).status, 200);
  assert.equal((await manager.json(`${board()}/settings`, { method: 'PATCH', body: { enabled: 'maybe' } })).body.error.field, 'enabled');
});

test('rate limits per resident: posts and comments (settings), 429', async () => {
  const p = (await newProperty(manager, 'Vielschreiberhaus')).id;
  const busy = await newResident(stack, manager, [p]);
  stack.setConf({ 'community.posts_per_day': 2, 'community.comments_per_hour': 2 });
  await stack.reload();
  try {
    const a = await post(busy, { title: 'Eins' }, p);
    await post(busy, { title: 'Zwei' }, p);
    const third = await busy.json(board(p), { method: 'POST', body: { kind: 'info', title: 'Drei', body: 'x' } });
    assert.equal(third.status, 429);
    assert.equal(third.body.error.code, 'rate_limited');
    assert.ok(third.headers.get('retry-after'));
    await post(manager, { title: 'Managers have no limit' }, p);
    for (const text of ['a', 'b']) assert.equal((await busy.json(`/api/v1/board/${a.id}/comments`, { method: 'POST', body: { body: text } })).status, 201);
    assert.equal((await busy.json(`/api/v1/board/${a.id}/comments`, { method: 'POST', body: { body: 'c' } })).status, 429);
    assert.equal(count(`SELECT COUNT(*) FROM board_posts WHERE author_id = ${busy.id}`), 2);
    assert.equal(count(`SELECT COUNT(*) FROM board_comments WHERE author_id = ${busy.id}`), 2);
  } finally {
    stack.withoutConf('community.posts_per_day');
    stack.withoutConf('community.comments_per_hour');
    await stack.reload();
  }
});

// The hourly job by its schedule: the stack's clock moves forward to at, and
// the jobs worker runs the period that began (each full hour, UTC).
async function commentMailsAt(at) {
  await stack.setClock(at);
  assert.equal(await stack.waitForJob('board-comments', at), 'ok');
}
const minutesLater = (date, minutes) => new Date(date.getTime() + minutes * 60000);
// The mails of kind board to address.
const boardMails = (email) => count(`SELECT COUNT(*) FROM outbox WHERE kind = 'board' AND to_addr = '${email}'`);

test('a mail of the run at the start of an hour does not hold back the mail of the next hour\'s run', async () => {
  const p = (await newProperty(manager, 'Stundenhaus')).id;
  const [kai, lea] = await Promise.all([1, 2].map(() => newResident(stack, manager, [p])));
  const mine = await post(kai, { title: 'Fahrrad abzugeben' }, p);
  await lea.json(`/api/v1/board/${mine.id}/comments`, { method: 'POST', body: { body: 'Gern, wann?' } });
  const hour = new Date(Math.ceil(stack.now().getTime() / 3600000) * 3600000);
  // the run half a minute into the hour mails the author
  await commentMailsAt(new Date(hour.getTime() + 30000));
  assert.equal(boardMails(kai.email), 1);
  await lea.json(`/api/v1/board/${mine.id}/comments`, { method: 'POST', body: { body: 'Heute Abend?' } });
  // the next hour's run, as its period begins: less than an hour after that mail
  await commentMailsAt(minutesLater(hour, 60));
  assert.equal(boardMails(kai.email), 2, 'mailed by the next hourly run, not an hour later still');
});

test('new comments: the author and followers are mailed by the hourly job, at most once an hour per post', async () => {
  const p = (await newProperty(manager, 'Kommentarhaus')).id;
  const [gina, hans, ida, jan] = await Promise.all([1, 2, 3, 4].map(() => newResident(stack, manager, [p])));
  const mine = await post(gina, { title: 'Wer leiht mir eine Leiter?' }, p);
  assert.equal((await hans.fetch(`/api/v1/board/${mine.id}/follow`, { method: 'POST' })).status, 204);
  assert.equal((await hans.fetch(`/api/v1/board/${mine.id}/follow`, { method: 'POST' })).status, 204, 'twice is once');
  assert.equal((await ida.fetch(`/api/v1/board/${mine.id}/follow`, { method: 'POST' })).status, 204);
  assert.equal((await ida.fetch(`/api/v1/board/${mine.id}/follow`, { method: 'DELETE' })).status, 204, 'unfollowed');
  assert.equal((await hans.json(`/api/v1/board/${mine.id}`)).body.following, true);
  await jan.json('/api/v1/me/notifications', { method: 'PATCH', body: { board: false } });
  await jan.fetch(`/api/v1/board/${mine.id}/follow`, { method: 'POST' });

  await hans.json(`/api/v1/board/${mine.id}/comments`, { method: 'POST', body: { body: 'Ich habe eine, 3 m. Foto: https://example.org/leiter <b>' } });
  assert.equal(boardMails(gina.email), 0, 'nothing before the job');
  // the job's next hour, 45 minutes into it
  const hour = new Date(Math.ceil(stack.now().getTime() / 3600000) * 3600000);
  await commentMailsAt(minutesLater(hour, 45));
  assert.equal(boardMails(gina.email), 1, 'the author');
  assert.equal(boardMails(hans.email), 0, 'not the commenter');
  assert.equal(boardMails(ida.email), 0, 'not who unfollowed');
  assert.equal(boardMails(jan.email), 0, 'not who turned board mail off');
  const [mail] = await stack.waitForMail((m) => (m.headers.to || '').includes(gina.email));
  assert.equal(decodeWords(mail.headers.subject), 'Neue Kommentare zu „Wer leiht mir eine Leiter?“');
  const text = mailParts(mail).find((x) => x.type === 'text/plain').text;
  assert.match(text, /Ich habe eine, 3 m\./);
  const html = mailParts(mail).find((x) => x.type === 'text/html').text;
  assert.match(html, /<a href="https:\/\/example.org\/leiter" rel="nofollow noopener ugc">https:\/\/example.org\/leiter<\/a> &lt;b&gt;/, 'links safe, nothing else of markup');
  assert.match(text, new RegExp(`/portal/board/${mine.id}`));
  assert.match(text, /\/portal\/settings/);

  await gina.json(`/api/v1/board/${mine.id}/comments`, { method: 'POST', body: { body: 'Danke! Wann passt es?' } });
  await ida.json(`/api/v1/board/${mine.id}/comments`, { method: 'POST', body: { body: 'Ich auch eine.' } });
  // the next hour's run, 30 minutes after the author's mail
  await commentMailsAt(minutesLater(hour, 75));
  assert.equal(boardMails(hans.email), 1, 'the follower, with both');
  assert.equal(boardMails(gina.email), 1, 'the author was mailed within the hour: nothing yet');
  // 61 minutes on, a run of the hour after
  await commentMailsAt(minutesLater(stack.now(), 61));
  assert.equal(boardMails(gina.email), 2, 'an hour later, what gathered since');
  const later = stack.sql(`SELECT body_text FROM outbox WHERE kind = 'board' AND to_addr = '${gina.email}' ORDER BY id DESC LIMIT 1`);
  assert.match(later, /Ich auch eine\./);
  assert.doesNotMatch(later, /Danke! Wann passt es\?/, 'not her own comment');
  assert.doesNotMatch(later, /3 m\./, 'nothing the first mail had');
  await commentMailsAt(minutesLater(stack.now(), 61));
  assert.equal(boardMails(gina.email), 2, 'nothing new: no mail');
  assert.equal(boardMails(hans.email), 1);
  assert.equal(boardMails(jan.email), 0);
  await stack.waitForMail(() => stack.mails().filter((m) => (m.headers.to || '').includes(gina.email)).length >= 2);
});

test('the comment mail keeps an anonymous author anonymous', async () => {
  const p = (await newProperty(manager, 'Stillhaus')).id;
  const [quinn, rosa] = await Promise.all([1, 2].map(() => newResident(stack, manager, [p])));
  stack.sql(`UPDATE users SET name = 'Quinn Quast' WHERE id = ${quinn.id}`);
  const mine = await post(quinn, { anonymous: true, title: 'Anonym gefragt' }, p);
  assert.equal((await rosa.fetch(`/api/v1/board/${mine.id}/follow`, { method: 'POST' })).status, 204);
  await quinn.json(`/api/v1/board/${mine.id}/comments`, { method: 'POST', body: { body: 'Noch zu haben.' } });
  await commentMailsAt(minutesLater(stack.now(), 61));
  assert.equal(boardMails(rosa.email), 1);
  // (the client's batch output writes a newline as \n)
  const [text, html] = stack.sql(`SELECT body_text, body_html FROM outbox WHERE kind = 'board' AND to_addr = '${rosa.email}'`).replace(/\\n/g, '\n').split('\t');
  assert.match(text, /Anonym:\s+Noch zu haben\./);
  assert.doesNotMatch(text + html, /Quinn/);
});

// The day in the deployment's zone of a moment, YYYY-MM-DD.
const dayOf = (date) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(date);
const daysLater = (date, days) => new Date(date.getTime() + days * 86400000);

// Last: the clock moves on by days here (every session signs in again).
test('by the clock: an expired post leaves the board, its list and the home, and stays reachable; offers expire after 30 days', async () => {
  const p = (await newProperty(manager, 'Ablaufhaus')).id;
  const [olga, piet] = await Promise.all([1, 2].map(() => newResident(stack, manager, [p])));
  const start = stack.now();
  const offer = await post(olga, { kind: 'offer', title: 'Rasenmäher zu leihen' }, p);
  assert.equal(offer.expires_on, dayOf(daysLater(start, 30)));
  const info = await post(olga, { kind: 'info', title: 'Sperrmüll morgen', expires_on: dayOf(daysLater(start, 1)) }, p);
  assert.deepEqual(await ids(piet, '', p), [info.id, offer.id]);

  await stack.advanceClock(2 * 86400);
  await Promise.all([olga, piet].map((c) => c.signIn()));
  assert.deepEqual(await ids(piet, '', p), [offer.id], 'the day after its date: off the board');
  assert.deepEqual(await ids(piet, '?include_done=true', p), [info.id, offer.id], 'listed with the done and expired');
  const reached = await piet.json(`/api/v1/board/${info.id}`);
  assert.deepEqual([reached.status, reached.body.expires_on], [200, dayOf(daysLater(start, 1))], 'and reachable');
  const boardPage = await (await piet.fetch(`/portal/board?property=${p}`)).text();
  assert.doesNotMatch(boardPage, new RegExp(`id="post-${info.id}"`));
  assert.match(boardPage, new RegExp(`id="post-${offer.id}"`));
  assert.match(boardPage, /Auch erledigte und abgelaufene Beiträge zeigen/, 'the way to them');
  assert.match(await (await piet.fetch(`/portal/board?property=${p}&include_done=1`)).text(), new RegExp(`id="post-${info.id}"`));
  assert.equal((await piet.fetch(`/portal/board/${info.id}`)).status, 200);
  const home = await (await piet.fetch('/portal')).text();
  assert.match(home, /Rasenmäher zu leihen/);
  assert.doesNotMatch(home, /Sperrmüll morgen/, 'nor on the home');
  // an expiry date is "in the past" by the clock too
  const past = await olga.json(`/api/v1/board/${offer.id}`, { method: 'PATCH', body: { expires_on: dayOf(daysLater(start, 1)) } });
  assert.deepEqual([past.status, past.body.error?.field], [422, 'expires_on']);

  // the offer's 30 days
  await stack.advanceClock(28 * 86400);
  await Promise.all([olga, piet].map((c) => c.signIn()));
  assert.deepEqual(await ids(piet, '', p), [offer.id], 'its 30th day: still there');
  await stack.advanceClock(86400);
  await piet.signIn();
  assert.deepEqual(await ids(piet, '', p), [], 'the day after: gone');
  assert.deepEqual(await ids(piet, '?include_done=true', p), [info.id, offer.id]);
});
