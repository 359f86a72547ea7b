// The tickets' pages against the whole stack, as a browser without script
// uses them: the resident reports through the form (property and unit
// preselected, "Ist das schon gemeldet?" with "Ich bin auch betroffen"),
// follows the ticket, writes to the management and answers "Ist das
// erledigt?" on the page the mail links to (opening it changes nothing, the
// button does); the home shows their open tickets and the shared ones; the
// manager's list with counts and filters, the detail with its controls, the
// reply and the internal note, the bulk change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, repo } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, house, unit, rita, sam;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents tickets', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  house = (await newProperty(manager, 'Lindenhof')).id;
  unit = (await manager.json(`/api/v1/properties/${house}/units`, { method: 'POST', body: { name: 'WE 3 links' } })).body.id;
  rita = await newResident(stack, manager, [house]);
  sam = await newResident(stack, manager, [house]);
  stack.sql(`UPDATE users SET name = 'Sam Nachbar' WHERE id = ${sam.id}`);
  const res = await manager.json(`/api/v1/properties/${house}/residents/${rita.id}`, { method: 'PATCH', body: { unit_id: unit } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(async () => { await stack?.stop(); });

// A page's form sent as the browser sends it: urlencoded, the CSRF token in
// the body, the deployment's Origin. { status, location, html }.
async function submit(client, path, fields, { csrf = client.csrf } = {}) {
  const body = new URLSearchParams([['csrf_token', csrf], ...fields]).toString();
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
  return { status: res.status, html: await res.text() };
}
const get = async (client, id) => (await client.json(`/api/v1/tickets/${id}`)).body;

test('the resident reports through the form: property and unit preselected; the page of the new ticket follows', async () => {
  const form = await page(rita, '/portal/tickets/new');
  assert.equal(form.status, 200);
  assert.match(form.html, /<h1>Anliegen melden<\/h1>/);
  assert.match(form.html, new RegExp(`<input type="hidden" name="property_id" value="${house}">`));
  assert.match(form.html, new RegExp(`<option value="${unit}" selected>WE 3 links</option>`), 'her unit is preselected');
  assert.match(form.html, /<label for="ticket-title">Titel<\/label>/);
  assert.match(form.html, /Ein Handwerker darf mich direkt kontaktieren/);
  const refused = await submit(rita, '/portal/tickets/new', [['property_id', house], ['category', 'Aufzug'], ['title', ''], ['description', 'steht']]);
  assert.equal(refused.status, 422);
  assert.match(refused.html, /role="alert"/);
  assert.match(refused.html, />steht<\/textarea>/, 'what was sent is shown again');
  const sent = await submit(rita, '/portal/tickets/new', [['property_id', house], ['unit_id', unit], ['category', 'Aufzug'], ['title', 'Aufzug steckt'], ['description', 'Zwischen 2. und 3. Stock'], ['contact_consent', 'on'], ['access_note', 'Ab 17 Uhr']]);
  assert.equal(sent.status, 303, sent.html.slice(0, 300));
  const id = Number(/\/portal\/tickets\/(\d+)$/.exec(sent.location)[1]);
  const t = await get(manager, id);
  assert.deepEqual([t.title, t.category, t.unit.id, t.contact_consent, t.access_note], ['Aufzug steckt', 'Aufzug', unit, true, 'Ab 17 Uhr']);
  const mine = await page(rita, sent.location);
  assert.equal(mine.status, 200);
  assert.match(mine.html, /<h1>#\d+ Aufzug steckt<\/h1>/);
  assert.match(mine.html, /Zwischen 2\. und 3\. Stock/);
  assert.match(mine.html, /Gemeldet/);
  const list = await page(rita, '/portal/tickets');
  assert.match(list.html, new RegExp(`href="/portal/tickets/${id}">#\\d+ Aufzug steckt</a>`));
  // a hot page: once each worker prepared its statements, two round trips
  const trips = [];
  for (let i = 0; i < 4; i++) {
    await page(rita, '/portal/tickets');
    const line = stack.log().split('\n').filter((l) => l.includes('route=/portal/tickets ') && / db=\d+/.test(l)).at(-1);
    trips.push([Number(/ db=(\d+)/.exec(line)[1]), line]);
  }
  assert.ok(Math.min(...trips.map(([n]) => n)) <= 2, trips.map(([, l]) => l).join('\n'));
  assert.equal((await page(sam, sent.location)).status, 404, 'not his while it is not shared');
});

test('"Ist das schon gemeldet?": the property\'s shared tickets of the category, and "Ich bin auch betroffen"', async () => {
  const t = (await rita.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Heizung kalt', description: 'Seit gestern', category: 'Heizung/Wasser' } })).body;
  await manager.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { shared: true } });
  const heating = await page(sam, `/portal/tickets/new?property_id=${house}&category=${encodeURIComponent('Heizung/Wasser')}`);
  assert.match(heating.html, new RegExp(`href="/portal/tickets/${t.id}">#${t.number} Heizung kalt</a>`));
  assert.doesNotMatch(heating.html, /Rita/, 'never the reporter');
  assert.match(heating.html, new RegExp(`action="/portal/tickets/${t.id}/affected"`));
  const noise = await page(sam, `/portal/tickets/new?property_id=${house}&category=L%C3%A4rm`);
  assert.doesNotMatch(noise.html, /Heizung kalt/);
  const pressed = await submit(sam, `/portal/tickets/${t.id}/affected`, []);
  assert.equal(pressed.status, 303);
  assert.equal(pressed.location, `/portal/tickets/${t.id}`);
  assert.equal((await get(manager, t.id)).affected_count, 1);
  const his = await page(sam, pressed.location);
  assert.match(his.html, /Sie sind als betroffen eingetragen/);
  assert.doesNotMatch(his.html, /Rita/);
  assert.doesNotMatch(his.html, /action="\/portal\/tickets\/\d+\/comments"/, 'no comment form for a neighbour');
  // without the token the button changes nothing
  assert.equal((await submit(rita, `/portal/tickets/${t.id}/affected`, [], { csrf: 'falsch' })).status, 403);
});

test('the home: her own open tickets (per person) and the shared ones of the house (alike for all)', async () => {
  const own = (await rita.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Briefkasten klemmt', description: 'x' } })).body;
  const ritaHome = (await page(rita, '/portal')).html;
  const ownSection = /<section class="card home-tickets"[\s\S]*?<\/section>/.exec(ritaHome)?.[0] ?? '';
  assert.match(ownSection, new RegExp(`#${own.number} Briefkasten klemmt`));
  const samHome = (await page(sam, '/portal')).html;
  assert.doesNotMatch(samHome, /Briefkasten klemmt/, 'her own tickets are hers');
  const shared = /<section class="card home-tickets-shared"[\s\S]*?<\/section>/.exec(samHome)?.[0] ?? '';
  assert.match(shared, /Heizung kalt/);
  // a change of a shared ticket reaches every home at once
  const id = Number(/href="\/portal\/tickets\/(\d+)">#\d+ Heizung kalt/.exec(shared)[1]);
  await manager.json(`/api/v1/tickets/${id}`, { method: 'PATCH', body: { status: 'closed' } });
  assert.doesNotMatch((await page(sam, '/portal')).html, /Heizung kalt/);
});

test('"Ist das erledigt?": the mail\'s link opens a form, only its button changes the ticket', async () => {
  const t = (await rita.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Licht im Keller', description: 'dunkel' } })).body;
  await manager.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { status: 'resolved' } });
  const yes = await page(rita, `/portal/tickets/${t.id}/confirm?solved=1`);
  assert.equal(yes.status, 200);
  assert.match(yes.html, /<input type="hidden" name="solved" value="true">/);
  assert.doesNotMatch(yes.html, /name="comment"/);
  assert.equal((await get(rita, t.id)).status, 'resolved', 'opening the link changes nothing');
  const no = await page(rita, `/portal/tickets/${t.id}/confirm?solved=0`);
  assert.match(no.html, /<textarea id="confirm-comment" name="comment"/);
  assert.equal((await submit(rita, `/portal/tickets/${t.id}/confirm`, [['solved', 'false'], ['comment', 'Noch dunkel']], { csrf: 'falsch' })).status, 403);
  const answered = await submit(rita, `/portal/tickets/${t.id}/confirm`, [['solved', 'false'], ['comment', 'Noch dunkel']]);
  assert.equal(answered.status, 303);
  const after = await get(rita, t.id);
  assert.equal(after.status, 'open');
  assert.deepEqual(after.events.slice(-2).map((e) => e.type), ['reopened', 'comment']);
  const again = await page(rita, `/portal/tickets/${t.id}/confirm?solved=1`);
  assert.match(again.html, /wartet nicht auf Ihre Antwort/);
  assert.equal((await page(sam, `/portal/tickets/${t.id}/confirm?solved=1`)).status, 404);
});

test('the manager\'s list: counts per status, filters, bulk; the detail: controls, reply and internal note', async () => {
  const list = await page(manager, '/app/tickets');
  assert.equal(list.status, 200);
  assert.match(list.html, /<h1>Vorgänge<\/h1>/);
  assert.match(list.html, /Offen \(\d+\)/);
  assert.match(list.html, /Aufzug steckt/);
  const lift = Number(/href="\/app\/tickets\/(\d+)">#\d+ Aufzug steckt/.exec(list.html)[1]);
  const paged = await page(manager, '/app/tickets?limit=1&status=open&sort=activity');
  assert.match(paged.html, /href="\/app\/tickets\?after=[^"]+&amp;status=open&amp;sort=activity">Weitere<\/a>/, 'the next page keeps the filters');
  const filtered = await page(manager, '/app/tickets?q=Briefkasten');
  assert.doesNotMatch(filtered.html, /Aufzug steckt/);
  assert.match(filtered.html, /Briefkasten klemmt/);
  const detail = await page(manager, `/app/tickets/${lift}`);
  assert.equal(detail.status, 200);
  assert.match(detail.html, new RegExp(`href="mailto:${rita.email.replace(/[.]/g, '\\.')}"`), 'she agreed to be contacted');
  assert.match(detail.html, /Ab 17 Uhr/);
  const saved = await submit(manager, `/app/tickets/${lift}`, [['status', 'in_progress'], ['assignee_id', String(manager.user.id)], ['due_on', '2031-01-15'], ['shared', 'true']]);
  assert.equal(saved.status, 303, saved.html.slice(0, 300));
  let t = await get(manager, lift);
  assert.deepEqual([t.status, t.assignee.id, t.due_on, t.shared], ['in_progress', manager.user.id, '2031-01-15', true]);
  assert.match((await page(manager, `/app/tickets/${lift}`)).html, new RegExp(`<option value="${manager.user.id}" selected>`), 'the assignee chosen among the employees');
  const cleared = await submit(manager, `/app/tickets/${lift}`, [['status', 'in_progress'], ['assignee_id', ''], ['due_on', ''], ['shared', 'false']]);
  assert.equal(cleared.status, 303);
  t = await get(manager, lift);
  assert.deepEqual([t.assignee, t.due_on, t.shared], [null, null, false]);
  assert.equal((await submit(manager, `/app/tickets/${lift}`, [['status', 'kaputt']])).status, 422);
  assert.equal((await submit(manager, `/app/tickets/${lift}/comments`, [['body', 'Monteur kommt']])).status, 303);
  assert.equal((await submit(manager, `/app/tickets/${lift}/comments`, [['body', 'INTERN: teuer'], ['internal', 'true']])).status, 303);
  const history = (await page(manager, `/app/tickets/${lift}`)).html;
  assert.match(history, /class="tickets-note"[\s\S]*?Intern[\s\S]*?INTERN: teuer/);
  const hers = (await page(rita, `/portal/tickets/${lift}`)).html;
  assert.match(hers, /Monteur kommt/);
  assert.doesNotMatch(hers, /INTERN/, 'she never sees the note');
  // bulk: the ticked ones, all or none; an empty choice leaves it unchanged
  await manager.json(`/api/v1/tickets/${lift}`, { method: 'PATCH', body: { assignee_id: manager.user.id } });
  const bulk = await submit(manager, '/app/tickets/bulk', [['ids', String(lift)], ['status', 'waiting'], ['assignee_id', '']]);
  assert.equal(bulk.status, 303);
  assert.equal((await get(manager, lift)).status, 'waiting');
  assert.equal((await get(manager, lift)).assignee.id, manager.user.id, '"unchanged" is not "nobody"');
  assert.equal((await page(rita, '/app/tickets')).status, 404, 'managers only');
});

test('a photo through the report form, shown as a thumbnail that links to the photo, to the reporter and the manager', async () => {
  const photo = readFileSync(path.join(repo, 'tests', 'fixtures', 'images', 'photo-gps-o6.jpg'));
  const form = new FormData();
  for (const [k, v] of [['csrf_token', rita.csrf], ['property_id', house], ['category', 'Schaden/Reparatur'], ['title', 'Riss in der Wand'], ['description', 'Im Flur']]) form.append(k, String(v));
  form.append('files', new Blob([photo], { type: 'image/jpeg' }), 'Riss.jpg');
  const res = await stack.fetch('/portal/tickets/new', { method: 'POST', headers: { Cookie: rita.cookie, Origin: stack.base }, body: form, redirect: 'manual' });
  assert.equal(res.status, 303, await res.text());
  const id = Number(/\/portal\/tickets\/(\d+)$/.exec(res.headers.get('location'))[1]);
  const t = await get(rita, id);
  assert.equal(t.attachments.length, 1);
  const html = (await page(rita, `/portal/tickets/${id}`)).html;
  assert.match(html, new RegExp(`<a href="${t.attachments[0].url}"><img src="${t.attachments[0].thumbnail_url.replace('?', '\\?').replace('=', '&#61;')}" alt="Foto öffnen: Riss.jpg"`));
  assert.match((await page(manager, `/app/tickets/${id}`)).html, /alt="Foto öffnen: Riss\.jpg"/);
});

test('the print view: the ticket and its public history; internal notes only when a manager asks', async () => {
  const t = (await rita.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Klingel defekt', description: 'Seit Montag', category: 'Schaden/Reparatur' } })).body;
  await manager.json(`/api/v1/tickets/${t.id}/comments`, { method: 'POST', body: { body: 'Elektriker bestellt' } });
  await manager.json(`/api/v1/tickets/${t.id}/comments`, { method: 'POST', body: { body: 'NOTIZ: Garantiefall', internal: true } });
  const plain = await page(manager, `/app/tickets/${t.id}/print`);
  assert.equal(plain.status, 200);
  assert.match(plain.html, /class="ticket-print"/);
  assert.match(plain.html, /<h1 id="ticket-print-title">#\d+ Klingel defekt<\/h1>/);
  assert.match(plain.html, /Elektriker bestellt/);
  assert.doesNotMatch(plain.html, /NOTIZ/, 'no internal notes by default');
  const internal = await page(manager, `/app/tickets/${t.id}/print?internal=1`);
  assert.match(internal.html, /NOTIZ: Garantiefall/);
  assert.match(internal.html, /Mit internen Notizen/);
  const hers = await page(rita, `/portal/tickets/${t.id}/print?internal=1`);
  assert.equal(hers.status, 200);
  assert.match(hers.html, /Elektriker bestellt/);
  assert.doesNotMatch(hers.html, /NOTIZ/, 'never for the reporter, whatever she asks');
  await manager.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { shared: true } });
  assert.equal((await page(sam, `/portal/tickets/${t.id}/print`)).status, 404, 'a neighbour has nothing to print');
});

test('merging on the page: the property\'s other open tickets to choose from; the duplicate closes', async () => {
  const main = (await rita.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Tor klemmt', description: 'Einfahrt' } })).body;
  const dup = (await sam.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Garagentor', description: 'geht nicht auf' } })).body;
  const later = (await rita.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Klingel', description: 'stumm' } })).body;
  const html = (await page(manager, `/app/tickets/${dup.id}`)).html;
  assert.match(html, new RegExp(`<option value="${later.id}">#${later.number} Klingel</option><option value="${main.id}">#${main.number} Tor klemmt</option>`), 'newest first');
  assert.doesNotMatch(html, new RegExp(`<option value="${dup.id}">`), 'not into itself');
  const merged = await submit(manager, `/app/tickets/${dup.id}/merge`, [['into', String(main.id)]]);
  assert.equal(merged.status, 303);
  assert.equal(merged.location, `/app/tickets/${dup.id}`);
  const t = await get(manager, dup.id);
  assert.deepEqual([t.status, t.merged_into.id], ['closed', main.id]);
  const after = (await page(manager, `/app/tickets/${dup.id}`)).html;
  assert.match(after, new RegExp(`Zusammengeführt mit <a href="/app/tickets/${main.id}">#${main.number}</a>`));
  assert.doesNotMatch(after, /action="\/app\/tickets\/\d+\/merge"/, 'merged once');
  assert.equal((await submit(manager, `/app/tickets/${main.id}/merge`, [['into', String(main.id)]])).status, 422);
});

test('a manager records a call on the page: from the property, with the caller\'s name; refused, the form comes back', async () => {
  const property = await page(manager, `/app/properties/${house}`);
  assert.match(property.html, new RegExp(`href="/app/tickets/new\\?property_id=${house}">Vorgang erfassen</a>`));
  assert.match((await page(manager, '/app/tickets')).html, /href="\/app\/tickets\/new">Vorgang erfassen<\/a>/);
  const choose = await page(manager, '/app/tickets/new');
  assert.equal(choose.status, 200);
  assert.match(choose.html, /<form method="get" action="\/app\/properties"/, 'no list of every property: the search');
  const form = await page(manager, `/app/tickets/new?property_id=${house}`);
  assert.equal(form.status, 200);
  assert.match(form.html, /<h2 id="ticket-record-form">Neues Anliegen für Lindenhof<\/h2>/);
  assert.match(form.html, /<label for="ticket-reporter">Gemeldet von<\/label>/);
  assert.match(form.html, new RegExp(`<option value="${unit}">WE 3 links</option>`));
  const other = await newManager(stack);
  assert.equal((await page(other, `/app/tickets/new?property_id=${house}`)).status, 404, 'another organisation\'s property');
  assert.equal((await page(rita, `/app/tickets/new?property_id=${house}`)).status, 404, 'managers only');
  const fields = [['property_id', house], ['unit_id', unit], ['category', 'Heizung/Wasser'], ['title', 'Heizung kalt (Anruf)'], ['description', 'Seit heute früh kalt'], ['access_note', 'Tel. 0170 1234567']];
  const refused = await submit(manager, `/app/tickets/new?property_id=${house}`, fields);
  assert.equal(refused.status, 422);
  assert.match(refused.html, /role="alert"/);
  assert.match(refused.html, />Seit heute früh kalt<\/textarea>/, 'what was sent is shown again');
  assert.match(refused.html, /id="ticket-title" name="title" required maxlength="200" value="Heizung kalt \(Anruf\)" aria-describedby="ticket-error">/, 'the title too, tied to the error');
  assert.match(refused.html, new RegExp(`<option value="${unit}" selected>WE 3 links</option>`), 'and the unit');
  const sent = await submit(manager, `/app/tickets/new?property_id=${house}`, [...fields, ['reporter_name', 'Frau Meier (Telefon)']]);
  assert.equal(sent.status, 303, sent.html.slice(0, 300));
  const id = Number(/^\/app\/tickets\/(\d+)$/.exec(sent.location)[1]);
  const t = await get(manager, id);
  assert.deepEqual([t.reporter.display_name, t.unit.id, t.category, t.access_note, t.events[0].by.role], ['Frau Meier (Telefon)', unit, 'Heizung/Wasser', 'Tel. 0170 1234567', 'manager']);
  assert.match((await page(manager, sent.location)).html, /Gemeldet von: Frau Meier \(Telefon\)/);
});

test('"Meine Anliegen" shows the house\'s open shared tickets she might join, without the reporter; joined, it is among hers', async () => {
  const t = (await manager.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Haustür schließt nicht', description: 'Seit gestern', category: 'Schaden/Reparatur', reporter_name: 'Frau Weber (Telefon)' } })).body;
  const known = async (client) => /<section class="card" aria-labelledby="tickets-known-title">[\s\S]*?<\/section>/.exec((await page(client, '/portal/tickets')).html)?.[0] ?? '';
  assert.doesNotMatch(await known(sam), /Haustür/, 'not while it is not shared');
  await manager.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { shared: true } });
  const section = await known(sam);
  assert.match(section, /<h2 id="tickets-known-title">In Ihrem Haus bekannt<\/h2>/);
  assert.match(section, new RegExp(`href="/portal/tickets/${t.id}">#${t.number} Haustür schließt nicht</a>`));
  assert.match(section, new RegExp(`action="/portal/tickets/${t.id}/affected"`));
  assert.doesNotMatch(section, /Weber/, 'never the reporter');
  const mine = (await sam.json('/api/v1/tickets?limit=200')).body.items.map((x) => x.id);
  assert.ok(!mine.includes(t.id), 'the API lists what she reported or joined, as before');
  assert.equal((await submit(sam, `/portal/tickets/${t.id}/affected`, [])).status, 303);
  assert.doesNotMatch(await known(sam), /Haustür/, 'joined: no longer offered');
  assert.match((await page(sam, '/portal/tickets')).html, new RegExp(`href="/portal/tickets/${t.id}">#${t.number} Haustür schließt nicht</a></h2>`));
  await manager.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { status: 'closed' } });
  assert.doesNotMatch(await known(rita), /Haustür/, 'closed: gone');
});

test('a comment with a photo through the page\'s form: in the history for her and the manager', async () => {
  const t = (await rita.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Schimmel im Bad', description: 'Ecke oben' } })).body;
  const form = new FormData();
  form.append('csrf_token', rita.csrf);
  form.append('body', 'So sieht es heute aus.');
  form.append('files', new Blob([readFileSync(path.join(repo, 'tests', 'fixtures', 'images', 'photo.webp'))], { type: 'image/webp' }), 'heute.webp');
  const res = await stack.fetch(`/portal/tickets/${t.id}/comments`, { method: 'POST', headers: { Cookie: rita.cookie, Origin: stack.base }, body: form, redirect: 'manual' });
  assert.equal(res.status, 303, await res.text());
  const seen = await get(manager, t.id);
  const comment = seen.events.find((e) => e.type === 'comment');
  assert.equal(comment.body, 'So sieht es heute aus.');
  assert.deepEqual(seen.attachments.map((x) => [x.name, x.event_id, x.content_type]), [['heute.webp', comment.id, 'image/jpeg']]);
  for (const [client, area] of [[rita, 'portal'], [manager, 'app']]) {
    assert.match((await page(client, `/${area}/tickets/${t.id}`)).html, /alt="Foto öffnen: heute\.webp"/, area);
  }
});
