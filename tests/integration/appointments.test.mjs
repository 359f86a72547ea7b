// Appointments of the content plugin (plugins/content/appointments.c): the API
// with its 422s, who sees what across properties and organisations, mails only
// when asked and one per person, the from/to filter and pages; the iCalendar
// output parsed and checked (CRLF, folding, escaping, VTIMEZONE, Berlin times
// of a summer and a winter appointment, one VEVENT per visible appointment,
// stable UIDs); the secret feed without a session and its rotation; and the
// pages: "Neuer Termin" in Berlin time, the manager's list, the residents'
// calendar and the home section.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startStack, decodeWords, mailParts } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

let stack, a, b, p1, p2, p3, q1, r1, r12, r2, r3, rOff, rPending, rb;

const property = async (manager, name) => (await newProperty(manager, name)).id;

before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newManager(stack);
  b = await newManager(stack);
  p1 = await property(a, 'Am Markt 1');
  p2 = await property(a, 'Am Markt 2');
  p3 = await property(a, 'Am Markt 3');
  q1 = await property(b, 'Fremde Straße 9');
  r1 = await newResident(stack, a, [p1]);
  r12 = await newResident(stack, a, [p1, p2]);
  r2 = await newResident(stack, a, [p2]);
  r3 = await newResident(stack, a, [p3]);
  rOff = await newResident(stack, a, [p1]);
  rPending = await newResident(stack, a, [p2], { state: 'pending' });
  rb = await newResident(stack, b, [q1]);
  stack.sql(`INSERT INTO notification_settings (user_id, kind, enabled) VALUES (${rOff.id}, 'appointments', 0)`);
  stack.sql(`UPDATE users SET locale = 'en' WHERE id = ${r2.id}`);
});
after(async () => { await stack?.stop(); });

const outbox = (orgId) => stack.sql(`SELECT to_addr FROM outbox WHERE org_id = ${orgId} AND kind = 'appointments' ORDER BY to_addr`)
  .split('\n').map((s) => s.trim()).filter(Boolean);

async function create(manager, body) {
  const res = await manager.json('/api/v1/appointments', { method: 'POST', body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

// What an earlier failed test left behind must not fail the next.
const clean = () => stack.sql(`DELETE FROM appointments WHERE org_id IN (${a.user.org_id}, ${b.user.org_id})`);

const ids = (list) => list.items.map((i) => i.id);

// A page's form, as a browser sends it.
function submit(client, path, fields) {
  const body = new URLSearchParams({ csrf_token: client.csrf });
  for (const [k, v] of Object.entries(fields)) {
    for (const one of [].concat(v)) body.append(k, one);
  }
  return client.fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: body.toString(),
  });
}

// ---- iCalendar parsing: the test's own reader, strict where RFC 5545 is.

function parseIcs(text) {
  assert.ok(text.endsWith('\r\n'), 'ends with CRLF');
  const physical = text.slice(0, -2).split('\r\n');
  for (const line of physical) {
    assert.ok(!line.includes('\n') && !line.includes('\r'), `bare line break in ${JSON.stringify(line)}`);
    assert.ok(Buffer.byteLength(line, 'utf8') <= 75, `line over 75 octets: ${line}`);
    assert.ok(!line.includes('\uFFFD'), 'a fold split a UTF-8 sequence');
  }
  // Folding must not split a UTF-8 sequence: each physical line decodes alone.
  const raw = Buffer.from(text, 'utf8');
  let start = 0;
  for (let i = 0; i + 1 < raw.length; i++) {
    if (raw[i] === 13 && raw[i + 1] === 10) {
      const piece = raw.subarray(start, i);
      assert.equal(Buffer.from(piece.toString('utf8'), 'utf8').length, piece.length, 'a line is broken UTF-8');
      start = i + 2;
    }
  }
  const lines = [];
  for (const line of physical) {
    if (line.startsWith(' ') || line.startsWith('\t')) lines[lines.length - 1] += line.slice(1);
    else lines.push(line);
  }
  // Components as a tree of { name, props: [{name, params, value}], children }.
  const root = { name: 'ROOT', props: [], children: [] };
  const stackC = [root];
  for (const line of lines) {
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `no colon in ${line}`);
    const [name, ...params] = line.slice(0, colon).split(';');
    const value = line.slice(colon + 1);
    if (name === 'BEGIN') {
      const c = { name: value, props: [], children: [] };
      stackC[stackC.length - 1].children.push(c);
      stackC.push(c);
    } else if (name === 'END') {
      assert.equal(stackC.pop().name, value, 'BEGIN and END match');
    } else {
      stackC[stackC.length - 1].props.push({ name, params, value });
    }
  }
  assert.equal(stackC.length, 1, 'every BEGIN ended');
  assert.equal(root.children.length, 1);
  return root.children[0];
}

const prop = (c, name) => c.props.find((p) => p.name === name);
const unescape = (v) => v.replace(/\\([\\,;nN])/g, (_, c) => (c === 'n' || c === 'N' ? '\n' : c));

function checkCalendar(cal) {
  assert.equal(cal.name, 'VCALENDAR');
  assert.equal(prop(cal, 'VERSION').value, '2.0');
  assert.ok(prop(cal, 'PRODID').value.length > 0);
  assert.equal(prop(cal, 'CALSCALE').value, 'GREGORIAN');
  assert.equal(prop(cal, 'METHOD').value, 'PUBLISH');
  assert.ok(prop(cal, 'X-WR-CALNAME'));
  const tz = cal.children.find((c) => c.name === 'VTIMEZONE');
  assert.ok(tz, 'VTIMEZONE present');
  assert.equal(prop(tz, 'TZID').value, 'Europe/Berlin');
  const daylight = tz.children.find((c) => c.name === 'DAYLIGHT');
  const standard = tz.children.find((c) => c.name === 'STANDARD');
  assert.equal(prop(daylight, 'TZOFFSETTO').value, '+0200');
  assert.equal(prop(daylight, 'RRULE').value, 'FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU');
  assert.equal(prop(standard, 'TZOFFSETTO').value, '+0100');
  assert.equal(prop(standard, 'RRULE').value, 'FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU');
  const events = cal.children.filter((c) => c.name === 'VEVENT');
  for (const e of events) {
    for (const p of ['UID', 'DTSTAMP', 'DTSTART', 'SUMMARY']) assert.ok(prop(e, p), `VEVENT has ${p}`);
    assert.match(prop(e, 'DTSTAMP').value, /^\d{8}T\d{6}Z$/);
    assert.deepEqual(prop(e, 'DTSTART').params, ['TZID=Europe/Berlin']);
    assert.match(prop(e, 'DTSTART').value, /^\d{8}T\d{6}$/);
  }
  return events;
}

async function ics(client, path) {
  const res = await client.fetch(path);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text };
}

// ---------------------------------------------------------------- tests

test('bad input is 422 on the field; residents and strangers cannot create', async () => {
  const good = { title: 'Treppenhausreinigung', starts_at: '2027-03-01T08:00:00Z', property_ids: [p1] };
  const cases = [
    [{ ...good, title: '' }, 'title'],
    [{ ...good, title: undefined }, 'title'],
    [{ ...good, title: 'x'.repeat(201) }, 'title'],
    [{ ...good, starts_at: undefined }, 'starts_at'],
    [{ ...good, starts_at: '1. März' }, 'starts_at'],
    [{ ...good, starts_at: '2027-02-30T08:00:00Z' }, 'starts_at'],
    [{ ...good, ends_at: '2027-03-01T07:59:59Z' }, 'ends_at'],
    [{ ...good, ends_at: 'morgen' }, 'ends_at'],
    [{ ...good, property_ids: [] }, 'property_ids'],
    [{ ...good, property_ids: undefined }, 'property_ids'],
    [{ ...good, property_ids: [q1] }, 'property_ids'],
    [{ ...good, property_ids: [p1, q1] }, 'property_ids'],
    [{ ...good, property_ids: [999999999] }, 'property_ids'],
    [{ ...good, property_ids: 'alle' }, 'property_ids'],
    [{ ...good, property_ids: [-1] }, 'property_ids'],
  ];
  const before = stack.sql(`SELECT COUNT(*) FROM appointments WHERE org_id = ${a.user.org_id}`).trim();
  for (const [body, field] of cases) {
    const res = await a.json('/api/v1/appointments', { method: 'POST', body });
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, field, JSON.stringify(body));
  }
  assert.equal(stack.sql(`SELECT COUNT(*) FROM appointments WHERE org_id = ${a.user.org_id}`).trim(), before, 'nothing stored');
  assert.equal((await r1.json('/api/v1/appointments', { method: 'POST', body: good })).status, 404);
  assert.equal((await new Client(stack).json('/api/v1/appointments', { method: 'POST', body: good })).status, 401);
  // an end equal to the start is fine
  const same = await create(a, { ...good, ends_at: good.starts_at });
  assert.equal(same.ends_at, same.starts_at);
  assert.equal((await a.json(`/api/v1/appointments/${same.id}`, { method: 'DELETE' })).status, 204);
});

test('notify: off by default and no mail; on: one mail per person, settings and language respected', async () => {
  const quiet = await create(a, { title: 'Leise', starts_at: '2027-04-01T08:00:00Z', property_ids: [p1, p2] });
  assert.deepEqual(outbox(a.user.org_id), [], 'no mail without notify');
  await create(a, { title: 'Explizit leise', starts_at: '2027-04-01T09:00:00Z', property_ids: 'all', notify: false });
  assert.deepEqual(outbox(a.user.org_id), []);

  const loud = await create(a, { title: 'Wasser <abgestellt>', body: 'Bitte Hähne zu.', location: 'Keller', starts_at: '2027-04-02T06:00:00Z', ends_at: '2027-04-02T10:00:00Z', property_ids: [p1, p2], notify: true });
  // r12 lives in both and gets one; rOff turned them off; rPending is pending;
  // r3 lives elsewhere; rb is another organisation's.
  assert.deepEqual(outbox(a.user.org_id), [r1.email, r12.email, r2.email].sort());
  assert.deepEqual(outbox(b.user.org_id), []);
  const mails = await stack.waitForMail((m) => (m.headers.to || '').includes(r2.email));
  assert.equal(mails.length, 1);
  assert.equal(decodeWords(mails[0].headers.subject), 'New appointment: Wasser <abgestellt>', "in the resident's language");
  const de = await stack.waitForMail((m) => (m.headers.to || '').includes(r1.email));
  assert.equal(de.length, 1);
  assert.equal(decodeWords(de[0].headers.subject), 'Neuer Termin: Wasser <abgestellt>');
  const [text, html] = mailParts(de[0]);
  assert.equal(text.type, 'text/plain');
  assert.match(text.text, /02\.04\.2027, 08:00 – 12:00/, 'Berlin time: 06:00Z is 08:00 CEST');
  assert.match(text.text, /Keller/);
  assert.match(text.text, /\/portal\/settings/, 'links to the settings');
  assert.match(html.text, /Wasser &lt;abgestellt&gt;/, 'markup is inert in the HTML part');

  const all = await create(a, { title: 'Versammlung', starts_at: '2027-04-03T16:00:00Z', property_ids: 'all', notify: true });
  const rows = outbox(a.user.org_id);
  for (const r of [r1, r12, r2]) assert.equal(rows.filter((x) => x === r.email).length, 2, r.email);
  assert.equal(rows.filter((x) => x === r3.email).length, 1, 'r3 only for all properties');
  assert.equal(rows.filter((x) => x === rOff.email).length, 0);
  assert.equal(rows.filter((x) => x === rPending.email).length, 0);
  for (const x of [quiet, loud, all]) assert.equal((await a.json(`/api/v1/appointments/${x.id}`, { method: 'DELETE' })).status, 204);
});

test('visibility across properties and organisations; from/to; order; pages of the list', async () => {
  const onP1 = await create(a, { title: 'P1', starts_at: '2027-05-03T08:00:00Z', property_ids: [p1] });
  const onP2 = await create(a, { title: 'P2', starts_at: '2027-05-02T08:00:00Z', property_ids: [p2] });
  const onAll = await create(a, { title: 'Alle', starts_at: '2027-05-01T08:00:00Z', property_ids: 'all' });
  const onB = await create(b, { title: 'B', starts_at: '2027-05-01T08:00:00Z', property_ids: 'all' });
  const range = 'from=2027-05-01T00:00:00Z&to=2027-05-31T00:00:00Z';

  const mine = await a.json(`/api/v1/appointments?${range}`);
  assert.equal(mine.status, 200);
  assert.deepEqual(ids(mine.body), [onAll.id, onP2.id, onP1.id], 'the org, ordered by starts_at');
  assert.deepEqual((await r1.json(`/api/v1/appointments?${range}`)).body.items.map((i) => i.id), [onAll.id, onP1.id]);
  assert.deepEqual(ids((await r12.json(`/api/v1/appointments?${range}`)).body), [onAll.id, onP2.id, onP1.id]);
  assert.deepEqual(ids((await r3.json(`/api/v1/appointments?${range}`)).body), [onAll.id]);
  assert.deepEqual(ids((await rPending.json(`/api/v1/appointments?${range}`)).body), [], 'pending grants nothing');
  assert.deepEqual(ids((await rb.json(`/api/v1/appointments?${range}`)).body), [onB.id]);
  assert.deepEqual(ids((await b.json(`/api/v1/appointments?${range}`)).body), [onB.id]);

  // a resident sees only their own properties of an appointment
  const seen = (await r12.json(`/api/v1/appointments/${onP1.id}`)).body;
  assert.deepEqual(seen.properties.map((p) => p.id), [p1]);
  const both = await create(a, { title: 'P1+P3', starts_at: '2027-05-04T08:00:00Z', property_ids: [p1, p3] });
  assert.deepEqual((await r1.json(`/api/v1/appointments/${both.id}`)).body.properties.map((p) => p.id), [p1]);
  assert.deepEqual((await a.json(`/api/v1/appointments/${both.id}`)).body.properties.map((p) => p.id).sort(), [p1, p3].sort());

  for (const [client, id] of [[r2, onP1.id], [r3, onP2.id], [rb, onP1.id], [b, onP1.id], [a, onB.id], [rPending, onAll.id]]) {
    assert.equal((await client.json(`/api/v1/appointments/${id}`)).status, 404);
  }
  assert.equal((await r1.json(`/api/v1/appointments/${onP1.id}`)).status, 200);
  assert.equal((await new Client(stack).json(`/api/v1/appointments/${onP1.id}`)).status, 401);

  // from/to: overlapping the range, to exclusive
  assert.deepEqual(ids((await a.json('/api/v1/appointments?from=2027-05-02T00:00:00Z&to=2027-05-03T00:00:00Z')).body), [onP2.id]);
  assert.deepEqual(ids((await a.json('/api/v1/appointments?from=2027-05-02T08:00:01Z&to=2027-05-03T08:00:00Z')).body), []);
  assert.deepEqual(ids((await a.json('/api/v1/appointments?from=2027-05-02T10:00:00%2B02:00&to=2027-05-03T09:00:00Z')).body), [onP2.id, onP1.id]);
  for (const q of ['from=gestern', 'to=2027-13-01T00:00:00Z']) {
    const res = await a.json(`/api/v1/appointments?${q}`);
    assert.equal(res.status, 422, q);
    assert.equal(res.body.error.field, q.split('=')[0]);
  }

  // pages of two
  const first = await a.json(`/api/v1/appointments?${range}&limit=2`);
  assert.deepEqual(ids(first.body), [onAll.id, onP2.id]);
  assert.ok(first.body.next);
  const second = await a.json(`/api/v1/appointments?${range}&limit=2&after=${encodeURIComponent(first.body.next)}`);
  assert.deepEqual(ids(second.body), [onP1.id, both.id]);
  assert.equal(second.body.next, null);
  assert.equal((await a.json(`/api/v1/appointments?after=kaputt`)).status, 400);

  for (const x of [onP1, onP2, onAll, both]) assert.equal((await a.json(`/api/v1/appointments/${x.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await b.json(`/api/v1/appointments/${onB.id}`, { method: 'DELETE' })).status, 204);
});

test('PATCH and DELETE: managers of the organisation only; ends_at checked against the start', async () => {
  const x = await create(a, { title: 'Alt', starts_at: '2027-06-01T08:00:00Z', ends_at: '2027-06-01T09:00:00Z', property_ids: [p1] });
  let res = await a.json(`/api/v1/appointments/${x.id}`, { method: 'PATCH', body: { title: 'Neu', location: 'Hof', property_ids: [p2] } });
  assert.equal(res.status, 200);
  assert.equal(res.body.title, 'Neu');
  assert.equal(res.body.location, 'Hof');
  assert.equal(res.body.ends_at, '2027-06-01T09:00:00Z', 'untouched');
  assert.deepEqual(res.body.properties.map((p) => p.id), [p2]);
  assert.equal((await r1.json(`/api/v1/appointments/${x.id}`)).status, 404, 'moved away from p1');
  assert.equal((await r2.json(`/api/v1/appointments/${x.id}`)).status, 200);

  res = await a.json(`/api/v1/appointments/${x.id}`, { method: 'PATCH', body: { starts_at: '2027-06-01T10:00:00Z' } });
  assert.equal(res.status, 422);
  assert.equal(res.body.error.field, 'ends_at', 'the stored end is now before the start');
  for (const [body, field] of [[{ title: '' }, 'title'], [{ property_ids: [] }, 'property_ids'], [{ property_ids: [q1] }, 'property_ids'], [{ ends_at: '2027-06-01T07:00:00Z' }, 'ends_at']]) {
    res = await a.json(`/api/v1/appointments/${x.id}`, { method: 'PATCH', body });
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal(res.body.error.field, field);
  }
  res = await a.json(`/api/v1/appointments/${x.id}`, { method: 'PATCH', body: { ends_at: null, starts_at: '2027-06-01T10:00:00Z' } });
  assert.equal(res.status, 200);
  assert.equal(res.body.ends_at, null);
  assert.equal(res.body.starts_at, '2027-06-01T10:00:00Z');

  assert.equal((await b.json(`/api/v1/appointments/${x.id}`, { method: 'PATCH', body: { title: 'fremd' } })).status, 404);
  assert.equal((await r2.json(`/api/v1/appointments/${x.id}`, { method: 'PATCH', body: { title: 'Bewohner' } })).status, 404);
  assert.equal((await b.json(`/api/v1/appointments/${x.id}`, { method: 'DELETE' })).status, 404);
  assert.equal((await r2.json(`/api/v1/appointments/${x.id}`, { method: 'DELETE' })).status, 404);
  assert.equal((await a.json(`/api/v1/appointments/${x.id}`)).body.title, 'Neu');
  assert.equal((await a.json(`/api/v1/appointments/${x.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await a.json(`/api/v1/appointments/${x.id}`)).status, 404);
  assert.equal((await a.json(`/api/v1/appointments/${x.id}`, { method: 'DELETE' })).status, 404);
});

test('iCalendar of a property: valid RFC 5545, Berlin times in summer and winter, escaping, stable UIDs', async () => {
  clean();
  const summer = await create(a, {
    title: 'Sommerfest; mit Grill, Musik \\ Tanz', body: 'Zeile eins\nZeile zwei',
    location: 'Innenhof, Haus 1', starts_at: '2027-07-01T16:30:00Z', ends_at: '2027-07-01T20:00:00Z', property_ids: [p1],
  });
  const winter = await create(a, { title: 'Ablesung der Heizkörper ' + 'äöü€'.repeat(20), starts_at: '2027-01-15T09:00:00Z', property_ids: 'all' });
  const other = await create(a, { title: 'Nur P3', starts_at: '2027-02-01T09:00:00Z', property_ids: [p3] });

  const got = await ics(r1, `/api/v1/properties/${p1}/calendar.ics`);
  assert.equal(got.status, 200);
  assert.equal(got.type, 'text/calendar; charset=utf-8');
  const cal = parseIcs(got.text);
  const events = checkCalendar(cal);
  const byUid = Object.fromEntries(events.map((e) => [prop(e, 'UID').value, e]));
  const host = new URL(stack.base).hostname;
  assert.deepEqual(Object.keys(byUid).sort(), [`${summer.id}@${host}`, `${winter.id}@${host}`].sort(), 'one VEVENT per visible appointment');

  const s = byUid[`${summer.id}@${host}`];
  assert.equal(prop(s, 'DTSTART').value, '20270701T183000', '16:30Z is 18:30 CEST');
  assert.equal(prop(s, 'DTEND').value, '20270701T220000');
  assert.equal(prop(s, 'SUMMARY').value, 'Sommerfest\\; mit Grill\\, Musik \\\\ Tanz');
  assert.equal(unescape(prop(s, 'SUMMARY').value), summer.title);
  assert.equal(prop(s, 'DESCRIPTION').value, 'Zeile eins\\nZeile zwei');
  assert.equal(unescape(prop(s, 'LOCATION').value), 'Innenhof, Haus 1');
  const w = byUid[`${winter.id}@${host}`];
  assert.equal(prop(w, 'DTSTART').value, '20270115T100000', '09:00Z is 10:00 CET');
  assert.equal(prop(w, 'DTEND'), undefined);
  assert.equal(unescape(prop(w, 'SUMMARY').value), winter.title, 'a long UTF-8 title survives folding');
  assert.ok(got.text.split('\r\n').some((l) => l.startsWith(' ')), 'the long title was folded');

  const again = await ics(a, `/api/v1/properties/${p1}/calendar.ics`);
  assert.equal(again.status, 200);
  const uids = checkCalendar(parseIcs(again.text)).map((e) => prop(e, 'UID').value).sort();
  assert.deepEqual(uids, Object.keys(byUid).sort(), 'the same UIDs for the manager, fetched again');

  const p3cal = checkCalendar(parseIcs((await ics(a, `/api/v1/properties/${p3}/calendar.ics`)).text));
  assert.deepEqual(p3cal.map((e) => prop(e, 'UID').value).sort(), [`${winter.id}@${host}`, `${other.id}@${host}`].sort());

  assert.equal((await ics(r1, `/api/v1/properties/${p3}/calendar.ics`)).status, 404, 'not their property');
  assert.equal((await ics(rPending, `/api/v1/properties/${p2}/calendar.ics`)).status, 404, 'pending');
  assert.equal((await ics(b, `/api/v1/properties/${p1}/calendar.ics`)).status, 404, 'another organisation');
  assert.equal((await ics(rb, `/api/v1/properties/${p1}/calendar.ics`)).status, 404);
  assert.equal((await ics(new Client(stack), `/api/v1/properties/${p1}/calendar.ics`)).status, 401);
  for (const x of [summer, winter, other]) assert.equal((await a.json(`/api/v1/appointments/${x.id}`, { method: 'DELETE' })).status, 204);
});

test('the feed: a secret address that works without a session; rotation kills the old one', async () => {
  const onP1 = await create(a, { title: 'Feed P1', starts_at: '2027-08-01T08:00:00Z', property_ids: [p1] });
  const onP3 = await create(a, { title: 'Feed P3', starts_at: '2027-08-01T09:00:00Z', property_ids: [p3] });
  const onAll = await create(a, { title: 'Feed alle', starts_at: '2027-08-01T10:00:00Z', property_ids: 'all' });

  const shown = await r12.json('/api/v1/me/calendar');
  assert.equal(shown.status, 200);
  const url = new URL(shown.body.url);
  assert.equal(url.origin, stack.base);
  assert.match(url.pathname, /^\/api\/v1\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  assert.equal((await r12.json('/api/v1/me/calendar')).body.url, shown.body.url, 'the same address when asked again');
  assert.notEqual((await r1.json('/api/v1/me/calendar')).body.url, shown.body.url, 'each resident has their own');
  const token = url.pathname.split('/').pop().slice(0, 43);
  assert.equal(stack.sql(`SELECT HEX(token_hash) FROM calendar_feeds WHERE user_id = ${r12.id}`).trim(),
    createHash('sha256').update(token).digest('hex').toUpperCase(), 'only the hash of the token is stored');

  const anonymous = new Client(stack);
  let got = await ics(anonymous, url.pathname);
  assert.equal(got.status, 200);
  assert.equal(got.type, 'text/calendar; charset=utf-8');
  const host = url.hostname;
  const uids = checkCalendar(parseIcs(got.text)).map((e) => prop(e, 'UID').value);
  assert.ok(uids.includes(`${onP1.id}@${host}`) && uids.includes(`${onAll.id}@${host}`));
  assert.ok(!uids.includes(`${onP3.id}@${host}`), 'not a property of theirs');

  const rotated = await r12.json('/api/v1/me/calendar/rotate', { method: 'POST' });
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.url, shown.body.url);
  assert.equal((await ics(anonymous, url.pathname)).status, 404, 'the old address is dead');
  assert.equal((await ics(anonymous, new URL(rotated.body.url).pathname)).status, 200);
  assert.equal((await r12.json('/api/v1/me/calendar')).body.url, rotated.body.url);

  // leaving a property takes its appointments out of the feed at once
  stack.sql(`DELETE FROM memberships WHERE user_id = ${r12.id} AND property_id = ${p1}`);
  got = await ics(anonymous, new URL(rotated.body.url).pathname);
  assert.ok(!checkCalendar(parseIcs(got.text)).map((e) => prop(e, 'UID').value).includes(`${onP1.id}@${host}`));
  stack.sql(`INSERT INTO memberships (property_id, user_id, org_id, resident_group, state, joined_at) VALUES (${p1}, ${r12.id}, ${a.user.org_id}, 'resident', 'active', UTC_TIMESTAMP())`);

  assert.equal((await ics(anonymous, '/api/v1/calendar/kaputt.ics')).status, 404);
  assert.equal((await ics(anonymous, `/api/v1/calendar/${'A'.repeat(43)}.ics`)).status, 404);
  assert.equal((await a.json('/api/v1/me/calendar')).status, 404, 'managers have no feed');
  assert.equal((await anonymous.json('/api/v1/me/calendar')).status, 401);
  assert.equal((await anonymous.json('/api/v1/me/calendar/rotate', { method: 'POST' })).status, 401);
  const csrfless = new Client(stack, r12.cookie, '');
  assert.equal((await csrfless.json('/api/v1/me/calendar/rotate', { method: 'POST' })).status, 403, 'rotation needs the CSRF token');
  for (const x of [onP1, onP3, onAll]) assert.equal((await a.json(`/api/v1/appointments/${x.id}`, { method: 'DELETE' })).status, 204);
});

test('pages: "Neuer Termin" in Berlin time, the list, the calendar and the home', async () => {
  clean();
  let res = await a.fetch('/app/content/appointment/new');
  assert.equal(res.status, 200);
  let html = await res.text();
  assert.match(html, /type="datetime-local"/);
  assert.match(html, /name="property_ids" value="all"/);
  assert.match(html, new RegExp(`name="property_ids" value="${p1}"`));
  assert.doesNotMatch(html, /name="notify"[^>]*checked/, 'notifying is off by default');
  assert.equal((await r1.fetch('/app/content/appointment/new')).status, 404);

  // a failed form comes back with its fields and the error
  res = await submit(a, '/app/content/appointment/new', { title: 'Fehler', starts_at: '2027-07-10T18:00', ends_at: '2027-07-10T17:00', property_ids: [String(p1)] });
  assert.equal(res.status, 422);
  html = await res.text();
  assert.match(html, /notice--error/);
  assert.match(html, /value="Fehler"/);
  assert.match(html, new RegExp(`value="${p1}" checked`));

  res = await submit(a, '/app/content/appointment/new', { title: 'Sommer <b>Fest</b>', starts_at: '2027-07-10T18:30', ends_at: '2027-07-10T22:00', location: 'Hof', property_ids: [String(p1), String(p2)] });
  assert.equal(res.status, 303);
  res = await submit(a, '/app/content/appointment/new', { title: 'Winter', starts_at: '2027-12-10T18:30', property_ids: 'all', notify: 'on' });
  assert.equal(res.status, 303);
  const stored = stack.sql(`SELECT title, DATE_FORMAT(starts_at, '%Y-%m-%dT%H:%i'), IFNULL(DATE_FORMAT(ends_at, '%H:%i'), '-'), all_properties FROM appointments WHERE org_id = ${a.user.org_id} AND title IN ('Sommer <b>Fest</b>', 'Winter') ORDER BY starts_at`).trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(stored, [
    ['Sommer <b>Fest</b>', '2027-07-10T16:30', '20:00', '0'],
    ['Winter', '2027-12-10T17:30', '-', '1'],
  ], 'Berlin wall-clock time stored as UTC, summer and winter');
  assert.ok(outbox(a.user.org_id).length > 0, 'the ticked box notified');

  res = await a.fetch('/app/content/appointments');
  assert.equal(res.status, 200);
  html = await res.text();
  assert.match(html, /Sommer &lt;b&gt;Fest&lt;\/b&gt;/, 'markup shows as text');
  assert.match(html, /10\.07\.2027 18:30/);
  assert.equal((await r1.fetch('/app/content/appointments')).status, 404);

  // deleting from the list page, only within the organisation
  const doomed = await create(a, { title: 'Wird gelöscht', starts_at: '2027-09-01T08:00:00Z', property_ids: [p1] });
  assert.match(await (await a.fetch('/app/content/appointments')).text(), new RegExp(`action="/app/content/appointment/${doomed.id}/delete"`));
  assert.equal((await submit(b, `/app/content/appointment/${doomed.id}/delete`, {})).status, 404);
  assert.equal((await submit(r1, `/app/content/appointment/${doomed.id}/delete`, {})).status, 404);
  const noToken = new Client(stack, a.cookie, '');
  assert.equal((await noToken.fetch(`/app/content/appointment/${doomed.id}/delete`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base }, body: '' })).status, 403, 'CSRF checked');
  assert.equal((await a.json(`/api/v1/appointments/${doomed.id}`)).status, 200);
  res = await submit(a, `/app/content/appointment/${doomed.id}/delete`, {});
  assert.equal(res.status, 303);
  assert.equal((await a.json(`/api/v1/appointments/${doomed.id}`)).status, 404);

  res = await r1.fetch('/portal/calendar?month=2027-07');
  assert.equal(res.status, 200);
  html = await res.text();
  assert.match(html, /<table class="calendar-month">/);
  assert.match(html, /<th scope="col">/);
  assert.match(html, /Juli 2027/);
  assert.match(html, /18:30<\/time> Sommer &lt;b&gt;Fest&lt;\/b&gt;/);
  assert.match(html, /calendar--auto/);
  assert.match(html, /\/api\/v1\/calendar\/[A-Za-z0-9_-]{43}\.ics/, 'shows the feed address');
  assert.doesNotMatch(html, /Winter/, 'another month');
  assert.match(await (await r1.fetch('/portal/calendar?month=2027-12&view=list')).text(), /calendar--list[\s\S]*Winter/);
  assert.doesNotMatch(await (await r3.fetch('/portal/calendar?month=2027-07')).text(), /Sommer/, 'not for p3');
  assert.equal((await a.fetch('/portal/calendar')).status, 404);

  res = await r1.fetch('/portal');
  assert.equal(res.status, 200);
  html = await res.text();
  assert.match(html, /home-appointments/);
  assert.match(html, /10\.07\.2027, 18:30/);
  // the manager's preview of a property shows the section as its residents see it
  const preview = await (await a.fetch(`/app/properties/${p3}/preview`)).text();
  assert.match(preview, /home-appointments[\s\S]*Winter/);
  assert.doesNotMatch(preview, /Sommer/, 'p3 is not a recipient of the summer party');
  assert.equal((await b.fetch(`/app/properties/${p3}/preview`)).status, 404);
  const homeR3 = await (await r3.fetch('/portal')).text();
  assert.doesNotMatch(homeR3, /Sommer/);
  assert.match(homeR3, /Winter/);
});

test('the edit page: the stored fields in Berlin time, saved like PATCH, renotify once per person, delete', async () => {
  clean();
  const x = await create(a, { title: 'Begehung', body: 'Alt', location: 'Hof', starts_at: '2027-05-03T08:00:00Z', ends_at: '2027-05-03T09:00:00Z', property_ids: [p1] });
  let res = await a.fetch(`/app/content/appointments/${x.id}`);
  assert.equal(res.status, 200);
  let html = await res.text();
  assert.match(html, new RegExp(`action="/app/content/appointments/${x.id}"`));
  assert.match(html, /value="2027-05-03T10:00"/, '08:00Z is 10:00 CEST');
  assert.match(html, /value="2027-05-03T11:00"/);
  assert.match(html, /value="Begehung"/);
  assert.match(html, new RegExp(`value="${p1}" checked`), 'the stored recipients are ticked');
  assert.doesNotMatch(html, new RegExp(`value="${p2}" checked`));
  assert.doesNotMatch(html, /name="renotify"[^>]*checked/, 'notifying again is off by default');
  assert.match(html, /<details[^>]*>[\s\S]*action="\/app\/content\/appointment\/\d+\/delete"/, 'delete asks once more');
  assert.match(await (await a.fetch('/app/content/appointments')).text(), new RegExp(`href="/app/content/appointments/${x.id}"`), 'linked from the list');

  assert.equal((await b.fetch(`/app/content/appointments/${x.id}`)).status, 404, "another organisation's");
  assert.equal((await submit(b, `/app/content/appointments/${x.id}`, { title: 'fremd', starts_at: '2027-05-03T10:00', property_ids: 'all' })).status, 404);
  assert.equal((await r1.fetch(`/app/content/appointments/${x.id}`)).status, 404);

  // a failed save comes back with what was sent
  res = await submit(a, `/app/content/appointments/${x.id}`, { title: 'Kaputt', starts_at: '2027-05-03T10:00', ends_at: '2027-05-03T09:00', property_ids: [String(p2)] });
  assert.equal(res.status, 422);
  html = await res.text();
  assert.match(html, /notice--error/);
  assert.match(html, /value="Kaputt"/);
  assert.match(html, new RegExp(`value="${p2}" checked`));
  assert.doesNotMatch(html, new RegExp(`value="${p1}" checked`));

  const prior = outbox(a.user.org_id);
  const before = prior.length;
  const count = (list, r) => list.filter((m) => m === r.email).length;
  res = await submit(a, `/app/content/appointments/${x.id}`, { title: 'Begehung neu', starts_at: '2027-05-04T10:00', ends_at: '', location: '', body: 'Neu', property_ids: [String(p1), String(p2)] });
  assert.equal(res.status, 303);
  let got = (await a.json(`/api/v1/appointments/${x.id}`)).body;
  assert.equal(got.title, 'Begehung neu');
  assert.equal(got.starts_at, '2027-05-04T08:00:00Z', 'Berlin wall-clock time stored as UTC');
  assert.equal(got.ends_at, null, 'an emptied end is cleared');
  assert.equal(got.location, '');
  assert.deepEqual(got.properties.map((p) => p.id).sort(), [p1, p2].sort());
  assert.equal(outbox(a.user.org_id).length, before, 'no mail without renotify');

  res = await submit(a, `/app/content/appointments/${x.id}`, { title: 'Begehung verlegt', starts_at: '2027-05-05T10:00', property_ids: [String(p1), String(p2)], renotify: 'true' });
  assert.equal(res.status, 303);
  const rows = outbox(a.user.org_id);
  assert.equal(rows.length, before + 3);
  // r12 lives in both and gets one; rOff turned them off; rPending is pending
  for (const r of [r1, r12, r2]) assert.equal(count(rows, r) - count(prior, r), 1, r.email);
  for (const r of [rOff, rPending, r3, rb]) assert.equal(count(rows, r), count(prior, r), r.email);
  const en = await stack.waitForMail((m) => (m.headers.to || '').includes(r2.email) && decodeWords(m.headers.subject || '').includes('Begehung verlegt'));
  assert.equal(en.length, 1);
  assert.equal(decodeWords(en[0].headers.subject), 'Appointment changed: Begehung verlegt', "in the resident's language");

  // the API: renotify false sends none, true one per person
  const mid = outbox(a.user.org_id).length;
  res = await a.json(`/api/v1/appointments/${x.id}`, { method: 'PATCH', body: { location: 'Keller', renotify: false } });
  assert.equal(res.status, 200);
  assert.equal(res.body.location, 'Keller');
  assert.equal(outbox(a.user.org_id).length, mid);
  res = await a.json(`/api/v1/appointments/${x.id}`, { method: 'PATCH', body: { property_ids: 'all', renotify: true } });
  assert.equal(res.status, 200);
  const after = outbox(a.user.org_id);
  assert.equal(after.length, mid + 4, 'r1, r12, r2 and r3 once each');
  assert.deepEqual(outbox(b.user.org_id), []);

  // deleting from the edit page
  res = await submit(a, `/app/content/appointment/${x.id}/delete`, {});
  assert.equal(res.status, 303);
  assert.equal((await a.fetch(`/app/content/appointments/${x.id}`)).status, 404);
});

test('the calendar page reads the feed\'s address and writes it only the first time', async () => {
  const fresh = await newResident(stack, a, [p1]);
  assert.equal((await fresh.fetch('/portal/calendar')).status, 200);
  const feeds = () => stack.sql(`SELECT COUNT(*) FROM calendar_feeds WHERE user_id = ${fresh.id}`).trim();
  assert.equal(feeds(), '1', 'made on first use');
  // the caller, their properties, the month's appointments, the feed's generation
  assert.equal(await stack.fewestTrips(fresh, '/portal/calendar', '/portal/calendar'), 4);
});
