// The property picker of the content forms at scale (core's picker,
// portal/picker.h, templates/picker.html): an organisation of 10,000
// properties, made with SQL. Every manager page (the content plugin's, the
// example plugin's and all a manager reaches from the menu) stays under
// 100 KB of HTML, since a page never lists all properties: at most 20
// matches beside the chosen ones. Without script the picker's search button
// posts its form to the form's own action (never a GET: the form's CSRF token
// must not land in a URL), and the page comes back (200) with the matches as
// checkboxes, what was chosen (another organisation's ids: none) and what was
// typed, having written nothing; the form then publishes to what was ticked.
// Edit pages show the stored targets as chips; the FAQ and contacts lists
// hold no picker: each entry's form has a page of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newProperty } from './client.mjs';

const COUNT = 10_000;
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

// A GET of a page.
async function page(client, path) {
  const res = await client.fetch(path);
  const text = await res.text();
  return { status: res.status, text, bytes: Buffer.byteLength(text) };
}

// The picker's search without script: its button posts the form as it is to
// the form's action.
async function search(client, path, fields = []) {
  const res = await submit(client, path, [...fields, ['picker', 'search']]);
  return { ...res, bytes: Buffer.byteLength(res.text) };
}

// No URL of the page holds the CSRF token, and no button sends its form as a
// GET (which would put the token into the URL, and so into the history).
function noTokenInUrls(html, token) {
  assert.doesNotMatch(html, /formmethod="get"/i);
  assert.doesNotMatch(html, /<form[^>]*method="get"[^>]*>(?:(?!<\/form>)[\s\S])*csrf_token/i);
  for (const [, url] of html.matchAll(/(?:href|action|formaction|src)="([^"]*)"/g)) {
    assert.doesNotMatch(url, /csrf/i, url);
    assert.ok(!url.includes(token), url);
  }
}
const count = (table) => Number(stack.sql(`SELECT COUNT(*) FROM ${table}`).trim());

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
      CONCAT('Lindenstraße ', seq), '10115', IF(seq = 1500, 'Potsdam', 'Berlin-Charlottenburg'), '', UTC_TIMESTAMP()
    FROM seq_1_to_${COUNT}`);
  // Rows made with SQL reach the search index as an operator's rebuild puts them there.
  assert.equal(stack.portalctl('search', 'rebuild').status, 0);
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
    '/app/content/faq/new',
    `/app/content/faq/${ids.faq[0]}`,
    '/app/content/contacts',
    '/app/content/contacts/new',
    `/app/content/contacts/${ids.contacts[0]}`,
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

// The links of a page to other manager pages, decoded, without fragments.
function links(html) {
  const decode = (url) => url.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCharCode(parseInt(n, 16))).replace(/&amp;/g, '&');
  return [...html.matchAll(/href="(\/app[^"#]*)/g)].map((r) => decode(r[1]));
}

test(`every page a manager reaches from the menu stays under ${MAX_BYTES} bytes with ${COUNT} properties`, async () => {
  // One page of each kind (ids and cursors alike), up to four links deep
  // from the start page and from the example plugin's page.
  const kind = (path) => {
    const url = new URL(path, stack.base);
    return `${url.pathname.replace(/\d+/g, 'N')}?${[...url.searchParams.keys()].sort().join('&')}`;
  };
  const seen = new Set();
  let level = ['/app', '/app/example'];
  let pages = 0;
  for (let depth = 0; depth < 5 && level.length; depth++) {
    const next = [];
    for (const path of level) {
      if (seen.has(kind(path))) continue;
      seen.add(kind(path));
      const res = await m.fetch(path);
      const text = await res.text();
      if (res.status !== 200 || !/^text\/html/.test(res.headers.get('content-type'))) continue;
      pages += 1;
      assert.ok(Buffer.byteLength(text) < MAX_BYTES, `${path}: ${Buffer.byteLength(text)} bytes`);
      assert.ok(offered(text).length <= RESULTS * 2, `${path}: ${offered(text).length} properties offered`);
      next.push(...links(text));
    }
    level = next;
  }
  assert.ok(pages >= 20, `${pages} pages`);
  assert.ok(seen.has(kind('/app/properties')) && seen.has(kind('/app/content/faq')), [...seen].join(' '));
  const example = await page(m, '/app/example');
  assert.equal(offered(picker(example.text, 'example-properties')).length, RESULTS, 'the example lists the first 20');
});

test('without script the search posts the form: the matches, the chosen ones and what was typed come back, nothing is written', async () => {
  const path = '/app/content/announcement/new';
  const form = await page(m, path);
  noTokenInUrls(form.text, m.csrf);
  assert.match(picker(form.text, 'target'), /<button type="submit"[^>]* name="picker" value="search" formaction="\/app\/content\/announcement\/new#target" formnovalidate>Suchen<\/button>/);
  const announcements = count('announcements');
  // Found by a word of its name, whatever the case and the umlaut's spelling.
  let res = await search(m, path, [['picker_q', 'übersee'], ['title', 'Hoffest <b>'], ['body', 'Am Samstag.']]);
  assert.equal(res.status, 200);
  let found = picker(res.text, 'target');
  assert.deepEqual(offered(found), [ids.kastanie]);
  assert.match(found, /Kastanienhof Übersee/);
  assert.match(found, /1 Liegenschaft gefunden\./);
  assert.match(found, /name="picker_q" value="übersee"/, 'the search field keeps its text');
  assert.deepEqual(ticked(found), [], 'nothing chosen yet');
  assert.match(res.text, /value="Hoffest &lt;b&gt;"/, 'the title typed before the search');
  assert.match(res.text, />Am Samstag\.<\/textarea>/);
  assert.doesNotMatch(res.text, /name="notify"[^>]*checked/, 'notify as sent: off');
  assert.doesNotMatch(res.text, /role="alert"/, 'a search is no error');
  assert.doesNotMatch(found, /Fremdhaus/, 'never another organisation\'s');
  noTokenInUrls(res.text, m.csrf);
  // The same as the API finds, which the script asks.
  const api = await m.json(`/api/v1/properties?q=${encodeURIComponent('übersee')}&limit=${RESULTS}`);
  assert.deepEqual(api.body.items.map((p) => p.id), [ids.kastanie]);

  // The ticked match and one chosen before are kept as chips across the next
  // search, which finds by street and city too. A search needs no title: it
  // checks nothing and saves nothing.
  res = await search(m, path, [['picker_q', 'Lindenstraße 1999'], ['property_ids', String(ids.kastanie)], ['property_ids', String(ids.p7)], ['property_ids', String(ids.foreign)], ['notify', 'true']]);
  assert.equal(res.status, 200);
  found = picker(res.text, 'target');
  assert.deepEqual(ticked(found).sort(), [ids.kastanie, ids.p7].sort(), 'the chosen ones, without the foreign id');
  assert.deepEqual(offered(found), [ids.p1999]);
  assert.match(res.text, /name="notify" value="true" checked/);
  res = await search(m, path, [['picker_q', 'potsdam'], ['property_ids', String(ids.kastanie)]]);
  assert.deepEqual(offered(picker(res.text, 'target')), [ids.p1500], 'by city');
  res = await search(m, path, [['picker_q', 'lindenstraße 19']]);
  found = picker(res.text, 'target');
  assert.equal(offered(found).length, RESULTS, 'at most 20 matches');
  assert.match(found, /20 Liegenschaften gefunden\. Es gibt weitere Treffer/);
  res = await search(m, path, [['picker_q', 'gibt es nicht']]);
  assert.match(picker(res.text, 'target'), /Keine Liegenschaft gefunden\./);
  res = await search(m, path, [['picker_q', '%_\\ --']]);
  assert.match(picker(res.text, 'target'), /Keine Liegenschaft gefunden\./, 'a search without words finds nothing, as the API');
  // "all" stays ticked; what is no id is no property at all.
  res = await search(m, path, [['property_ids', 'all']]);
  assert.match(picker(res.text, 'target'), /value="all" checked/);
  res = await search(m, path, [['property_ids', 'x'], ['property_ids', String(ids.p7)]]);
  assert.equal(res.status, 200);
  assert.deepEqual(ticked(picker(res.text, 'target')), [ids.p7]);
  assert.equal(count('announcements'), announcements, 'no search wrote an announcement');
  assert.equal(stack.mails().filter((mail) => mail.raw.includes('Hoffest')).length, 0, 'nor mailed anyone');
  // Without its token the search is refused like any post.
  const tokenless = await m.stack.fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base, Cookie: m.cookie },
    body: new URLSearchParams([['picker', 'search'], ['picker_q', 'übersee']]).toString(),
    redirect: 'manual',
  });
  assert.equal(tokenless.status, 403);

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

test('edit pages show the stored targets as chips; their search replaces them with what was sent and changes nothing', async () => {
  const stored = [ids.p7, ids.p1500, ids.p1999].sort();
  const detail = `/app/content/announcements/${ids.announcement}`;
  let res = await page(m, detail);
  assert.deepEqual(ticked(picker(res.text, 'target')).sort(), stored);
  assert.match(res.text, /id="title"[^>]*value="Wasser"/);
  noTokenInUrls(res.text, m.csrf);
  res = await search(m, detail, [['picker_q', 'Kastanienhof'], ['property_ids', String(ids.p7)], ['title', 'Wasser neu'], ['body', 'Am Montag.']]);
  assert.equal(res.status, 200);
  const found = picker(res.text, 'target');
  assert.deepEqual(ticked(found), [ids.p7]);
  assert.deepEqual(offered(found), [ids.kastanie]);
  assert.match(res.text, /id="title"[^>]*value="Wasser neu"/);
  assert.match(res.text, /<h1 id="announcement-title">Wasser<\/h1>/, 'the stored announcement itself is unchanged');
  const kept = (await m.json(`/api/v1/announcements/${ids.announcement}`)).body;
  assert.equal(kept.title, 'Wasser');
  assert.deepEqual(kept.properties.map((p) => p.id).sort(), stored, 'its targets too');
  // Another organisation's announcement is not found, searched or not.
  assert.equal((await search(other, detail, [['picker_q', 'Kastanienhof']])).status, 404);
  // A refused edit shows what was sent, chips included.
  const refused = await submit(m, detail, [['title', 'Wasser anders'], ['body', ''], ['property_ids', String(ids.kastanie)]]);
  assert.equal(refused.status, 422);
  assert.deepEqual(ticked(picker(refused.text, 'target')), [ids.kastanie]);
  assert.match(refused.text, /id="title"[^>]*value="Wasser anders"/);

  const edit = `/app/content/appointments/${ids.appointment}`;
  res = await page(m, edit);
  assert.deepEqual(ticked(picker(res.text, 'appointment-targets')).sort(), stored);
  res = await search(m, edit, [['picker_q', 'übersee'], ['title', 'Ablesung neu'], ['starts_at', '2027-03-01T10:00'], ['renotify', 'true']]);
  assert.equal(res.status, 200);
  assert.deepEqual(ticked(picker(res.text, 'appointment-targets')), [], 'all chips removed before the search');
  assert.deepEqual(offered(picker(res.text, 'appointment-targets')), [ids.kastanie]);
  assert.match(res.text, /value="Ablesung neu"/);
  assert.match(res.text, /value="2027-03-01T10:00"/);
  assert.match(res.text, /name="renotify" value="true"[^>]*checked/);
  const appointment = (await m.json(`/api/v1/appointments/${ids.appointment}`)).body;
  assert.equal(appointment.title, 'Ablesung', 'the stored appointment is unchanged');
  assert.equal(appointment.properties.length, 3);
});

for (const [kind, field] of [['faq', 'question'], ['contacts', 'name']]) {
  test(`${kind}: the list holds no picker; the forms' pages offer the first properties and search without script, changing nothing`, async () => {
    const entry = ids[kind][3];
    const action = `/app/content/${kind}/${entry}`;
    let res = await page(m, `/app/content/${kind}`);
    assert.equal(res.status, 200);
    assert.deepEqual(offered(res.text), [], 'the list offers no property');
    assert.deepEqual(ticked(res.text), [], 'nor a form with the chosen ones');
    assert.ok(res.text.includes(`href="${action}"`), 'a link to each entry\'s page');
    assert.ok(res.text.includes(`href="/app/content/${kind}/new"`));
    noTokenInUrls(res.text, m.csrf);
    // A new entry's page: the first properties by name, and a search.
    res = await page(m, `/app/content/${kind}/new`);
    assert.equal(res.status, 200);
    assert.equal(offered(picker(res.text, `${kind}-targets`)).length, RESULTS, 'the new entry\'s picker lists the first');
    assert.match(picker(res.text, `${kind}-targets`), new RegExp(`name="picker" value="search" formaction="/app/content/${kind}#${kind}-targets" formnovalidate`));
    noTokenInUrls(res.text, m.csrf);
    // An entry's page: its chips as stored, and the first ones beside them.
    res = await page(m, action);
    assert.equal(res.status, 200);
    assert.deepEqual(ticked(picker(res.text, `${kind}-targets`)).sort(), [ids.p7, ids.p1500, ids.p1999].sort());
    assert.equal(offered(picker(res.text, `${kind}-targets`)).length, RESULTS);
    assert.ok(res.bytes < MAX_BYTES, `${res.bytes} bytes`);
    noTokenInUrls(res.text, m.csrf);
    // Its search: the matches, what was ticked and typed; nothing written.
    res = await search(m, action, [['picker_q', 'Kastanienhof'], ['property_ids', String(ids.p1500)], [field, 'Neu getippt']]);
    assert.equal(res.status, 200);
    const found = picker(res.text, `${kind}-targets`);
    assert.deepEqual(offered(found), [ids.kastanie]);
    assert.deepEqual(ticked(found), [ids.p1500]);
    assert.match(res.text, /value="Neu getippt"/);
    assert.ok(res.bytes < MAX_BYTES, `${res.bytes} bytes`);
    const stored = (await m.json(`/api/v1/${kind}`)).body.items.find((e) => e.id === entry);
    assert.notEqual(stored[field], 'Neu getippt');
    assert.equal(stored.properties.length, 3);
    // Another organisation's entry is not found, searched or not.
    assert.equal((await page(other, action)).status, 404);
    assert.equal((await search(other, action, [['picker_q', 'Kastanienhof']])).status, 404);
    // The new entry's search writes nothing either.
    res = await search(m, `/app/content/${kind}`, [['picker_q', 'Kastanienhof'], [field, 'Neu angelegt']]);
    assert.equal(res.status, 200);
    assert.deepEqual(offered(picker(res.text, `${kind}-targets`)), [ids.kastanie]);
    assert.match(res.text, /value="Neu angelegt"/);
    assert.equal((await m.json(`/api/v1/${kind}`)).body.items.filter((e) => e[field] === 'Neu angelegt').length, 0);
  });
}

test('the FAQ page shows 20 entries, then a link to the next ones', async () => {
  const answer = 'Liebe Bewohnerinnen und Bewohner, am kommenden Montag werden die Rauchwarnmelder in allen Wohnungen geprüft. Bitte ermöglichen Sie den Zugang zwischen 8 und 16 Uhr oder hinterlegen Sie einen Schlüssel bei der Hausverwaltung.';
  for (let i = 0; i < 15; i++) {
    const res = await m.json('/api/v1/faq', { method: 'POST', body: { question: `Lange Frage ${i}: Wann wird der Müll abgeholt?`, answer, property_ids: [ids.p7, ids.p1500] } });
    assert.equal(res.status, 201);
  }
  const first = await page(m, '/app/content/faq');
  assert.equal((first.text.match(/<li class="card content-item">/g) || []).length, 20);
  assert.ok(first.bytes < MAX_BYTES / 2, `${first.bytes} bytes`);
  assert.equal(first.text.split(answer).length - 1, 10, 'each answer once: the first ten long ones are there');
  const next = /href="(\/app\/content\/faq\?after[^"]+)"/.exec(first.text);
  assert.ok(next, 'a link to the next entries');
  const second = await page(m, next[1].replace(/&#61;/g, '='));
  assert.equal((second.text.match(/<li class="card content-item">/g) || []).length, 5);
  assert.equal((await m.json('/api/v1/faq')).body.items.length, 25, 'the API keeps its default of 50');
});
