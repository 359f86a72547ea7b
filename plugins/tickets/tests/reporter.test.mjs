// What the reporter of a ticket sees and gets, point by point of the issue:
// the form preselects her property and its unit when there are several;
// the organisation's six default categories; her contact address only where
// she consented; the assignee's name and the due date on her page; her
// comment mails the assignee alone once there is one; she can turn ticket
// mails off; every mail carries the number in the subject and a link; the
// followers of a merged duplicate get the mails of the ticket it went into.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, admin, zoe, house, annex, annexUnit, rita, sam;
before(async () => {
  stack = await startStack({ plugins: 'invites tickets', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  admin = await newManager(stack);
  const email = `zoe-${process.pid}@example.org`;
  const hired = await admin.json('/api/v1/employees', { method: 'POST', body: { email, name: 'Zoe Zuständig' } });
  assert.equal(hired.status, 201, JSON.stringify(hired.body));
  zoe = { id: hired.body.id, email };
  stack.sql(`UPDATE users SET email_confirmed_at = UTC_TIMESTAMP() WHERE id = ${zoe.id}`);
  house = (await newProperty(admin, 'Lindenhof')).id;
  annex = (await newProperty(admin, 'Gartenhaus')).id;
  annexUnit = (await admin.json(`/api/v1/properties/${annex}/units`, { method: 'POST', body: { name: 'WE 7' } })).body.id;
  rita = await newResident(stack, admin, [house, annex]);
  sam = await newResident(stack, admin, [house]);
  const res = await admin.json(`/api/v1/properties/${annex}/residents/${rita.id}`, { method: 'PATCH', body: { unit_id: annexUnit } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(async () => { await stack?.stop(); });

const post = (client, p, body = {}) => client.json(p, { method: 'POST', body });
const patch = (id, body) => admin.json(`/api/v1/tickets/${id}`, { method: 'PATCH', body });
async function reported(client, body = {}) {
  const res = await post(client, '/api/v1/tickets', { property_id: house, title: 'Tropfender Wasserhahn', description: 'In der Küche.', ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}
// The tickets mails queued for an address: [{subject, text}], oldest first.
const outbox = (email) => stack.sql(`SELECT TO_BASE64(subject), TO_BASE64(body_text) FROM outbox WHERE kind = 'tickets' AND to_addr = '${email}' ORDER BY id`)
  .split('\n').filter(Boolean).map((line) => {
    const [subject, text] = line.split('\t').map((b) => Buffer.from(b.replace(/\\n/g, ''), 'base64').toString('utf8'));
    return { subject, text };
  });

test('the report form of a resident with two properties: the one asked for, with her unit there', async () => {
  const first = await (await rita.fetch('/portal/tickets/new')).text();
  assert.match(first, /<label for="ticket-check-property">Liegenschaft<\/label>/, 'she chooses among her properties');
  assert.match(first, new RegExp(`<option value="${annex}" selected>Gartenhaus</option>`), 'the first by name until she chooses');
  const html = await (await rita.fetch(`/portal/tickets/new?property_id=${house}`)).text();
  assert.match(html, new RegExp(`<option value="${house}" selected>Lindenhof</option>`));
  assert.match(html, new RegExp(`<input type="hidden" name="property_id" value="${house}">`));
  assert.doesNotMatch(html, /id="ticket-unit"/, 'Lindenhof has no units');
  const annexForm = await (await rita.fetch(`/portal/tickets/new?property_id=${annex}`)).text();
  assert.match(annexForm, new RegExp(`<option value="${annexUnit}" selected>WE 7</option>`), 'her unit there');
  const foreign = await (await sam.fetch(`/portal/tickets/new?property_id=${annex}`)).text();
  assert.match(foreign, new RegExp(`<input type="hidden" name="property_id" value="${house}">`), 'not his: his own instead');
});

test('a new organisation has the six default categories, in order, on the form and in the API', async () => {
  const six = ['Schaden/Reparatur', 'Heizung/Wasser', 'Aufzug', 'Reinigung', 'Lärm', 'Sonstiges'];
  const res = await admin.json('/api/v1/categories');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.items.find((l) => l.kind === 'tickets').names.map((n) => n.name), six);
  const html = await (await rita.fetch(`/portal/tickets/new?property_id=${house}`)).text();
  const form = /<select id="ticket-category"[\s\S]*?<\/select>/.exec(html)[0];
  const options = [...form.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1].replace('&#228;', 'ä'));
  assert.deepEqual(options, six);
});

test('the reporter\'s address reaches the managers only where she consented', async () => {
  const without = await reported(rita, { title: 'Ohne Zustimmung' });
  const seen = (await admin.json(`/api/v1/tickets/${without.id}`)).body;
  assert.deepEqual(seen.reporter, { display_name: 'Rita Resident' });
  assert.equal(seen.contact_consent, false);
  const page = await (await admin.fetch(`/app/tickets/${without.id}`)).text();
  assert.doesNotMatch(page, new RegExp(rita.email.replace(/[.]/g, '\\.')), 'no address on the page');
  assert.doesNotMatch(page, /mailto:/);
  const agreed = await reported(rita, { title: 'Mit Zustimmung', contact_consent: true });
  assert.equal((await admin.json(`/api/v1/tickets/${agreed.id}`)).body.reporter.email, rita.email);
  assert.match(await (await admin.fetch(`/app/tickets/${agreed.id}`)).text(), /darf direkt kontaktiert werden/);
  // and never to a neighbour of a shared ticket
  await patch(agreed.id, { shared: true });
  assert.equal((await sam.json(`/api/v1/tickets/${agreed.id}`)).body.reporter, null);
});

test('the reporter sees who handles it and the next step\'s date; the list finds it overdue once the date passed', async () => {
  const t = await reported(rita, { title: 'Fenster klemmt' });
  const res = await patch(t.id, { assignee_id: zoe.id, due_on: '2031-03-04' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const hers = (await rita.json(`/api/v1/tickets/${t.id}`)).body;
  assert.deepEqual([hers.assignee, hers.due_on], [{ id: zoe.id, name: 'Zoe Zuständig' }, '2031-03-04']);
  assert.equal((await rita.json('/api/v1/tickets')).body.items.find((x) => x.id === t.id).due_on, '2031-03-04');
  const page = await (await rita.fetch(`/portal/tickets/${t.id}`)).text();
  assert.match(page, /<p>Zuständig: Zoe Zuständig<\/p>/);
  assert.match(page, /<p>Nächster Schritt bis: <time datetime="2031-03-04">[^<]+<\/time><\/p>/);
  const overdue = async () => (await admin.json('/api/v1/tickets?overdue=true&limit=200')).body.items.map((x) => x.id);
  assert.ok(!(await overdue()).includes(t.id), 'not yet due');
  await patch(t.id, { due_on: '2020-01-01' });
  assert.ok((await overdue()).includes(t.id));
  assert.match(await (await admin.fetch('/app/tickets?overdue=true')).text(), /Fenster klemmt/);
  await patch(t.id, { status: 'resolved' });
  assert.ok(!(await overdue()).includes(t.id), 'done is never overdue');
});

test('her comment mails the managers while nobody is assigned, then the assignee alone', async () => {
  const t = await reported(rita, { title: 'Heizung kalt' });
  const count = () => [outbox(admin.email).length, outbox(zoe.email).length];
  let [a, z] = count();
  assert.equal((await post(rita, `/api/v1/tickets/${t.id}/comments`, { body: 'Immer noch kalt.' })).status, 201);
  assert.deepEqual(count(), [a + 1, z + 1], 'every manager');
  await patch(t.id, { assignee_id: zoe.id });
  [a, z] = count();
  assert.equal((await post(rita, `/api/v1/tickets/${t.id}/comments`, { body: 'Bitte vormittags.' })).status, 201);
  assert.deepEqual(count(), [a, z + 1], 'the assignee alone');
  const mail = outbox(zoe.email).at(-1);
  assert.equal(mail.subject, `[Vorgang #${t.number}] Neue Nachricht: Heizung kalt`);
  assert.match(mail.text, /Bitte vormittags\./);
  assert.match(mail.text, new RegExp(`/app/tickets/${t.id}\\b`), 'the link goes to the manager\'s page');
});

test('every mail to the reporter carries the number in the subject and a link to her page', async () => {
  const t = await reported(rita, { title: 'Licht im Keller' });
  const before = outbox(rita.email).length;
  await post(admin, `/api/v1/tickets/${t.id}/comments`, { body: 'Wir kommen.' });
  await patch(t.id, { status: 'in_progress' });
  await patch(t.id, { status: 'resolved' });
  const mails = outbox(rita.email).slice(before);
  assert.deepEqual(mails.map((m) => m.subject), [
    `[Vorgang #${t.number}] Neue Nachricht: Licht im Keller`,
    `[Vorgang #${t.number}] Neuer Status: Licht im Keller`,
    `[Vorgang #${t.number}] Ist das erledigt? Licht im Keller`,
  ]);
  for (const m of mails) assert.match(m.text, new RegExp(`/portal/tickets/${t.id}\\b`), m.subject);
});

test('the reporter turns ticket mails off: no comment or status mail, her page still shows everything', async () => {
  const settings = await rita.json('/api/v1/me/notifications');
  assert.equal(settings.status, 200);
  assert.match(JSON.stringify(settings.body), /"tickets"/, 'a switch of its own');
  assert.equal((await rita.json('/api/v1/me/notifications', { method: 'PATCH', body: { tickets: false } })).status, 200);
  try {
    const t = await reported(rita, { title: 'Ruhe bitte' });
    const before = outbox(rita.email).length;
    await post(admin, `/api/v1/tickets/${t.id}/comments`, { body: 'Wir prüfen das.' });
    await patch(t.id, { status: 'in_progress' });
    assert.equal(outbox(rita.email).length, before, 'no mail');
    const page = await (await rita.fetch(`/portal/tickets/${t.id}`)).text();
    assert.match(page, /Wir prüfen das\./);
  } finally {
    await rita.json('/api/v1/me/notifications', { method: 'PATCH', body: { tickets: true } });
  }
  const t = await reported(rita, { title: 'Wieder an' });
  const before = outbox(rita.email).length;
  await post(admin, `/api/v1/tickets/${t.id}/comments`, { body: 'Gesehen.' });
  assert.equal(outbox(rita.email).length, before + 1, 'on again: mailed again');
});

test('a merged duplicate\'s followers ("betroffen") get the mails of the ticket it went into', async () => {
  const main = await reported(rita, { title: 'Aufzug steht' });
  const dup = await reported(admin, { title: 'Lift kaputt', reporter_name: 'Herr Schulz (Telefon)' });
  await patch(dup.id, { shared: true });
  assert.deepEqual((await post(sam, `/api/v1/tickets/${dup.id}/affected`)).body, { affected_count: 1 });
  assert.equal((await sam.json(`/api/v1/tickets/${main.id}`)).status, 404, 'not his before the merge');
  assert.equal((await post(admin, `/api/v1/tickets/${dup.id}/merge`, { into: main.id })).status, 200);
  assert.equal((await sam.json(`/api/v1/tickets/${main.id}`)).status, 200);
  const before = outbox(sam.email).length;
  await patch(main.id, { status: 'in_progress' });
  await post(admin, `/api/v1/tickets/${main.id}/comments`, { body: 'Techniker kommt morgen.' });
  const mails = outbox(sam.email).slice(before);
  assert.deepEqual(mails.map((m) => m.subject), [
    `[Vorgang #${main.number}] Neuer Status: Aufzug steht`,
    `[Vorgang #${main.number}] Neue Nachricht: Aufzug steht`,
  ]);
});
