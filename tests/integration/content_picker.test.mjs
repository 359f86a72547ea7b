// The property picker of the content forms at scale (plugins/content/forms.c,
// templates/targets.html): an organisation of 2,000 properties, made with
// SQL. Every manager page of the content plugin stays under 100 KB of HTML,
// since a page never lists all properties: at most 20 matches beside the
// chosen ones. Without script the picker's search button asks its page again
// (GET, the form's fields in the query): the page lists the matches as
// checkboxes, keeps what was chosen (also from another organisation's ids:
// none), keeps what was typed, and the form then publishes to what was
// ticked. Edit pages show the stored targets as chips; on the FAQ and
// contacts pages an entry's search opens that entry's form alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newProperty } from './client.mjs';

const COUNT = 2000;
const MAX_BYTES = 100_000;
const RESULTS = 20;

let stack, m, other;
const ids = {};

// A page's form, as a browser sends it (repeated keys for property_ids).
async function submit(client, path, fields) {
  const body = new URLSearchParams([['csrf_token', client.csrf], ...fields]);
  const res = await client.fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: body.toString(),
  });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

// A GET of a page, as the picker's search button sends its form.
async function page(client, path, fields = []) {
  const query = new URLSearchParams(fields).toString();
  const res = await client.fetch(query ? `${path}?${query}` : path);
  const text = await res.text();
  return { status: res.status, text, bytes: Buffer.byteLength(text) };
}

// The markup of the picker whose fieldset has this id.
function picker(html, id) {
  const start = html.indexOf(`<fieldset class="picker" id="${id}"`);
  assert.ok(start >= 0, `a picker ${id}`);
  return html.slice(start, html.indexOf('</fieldset>', start));
}
const ticked = (html) => [...html.matchAll(/name="property_ids" value="(\d+)" checked/g)].map((r) => Number(r[1]));
const offered = (html) => [...html.matchAll(/name="property_ids" value="(\d+)">/g)].map((r) => Number(r[1]));

before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  m = await newManager(stack);
  other = await newManager(stack);
  const org = m.user.org_id;
  // Long names, as real ones are: the pages' size must not depend on them.
  stack.sql(`INSERT INTO properties (org_id, reference_id, name, street, zip, city, notes, created_at)
    SELECT ${org}, CONCAT('WE-', seq), CONCAT('Wohnanlage Lindenstraße ', seq, ', Haus A bis D'),
      CONCAT('Lindenstraße ', seq), LPAD(10000 + seq, 5, '0'), IF(seq = 1500, 'Potsdam', 'Berlin-Charlottenburg'), '', UTC_TIMESTAMP()
    FROM seq_1_to_${COUNT}`);
  ids.kastanie = (await newProperty(m, 'Kastanienhof Übersee')).id;
  ids.foreign = (await newProperty(other, 'Fremdhaus Kastanienweg')).id;
  const some = stack.sql(`SELECT id FROM properties WHERE org_id = ${org} AND reference_id IN ('WE-7', 'WE-1500', 'WE-1999') ORDER BY id`).trim().split('\n').map(Number);
  [ids.p7, ids.p1500, ids.p1999] = some;
  const made = async (path, body) => {
    const res = await m.json(path, { method: 'POST', body });
    assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  };
  ids.announcement = await made('/api/v1/announcements', { title: 'Wasser', body: 'Am Montag.', property_ids: some, notify: false });
  ids.appointment = await made('/api/v1/appointments', { title: 'Ablesung', starts_at: '2027-03-01T08:00:00Z', property_ids: some });
  ids.faq = [];
  ids.contacts = [];
  for (let i = 0; i < 10; i++) {
    ids.faq.push(await made('/api/v1/faq', { question: `Frage ${i}?`, answer: 'Antwort.', property_ids: some }));
    ids.contacts.push(await made('/api/v1/contacts', { name: `Kontakt ${i}`, role: 'Hausmeister', property_ids: some }));
  }
});
after(async () => { await stack?.stop(); });

test(`every content page of a manager stays under ${MAX_BYTES} bytes with ${COUNT} properties`, async () => {
  const paths = [
    '/app/content',
    '/app/content/announcement/new',
    '/app/content/announcements',
    `/app/content/announcements/${ids.announcement}`,
    '/app/content/appointment/new',
    '/app/content/appointments',
    `/app/content/appointments/${ids.appointment}`,
    '/app/content/faq',
    '/app/content/contacts',
  ];
  for (const path of paths) {
    const res = await page(m, path);
    assert.equal(res.status, 200, path);
    assert.ok(res.bytes < MAX_BYTES, `${path}: ${res.bytes} bytes`);
    // the pickers list the first properties by name, never all of them
    assert.ok(offered(res.text).length <= RESULTS * 2, `${path}: ${offered(res.text).length} properties offered`);
  }
  const form = await page(m, '/app/content/announcement/new');
  assert.equal(offered(form.text).length, RESULTS);
  assert.match(form.text, /name="property_ids" value="all"/);
  assert.match(form.text, /Die ersten Liegenschaften nach Namen/, 'says that there are more');
});

test('without script the search lists the matches, keeps the chosen ones and what was typed', async () => {
  const path = '/app/content/announcement/new';
  // Found by a word of its name, whatever the case and the umlaut's spelling.
  let res = await page(m, path, [['picker', '0'], ['property_q', 'übersee'], ['title', 'Hoffest <b>'], ['body', 'Am Samstag.']]);
  assert.equal(res.status, 200);
  let found = picker(res.text, 'target');
  assert.deepEqual(offered(found), [ids.kastanie]);
  assert.match(found, /Kastanienhof Übersee/);
  assert.match(found, /1 Liegenschaft gefunden\./);
  assert.match(found, /value="übersee"/, 'the search field keeps its text');
  assert.deepEqual(ticked(found), [], 'nothing chosen yet');
  assert.match(res.text, /value="Hoffest &lt;b&gt;"/, 'the title typed before the search');
  assert.match(res.text, />Am Samstag\.<\/textarea>/);
  assert.doesNotMatch(res.text, /name="notify"[^>]*checked/, 'notify as sent: off');
  assert.doesNotMatch(found, /Fremdhaus/, 'never another organisation\'s');

  // The ticked match and one chosen before are kept as chips across the next
  // search, which finds by street and city too.
  res = await page(m, path, [['picker', '0'], ['property_q', 'Lindenstraße 1999'], ['property_ids', String(ids.kastanie)], ['property_ids', String(ids.p7)], ['property_ids', String(ids.foreign)], ['notify', 'true']]);
  found = picker(res.text, 'target');
  assert.deepEqual(ticked(found).sort(), [ids.kastanie, ids.p7].sort(), 'the chosen ones, without the foreign id');
  assert.deepEqual(offered(found), [ids.p1999]);
  assert.match(res.text, /name="notify" value="true" checked/);
  res = await page(m, path, [['picker', '0'], ['property_q', 'potsdam'], ['property_ids', String(ids.kastanie)]]);
  assert.deepEqual(offered(picker(res.text, 'target')), [ids.p1500], 'by city');
  res = await page(m, path, [['picker', '0'], ['property_q', 'lindenstraße 19']]);
  found = picker(res.text, 'target');
  assert.equal(offered(found).length, RESULTS, 'at most 20 matches');
  assert.match(found, /20 Liegenschaften gefunden\. Es gibt weitere Treffer/);
  res = await page(m, path, [['picker', '0'], ['property_q', 'gibt es nicht']]);
  assert.match(picker(res.text, 'target'), /Keine Liegenschaft gefunden\./);
  // "all" stays ticked; an unknown id is no property at all.
  res = await page(m, path, [['picker', '0'], ['property_ids', 'all']]);
  assert.match(picker(res.text, 'target'), /value="all" checked/);
  assert.equal((await page(m, path, [['picker', '0'], ['property_ids', 'x']])).status, 422);

  // What was ticked is what the form publishes to.
  const sent = await submit(m, path, [['title', 'Hoffest'], ['body', 'Am Samstag.'], ['property_ids', String(ids.kastanie)], ['property_ids', String(ids.p1999)]]);
  assert.equal(sent.status, 303);
  const id = Number(/announcements\/(\d+)/.exec(sent.location)[1]);
  const made = (await m.json(`/api/v1/announcements/${id}`)).body;
  assert.deepEqual(made.properties.map((p) => p.id).sort(), [ids.kastanie, ids.p1999].sort());

  // A refused form keeps its chips.
  const refused = await submit(m, path, [['title', ''], ['body', 'x'], ['property_ids', String(ids.kastanie)]]);
  assert.equal(refused.status, 422);
  assert.deepEqual(ticked(picker(refused.text, 'target')), [ids.kastanie]);
});

test('edit pages show the stored targets as chips; their search replaces them with what was sent', async () => {
  const stored = [ids.p7, ids.p1500, ids.p1999].sort();
  const detail = `/app/content/announcements/${ids.announcement}`;
  let res = await page(m, detail);
  assert.deepEqual(ticked(picker(res.text, 'target')).sort(), stored);
  assert.match(res.text, /id="title"[^>]*value="Wasser"/);
  res = await page(m, detail, [['picker', '0'], ['property_q', 'Kastanienhof'], ['property_ids', String(ids.p7)], ['title', 'Wasser neu']]);
  const found = picker(res.text, 'target');
  assert.deepEqual(ticked(found), [ids.p7]);
  assert.deepEqual(offered(found), [ids.kastanie]);
  assert.match(res.text, /id="title"[^>]*value="Wasser neu"/);
  assert.match(res.text, /<h1 id="announcement-title">Wasser<\/h1>/, 'the stored announcement itself is unchanged');
  // A refused edit shows what was sent, chips included.
  const refused = await submit(m, detail, [['title', 'Wasser anders'], ['body', ''], ['property_ids', String(ids.kastanie)]]);
  assert.equal(refused.status, 422);
  assert.deepEqual(ticked(picker(refused.text, 'target')), [ids.kastanie]);
  assert.match(refused.text, /id="title"[^>]*value="Wasser anders"/);

  const edit = `/app/content/appointments/${ids.appointment}`;
  res = await page(m, edit);
  assert.deepEqual(ticked(picker(res.text, 'appointment-targets')).sort(), stored);
  res = await page(m, edit, [['picker', '0'], ['property_q', 'übersee'], ['title', 'Ablesung neu'], ['starts_at', '2027-03-01T10:00']]);
  assert.deepEqual(ticked(picker(res.text, 'appointment-targets')), [], 'all chips removed before the search');
  assert.deepEqual(offered(picker(res.text, 'appointment-targets')), [ids.kastanie]);
  assert.match(res.text, /value="Ablesung neu"/);
  assert.match(res.text, /value="2027-03-01T10:00"/);
});

for (const [kind, field] of [['faq', 'question'], ['contacts', 'name']]) {
  test(`${kind}: an entry's search opens that entry's form alone, with its matches`, async () => {
    const entry = ids[kind === 'faq' ? 'faq' : 'contacts'][3];
    let res = await page(m, `/app/content/${kind}`);
    assert.equal((res.text.match(/<details class="content-edit" open>/g) || []).length, 0);
    const closed = picker(res.text, `${kind}-${entry}-targets`);
    assert.deepEqual(offered(closed), [], 'an entry lists no properties');
    assert.doesNotMatch(closed, /name="property_q"/, 'nor a search until it is opened');
    assert.match(closed, new RegExp(`name="picker" value="${entry}" formmethod="get"`));
    assert.equal(offered(picker(res.text, `${kind}-targets`)).length, RESULTS, 'the new entry\'s picker lists the first');
    // Its button opens it: the first properties by name, and a search.
    res = await page(m, `/app/content/${kind}`, [['picker', String(entry)], ['property_ids', String(ids.p7)]]);
    assert.equal(offered(picker(res.text, `${kind}-${entry}-targets`)).length, RESULTS);
    assert.match(picker(res.text, `${kind}-${entry}-targets`), /name="property_q"/);
    res = await page(m, `/app/content/${kind}`, [['picker', String(entry)], ['property_q', 'Kastanienhof'], ['property_ids', String(ids.p1500)], [field, 'Neu getippt']]);
    assert.equal(res.status, 200);
    assert.equal((res.text.match(/<details class="content-edit" open>/g) || []).length, 1);
    const found = picker(res.text, `${kind}-${entry}-targets`);
    assert.deepEqual(offered(found), [ids.kastanie]);
    assert.deepEqual(ticked(found), [ids.p1500]);
    assert.match(found, /formaction="\/app\/content\/[a-z]+#[a-z]+-\d+-targets"/);
    assert.match(res.text, /value="Neu getippt"/);
    // The other entries keep what is stored.
    assert.deepEqual(ticked(picker(res.text, `${kind}-${ids[kind][4]}-targets`)).sort(), [ids.p7, ids.p1500, ids.p1999].sort());
    assert.ok(res.bytes < MAX_BYTES, `${res.bytes} bytes`);
  });
}

test('the FAQ page shows 20 entries with their forms, then a link to the next ones', async () => {
  const answer = 'Liebe Bewohnerinnen und Bewohner, am kommenden Montag werden die Rauchwarnmelder in allen Wohnungen geprüft. Bitte ermöglichen Sie den Zugang zwischen 8 und 16 Uhr oder hinterlegen Sie einen Schlüssel bei der Hausverwaltung.';
  for (let i = 0; i < 15; i++) {
    const res = await m.json('/api/v1/faq', { method: 'POST', body: { question: `Lange Frage ${i}: Wann wird der Müll abgeholt?`, answer, property_ids: [ids.p7, ids.p1500] } });
    assert.equal(res.status, 201);
  }
  const first = await page(m, '/app/content/faq');
  assert.equal((first.text.match(/<li class="card content-item">/g) || []).length, 20);
  assert.ok(first.bytes < MAX_BYTES, `${first.bytes} bytes`);
  const next = /href="(\/app\/content\/faq\?after[^"]+)"/.exec(first.text);
  assert.ok(next, 'a link to the next entries');
  const second = await page(m, next[1].replace(/&#61;/g, '='));
  assert.equal((second.text.match(/<li class="card content-item">/g) || []).length, 5);
  // An entry's search there stays on that page (the form sends its cursor).
  const after = /<input type="hidden" name="after" value="([^"]+)">/.exec(second.text);
  assert.ok(after, 'the entries\' forms carry the page\'s cursor');
  const last = Number([...second.text.matchAll(/action="\/app\/content\/faq\/(\d+)"/g)].pop()[1]);
  const opened = await page(m, '/app/content/faq', [['after', after[1].replace(/&#61;/g, '=')], ['picker', String(last)], ['property_q', 'Kastanienhof']]);
  assert.deepEqual(offered(picker(opened.text, `faq-${last}-targets`)), [ids.kastanie]);
  assert.equal((await m.json('/api/v1/faq')).body.items.length, 25, 'the API keeps its default of 50');
});
