// The managers' documents page, /app/properties/{id}/documents, as a browser
// without script uses it: the tab on the property, the list with its
// actions, the upload form (several files with one set of fields, or the
// fields once per file), a refused batch shown again with the error at its
// field and the settings kept, "Wer sieht es?" with its "Prüfen" button, a
// new version with and without "Bewohner benachrichtigen", deletion, and who
// acknowledged a document as a page and as CSV (cells a spreadsheet would run
// as formulas made text).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startStack } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, other, home, neighbour, units, owner, tenant, renter;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  other = await newManager(stack);
  home = (await newProperty(manager, 'Seitenhaus')).id;
  neighbour = (await newProperty(manager, 'Nachbarseite')).id;
  const unit = async (propertyId, name) => (await manager.json(`/api/v1/properties/${propertyId}/units`, { method: 'POST', body: { name } })).body.id;
  units = { a: await unit(home, 'WE 01'), b: await unit(home, 'WE 02'), foreign: await unit(neighbour, 'WE 99') };
  owner = await newResident(stack, manager, [home], { group: 'owner' });
  tenant = await newResident(stack, manager, [home], { group: 'tenant' });
  renter = await newResident(stack, manager, [home], { group: 'tenant' });
  // A name a spreadsheet would run as a formula, and one with a sign.
  stack.sql(`UPDATE users SET name = '=HYPERLINK("http://evil.example/?x","Klick")' WHERE id = ${tenant.id}`);
  stack.sql(`UPDATE users SET name = '-Minus Mieter' WHERE id = ${renter.id}`);
  const res = await manager.json(`/api/v1/properties/${home}/residents/${tenant.id}`, { method: 'PATCH', body: { unit_id: units.a } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(async () => { await stack?.stop(); });

const unique = (label) => Buffer.from(`${label} ${crypto.randomUUID()}\n`);
const count = (query) => Number(stack.sql(query).trim());

// A multipart body as a browser sends the page's form: [{name, value}] and
// [{name, filename, content}], the CSRF token as the form's hidden field.
function multipart(parts, csrf = manager.csrf) {
  const boundary = `----page${crypto.randomUUID()}`;
  const chunks = [];
  for (const p of [{ name: 'csrf_token', value: csrf }, ...parts]) {
    const disposition = p.filename === undefined
      ? `form-data; name="${p.name}"`
      : `form-data; name="${p.name}"; filename="${p.filename}"`;
    const type = p.filename === undefined ? '' : 'Content-Type: application/octet-stream\r\n';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.value ?? ''));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

// A page's form sent as the browser sends it: no X-CSRF-Token header, the
// token in the body, the deployment's Origin. { status, location, html }.
async function submit(client, path, parts, { csrf = client.csrf } = {}) {
  const { body, type } = multipart(parts, csrf);
  const res = await client.stack.fetch(path, {
    method: 'POST',
    headers: { Cookie: client.cookie, 'Content-Type': type, Origin: stack.base },
    body,
    redirect: 'manual',
  });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

async function page(client, path) {
  const res = await client.fetch(path);
  return { status: res.status, html: await res.text(), headers: res.headers };
}

const docsPage = (query = '') => page(manager, `/app/properties/${home}/documents${query}`);
const apiList = async () => (await manager.json(`/api/v1/properties/${home}/documents`)).body.items;

// The <select id=...>'s chosen option's value ('' when none is marked).
function selected(html, id) {
  const select = new RegExp(`<select id="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
  assert.ok(select, `no select #${id}`);
  const option = /<option value="([^"]*)" selected>/.exec(select[1]);
  return option ? option[1] : '';
}

test('the property has a "Dokumente" tab, and the empty page offers the upload, the check and the warning', async () => {
  const property = await page(manager, `/app/properties/${home}`);
  assert.equal(property.status, 200);
  assert.match(property.html, new RegExp(`href="/app/properties/${home}/documents">Dokumente</a>`));

  const { status, html } = await docsPage();
  assert.equal(status, 200);
  assert.match(html, /<h1>Dokumente: Seitenhaus<\/h1>/);
  assert.match(html, /Noch keine Dokumente\./);
  assert.match(html, /allgemeinen Einladungslink/, 'the warning about the invite link');
  assert.match(html, new RegExp(`<form method="post" action="/app/properties/${home}/documents" enctype="multipart/form-data"`));
  assert.match(html, /<input type="file" id="docs-files" name="files" multiple required/);
  for (const label of ['Hausordnung', 'Protokoll', 'Abrechnung', 'Aushang', 'Vertrag', 'Sonstiges']) assert.match(html, new RegExp(`<option value="${label}"`));
  for (const label of ['Intern \\(nur Verwaltung\\)', 'Alle Bewohner', 'Eigentümer', 'Mieter']) assert.match(html, new RegExp(`>${label}</option>`));
  assert.match(html, new RegExp(`<option value="${units.a}">WE 01</option>`));
  assert.doesNotMatch(html, /WE 99/, 'no unit of another property');
  assert.match(html, /Kenntnisnahme erforderlich/);
  assert.match(html, /<button type="submit" class="button" data-docs-submit>Dokumente hochladen<\/button>/);
  assert.match(html, /<button type="submit" class="button--secondary">Prüfen<\/button>/);

  // Residents, other organisations and signed-out visitors do not get it.
  assert.equal((await page(owner, `/app/properties/${home}/documents`)).status, 404);
  assert.equal((await page(other, `/app/properties/${home}/documents`)).status, 404);
  const anonymous = await stack.fetch(`/app/properties/${home}/documents`, { redirect: 'manual' });
  assert.ok([302, 303].includes(anonymous.status), `signed out: ${anonymous.status}`);
});

test('without script: several files with one set of fields, each file titled by its name', async () => {
  const before = count(`SELECT COUNT(*) FROM documents WHERE property_id = ${home}`);
  const res = await submit(manager, `/app/properties/${home}/documents`, [
    { name: 'files', filename: 'Protokoll Mai.pdf', content: unique('%PDF-1.4 Mai') },
    { name: 'files', filename: 'Protokoll Juni.txt', content: unique('Juni') },
    { name: 'files', filename: 'Anlage.txt', content: unique('Anlage') },
    { name: 'title', value: '' },
    { name: 'category', value: 'Protokoll' },
    { name: 'audience', value: 'owners' },
    { name: 'unit_id', value: '' },
    { name: 'requires_ack', value: 'true' },
  ]);
  assert.equal(res.status, 303, res.html.slice(0, 500));
  assert.equal(res.location, `/app/properties/${home}/documents?done=uploaded#documents`);
  assert.equal(count(`SELECT COUNT(*) FROM documents WHERE property_id = ${home}`), before + 3);
  const items = (await apiList()).slice(0, 3).reverse();
  assert.deepEqual(items.map((d) => [d.title, d.category, d.audience, d.unit, d.requires_ack]), [
    ['Protokoll Mai', 'Protokoll', 'owners', null, true],
    ['Protokoll Juni', 'Protokoll', 'owners', null, true],
    ['Anlage', 'Protokoll', 'owners', null, true],
  ]);

  const { html } = await docsPage('?done=uploaded');
  assert.match(html, /role="status">Die Dokumente wurden hochgeladen\./);
  for (const d of items) {
    assert.match(html, new RegExp(`<a href="/api/v1/documents/${d.id}/download">${d.title}</a>`));
    // one owner may see them: "0 von 1", linked to who did and did not
    assert.match(html, new RegExp(`<a href="/app/documents/${d.id}/acks">0 von 1<`));
    assert.match(html, new RegExp(`action="/app/documents/${d.id}/delete" data-confirm=`));
    assert.match(html, new RegExp(`action="/app/documents/${d.id}/file" enctype="multipart/form-data"`));
  }
  assert.match(html, />Eigentümer<\/td>/);
  assert.doesNotMatch(html, /Frühere Versionen/, 'a first version has none before it');
  assert.match(html, /\d+ B<\/td>/, 'the size');
  assert.match(html, /<time datetime="\d{4}-\d\d-\d\dT[^"]+Z">\d\d\.\d\d\.\d{4}<\/time>/, 'the day');
});

test('the page\'s form takes the fields once per file too, each file with its own audience and unit', async () => {
  const res = await submit(manager, `/app/properties/${home}/documents`, [
    { name: 'files', filename: 'Hausordnung.pdf', content: unique('%PDF-1.4 HO') },
    { name: 'files', filename: 'Mietvertrag.pdf', content: unique('%PDF-1.4 MV') },
    { name: 'title', value: 'Hausordnung 2027' }, { name: 'title', value: '' },
    { name: 'category', value: 'Hausordnung' }, { name: 'category', value: 'Vertrag' },
    { name: 'audience', value: 'residents' }, { name: 'audience', value: 'tenants' },
    { name: 'unit_id', value: '' }, { name: 'unit_id', value: String(units.a) },
    { name: 'requires_ack', value: 'false' }, { name: 'requires_ack', value: 'false' },
  ]);
  assert.equal(res.status, 303, res.html.slice(0, 500));
  const [contract, rules] = await apiList();
  assert.deepEqual([rules.title, rules.audience, rules.unit], ['Hausordnung 2027', 'residents', null]);
  assert.deepEqual([contract.title, contract.audience, contract.unit, contract.category], ['Mietvertrag', 'tenants', { id: units.a, name: 'WE 01' }, 'Vertrag']);
  const { html } = await docsPage();
  assert.match(html, /<td data-label="Einheit">WE 01<\/td>/);
  assert.match(html, />Alle Bewohner<\/td>/);
});

test('a refused batch stores nothing and shows the error at its field, with the settings kept', async () => {
  const rows = () => count(`SELECT COUNT(*) FROM documents WHERE property_id = ${home}`);
  const before = rows();
  const files = [
    { name: 'files', filename: 'Eins.txt', content: unique('eins') },
    { name: 'files', filename: 'Zwei.txt', content: unique('zwei') },
  ];

  // Refused by the handler: a unit of another property.
  let res = await submit(manager, `/app/properties/${home}/documents`, [
    ...files,
    { name: 'title', value: 'Mein Titel' },
    { name: 'category', value: 'Aushang' },
    { name: 'audience', value: 'tenants' },
    { name: 'unit_id', value: String(units.foreign) },
    { name: 'requires_ack', value: 'true' },
  ]);
  assert.equal(res.status, 422);
  assert.equal(rows(), before, 'nothing stored');
  assert.match(res.html, /<h1>Dokumente: Seitenhaus<\/h1>/, 'the page around the error');
  assert.match(res.html, /role="alert" id="docs-error">Bitte wählen Sie eine Einheit dieser Liegenschaft\. \(Einheit\)/);
  assert.match(res.html, /<select id="docs-unit" name="unit_id" data-docs-field="unit" aria-invalid="true">/);
  assert.match(res.html, /<p class="field__error">Bitte wählen Sie eine Einheit dieser Liegenschaft\.<\/p>/);
  assert.doesNotMatch(res.html, /<select id="docs-audience"[^>]*aria-invalid/, 'only the refused field is marked');
  assert.equal(selected(res.html, 'docs-category'), 'Aushang');
  assert.equal(selected(res.html, 'docs-audience'), 'tenants');
  assert.match(res.html, /id="docs-title" name="title" maxlength="200" value="Mein Titel"/);
  assert.match(res.html, /name="requires_ack" value="true" checked>/);
  assert.match(res.html, /Noch keine Dokumente|Dokumente der Liegenschaft/, 'the list stays');

  // Refused by the declared input before the handler: an unknown audience.
  res = await submit(manager, `/app/properties/${home}/documents`, [
    ...files,
    { name: 'category', value: 'Vertrag' },
    { name: 'audience', value: 'alle-welt' },
    { name: 'unit_id', value: String(units.b) },
  ]);
  assert.equal(res.status, 422);
  assert.equal(rows(), before);
  assert.match(res.html, /<select id="docs-audience" name="audience" required data-docs-field="audience" aria-invalid="true">/);
  assert.equal(selected(res.html, 'docs-category'), 'Vertrag');
  assert.equal(selected(res.html, 'docs-unit'), String(units.b));

  // No file chosen: the browser sends an empty file part.
  res = await submit(manager, `/app/properties/${home}/documents`, [
    { name: 'files', filename: '', content: Buffer.alloc(0) },
    { name: 'category', value: 'Sonstiges' },
    { name: 'audience', value: 'residents' },
  ]);
  assert.equal(res.status, 422);
  assert.match(res.html, /<input type="file" id="docs-files" name="files" multiple required aria-describedby="docs-files-hint" aria-invalid="true">/);
  assert.match(res.html, /Bitte wählen Sie mindestens eine Datei\./);

  // A page form without its token is refused, and stores nothing.
  res = await submit(manager, `/app/properties/${home}/documents`, [...files, { name: 'category', value: 'Sonstiges' }, { name: 'audience', value: 'residents' }], { csrf: 'falsch' });
  assert.equal(res.status, 403);
  assert.equal(rows(), before);
});

test('"Wer sieht es?": without script the "Prüfen" button asks the page for the count and the people', async () => {
  let { html } = await docsPage('?check_audience=owners');
  assert.match(html, /<strong>1<\/strong> Personen sehen ein so freigegebenes Dokument\./);
  assert.equal(selected(html, 'check-audience'), 'owners');
  assert.match(html, /<summary>Personen anzeigen<\/summary>/);
  assert.match(html, /<li>Rita Resident · Eigentümer\/in<\/li>/);

  ({ html } = await docsPage('?check_audience=tenants'));
  assert.match(html, /<strong>2<\/strong> Personen/);
  ({ html } = await docsPage(`?check_audience=tenants&check_unit_id=${units.a}`));
  assert.match(html, /<strong>1<\/strong> Personen/);
  assert.equal(selected(html, 'check-unit'), String(units.a));
  assert.match(html, /<li>=HYPERLINK\(&quot;http:\/\/evil\.example\/\?x&quot;,&quot;Klick&quot;\) · Mieter\/in · WE 01<\/li>/, 'names are escaped');
  ({ html } = await docsPage('?check_audience=residents'));
  assert.match(html, /<strong>3<\/strong> Personen/);
  ({ html } = await docsPage('?check_audience=internal'));
  assert.match(html, /Nur die Verwaltung sieht es\./);
  // The same numbers as the API's audience check.
  const api = await manager.json(`/api/v1/properties/${home}/documents/audience?audience=tenants&unit_id=${units.a}`);
  assert.equal(api.body.count, 1);
  // A unit of another property is no question: the form only.
  ({ html } = await docsPage(`?check_audience=owners&check_unit_id=${units.foreign}`));
  assert.doesNotMatch(html, /Personen sehen ein so/);
  assert.equal((await docsPage('?check_audience=jeder')).status, 422);
});

test('a new version through the page, with and without "Bewohner benachrichtigen"; deletion', async () => {
  const [doc] = await apiList();
  const notifyOf = (version) => Number(stack.sql(`SELECT notify FROM document_files WHERE document_id = ${doc.id} AND version = ${version}`).trim());
  let res = await submit(manager, `/app/documents/${doc.id}/file`, [
    { name: 'file', filename: 'neu.txt', content: unique('Version 2') },
  ]);
  assert.equal(res.status, 303, res.html.slice(0, 300));
  assert.equal(res.location, `/app/properties/${home}/documents?done=replaced#documents`);
  assert.equal(notifyOf(2), 0, 'unticked: nobody is told');
  res = await submit(manager, `/app/documents/${doc.id}/file`, [
    { name: 'file', filename: 'neuer.txt', content: unique('Version 3') },
    { name: 'notify', value: 'true' },
  ]);
  assert.equal(res.status, 303);
  assert.equal(notifyOf(3), 1, 'ticked (the default on the page): the digest tells');
  const { html } = await docsPage('?done=replaced');
  assert.match(html, /Die neue Version wurde gespeichert\./);
  assert.match(html, new RegExp(`<tr data-document="${doc.id}">[\\s\\S]*?<td data-label="Version">3</td>`));
  assert.match(html, /<input type="checkbox" name="notify" value="true" checked>/, 'ticked by default');
  // The earlier versions, newest first, each downloadable by managers.
  const row = new RegExp(`<tr data-document="${doc.id}">([\\s\\S]*?)</tr>`).exec(html)[1];
  const links = [...row.matchAll(/<a href="\/api\/v1\/documents\/(\d+)\/download\?version=(\d+)">Version (\d+)<\/a>/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
  assert.deepEqual(links, [[doc.id, 2, 2], [doc.id, 1, 1]]);
  assert.match(row, /Frühere Versionen:/);
  assert.equal((await manager.fetch(`/api/v1/documents/${doc.id}/download?version=1`)).status, 200);

  // A replacement without a file: the page again, with the reason.
  res = await submit(manager, `/app/documents/${doc.id}/file`, [{ name: 'file', filename: '', content: Buffer.alloc(0) }]);
  assert.equal(res.status, 422);
  assert.match(res.html, /<h1>Dokumente: Seitenhaus<\/h1>/);

  // Another organisation's manager finds nothing to replace or delete.
  res = await submit(other, `/app/documents/${doc.id}/delete`, []);
  assert.equal(res.status, 404);
  res = await submit(manager, `/app/documents/${doc.id}/delete`, []);
  assert.equal(res.status, 303);
  assert.equal(res.location, `/app/properties/${home}/documents?done=deleted#documents`);
  assert.equal((await manager.json(`/api/v1/documents/${doc.id}/versions`)).status, 404);
  assert.match((await docsPage('?done=deleted')).html, /Das Dokument wurde gelöscht\./);
  assert.equal((await submit(manager, `/app/documents/${doc.id}/delete`, [])).status, 404, 'gone');
});

test('who acknowledged: the list\'s "1 von 2", the page, and the CSV with every cell made text', async () => {
  const res = await submit(manager, `/app/properties/${home}/documents`, [
    { name: 'files', filename: 'Brandschutz.pdf', content: unique('%PDF-1.4 Brand') },
    { name: 'category', value: 'Aushang' },
    { name: 'audience', value: 'tenants' },
    { name: 'requires_ack', value: 'true' },
  ]);
  assert.equal(res.status, 303, res.html.slice(0, 300));
  const [doc] = await apiList();
  assert.equal(doc.title, 'Brandschutz');
  const ack = await tenant.json(`/api/v1/documents/${doc.id}/ack`, { method: 'POST', body: {} });
  assert.equal(ack.status, 200, JSON.stringify(ack.body));
  assert.match((await docsPage()).html, new RegExp(`<a href="/app/documents/${doc.id}/acks">1 von 2<`));

  const acks = await page(manager, `/app/documents/${doc.id}/acks`);
  assert.equal(acks.status, 200);
  assert.match(acks.html, /<h1>Kenntnisnahme: Brandschutz<\/h1>/);
  assert.match(acks.html, /<strong>1 von 2<\/strong>/);
  const [open, done] = acks.html.split('id="done-title"');
  assert.match(open, /<th scope="row">-Minus Mieter<\/th>/, 'the one still open');
  assert.match(done, /<th scope="row">=HYPERLINK\(&quot;/, 'the one who acknowledged, escaped');
  assert.match(done, /<td data-label="Einheit">WE 01<\/td>/);
  assert.match(acks.html, new RegExp(`href="/app/documents/${doc.id}/acks\\?format=csv"`));

  const csv = await manager.fetch(`/app/documents/${doc.id}/acks?format=csv`);
  assert.equal(csv.status, 200);
  assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.equal(csv.headers.get('content-disposition'), `attachment; filename="kenntnisnahme-${doc.id}.csv"`);
  const text = Buffer.from(await csv.arrayBuffer()).toString('utf8');
  const lines = text.replace(/^\uFEFF/, '').split('\r\n');
  assert.ok(text.startsWith('\uFEFF'), 'a byte order mark for spreadsheets');
  assert.equal(lines[0], '"Name";"Gruppe";"Einheit";"Zur Kenntnis genommen am"');
  assert.equal(lines[1], '"\'-Minus Mieter";"Mieter/in";"";"offen"', 'open first; a sign at the start made text');
  assert.match(lines[2], /^"'=HYPERLINK\(""http:\/\/evil\.example\/\?x"",""Klick""\)";"Mieter\/in";"WE 01";"\d\d\.\d\d\.\d{4}, \d\d:\d\d"$/);
  assert.equal(lines[3], '');
  assert.equal(lines.length, 4);

  // Residents and other organisations: 404.
  assert.equal((await page(tenant, `/app/documents/${doc.id}/acks`)).status, 404);
  assert.equal((await page(other, `/app/documents/${doc.id}/acks?format=csv`)).status, 404);
  assert.equal((await page(manager, `/app/documents/${doc.id}/acks?format=xlsx`)).status, 422);
});
