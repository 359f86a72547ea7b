// The tickets plugin's API against the whole stack: reports by residents and
// on behalf, numbers per organisation (also under 50 concurrent reports),
// who sees what (404 for another resident's ticket), the list's filters,
// counts and pages, comments and internal notes (never shown or mailed to
// residents), changes alone and in bulk (all or nothing), shared tickets and
// "betroffen", merging, the reporter's confirmation and the job that closes
// unanswered resolved tickets, the rate limits of reports and comments, and the
// mails of each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, decodeWords, mailParts } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, other, house, annex, rita, sam, foreignResident;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents tickets', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  other = await newManager(stack); // another organisation
  house = (await newProperty(manager, 'Lindenhof')).id;
  annex = (await newProperty(manager, 'Gartenhaus')).id;
  rita = await newResident(stack, manager, [house]);
  sam = await newResident(stack, manager, [house]);
  foreignResident = await newResident(stack, other, [(await newProperty(other, 'Fremdhaus')).id]);
  // Rita reports often here; the limit has a test of its own.
  stack.setConf({ 'tickets.max_reports_per_day': 1000 });
  await stack.reload();
});
after(async () => { await stack?.stop(); });

const report = (client, body) => client.json('/api/v1/tickets', { method: 'POST', body });
async function reported(client, body = {}) {
  const res = await report(client, { property_id: house, title: 'Tropfender Wasserhahn', description: 'In der Küche tropft es.', category: 'Heizung/Wasser', ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}
const patch = (id, body, client = manager) => client.json(`/api/v1/tickets/${id}`, { method: 'PATCH', body });
const get = (client, id) => client.json(`/api/v1/tickets/${id}`);
const post = (client, p, body = {}) => client.json(p, { method: 'POST', body });
// The mails of kind tickets queued for an address: [{subject, text, html}], oldest first.
const outbox = (email) => stack.sql(`SELECT TO_BASE64(subject), TO_BASE64(body_text), TO_BASE64(body_html) FROM outbox WHERE kind = 'tickets' AND to_addr = '${email}' ORDER BY id`)
  .split('\n').filter(Boolean).map((line) => {
    const [subject, text, html] = line.split('\t').map((b) => Buffer.from(b.replace(/\\n/g, ''), 'base64').toString('utf8'));
    return { subject, text, html };
  });
const count = (query) => Number(stack.sql(query).trim());

test('a resident reports: 201 with the number, the history starts, the managers get a mail with the number and a link', async () => {
  const before = outbox(manager.email).length;
  const t = await reported(rita, { unit_id: undefined, contact_consent: true, access_note: 'Schlüssel bei Nachbarn' });
  assert.deepEqual(Object.keys(t).sort(), ['access_note', 'affected_count', 'assignee', 'attachments', 'category', 'contact_consent', 'created_at', 'description', 'due_on', 'events', 'id', 'merged_into', 'number', 'property', 'reporter', 'shared', 'status', 'title', 'unit', 'updated_at']);
  assert.equal(t.status, 'open');
  assert.deepEqual(t.property, { id: house, name: 'Lindenhof' });
  assert.deepEqual(t.reporter, { display_name: 'Rita Resident' });
  assert.equal(t.assignee, null);
  assert.equal(t.shared, false);
  assert.equal(t.contact_consent, true);
  assert.equal(t.affected_count, 0);
  assert.deepEqual(t.attachments, []);
  assert.equal(t.events.length, 1);
  assert.equal(t.events[0].type, 'created');
  assert.deepEqual(t.events[0].by, { display_name: 'Rita Resident', role: 'resident' });
  assert.match(t.events[0].at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const mails = outbox(manager.email);
  assert.equal(mails.length, before + 1);
  const mail = mails.at(-1);
  assert.equal(mail.subject, `[Vorgang #${t.number}] Neue Meldung: Tropfender Wasserhahn`);
  assert.match(mail.text, new RegExp(`/app/tickets/${t.id}`));
  assert.match(mail.text, /In der Küche tropft es\./);
  // and it really leaves through the sink
  const sunk = await stack.waitForMail((m) => (m.headers.to || '').includes(manager.email) && decodeWords(m.headers.subject).includes(`#${t.number}]`));
  const text = mailParts(sunk[0]).find((p) => p.type === 'text/plain').text;
  assert.match(text, /Lindenhof/);
  // the manager sees the contact address the reporter agreed to give
  const seen = await get(manager, t.id);
  assert.equal(seen.body.reporter.email, rita.email);
});

test('numbers count per organisation from 1, in the order of arrival', async () => {
  const a = await reported(rita);
  const b = await reported(sam);
  assert.equal(b.number, a.number + 1);
  const foreign = await report(foreignResident, { property_id: Number(stack.sql(`SELECT id FROM properties WHERE name = 'Fremdhaus'`).trim()), title: 'Fremd', description: 'x' });
  assert.equal(foreign.status, 201, JSON.stringify(foreign.body));
  assert.equal(foreign.body.number, 1, 'another organisation counts from 1');
});

// A new ticket's search words go in without first removing its (none): that
// removal locked the gap after the index's last key, where another
// organisation's report at the same instant inserts (their numbers do not
// take turns), and MariaDB refused one as a deadlock (503).
test('two organisations\' reports at the same instant are all stored', async () => {
  const bosses = [await newManager(stack), await newManager(stack)];
  const props = [];
  for (const b of bosses) props.push((await newProperty(b, 'Zeitgleich')).id);
  for (let round = 0; round < 3; round++) {
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => report(bosses[i % 2], { property_id: props[i % 2], title: `Zeitgleich ${round} ${i}`, description: 'gleichzeitig', reporter_name: `Anrufer ${i}` })));
    assert.deepEqual(all.map((r) => r.status), all.map(() => 201), JSON.stringify(all.find((r) => r.status !== 201)?.body));
  }
});

test('50 reports at once get the numbers 1 to 50, each once, in the order they were stored', async () => {
  const boss = await newManager(stack);
  const prop = (await newProperty(boss, 'Hochhaus')).id;
  const all = await Promise.all(Array.from({ length: 50 }, (_, i) => report(boss, { property_id: prop, title: `Meldung ${i}`, description: 'gleichzeitig', reporter_name: `Anrufer ${i}` })));
  for (const r of all) assert.equal(r.status, 201, JSON.stringify(r.body));
  const numbers = all.map((r) => r.body.number).sort((x, y) => x - y);
  assert.deepEqual(numbers, Array.from({ length: 50 }, (_, i) => i + 1));
  const byId = all.map((r) => r.body).sort((x, y) => x.id - y.id).map((t) => t.number);
  assert.deepEqual(byId, numbers, 'arrival order: the earlier insert has the lower number');
});

test('a manager records a report on behalf of a caller; reporter_name is then required', async () => {
  const missing = await report(manager, { property_id: house, title: 'Anruf', description: 'Heizung kalt' });
  assert.equal(missing.status, 422);
  assert.equal(missing.body.error.field, 'reporter_name');
  const t = await reported(manager, { reporter_name: 'Frau Meier (Telefon)', contact_consent: true });
  assert.deepEqual(t.reporter, { display_name: 'Frau Meier (Telefon)' }, 'no account, no address');
  assert.equal(t.events[0].by.role, 'manager');
  const foreign = await report(manager, { property_id: Number(stack.sql(`SELECT id FROM properties WHERE name = 'Fremdhaus'`).trim()), title: 'x', description: 'y', reporter_name: 'z' });
  assert.equal(foreign.status, 422);
  assert.equal(foreign.body.error.field, 'property_id');
});

test('bad reports are a 422 on their field and store nothing', async () => {
  const otherUnit = (await manager.json(`/api/v1/properties/${annex}/units`, { method: 'POST', body: { name: 'WE 9' } })).body.id;
  const before = count('SELECT COUNT(*) FROM tickets');
  const numbers = stack.sql(`SELECT last_number FROM ticket_numbers WHERE org_id = ${manager.user.org_id}`).trim();
  const good = { property_id: house, title: 'T', description: 'D' };
  const cases = [
    [{ ...good, title: '' }, 'title'],
    [{ ...good, title: 'x'.repeat(201) }, 'title'],
    [{ ...good, description: '' }, 'description'],
    [{ ...good, description: 'x'.repeat(5001) }, 'description'],
    [{ ...good, category: 'Geheim' }, 'category'],
    [{ ...good, property_id: annex }, 'property_id'], // not a property of hers
    [{ ...good, property_id: 999999 }, 'property_id'],
    [{ ...good, unit_id: otherUnit }, 'unit_id'],
    [{ ...good, access_note: 'x'.repeat(501) }, 'access_note'],
    [{ ...good, title: 'a\u0007b' }, 'title'],
  ];
  for (const [body, field] of cases) {
    const res = await report(rita, body);
    assert.equal(res.status, 422, `${field}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, field, JSON.stringify(body).slice(0, 80));
  }
  assert.equal(count('SELECT COUNT(*) FROM tickets'), before);
  assert.equal(stack.sql(`SELECT last_number FROM ticket_numbers WHERE org_id = ${manager.user.org_id}`).trim(), numbers, 'no number used');
});

test('who sees a ticket: the managers of its organisation and its reporter; everyone else 404', async () => {
  const t = await reported(rita);
  assert.equal((await get(rita, t.id)).status, 200);
  assert.equal((await get(manager, t.id)).status, 200);
  assert.equal((await get(sam, t.id)).status, 404, 'a neighbour, while it is not shared');
  assert.equal((await get(other, t.id)).status, 404);
  assert.equal((await get(foreignResident, t.id)).status, 404);
  assert.equal((await post(sam, `/api/v1/tickets/${t.id}/comments`, { body: 'hallo' })).status, 404);
  assert.equal((await patch(t.id, { status: 'closed' }, other)).status, 404);
  assert.equal((await patch(t.id, { status: 'closed' }, rita)).status, 404, 'PATCH is for managers');
  const mine = await rita.json('/api/v1/tickets?limit=200');
  assert.deepEqual(mine.body.items.find((x) => x.id === t.id).reporter, { display_name: 'Rita Resident' }, 'her own, with her name');
  assert.equal(typeof mine.body.items[0].id, 'number');
  assert.ok(!(await sam.json('/api/v1/tickets?limit=200')).body.items.some((x) => x.id === t.id));
  assert.ok(!(await other.json('/api/v1/tickets?limit=200')).body.items.some((x) => x.id === t.id));
});

test('the list: filters, counts per status without the status filter, keyset pages', async () => {
  const boss = await newManager(stack);
  const p1 = (await newProperty(boss, 'Erstes Haus')).id;
  const p2 = (await newProperty(boss, 'Zweites Haus')).id;
  const mk = async (body) => (await report(boss, { property_id: p1, description: 'd', reporter_name: 'Anruf', ...body })).body;
  const a = await mk({ title: 'Aufzug steckt', category: 'Aufzug' });
  const b = await mk({ title: 'Lärm nachts', category: 'Lärm', property_id: p2 });
  const c = await mk({ title: 'Heizung Flur', category: 'Heizung/Wasser', description: 'Der Heizkörper im Flur' });
  const d = await mk({ title: '100% kaputt', category: 'Sonstiges' });
  assert.equal((await patch(b.id, { status: 'in_progress', assignee_id: boss.user.id }, boss)).status, 200);
  assert.equal((await patch(c.id, { status: 'resolved', due_on: '2020-01-01' }, boss)).status, 200);
  assert.equal((await patch(a.id, { due_on: '2020-01-01' }, boss)).status, 200);
  const list = async (q) => {
    const res = await boss.json(`/api/v1/tickets${q}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const all = await list('');
  assert.deepEqual(all.items.map((t) => t.id), [d.id, c.id, b.id, a.id], 'newest first');
  assert.deepEqual(all.counts, { open: 2, in_progress: 1, waiting: 0, resolved: 1, closed: 0 });
  assert.deepEqual(Object.keys(all.items[0]).sort(), ['affected_count', 'assignee', 'category', 'created_at', 'due_on', 'id', 'number', 'property', 'reporter', 'status', 'title', 'updated_at']);
  const bItem = all.items.find((t) => t.id === b.id);
  assert.deepEqual(bItem.assignee, { id: boss.user.id, name: bItem.assignee.name });
  assert.deepEqual(bItem.property, { id: p2, name: 'Zweites Haus' });
  const open = await list('?status=open');
  assert.deepEqual(open.items.map((t) => t.id), [d.id, a.id]);
  assert.deepEqual(open.counts, all.counts, 'counts ignore the status filter');
  assert.deepEqual((await list(`?property_id=${p2}`)).items.map((t) => t.id), [b.id]);
  assert.deepEqual((await list(`?property_id=${p2}`)).counts, { open: 0, in_progress: 1, waiting: 0, resolved: 0, closed: 0 });
  assert.deepEqual((await list(`?assignee_id=${boss.user.id}`)).items.map((t) => t.id), [b.id]);
  assert.deepEqual((await list(`?category=${encodeURIComponent('Aufzug')}`)).items.map((t) => t.id), [a.id]);
  assert.deepEqual((await list('?q=heizung%20FLUR')).items.map((t) => t.id), [c.id], 'the title, case folded');
  assert.deepEqual((await list('?q=HEIZKORPER')).items.map((t) => t.id), [c.id], 'the description, umlauts folded');
  assert.deepEqual((await list('?q=100%25')).items.map((t) => t.id), [d.id], '% is literal');
  assert.deepEqual((await list('?overdue=true')).items.map((t) => t.id), [a.id], 'overdue: due in the past and not done');
  const page1 = await list('?limit=3');
  assert.equal(page1.items.length, 3);
  assert.ok(page1.next);
  const page2 = await list(`?limit=3&after=${encodeURIComponent(page1.next)}`);
  assert.deepEqual(page2.items.map((t) => t.id), [a.id]);
  assert.equal(page2.next, null);
  // by last activity: the ticket changed last comes first, and pages go on from there
  for (const [t, minutes] of [[a, 1], [b, 4], [c, 2], [d, 3]]) stack.sql(`UPDATE tickets SET updated_at = UTC_TIMESTAMP() - INTERVAL ${minutes} MINUTE WHERE id = ${t.id}`);
  assert.deepEqual((await list('?sort=activity')).items.map((t) => t.id), [a.id, c.id, d.id, b.id]);
  const act1 = await list('?sort=activity&limit=2');
  assert.deepEqual(act1.items.map((t) => t.id), [a.id, c.id]);
  const act2 = await list(`?sort=activity&limit=2&after=${encodeURIComponent(act1.next)}`);
  assert.deepEqual(act2.items.map((t) => t.id), [d.id, b.id]);
  assert.deepEqual((await list('?sort=newest')).items.map((t) => t.id), [d.id, c.id, b.id, a.id]);
  assert.equal((await boss.json('/api/v1/tickets?sort=random')).status, 422);
  // the page and its counts in one statement: two round trips with who is asking
  const trips = [];
  for (let i = 0; i < 4; i++) {
    await list('?status=open&q=a');
    const line = stack.log().split('\n').filter((l) => l.includes('route=/api/v1/tickets ') && / db=\d+/.test(l)).at(-1);
    trips.push([Number(/ db=(\d+)/.exec(line)[1]), line]);
  }
  assert.ok(Math.min(...trips.map(([n]) => n)) <= 2, trips.map(([, l]) => l).join('\n'));
  assert.equal((await boss.json('/api/v1/tickets?status=kaputt')).status, 422);
  assert.equal((await boss.json('/api/v1/tickets?category=Geheim')).status, 422);
  assert.equal((await boss.json('/api/v1/tickets?after=%%%')).status, 400);
});

test('comments: the manager\'s mails the reporter; an internal note is never shown or mailed to her; hers mails the assignee', async () => {
  const t = await reported(rita);
  const before = outbox(rita.email).length;
  const c = await post(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'Der Installateur kommt am Montag.' });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  assert.equal(c.body.type, 'comment');
  assert.equal(c.body.body, 'Der Installateur kommt am Montag.');
  assert.equal(c.body.by.role, 'manager');
  const note = await post(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'GEHEIM: Mieterin ist schwierig', internal: true });
  assert.equal(note.status, 201);
  assert.equal(note.body.type, 'note');
  const mails = outbox(rita.email);
  assert.equal(mails.length, before + 1, 'the comment mails her, the note does not');
  assert.equal(mails.at(-1).subject, `[Vorgang #${t.number}] Neue Nachricht: Tropfender Wasserhahn`);
  assert.match(mails.at(-1).text, /Installateur kommt am Montag/);
  assert.match(mails.at(-1).text, new RegExp(`/portal/tickets/${t.id}`));
  assert.equal(count(`SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%GEHEIM%'`), 0, 'no mail carries the note');
  const hers = await get(rita, t.id);
  assert.deepEqual(hers.body.events.map((e) => e.type), ['created', 'comment']);
  assert.doesNotMatch(JSON.stringify(hers.body), /GEHEIM/);
  const theirs = await get(manager, t.id);
  assert.deepEqual(theirs.body.events.map((e) => e.type), ['created', 'comment', 'note']);
  assert.equal(theirs.body.events[2].body, 'GEHEIM: Mieterin ist schwierig');
  // a resident cannot write notes
  const refused = await post(rita, `/api/v1/tickets/${t.id}/comments`, { body: 'x', internal: true });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.error.field, 'internal');
  assert.equal((await post(rita, `/api/v1/tickets/${t.id}/comments`, { body: '' })).status, 422);
  assert.equal((await post(rita, `/api/v1/tickets/${t.id}/comments`, { body: 'x'.repeat(5001) })).status, 422);
  // her answer: to the managers while nobody is assigned, then to the assignee only
  const second = await newManager(stack);
  const managerMails = outbox(manager.email).length;
  assert.equal((await post(rita, `/api/v1/tickets/${t.id}/comments`, { body: 'Danke!' })).status, 201);
  assert.equal(outbox(manager.email).length, managerMails + 1);
  assert.match(outbox(manager.email).at(-1).text, /Danke!/);
  assert.equal(outbox(second.email).length, 0, 'another organisation\'s manager gets nothing');
});

test('PATCH: status, assignee (visible to the reporter), title, category, due date; mails the status; bad values are 422', async () => {
  const t = await reported(rita);
  const before = outbox(rita.email).length;
  const res = await patch(t.id, { status: 'in_progress', assignee_id: manager.user.id, title: 'Wasserhahn Küche', category: 'Schaden/Reparatur', due_on: '2030-05-01' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, 'in_progress');
  assert.equal(res.body.title, 'Wasserhahn Küche');
  assert.equal(res.body.category, 'Schaden/Reparatur');
  assert.equal(res.body.due_on, '2030-05-01');
  const hers = (await get(rita, t.id)).body;
  assert.deepEqual(hers.assignee, { id: manager.user.id, name: res.body.assignee.name });
  const types = hers.events.map((e) => [e.type, e.from ?? null, e.to ?? null]);
  assert.deepEqual(types, [['created', null, null], ['assigned', null, res.body.assignee.name], ['status', 'open', 'in_progress']]);
  const mails = outbox(rita.email);
  assert.equal(mails.length, before + 1);
  assert.equal(mails.at(-1).subject, `[Vorgang #${t.number}] Neuer Status: Wasserhahn Küche`);
  assert.match(mails.at(-1).text, /Neuer Status: In Bearbeitung/);
  // same status again: nothing happens
  assert.equal((await patch(t.id, { status: 'in_progress' })).status, 200);
  assert.equal(outbox(rita.email).length, before + 1);
  assert.equal((await patch(t.id, { due_on: null })).body.due_on, null);
  for (const [body, field] of [[{ status: 'kaputt' }, 'status'], [{ assignee_id: other.user.id }, 'assignee_id'], [{ assignee_id: rita.id }, 'assignee_id'], [{ category: 'x' }, 'category'], [{ title: '' }, 'title'], [{ due_on: '2030-13-01' }, 'due_on']]) {
    const r = await patch(t.id, body);
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.body.error.field, field);
  }
  assert.equal((await get(manager, t.id)).body.title, 'Wasserhahn Küche', 'a refused PATCH changes nothing');
  assert.equal((await patch(t.id, { assignee_id: null })).body.assignee, null);
});

test('changes of the same tickets at one instant all land: bulk in either order beside PATCHes, none refused', async () => {
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await reported(rita, { title: `Zeitgleich geändert ${i}` })).id);
  const statuses = ['in_progress', 'waiting', 'open', 'resolved'];
  for (let round = 0; round < 15; round++) {
    const answers = await Promise.all([
      ...statuses.map((status, i) => post(manager, '/api/v1/tickets/bulk', { ids: i % 2 ? [...ids].reverse() : ids, status })),
      ...ids.map((id, i) => patch(id, { status: statuses[(round + i) % 4], assignee_id: manager.user.id })),
    ]);
    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), `round ${round}: ${answers.map((a) => a.status).join(' ')}`);
  }
  assert.doesNotMatch(stack.log(), / 503 \d+ms worker=/, 'no change refused');
  // closed: no resolved ticket of Rita's is left for the auto-close test below
  assert.equal((await post(manager, '/api/v1/tickets/bulk', { ids, status: 'closed' })).status, 200);
});

test('bulk: every ticket changes as with PATCH, or none when one id is not the organisation\'s', async () => {
  const a = await reported(rita);
  const b = await reported(sam);
  const foreign = Number(stack.sql(`SELECT MIN(id) FROM tickets WHERE org_id = ${other.user.org_id} OR org_id <> ${manager.user.org_id}`).trim());
  const refused = await post(manager, '/api/v1/tickets/bulk', { ids: [a.id, b.id, foreign], status: 'waiting', assignee_id: manager.user.id });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.error.field, 'ids');
  assert.equal((await get(manager, a.id)).body.status, 'open', 'nothing changed');
  assert.equal((await get(manager, b.id)).body.assignee, null);
  const missing = await post(manager, '/api/v1/tickets/bulk', { ids: [a.id, 99999999], status: 'waiting' });
  assert.equal(missing.status, 422);
  const badAssignee = await post(manager, '/api/v1/tickets/bulk', { ids: [a.id, b.id], status: 'waiting', assignee_id: other.user.id });
  assert.equal(badAssignee.status, 422);
  assert.equal((await get(manager, a.id)).body.status, 'open', 'a bad assignee changes none either');
  const ritaMails = outbox(rita.email).length;
  const ok = await post(manager, '/api/v1/tickets/bulk', { ids: [a.id, b.id], status: 'waiting', assignee_id: manager.user.id });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { updated: 2 });
  for (const id of [a.id, b.id]) {
    const t = (await get(manager, id)).body;
    assert.equal(t.status, 'waiting');
    assert.equal(t.assignee.id, manager.user.id);
  }
  assert.equal(outbox(rita.email).length, ritaMails + 1, 'the reporter gets the status mail');
  assert.equal((await post(rita, '/api/v1/tickets/bulk', { ids: [a.id], status: 'closed' })).status, 404, 'managers only');
  assert.equal((await post(manager, '/api/v1/tickets/bulk', { ids: [] })).status, 422);
});

test('shared tickets: residents of the property see them without the reporter, press "betroffen" once, and get the status mails', async () => {
  const t = await reported(rita, { title: 'Aufzug steht', category: 'Aufzug', description: 'Seit heute früh' });
  await post(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'Wir kümmern uns.' });
  assert.deepEqual((await sam.json(`/api/v1/properties/${house}/tickets/shared`)).body.items.filter((x) => x.id === t.id), [], 'not shared yet');
  assert.equal((await post(sam, `/api/v1/tickets/${t.id}/affected`)).status, 404);
  assert.equal((await patch(t.id, { shared: true })).body.shared, true);
  const shared = await sam.json(`/api/v1/properties/${house}/tickets/shared?category=Aufzug`);
  assert.equal(shared.status, 200);
  const item = shared.body.items.find((x) => x.id === t.id);
  assert.deepEqual(Object.keys(item).sort(), ['affected_count', 'category', 'created_at', 'id', 'number', 'status', 'title']);
  assert.equal((await sam.json(`/api/v1/properties/${house}/tickets/shared?category=L%C3%A4rm`)).body.items.find((x) => x.id === t.id), undefined);
  assert.equal((await sam.json(`/api/v1/properties/${annex}/tickets/shared`)).status, 404, 'not a property of his');
  assert.equal((await manager.json(`/api/v1/properties/${house}/tickets/shared`)).status, 404, 'a residents\' route');
  // the neighbour's view: no reporter, no comments, no access note
  const seen = (await get(sam, t.id)).body;
  assert.equal(seen.reporter, null);
  assert.equal(seen.access_note, undefined);
  assert.deepEqual(seen.attachments, []);
  assert.ok(!seen.events.some((e) => e.type === 'comment'));
  assert.equal(seen.events[0].by.display_name, null, 'the reporter\'s name is not his to see');
  assert.doesNotMatch(JSON.stringify(seen), /Rita/);
  assert.equal((await post(sam, `/api/v1/tickets/${t.id}/comments`, { body: 'ich auch' })).status, 403);
  // "Ich bin auch betroffen": idempotent; the reporter is not counted
  assert.deepEqual((await post(sam, `/api/v1/tickets/${t.id}/affected`)).body, { affected_count: 1 });
  assert.deepEqual((await post(sam, `/api/v1/tickets/${t.id}/affected`)).body, { affected_count: 1 });
  assert.deepEqual((await post(rita, `/api/v1/tickets/${t.id}/affected`)).body, { affected_count: 1 });
  assert.equal((await post(foreignResident, `/api/v1/tickets/${t.id}/affected`)).status, 404);
  assert.equal((await get(manager, t.id)).body.events.filter((e) => e.type === 'affected').length, 1);
  assert.equal((await get(manager, t.id)).body.affected_count, 1);
  // he lists it now, and gets its status mails
  const samList = await sam.json('/api/v1/tickets');
  const listed = samList.body.items.find((x) => x.id === t.id);
  assert.equal(listed.reporter, null);
  assert.equal(listed.affected_count, 1, 'a number, in the list as in the ticket');
  assert.equal((await manager.json('/api/v1/tickets')).body.items.find((x) => x.id === t.id).affected_count, 1);
  assert.equal(samList.body.counts.open >= 1, true);
  const samMails = outbox(sam.email).length;
  await patch(t.id, { status: 'in_progress' });
  assert.equal(outbox(sam.email).length, samMails + 1);
  assert.doesNotMatch(outbox(sam.email).at(-1).text, /Ist das erledigt/);
  // a comment by a manager reaches followers too, a note never
  await post(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'Techniker bestellt' });
  await post(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'INTERN teuer', internal: true });
  assert.equal(outbox(sam.email).length, samMails + 2);
  // a resident who turned ticket mails off gets none
  assert.equal((await sam.json('/api/v1/me/notifications', { method: 'PATCH', body: { tickets: false } })).status, 200);
  await patch(t.id, { status: 'waiting' });
  assert.equal(outbox(sam.email).length, samMails + 2);
  await sam.json('/api/v1/me/notifications', { method: 'PATCH', body: { tickets: true } });
});

test('merge: not into itself, not across organisations; the duplicate closes and its reporter follows the other', async () => {
  const main = await reported(rita, { title: 'Heizung kalt' });
  const dup = await reported(sam, { title: 'Keine Wärme' });
  const self = await post(manager, `/api/v1/tickets/${dup.id}/merge`, { into: dup.id });
  assert.equal(self.status, 422);
  assert.equal(self.body.error.field, 'into');
  const foreignId = Number(stack.sql(`SELECT MIN(id) FROM tickets WHERE org_id <> ${manager.user.org_id}`).trim());
  const across = await post(manager, `/api/v1/tickets/${dup.id}/merge`, { into: foreignId });
  assert.equal(across.status, 422);
  assert.equal(across.body.error.field, 'into');
  assert.equal((await post(other, `/api/v1/tickets/${dup.id}/merge`, { into: main.id })).status, 404);
  assert.equal((await post(rita, `/api/v1/tickets/${dup.id}/merge`, { into: main.id })).status, 404);
  assert.equal((await get(manager, dup.id)).body.status, 'open', 'nothing changed');
  const res = await post(manager, `/api/v1/tickets/${dup.id}/merge`, { into: main.id });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, 'closed');
  assert.deepEqual(res.body.merged_into, { id: main.id, number: main.number });
  const merged = res.body.events.find((e) => e.type === 'merged');
  assert.deepEqual([merged.from, merged.to], [`#${dup.number}`, `#${main.number}`]);
  assert.ok((await get(manager, main.id)).body.events.some((e) => e.type === 'merged'));
  assert.equal((await post(manager, `/api/v1/tickets/${dup.id}/merge`, { into: main.id })).status, 409);
  // Sam follows the main ticket now: he sees it and gets its mails
  assert.equal((await get(sam, main.id)).status, 200);
  const before = outbox(sam.email).length;
  await patch(main.id, { status: 'in_progress' });
  assert.equal(outbox(sam.email).length, before + 1);
  assert.equal((await get(manager, main.id)).body.affected_count, 0, 'a merged reporter is no "betroffen"');
});

test('resolved, then confirmed: "Ist das erledigt?" with links to a form; yes closes, no reopens with the comment', async () => {
  const t = await reported(rita);
  assert.equal((await post(rita, `/api/v1/tickets/${t.id}/confirm`, { solved: true })).status, 409, 'not resolved');
  assert.equal((await post(rita, `/api/v1/tickets/${t.id}/reopen`)).status, 409, 'not done');
  const before = outbox(rita.email).length;
  await patch(t.id, { status: 'resolved' });
  const mail = outbox(rita.email).at(-1);
  assert.equal(outbox(rita.email).length, before + 1);
  assert.equal(mail.subject, `[Vorgang #${t.number}] Ist das erledigt? Tropfender Wasserhahn`);
  assert.match(mail.text, new RegExp(`/portal/tickets/${t.id}/confirm\\?solved=1`));
  assert.match(mail.text, new RegExp(`/portal/tickets/${t.id}/confirm\\?solved=0`));
  assert.equal((await post(manager, `/api/v1/tickets/${t.id}/confirm`, { solved: true })).status, 403, 'the reporter answers');
  assert.equal((await post(sam, `/api/v1/tickets/${t.id}/confirm`, { solved: true })).status, 404);
  assert.equal((await post(rita, `/api/v1/tickets/${t.id}/confirm`, {})).status, 422);
  // no: reopened, with her comment; the managers hear of it
  const managerMails = outbox(manager.email).length;
  const no = await post(rita, `/api/v1/tickets/${t.id}/confirm`, { solved: false, comment: 'Tropft immer noch.' });
  assert.equal(no.status, 200, JSON.stringify(no.body));
  assert.equal(no.body.status, 'open');
  assert.deepEqual(no.body.events.slice(-2).map((e) => [e.type, e.body ?? e.to]), [['reopened', 'open'], ['comment', 'Tropft immer noch.']]);
  assert.equal(outbox(manager.email).length, managerMails + 1);
  assert.match(outbox(manager.email).at(-1).text, /Tropft immer noch\./);
  // yes: closed
  await patch(t.id, { status: 'resolved' });
  const yes = await post(rita, `/api/v1/tickets/${t.id}/confirm`, { solved: true });
  assert.equal(yes.status, 200);
  assert.equal(yes.body.status, 'closed');
  assert.deepEqual(yes.body.events.at(-1), { ...yes.body.events.at(-1), type: 'status', from: 'resolved', to: 'closed' });
  // closed: both reopen it
  const again = await post(rita, `/api/v1/tickets/${t.id}/reopen`);
  assert.equal(again.status, 200);
  assert.equal(again.body.status, 'open');
  assert.equal(again.body.events.at(-1).type, 'reopened');
  await patch(t.id, { status: 'closed' });
  assert.equal((await post(manager, `/api/v1/tickets/${t.id}/reopen`)).body.status, 'open');
  assert.equal((await post(sam, `/api/v1/tickets/${t.id}/reopen`)).status, 404);
});

test('the job closes a resolved ticket nobody answered after tickets.auto_close_days (7 unless set), by its schedule, not before', async () => {
  const old = await reported(rita, { title: 'Alt' });
  const young = await reported(rita, { title: 'Jung' });
  await patch(old.id, { status: 'resolved' });
  const resolved = stack.now();
  // the other one two days later
  await stack.advanceClock(2 * 86400);
  await manager.signIn(); // idle for two days: signed out
  await patch(young.id, { status: 'resolved' });
  // an hour short of seven days: the job (every 15 minutes) ran and left both
  const almost = new Date(resolved.getTime() + (7 * 86400 - 3600) * 1000);
  await stack.setClock(almost);
  assert.equal(await stack.waitForJob('tickets-autoclose', almost), 'ok');
  assert.equal((await get(rita, old.id)).body.status, 'resolved', 'not before seven days');
  // seven days and a minute: the next run closes the first, by nobody, with the status mail
  const mails = outbox(rita.email).length;
  const past = new Date(resolved.getTime() + (7 * 86400 + 60) * 1000);
  await stack.setClock(past);
  assert.equal(await stack.waitForJob('tickets-autoclose', past), 'ok');
  const closed = (await get(rita, old.id)).body;
  assert.equal(closed.status, 'closed');
  assert.deepEqual([closed.events.at(-1).type, closed.events.at(-1).from, closed.events.at(-1).to, closed.events.at(-1).by], ['status', 'resolved', 'closed', null]);
  assert.equal(outbox(rita.email).length, mails + 1);
  assert.equal((await get(rita, young.id)).body.status, 'resolved', 'resolved five days ago');
  // five days as the setting: the next period's run closes the other one
  stack.setConf({ 'tickets.auto_close_days': 5 });
  await stack.reload();
  const next = new Date(stack.now().getTime() + 15 * 60000);
  await stack.setClock(next);
  assert.equal(await stack.waitForJob('tickets-autoclose', next), 'ok');
  assert.equal((await get(rita, young.id)).body.status, 'closed');
  stack.withoutConf('tickets.auto_close_days');
  await stack.reload();
  assert.match(stack.portalctl('jobs', 'list').stdout, /^tickets-autoclose\s+every 15m/m);
  await manager.signIn();
});

test('a resident reports at most tickets.max_reports_per_day (10) a day: then 429 and nothing stored', async () => {
  stack.withoutConf('tickets.max_reports_per_day');
  await stack.reload();
  const busy = await newResident(stack, manager, [house]);
  for (let i = 0; i < 10; i++) await reported(busy, { title: `Meldung ${i}` });
  const before = count('SELECT COUNT(*) FROM tickets');
  const res = await report(busy, { property_id: house, title: 'Elf', description: 'zu viel' });
  assert.equal(res.status, 429);
  assert.equal(res.body.error.code, 'rate_limited');
  assert.equal(count('SELECT COUNT(*) FROM tickets'), before);
  // a day later
  await stack.advanceClock(25 * 3600);
  assert.equal((await report(busy, { property_id: house, title: 'Morgen', description: 'wieder' })).status, 201);
  await manager.signIn();
  stack.setConf({ 'tickets.max_reports_per_day': 1000 });
  await stack.reload();
});

test('a resident comments at most tickets.max_comments_per_hour (30) an hour: then 429, nothing stored, nobody mailed', async () => {
  const chatty = await newResident(stack, manager, [house]);
  const t = await reported(chatty, { title: 'Immer wieder' });
  const mails = outbox(manager.email).length;
  for (let i = 0; i < 30; i++) assert.equal((await post(chatty, `/api/v1/tickets/${t.id}/comments`, { body: `Nachricht ${i}` })).status, 201);
  assert.equal(outbox(manager.email).length, mails + 30);
  const events = count(`SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ${t.id}`);
  const res = await post(chatty, `/api/v1/tickets/${t.id}/comments`, { body: 'Noch eine' });
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'rate_limited');
  assert.equal(res.headers.get('retry-after'), '3600');
  assert.equal(count(`SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ${t.id}`), events, 'nothing stored');
  assert.equal(outbox(manager.email).length, mails + 30, 'nobody mailed');
  // the managers are not limited, and a note of theirs does not count
  assert.equal((await post(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'Wir melden uns.' })).status, 201);
  // an hour later
  await stack.advanceClock(3601);
  await chatty.signIn();
  assert.equal((await post(chatty, `/api/v1/tickets/${t.id}/comments`, { body: 'Wieder da' })).status, 201);
  await manager.signIn();
});

test('an erased resident\'s ticket stays, under "ehemalige Bewohnerin / ehemaliger Bewohner"', async () => {
  const gone = await newResident(stack, manager, [house]);
  const t = await reported(gone, { title: 'Vor dem Auszug' });
  stack.sql(`DELETE FROM users WHERE id = ${gone.id}`);
  const seen = (await get(manager, t.id)).body;
  assert.deepEqual(seen.reporter, { display_name: 'ehemalige Bewohnerin / ehemaliger Bewohner' });
  assert.equal(seen.events[0].by.display_name, null);
  assert.equal(seen.events[0].by.role, 'resident');
});

test('a pending membership grants nothing', async () => {
  const pending = await newResident(stack, manager, [annex], { state: 'pending' });
  const res = await report(pending, { property_id: annex, title: 'x', description: 'y' });
  assert.equal(res.status, 422);
  assert.equal(res.body.error.field, 'property_id');
  assert.equal((await pending.json(`/api/v1/properties/${annex}/tickets/shared`)).status, 404);
});

test('mails speak the recipient\'s language: English for a resident who chose it', async () => {
  const eve = await newResident(stack, manager, [house]);
  stack.sql(`UPDATE users SET locale = 'en' WHERE id = ${eve.id}`);
  const t = await reported(eve, { title: 'Broken window' });
  await post(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'We will fix it.' });
  await patch(t.id, { status: 'resolved' });
  const [comment, resolved] = outbox(eve.email);
  assert.equal(comment.subject, `[Ticket #${t.number}] New message: Broken window`);
  assert.match(comment.text, /There is a new message on the ticket/);
  assert.equal(resolved.subject, `[Ticket #${t.number}] Is it solved? Broken window`);
  assert.match(resolved.text, /Yes, solved:/);
  assert.match(resolved.html, new RegExp(`href="[^"]*/portal/tickets/${t.id}/confirm\\?solved&#61;0"`));
});

test('categories are the organisation\'s: an admin adds and removes them; the form offers that list, the defaults in the reader\'s language', async () => {
  const garden = { property_id: house, title: 'Hecke', description: 'Zu hoch', category: 'Garten' };
  let res = await report(rita, garden);
  assert.deepEqual([res.status, res.body.error?.field], [422, 'category']);
  res = await post(manager, '/api/v1/categories', { kind: 'tickets', name: 'Garten' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal((await reported(rita, garden)).category, 'Garten');
  res = await post(manager, '/api/v1/categories/remove', { kind: 'tickets', name: 'Aufzug' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  res = await report(rita, { property_id: house, title: 'Aufzug steht', description: 'Seit heute', category: 'Aufzug' });
  assert.deepEqual([res.status, res.body.error?.field], [422, 'category']);
  // another organisation keeps the defaults
  const foreignHouse = Number(stack.sql(`SELECT property_id FROM memberships WHERE user_id = ${foreignResident.id}`).trim());
  res = await report(foreignResident, { property_id: foreignHouse, title: 'Aufzug steht', description: 'Seit heute', category: 'Aufzug' });
  assert.equal(res.status, 201, JSON.stringify(res.body));

  const form = async (client) => (await client.fetch(`/portal/tickets/new?property_id=${house}`)).text();
  let html = await form(rita);
  assert.match(html, /<option value="Garten"[^>]*>Garten<\/option>/);
  assert.match(html, /<option value="Heizung\/Wasser"[^>]*>Heizung\/Wasser<\/option>/);
  assert.doesNotMatch(html, /<option value="Aufzug"/);
  stack.sql(`UPDATE users SET locale = 'en' WHERE id = ${rita.id}`);
  try {
    html = await form(rita);
    assert.match(html, /<option value="Heizung\/Wasser"[^>]*>Heating\/water<\/option>/);
    assert.match(html, /<option value="L&#228;rm"[^>]*>Noise<\/option>|<option value="Lärm"[^>]*>Noise<\/option>/);
  } finally {
    stack.sql(`UPDATE users SET locale = 'de' WHERE id = ${rita.id}`);
  }
});

test('a ticket costs the caller, the access, the ticket, and one query for its history with its attachments; the manager\'s page its controls\' choices', async () => {
  const t = await reported(rita, { title: 'Rundreise' });
  assert.equal((await post(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'Wir kommen.' })).status, 201);
  for (const client of [rita, manager]) {
    assert.equal(await stack.fewestTrips(client, `/api/v1/tickets/${t.id}`, '/api/v1/tickets/{id}'), 4);
  }
  // the manager's page: the caller, the ticket, its history, and one for its
  // controls' choices (the employees and what the ticket may be merged into)
  assert.equal(await stack.fewestTrips(manager, `/app/tickets/${t.id}`, '/app/tickets/{id}'), 4);
  const one = (await get(rita, t.id)).body;
  assert.deepEqual(one.events.map((e) => e.type), ['created', 'comment']);
  assert.deepEqual(Object.keys(one.events[1]).sort(), ['at', 'body', 'by', 'id', 'type']);
});
