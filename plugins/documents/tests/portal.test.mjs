// What residents see of documents against the whole stack: the page
// /portal/documents (per property, by category, newest first, marks, the
// acknowledgement button as a plain form), the section on the home (per
// person: a resident moved or removed loses it at once), the manager's
// preview (a plain resident's view), and the daily digest through the real
// SMTP sink, run by the jobs worker at its time of the stack's clock
// (stack.setClock) and by hand with portalctl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startStack, mailParts, decodeWords } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, home, second;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  home = (await newProperty(manager, 'Lindenhof')).id;
  second = (await newProperty(manager, 'Birkenweg')).id;
});
after(async () => { await stack?.stop(); });

const unique = (label) => Buffer.from(`${label} ${crypto.randomUUID()}\n`);

function multipart(parts) {
  const boundary = `----docs${crypto.randomUUID()}`;
  const chunks = [];
  for (const p of parts) {
    const disposition = p.filename === undefined
      ? `form-data; name="${p.name}"`
      : `form-data; name="${p.name}"; filename="${p.filename}"`;
    const type = p.filename === undefined ? '' : `Content-Type: ${p.type || 'application/octet-stream'}\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.value ?? ''));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

// One document shared so: its id.
async function share(propertyId, { title, category = 'Sonstiges', audience = 'residents', unit_id = '', requires_ack = '', content } = {}) {
  const { body, type } = multipart([
    { name: 'files', filename: `${title}.txt`, content: content ?? unique(title) },
    { name: 'title', value: title }, { name: 'category', value: category }, { name: 'audience', value: audience },
    { name: 'unit_id', value: String(unit_id) }, { name: 'requires_ack', value: requires_ack },
  ]);
  const res = await manager.json(`/api/v1/properties/${propertyId}/documents`, { method: 'POST', headers: { 'Content-Type': type }, body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.items[0].id;
}

// A new version of a document's file.
async function replace(id, { notify = 'true' } = {}) {
  const { body, type } = multipart([{ name: 'file', filename: 'neu.txt', content: unique('neu') }, { name: 'notify', value: notify }]);
  const res = await manager.json(`/api/v1/documents/${id}/file`, { method: 'PUT', headers: { 'Content-Type': type }, body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

const page = async (client, p = '/portal/documents') => {
  const res = await client.fetch(p);
  assert.equal(res.status, 200, p);
  return res.text();
};
// The document's entry of the page: its <li id="document-ID"> element's html.
const entry = (html, id) => {
  const m = new RegExp(`<li class="documents-item" id="document-${id}">([\\s\\S]*?)</li>`).exec(html);
  return m ? m[1] : null;
};
const homeSection = (html) => /<section class="card home-documents"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
// The database round trips of the latest request to route, from its log line.
const dbCount = (route) => {
  const lines = stack.log().split('\n').filter((l) => l.includes(`route=${route} `) && / db=\d+/.test(l));
  return [Number(/ db=(\d+)/.exec(lines.at(-1))[1]), lines.at(-1)];
};
const unitOf = async (propertyId, name) => (await manager.json(`/api/v1/properties/${propertyId}/units`, { method: 'POST', body: { name } })).body.id;
const patchResident = async (userId, body, propertyId = home) => {
  const res = await manager.json(`/api/v1/properties/${propertyId}/residents/${userId}`, { method: 'PATCH', body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
};

// The digest, as an operator runs it; then the mails of kind documents to
// the address, as the outbox has them (queued or sent) and as the sink got them.
function runDigest() {
  const r = stack.portalctl('jobs', 'run', 'digest');
  assert.equal(r.status, 0, r.stderr + r.stdout);
}
// The next day's digest, by the schedule: the stack's clock moves to the next
// documents.digest_time (07:00 in Europe/Berlin) and the jobs worker runs it.
// Its start: the moment the clock moved to.
async function nextDigestDay() {
  const at = stack.nextLocalTime('07:00');
  await stack.setClock(at);
  assert.equal(await stack.waitForJob('digest', at), 'ok');
  await manager.signIn(); // idle since the day before: signed out
  return at;
}
const outboxFor = (email) => Number(stack.sql(`SELECT COUNT(*) FROM outbox WHERE kind = 'documents' AND to_addr = '${email}'`).trim());
const sinkFor = (email) => stack.mails().filter((m) => (m.headers.to || '').includes(email));
async function digestTextFor(email, nth = 1) {
  const mails = await stack.waitForMail((m) => (m.headers.to || '').includes(email));
  await stack.waitForMail(() => sinkFor(email).length >= nth);
  const mail = sinkFor(email)[nth - 1];
  assert.equal(decodeWords(mail.headers.subject), 'Neue Dokumente für Sie');
  const parts = mailParts(mail);
  assert.ok(mails.length >= 1);
  return { text: parts.find((p) => p.type === 'text/plain').text, html: parts.find((p) => p.type === 'text/html').text };
}

test('the page: per property, by category, newest first, with size, type and the acknowledgement on top', async () => {
  const rita = await newResident(stack, manager, [home, second], { group: 'tenant' });
  const rules = await share(home, { title: 'Hausordnung 2026', category: 'Hausordnung', requires_ack: 'true' });
  const older = await share(home, { title: 'Protokoll März', category: 'Protokoll' });
  const newer = await share(home, { title: 'Protokoll April', category: 'Protokoll', content: Buffer.alloc(3000, 'a') });
  const owners = await share(home, { title: 'Nur Eigentümer', category: 'Protokoll', audience: 'owners' });
  const internal = await share(home, { title: 'Intern', audience: 'internal' });
  const elsewhere = await share(second, { title: 'Aushang Birkenweg', category: 'Aushang' });

  const html = await page(rita);
  // once each worker prepared its statements: one or two round trips
  const trips = [];
  for (let i = 0; i < 4; i++) {
    await page(rita);
    trips.push(dbCount('/portal/documents'));
  }
  assert.ok(Math.min(...trips.map(([n]) => n)) <= 2, trips.map(([, l]) => l).join('\n'));
  for (const id of [rules, older, newer, elsewhere]) assert.ok(entry(html, id), `document ${id} is listed`);
  for (const id of [owners, internal]) assert.equal(entry(html, id), null, `document ${id} is not for a tenant`);
  // the properties in order of their names, each with its own documents
  assert.ok(html.indexOf('Aushang Birkenweg') < html.indexOf('Protokoll April'));
  assert.ok(html.indexOf('<h2 id="documents-property-' + second) < html.indexOf('<h2 id="documents-property-' + home));
  // the open acknowledgement on top, before the categories, with its form
  const top = entry(html, rules);
  assert.match(top, new RegExp(`<form method="post" action="/portal/documents/${rules}/ack"`));
  assert.match(top, /Gelesen und zur Kenntnis genommen/);
  assert.ok(html.indexOf(`id="document-${rules}"`) < html.indexOf('<h3 class="documents-category">Protokoll</h3>'));
  // newest first within the category
  assert.ok(html.indexOf(`id="document-${newer}"`) < html.indexOf(`id="document-${older}"`));
  // size, type, date, link, mark
  const e = entry(html, newer);
  assert.match(e, new RegExp(`href="/api/v1/documents/${newer}/download"`));
  assert.match(e, /Text, 3 KB/);
  assert.match(e, /<time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">\d\d\.\d\d\.\d{4}<\/time>/);
  assert.match(e, /<span class="badge">neu<\/span>/, 'shared after joining, in no digest yet: new');
  // English
  stack.sql(`UPDATE users SET locale = 'en' WHERE id = ${rita.id}`);
  const en = await page(rita);
  assert.match(en, /Read and acknowledged/);
  assert.match(en, /<h3 class="documents-category">Minutes<\/h3>/);
  stack.sql(`UPDATE users SET locale = NULL WHERE id = ${rita.id}`);
  // in the navigation of the resident's pages
  assert.match(await page(rita, '/portal'), /<a [^>]*href="\/portal\/documents"[^>]*>Dokumente<\/a>/);
});

test('"Gelesen und zur Kenntnis genommen" is a plain form: recorded once, then off the top', async () => {
  const tom = await newResident(stack, manager, [home]);
  const id = await share(home, { title: 'Brandschutzordnung', category: 'Aushang', requires_ack: 'true' });
  const html = await page(tom);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(entry(html, id))[1];
  // the browser's form, without script: the token in the body, no header
  const res = await stack.fetch(`/portal/documents/${id}/ack`, {
    method: 'POST', redirect: 'manual',
    headers: { Cookie: tom.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrf }).toString(),
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/portal/documents#document-${id}`);
  assert.equal(Number(stack.sql(`SELECT COUNT(*) FROM document_acks WHERE document_id = ${id} AND user_id = ${tom.id}`).trim()), 1);
  const after = entry(await page(tom), id);
  assert.doesNotMatch(after, /<form/, 'no button once acknowledged');
  assert.match(after, /Zur Kenntnis genommen am \d\d\.\d\d\.\d{4}, \d\d:\d\d/);
  // without the token: refused, nothing more recorded
  const forged = await stack.fetch(`/portal/documents/${id}/ack`, {
    method: 'POST', redirect: 'manual',
    headers: { Cookie: tom.cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: '',
  });
  assert.equal(forged.status, 403);
  // a document that asks for none: the page says so
  const plain = await share(home, { title: 'Ohne Kenntnisnahme' });
  const refused = await tom.fetch(`/portal/documents/${plain}/ack`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: tom.csrf }).toString(),
  });
  assert.equal(refused.status, 409);
  assert.match(await refused.text(), /role="alert">Für dieses Dokument ist keine Kenntnisnahme erforderlich/);
  // someone who may not see it gets 404
  const other = await newResident(stack, manager, [second]);
  const hidden = await other.fetch(`/portal/documents/${id}/ack`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: other.csrf }).toString(),
  });
  assert.equal(hidden.status, 404);
});

test('the home section: the newest documents the person sees; moved or removed, gone at the next request', async () => {
  const house = (await newProperty(manager, 'Ulmenhof')).id;
  const unit = await unitOf(house, 'WE 1');
  const lena = await newResident(stack, manager, [house], { group: 'owner' });
  const nina = await newResident(stack, manager, [house], { group: 'tenant' });
  await patchResident(lena.id, { unit_id: unit }, house);
  const forAll = await share(house, { title: 'Für alle im Ulmenhof' });
  const forUnit = await share(house, { title: 'Nur für WE 1', unit_id: unit });
  const forOwners = await share(house, { title: 'Für Eigentümer', audience: 'owners' });

  let section = homeSection(await page(lena, '/portal'));
  assert.match(section, /<h2 id="home-documents-title">Dokumente<\/h2>/);
  for (const t of ['Für alle im Ulmenhof', 'Nur für WE 1', 'Für Eigentümer']) assert.ok(section.includes(t), t);
  assert.ok(section.indexOf('Für Eigentümer') < section.indexOf('Für alle im Ulmenhof'), 'newest first');
  // another resident of the same property sees only theirs: nothing is shared between people
  section = homeSection(await page(nina, '/portal'));
  assert.ok(section.includes('Für alle im Ulmenhof'));
  assert.ok(!section.includes('Nur für WE 1') && !section.includes('Für Eigentümer'));
  // moved to another unit and made a tenant: the unit's and the owners' papers go at once
  const other = await unitOf(house, 'WE 2');
  await patchResident(lena.id, { unit_id: other, group: 'tenant' }, house);
  section = homeSection(await page(lena, '/portal'));
  assert.ok(section.includes('Für alle im Ulmenhof'));
  assert.ok(!section.includes('Nur für WE 1') && !section.includes('Für Eigentümer'));
  assert.equal(entry(await page(lena), forUnit), null);
  assert.equal(entry(await page(lena), forOwners), null);
  // removed: nothing of it
  const removed = await manager.fetch(`/api/v1/properties/${house}/residents/${lena.id}`, { method: 'DELETE' });
  assert.equal(removed.status, 204);
  assert.equal(homeSection(await page(lena, '/portal')), '');
  assert.equal(entry(await page(lena), forAll), null);
});

test('the manager\'s preview shows documents as a plain resident sees them', async () => {
  const house = (await newProperty(manager, 'Vorschauhaus')).id;
  const unit = await unitOf(house, 'WE 7');
  await share(house, { title: 'Vorschau für alle' });
  await share(house, { title: 'Vorschau Eigentümer', audience: 'owners' });
  await share(house, { title: 'Vorschau Mieter', audience: 'tenants' });
  await share(house, { title: 'Vorschau intern', audience: 'internal' });
  await share(house, { title: 'Vorschau WE 7', unit_id: unit });
  const res = await manager.fetch(`/app/properties/${house}/preview`);
  assert.equal(res.status, 200);
  const section = homeSection(await res.text());
  assert.ok(section.includes('Vorschau für alle'));
  for (const t of ['Vorschau Eigentümer', 'Vorschau Mieter', 'Vorschau intern', 'Vorschau WE 7']) assert.ok(!section.includes(t), t);
  assert.match(section, new RegExp(`href="/api/v1/documents/\\d+/download"`));
  // a property without documents for residents: no section
  const empty = (await newProperty(manager, 'Leeres Haus')).id;
  await share(empty, { title: 'Nur intern', audience: 'internal' });
  assert.equal(homeSection(await (await manager.fetch(`/app/properties/${empty}/preview`)).text()), '');
});

test('the digest goes out by itself at documents.digest_time: one mail with the new documents and links, nothing before, nothing on a day with nothing new, never twice', async () => {
  await nextDigestDay(); // whatever earlier tests left pending goes out
  const house = (await newProperty(manager, 'Digesthaus')).id;
  const anna = await newResident(stack, manager, [house]);
  const a = await share(house, { title: 'Heizkostenabrechnung 2025', category: 'Abrechnung' });
  const b = await share(house, { title: 'Aushang Treppenhaus', category: 'Aushang' });
  await share(house, { title: 'Nur intern', audience: 'internal' });
  assert.match(entry(await page(anna), a), /badge">neu</);

  // the next morning a minute before the digest's time: the jobs worker went
  // round at that time (the 10-second search index ran once after it) and
  // mailed nothing
  const before = new Date(stack.nextLocalTime('07:00').getTime() - 60000);
  await stack.setClock(before);
  await stack.waitForJob('throttle-events', before);
  const later = new Date(stack.now().getTime() + 30000);
  await stack.advanceClock(30);
  await stack.waitForJob('search-index', later);
  assert.equal(outboxFor(anna.email), 0, 'nothing before the digest\'s time');

  await nextDigestDay();
  assert.equal(outboxFor(anna.email), 1, 'one mail for both');
  const { text, html } = await digestTextFor(anna.email);
  assert.match(text, /\[neu\] Heizkostenabrechnung 2025 \(Digesthaus\)/);
  assert.match(text, /\[neu\] Aushang Treppenhaus \(Digesthaus\)/);
  assert.doesNotMatch(text, /Nur intern/);
  assert.ok(text.includes(`${stack.base}/portal/documents#document-${a}`));
  assert.ok(text.includes(`${stack.base}/portal/documents`));
  assert.ok(html.includes(`<a href="${stack.base}/portal/documents#document-${b}">Aushang Treppenhaus</a>`));
  // the page still marks what the latest digest listed
  assert.match(entry(await page(anna), a), /badge">neu</);

  // a day with nothing new: the digest runs and mails nothing
  await nextDigestDay();
  assert.equal(outboxFor(anna.email), 1, 'nothing new: no mail');
  // run by hand, and twice at the same moment: nothing more
  runDigest();
  await Promise.all([0, 1].map(() => new Promise((resolve, reject) => {
    const p = spawn(path.join(stack.env.PORTAL_BIN, 'portalctl'), ['-c', stack.conf, 'jobs', 'run', 'digest'], { env: stack.env, stdio: 'ignore' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`portalctl exit ${code}`))));
  })));
  assert.equal(outboxFor(anna.email), 1, 'never twice for one version');
  assert.equal(sinkFor(anna.email).length, 1);
});

test('the digest lists a changed document as changed, not one replaced without notice; two at once mail once', async () => {
  const house = (await newProperty(manager, 'Änderungshaus')).id;
  const ben = await newResident(stack, manager, [house]);
  const doc = await share(house, { title: 'Mietvertrag Muster', category: 'Vertrag' });
  const quiet = await share(house, { title: 'Lageplan' });
  runDigest();
  await digestTextFor(ben.email, 1);
  assert.equal(outboxFor(ben.email), 1);
  await replace(quiet, { notify: 'false' });
  runDigest();
  assert.equal(outboxFor(ben.email), 1, 'a version without notice: no mail');
  assert.doesNotMatch(entry(await page(ben), quiet), /geändert/);
  await replace(doc);
  assert.match(entry(await page(ben), doc), /badge">geändert</, 'pending for the next digest');
  // two runs at the same moment (as two pools would): one mail
  await Promise.all([0, 1].map(() => new Promise((resolve, reject) => {
    const p = spawn(path.join(stack.env.PORTAL_BIN, 'portalctl'), ['-c', stack.conf, 'jobs', 'run', 'digest'], { env: stack.env, stdio: 'ignore' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`portalctl exit ${code}`))));
  })));
  assert.equal(outboxFor(ben.email), 2);
  const { text } = await digestTextFor(ben.email, 2);
  assert.match(text, /\[geändert\] Mietvertrag Muster \(Änderungshaus\)/);
  assert.doesNotMatch(text, /Lageplan/);
  assert.doesNotMatch(text, /\[neu\]/);
  assert.match(entry(await page(ben), doc), /badge">geändert</, 'the latest digest\'s mark');
  assert.doesNotMatch(entry(await page(ben), quiet), /badge/, 'an earlier digest\'s mark is gone');
});

test('the digest: turned off means no mail; joining brings no digest of old papers', async () => {
  const house = (await newProperty(manager, 'Althaus')).id;
  const old = await share(house, { title: 'Alte Hausordnung', category: 'Hausordnung' });
  // shared well before anyone below joined
  await stack.advanceClock(3600);
  const carl = await newResident(stack, manager, [house]);
  const dora = await newResident(stack, manager, [house]);
  assert.doesNotMatch(entry(await page(carl), old), /badge/, 'not new to someone who joined after');
  runDigest();
  assert.equal(outboxFor(carl.email), 0, 'joining sends no digest of old papers');
  // the switch, among the resident's settings
  const settings = await dora.json('/api/v1/me/notifications');
  assert.equal(settings.body.documents, true);
  assert.equal((await dora.json('/api/v1/me/notifications', { method: 'PATCH', body: { documents: false } })).status, 200);
  assert.match(await page(dora, '/portal/settings'), /Neue Dokumente/);
  await share(house, { title: 'Neuer Aushang', category: 'Aushang' });
  runDigest();
  assert.equal(outboxFor(dora.email), 0, 'turned off: no mail');
  assert.equal(outboxFor(carl.email), 1, 'the others get theirs');
  const { text } = await digestTextFor(carl.email);
  assert.match(text, /Neuer Aushang/);
  assert.doesNotMatch(text, /Alte Hausordnung/);
  // turning it on again brings no backlog
  await dora.json('/api/v1/me/notifications', { method: 'PATCH', body: { documents: true } });
  runDigest();
  assert.equal(outboxFor(dora.email), 0);
});

test('an internal document opened to residents is shared when it is opened: the tenancy rule and the digest see it so', async () => {
  const house = (await newProperty(manager, 'Öffnungshaus')).id;
  const unit = await unitOf(house, 'WE 3');
  // uploaded an hour before the tenant moves in: one paper of the unit kept
  // internal for now, one shared with the unit at once, one internal for all
  const opened = await share(house, { title: 'Erst intern', audience: 'internal', unit_id: unit });
  const direct = await share(house, { title: 'Gleich geteilt', unit_id: unit });
  const general = await share(house, { title: 'Intern für alle', audience: 'internal' });
  await stack.advanceClock(3600);
  const tina = await newResident(stack, manager, [house], { group: 'tenant' });
  await patchResident(tina.id, { unit_id: unit }, house);
  runDigest();
  assert.equal(outboxFor(tina.email), 0, 'nothing for her yet');
  for (const id of [opened, direct, general]) assert.equal(entry(await page(tina), id), null);

  let res = await manager.json(`/api/v1/documents/${opened}`, { method: 'PATCH', body: { audience: 'residents' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  res = await manager.json(`/api/v1/documents/${general}`, { method: 'PATCH', body: { audience: 'tenants' } });
  assert.equal(res.status, 200);
  const list = (await tina.json(`/api/v1/properties/${house}/documents`)).body.items.map((d) => d.id);
  assert.ok(list.includes(opened), 'opened after her tenancy began: hers');
  assert.ok(list.includes(general));
  assert.ok(!list.includes(direct), 'shared with the unit before she moved in: not hers');
  assert.equal((await tina.fetch(`/api/v1/documents/${opened}/download`)).status, 200);
  assert.equal((await tina.fetch(`/api/v1/documents/${direct}/download`)).status, 404);
  assert.match(entry(await page(tina), opened), /badge">neu</);

  runDigest();
  assert.equal(outboxFor(tina.email), 1, 'the digest lists what was opened after she joined');
  const { text } = await digestTextFor(tina.email);
  assert.match(text, /\[neu\] Erst intern \(Öffnungshaus\)/);
  assert.match(text, /\[neu\] Intern für alle \(Öffnungshaus\)/);
  assert.doesNotMatch(text, /Gleich geteilt/);

  // only opening shares it again: a new title or another audience of residents does not
  const sharedAt = () => stack.sql(`SELECT shared_at FROM documents WHERE id = ${opened}`).trim();
  const was = sharedAt();
  await manager.json(`/api/v1/documents/${opened}`, { method: 'PATCH', body: { title: 'Jetzt offen' } });
  await manager.json(`/api/v1/documents/${opened}`, { method: 'PATCH', body: { audience: 'tenants' } });
  assert.equal(sharedAt(), was);
  runDigest();
  assert.equal(outboxFor(tina.email), 1, 'and no second digest of it');
});

test('the digest is a daily job at documents.digest_time, 07:00 unless set', async () => {
  let list = stack.portalctl('jobs', 'list');
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^digest\s+daily 07:00\s+.*\s+documents$/m);
  stack.setConf({ 'documents.digest_time': '06:15' });
  await stack.reload();
  list = stack.portalctl('jobs', 'list');
  assert.match(list.stdout, /^digest\s+daily 06:15\s+/m);
  stack.setConf({ 'documents.digest_time': '25:00' });
  const check = stack.portalctl('jobs', 'list');
  assert.notEqual(check.status, 0);
  assert.match(check.stderr + check.stdout, /documents\.digest_time must be a time HH:MM/);
  stack.setConf({ 'documents.digest_time': '07:00' });
  await stack.reload();
});

// Both at once, as two hosts would: portalctl jobs run digest with each
// pool's configuration.
function isAliveProcess(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const runDigestOn = (confs) => Promise.all(confs.map((conf) => new Promise((resolve, reject) => {
  const p = spawn(path.join(stack.env.PORTAL_BIN, 'portalctl'), ['-c', conf, 'jobs', 'run', 'digest'], { env: stack.env, stdio: 'ignore' });
  p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`portalctl exit ${code}`))));
})));

test('two pools on one database: the digest due on both at once by the schedule, and run by hand on both at once, mails each resident once', async () => {
  runDigest(); // what earlier tests left pending
  const house = (await newProperty(manager, 'Zwei-Pools-Haus')).id;
  const people = [];
  for (let i = 0; i < 12; i++) people.push(await newResident(stack, manager, [house], { group: i % 2 ? 'owner' : 'tenant' }));
  await share(house, { title: 'Für beide Pools' });
  await share(house, { title: 'Auch für beide Pools', audience: 'tenants' });
  const counts = () => people.map((r) => outboxFor(r.email));
  assert.deepEqual(counts(), people.map(() => 0));

  // a second pool with the same configuration (and so the same clock), then
  // the clock at the next digest_time: both jobs workers find the period due
  // at the same moment, one of them claims it
  let second;
  try {
    second = await stack.startSecondPool();
    assert.ok(isAliveProcess(second.pid), second.log());
    const at = stack.nextLocalTime('07:00');
    await stack.setClock(at);
    assert.equal(await stack.waitForJob('digest', at), 'ok');
    await manager.signIn();
    assert.deepEqual(counts(), people.map(() => 1), 'one mail each');
    assert.doesNotMatch(stack.log() + second.log(), /job digest failed/);

    // a changed document, and the digest run by hand on both hosts at the same moment
    const doc = (await manager.json(`/api/v1/properties/${house}/documents`)).body.items.find((d) => d.title === 'Für beide Pools').id;
    await replace(doc);
    await runDigestOn([stack.conf, path.join(stack.var, 'portal2.conf'), stack.conf, path.join(stack.var, 'portal2.conf')]);
    assert.deepEqual(counts(), people.map(() => 2), 'one more mail each, not two');
    const { text } = await digestTextFor(people[0].email, 2);
    assert.match(text, /\[geändert\] Für beide Pools \(Zwei-Pools-Haus\)/);
    await stack.waitForMail(() => people.every((r) => sinkFor(r.email).length >= 2));
    assert.deepEqual(people.map((r) => sinkFor(r.email).length), people.map(() => 2), 'and the sink got exactly those');
  } finally {
    await second?.stop();
  }
});

