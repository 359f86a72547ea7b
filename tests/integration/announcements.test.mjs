// Announcements (plugins/content/announcements.c): publishing with the
// one-mail-per-person rule checked in the outbox and the SMTP sink, the
// notification setting, "all", validation, visibility across properties and
// organisations, reads, markup shown as text, attachments, edits with and
// without renotify, delete, the residents' home and the manager's preview.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sleep } from './stack.mjs';
import { newManager, newProperty, newResident } from './client.mjs';

let stack, a, b;
before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newManager(stack);
  b = await newManager(stack);
});
after(async () => { await stack?.stop(); });

const resident = (manager, ids) => newResident(stack, manager, ids);
const queued = (addr) => Number(stack.sql(`SELECT COUNT(*) FROM outbox WHERE to_addr = '${addr}' AND kind = 'announcements'`).trim());
const sunk = (addr) => stack.mails().filter((m) => (m.headers.to || '').includes(addr)).length;

function publish(manager, body) {
  return manager.json('/api/v1/announcements', { method: 'POST', body: { title: 'Wasser', body: 'Text', ...body } });
}

test('one mail per person: two properties, a resident of both, of one, of a third, one who opted out', async () => {
  const p1 = await newProperty(a, 'Haus Eins');
  const p2 = await newProperty(a, 'Haus Zwei');
  const p3 = await newProperty(a, 'Haus Drei');
  const both = await resident(a, [p1.id, p2.id]);
  const one = await resident(a, [p2.id]);
  const third = await resident(a, [p3.id]);
  const quiet = await resident(a, [p1.id]);
  const pending = await newResident(stack, a, [p1.id], { state: 'pending' });
  stack.sql(`INSERT INTO notification_settings (user_id, kind, enabled) VALUES (${quiet.id}, 'announcements', 0)`);

  const res = await publish(a, { title: 'Wasser abgestellt', body: 'Am Montag.', property_ids: [p1.id, p2.id] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.title, 'Wasser abgestellt');
  assert.equal(res.body.recipients, 2);
  assert.deepEqual(res.body.properties.map((p) => p.name).sort(), ['Haus Eins', 'Haus Zwei']);
  assert.equal(res.body.author.name.length > 0, true);

  assert.equal(queued(both.email), 1, 'a resident of both properties: one mail');
  assert.equal(queued(one.email), 1);
  assert.equal(queued(third.email), 0, 'another property: none');
  assert.equal(queued(quiet.email), 0, 'turned off: none');
  assert.equal(queued(pending.email), 0, 'a pending membership: none');
  await stack.waitForMail((m) => (m.headers.to || '').includes(one.email));
  await stack.waitForMail((m) => (m.headers.to || '').includes(both.email));
  await sleep(500);
  assert.equal(sunk(both.email), 1, 'the sink got one mail for the resident of both');
  assert.equal(sunk(one.email), 1);
  assert.equal(sunk(third.email), 0);
  assert.equal(sunk(quiet.email), 0);
  const mail = stack.mails().find((m) => (m.headers.to || '').includes(one.email));
  assert.match(mail.raw, new RegExp(`/portal/announcements/${res.body.id}`));
  assert.match(mail.raw, /portal\/settings/);
});

test('"all" reaches every property of the organisation only; notify false mails nobody', async () => {
  const p1 = await newProperty(a, 'Alle Eins');
  const p2 = await newProperty(a, 'Alle Zwei');
  const r1 = await resident(a, [p1.id]);
  const r2 = await resident(a, [p2.id]);
  const other = await resident(b, [(await newProperty(b, 'Fremd')).id]);
  const res = await publish(a, { property_ids: 'all' });
  assert.equal(res.status, 201);
  assert.equal(res.body.all_properties, true);
  assert.equal(queued(r1.email), 1);
  assert.equal(queued(r2.email), 1);
  assert.equal(queued(other.email), 0, 'never across organisations');
  const silent = await publish(a, { property_ids: [p1.id], notify: false });
  assert.equal(silent.status, 201);
  assert.equal(silent.body.recipients, 0);
  assert.equal(queued(r1.email), 1, 'notify false: no mail');
});

test('422: title, body, property_ids (empty, unknown, another organisation\'s)', async () => {
  const p = await newProperty(a, 'Prüfhaus');
  const foreign = await newProperty(b, 'Fremdhaus');
  const count = () => Number(stack.sql(`SELECT COUNT(*) FROM announcements WHERE org_id = ${a.user.org_id}`).trim());
  const before = count();
  const cases = [
    [{ title: '', property_ids: [p.id] }, 'title'],
    [{ title: 'x'.repeat(201), property_ids: [p.id] }, 'title'],
    [{ body: '', property_ids: [p.id] }, 'body'],
    [{ body: 'x'.repeat(20001), property_ids: [p.id] }, 'body'],
    [{ property_ids: [] }, 'property_ids'],
    [{}, 'property_ids'],
    [{ property_ids: [999999999] }, 'property_ids'],
    [{ property_ids: [p.id, foreign.id] }, 'property_ids'],
    [{ property_ids: 'some' }, 'property_ids'],
  ];
  for (const [body, field] of cases) {
    const res = await publish(a, body);
    assert.equal(res.status, 422, JSON.stringify(body).slice(0, 80));
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, field);
  }
  assert.equal(count(), before, 'nothing written');
  const r = await resident(b, [foreign.id]);
  assert.equal(queued(r.email), 0);
  // A resident cannot publish.
  const res = await publish(await resident(a, [p.id]), { property_ids: [p.id] });
  assert.equal(res.status, 404);
});

test('visibility: residents see their properties\' only; other organisations 404; reads once per person', async () => {
  const p1 = await newProperty(a, 'Sicht Eins');
  const p2 = await newProperty(a, 'Sicht Zwei');
  const r1 = await resident(a, [p1.id]);
  const r2 = await resident(a, [p2.id]);
  const r12 = await resident(a, [p1.id, p2.id]);
  const made = await publish(a, { title: 'Nur Eins', property_ids: [p1.id, p2.id] });
  const only1 = await publish(a, { title: 'Nur Haus Eins', property_ids: [p1.id], notify: false });
  const id = made.body.id;

  const list2 = await r2.json('/api/v1/announcements');
  assert.equal(list2.status, 200);
  assert.ok(list2.body.items.some((x) => x.id === id));
  assert.ok(!list2.body.items.some((x) => x.id === only1.body.id), 'not of their property');
  const item = list2.body.items.find((x) => x.id === id);
  assert.deepEqual(item.properties.map((p) => p.id), [p2.id], 'a resident sees only their own property');
  assert.equal('reads' in item, false);
  assert.equal('recipients' in item, false);

  assert.equal((await r2.json(`/api/v1/announcements/${only1.body.id}`)).status, 404);
  assert.equal((await b.json(`/api/v1/announcements/${id}`)).status, 404, 'another organisation');
  assert.equal((await b.json(`/api/v1/announcements/${id}`, { method: 'PATCH', body: { title: 'x' } })).status, 404);
  assert.equal((await b.json(`/api/v1/announcements/${id}`, { method: 'DELETE' })).status, 404);
  assert.ok(!(await b.json('/api/v1/announcements')).body.items.some((x) => x.id === id));

  const filtered = await a.json(`/api/v1/announcements?property_id=${p2.id}`);
  assert.ok(filtered.body.items.some((x) => x.id === id));
  assert.ok(!filtered.body.items.some((x) => x.id === only1.body.id));

  for (let i = 0; i < 3; i++) assert.equal((await r1.json(`/api/v1/announcements/${id}`)).status, 200);
  assert.equal((await r12.json(`/api/v1/announcements/${id}`)).status, 200);
  const shown = await a.json(`/api/v1/announcements/${id}`);
  assert.equal(shown.body.reads, 2, 'one read per person');
  assert.equal(shown.body.readers.length, 2);
  assert.equal((await a.json(`/api/v1/announcements?limit=200`)).body.items.find((x) => x.id === id).reads, 2);
});

test('keyset pages, newest first', async () => {
  const m = await newManager(stack);
  const p = await newProperty(m, 'Seiten');
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await publish(m, { title: `N${i}`, property_ids: [p.id] })).body.id);
  const seen = [];
  let after = '';
  for (let i = 0; i < 10; i++) {
    const res = await m.json(`/api/v1/announcements?limit=2${after ? `&after=${after}` : ''}`);
    assert.equal(res.status, 200);
    seen.push(...res.body.items.map((x) => x.id));
    if (!res.body.next) break;
    after = res.body.next;
  }
  assert.deepEqual(seen, ids.reverse());
  assert.equal((await m.json('/api/v1/announcements?after=!!!')).status, 400);
});

test('markup in title and body is text: JSON exact, pages escaped, links only http(s)', async () => {
  const p = await newProperty(a, 'Markup');
  const r = await resident(a, [p.id]);
  const title = '<script>alert(1)</script> & "x"';
  const body = 'Erster <b>Absatz</b>\n\nSiehe https://example.org/a?b=1&c=2. und javascript:alert(1)\n\n<img src=x onerror=alert(1)>';
  const res = await publish(a, { title, body, property_ids: [p.id] });
  assert.equal(res.status, 201);
  const got = await r.json(`/api/v1/announcements/${res.body.id}`);
  assert.equal(got.body.title, title);
  assert.equal(got.body.body, body);
  const page = await (await r.fetch(`/portal/announcements/${res.body.id}`)).text();
  assert.ok(!page.includes('<script>alert'), 'no raw script');
  assert.ok(!page.includes('<b>Absatz'), 'no raw markup');
  assert.ok(!page.includes('<img src=x'), 'no raw image');
  assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.match(page, /<a href="https:\/\/example\.org\/a\?b&#61;1&amp;c&#61;2"|<a href="https:\/\/example\.org\/a\?b=1&amp;c=2"/);
  assert.ok(!page.includes('href="javascript'), 'no javascript: link');
  assert.equal((page.match(/<p>/g) || []).length >= 3, true, 'three paragraphs');
  const managerPage = await (await a.fetch(`/app/content/announcements/${res.body.id}`)).text();
  assert.ok(!managerPage.includes('<script>alert'));
});

test('attachments: upload, download for whoever may see it, 404 for outsiders, 413 over the limits', async () => {
  const p1 = await newProperty(a, 'Anhang Eins');
  const p2 = await newProperty(a, 'Anhang Zwei');
  const inside = await resident(a, [p1.id]);
  const outside = await resident(a, [p2.id]);
  const form = new FormData();
  form.append('title', 'Mit Anhang');
  form.append('body', 'Siehe Anhang');
  form.append('property_ids', String(p1.id));
  form.append('notify', 'false');
  form.append('files', new Blob(['%PDF-1.4 hallo']), 'Protokoll März 2026.pdf');
  const res = await a.json('/api/v1/announcements', { method: 'POST', body: form, headers: { Origin: stack.base } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.attachments.length, 1);
  const [att] = res.body.attachments;
  assert.equal(att.name, 'Protokoll März 2026.pdf');
  assert.equal(att.size, 14);
  const ok = await inside.fetch(att.url);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), '%PDF-1.4 hallo');
  assert.match(ok.headers.get('content-disposition') || '', /attachment/);
  assert.equal((await outside.fetch(att.url)).status, 404, 'a resident of another property');
  assert.equal((await b.fetch(att.url)).status, 404, 'another organisation');
  assert.equal((await a.fetch(att.url)).status, 200);

  const big = new FormData();
  big.append('title', 'Zu groß');
  big.append('body', 'x');
  big.append('property_ids', 'all');
  big.append('files', new Blob([Buffer.alloc(10 * 1024 * 1024 + 1)]), 'gross.bin');
  const tooBig = await a.json('/api/v1/announcements', { method: 'POST', body: big });
  assert.equal(tooBig.status, 413);
  assert.equal(tooBig.body.error.code, 'too_large');
  const many = new FormData();
  many.append('title', 'Zu viele');
  many.append('body', 'x');
  many.append('property_ids', 'all');
  for (let i = 0; i < 11; i++) many.append('files', new Blob([`f${i}`]), `f${i}.txt`);
  assert.equal((await a.json('/api/v1/announcements', { method: 'POST', body: many })).status, 413);
  assert.equal(Number(stack.sql(`SELECT COUNT(*) FROM announcements WHERE title IN ('Zu groß', 'Zu viele')`).trim()), 0);
});

test('edit: renotify mails again only when asked, with what changed; delete is 204 then 404', async () => {
  const p = await newProperty(a, 'Edit');
  const r = await resident(a, [p.id]);
  const made = await publish(a, { title: 'Alt', property_ids: [p.id] });
  assert.equal(queued(r.email), 1);
  const quiet = await a.json(`/api/v1/announcements/${made.body.id}`, { method: 'PATCH', body: { title: 'Neu' } });
  assert.equal(quiet.status, 200);
  assert.equal(quiet.body.title, 'Neu');
  assert.equal(queued(r.email), 1, 'no renotify: no mail');
  const loud = await a.json(`/api/v1/announcements/${made.body.id}`, { method: 'PATCH', body: { body: 'Neuer Text', renotify: true } });
  assert.equal(loud.status, 200);
  assert.equal(loud.body.body, 'Neuer Text');
  assert.equal(queued(r.email), 2, 'renotify: one more mail');
  const text = stack.sql(`SELECT body_text FROM outbox WHERE to_addr = '${r.email}' ORDER BY id DESC LIMIT 1`);
  assert.match(text, /Neuer Text/);
  assert.match(text, /Der Text wurde ge|The text changed/);
  assert.equal((await a.json(`/api/v1/announcements/${made.body.id}`, { method: 'PATCH', body: { title: '' } })).status, 422);
  assert.equal((await a.json(`/api/v1/announcements/${made.body.id}`, { method: 'PATCH', body: { property_ids: [] } })).status, 422);
  assert.equal((await r.json(`/api/v1/announcements/${made.body.id}`, { method: 'PATCH', body: { title: 'x' } })).status, 404);
  assert.equal((await a.json(`/api/v1/announcements/${made.body.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await a.json(`/api/v1/announcements/${made.body.id}`)).status, 404);
  assert.equal((await r.json(`/api/v1/announcements/${made.body.id}`)).status, 404);
});

test('the home section shows the newest for a resident; the preview shows it and records no read', async () => {
  const p = await newProperty(a, 'Heimhaus');
  const r = await resident(a, [p.id]);
  const made = await publish(a, { title: 'Hoffest am Samstag', property_ids: [p.id], notify: false });
  const home = await (await r.fetch('/portal')).text();
  assert.ok(home.includes('Hoffest am Samstag'));
  assert.ok(home.includes(`/portal/announcements/${made.body.id}`));
  const reads = () => Number(stack.sql(`SELECT COUNT(*) FROM announcement_reads WHERE announcement_id = ${made.body.id}`).trim());
  assert.equal(reads(), 0, 'the home lists, it does not read');
  const preview = await a.fetch(`/app/properties/${p.id}/preview`);
  assert.equal(preview.status, 200);
  assert.ok((await preview.text()).includes('Hoffest am Samstag'));
  assert.equal(reads(), 0, 'the preview records nothing');
  const page = await r.fetch(`/portal/announcements/${made.body.id}`);
  assert.equal(page.status, 200);
  assert.equal(reads(), 1, 'opening it does');
  const elsewhere = await resident(a, [(await newProperty(a, 'Nachbar')).id]);
  assert.ok(!(await (await elsewhere.fetch('/portal')).text()).includes('Hoffest am Samstag'));
  assert.equal((await elsewhere.fetch(`/portal/announcements/${made.body.id}`)).status, 404);
});

test('pages: the hub, the form, publishing by form, the list and the detail', async () => {
  const p = await newProperty(a, 'Formhaus');
  const hub = await a.fetch('/app/content');
  assert.equal(hub.status, 200);
  assert.ok((await hub.text()).includes('/app/content/announcement/new'));
  const form = await (await a.fetch('/app/content/announcement/new')).text();
  assert.ok(form.includes(`value="${p.id}"`));
  const fd = new FormData();
  fd.append('csrf_token', a.csrf);
  fd.append('title', 'Per Formular');
  fd.append('body', 'Hallo');
  fd.append('property_ids', String(p.id));
  const sent = await a.fetch('/app/content/announcement/new', { method: 'POST', body: fd, headers: { Origin: stack.base } });
  assert.equal(sent.status, 303);
  const where = sent.headers.get('location');
  assert.match(where, /\/app\/content\/announcements\/\d+/);
  const detail = await (await a.fetch(where)).text();
  assert.ok(detail.includes('Per Formular'));
  const list = await (await a.fetch('/app/content/announcements')).text();
  assert.ok(list.includes('Per Formular'));
  const bad = new FormData();
  bad.append('csrf_token', a.csrf);
  bad.append('title', 'Ohne Empfänger');
  bad.append('body', 'x');
  const refused = await a.fetch('/app/content/announcement/new', { method: 'POST', body: bad, headers: { Origin: stack.base } });
  assert.equal(refused.status, 422);
  const again = await refused.text();
  assert.ok(again.includes('Ohne Empfänger'), 'the form keeps what was typed');
});

test('the detail page\'s edit form: renotify only when ticked; no property ticked is refused', async () => {
  const p = await newProperty(a, 'Seitenedit');
  const r = await resident(a, [p.id]);
  const made = await publish(a, { title: 'Vorher', property_ids: [p.id] });
  const url = `/app/content/announcements/${made.body.id}`;
  const send = (fields) => {
    const fd = new FormData();
    fd.append('csrf_token', a.csrf);
    for (const [k, v] of fields) fd.append(k, v);
    return a.fetch(url, { method: 'POST', body: fd, headers: { Origin: stack.base } });
  };
  let res = await send([['title', 'Nachher'], ['body', 'Text'], ['property_ids', String(p.id)]]);
  assert.equal(res.status, 303);
  assert.equal(queued(r.email), 1, 'not ticked: no mail');
  res = await send([['title', 'Nachher 2'], ['body', 'Text'], ['property_ids', String(p.id)], ['renotify', 'on']]);
  assert.equal(res.status, 303);
  assert.equal(queued(r.email), 2, 'ticked: one more');
  res = await send([['title', 'Ohne'], ['body', 'Text']]);
  assert.equal(res.status, 422);
  assert.equal((await a.json(`/api/v1/announcements/${made.body.id}`)).body.title, 'Nachher 2');
  const del = new FormData();
  del.append('csrf_token', a.csrf);
  res = await a.fetch(`${url}/delete`, { method: 'POST', body: del, headers: { Origin: stack.base } });
  assert.equal(res.status, 303);
  assert.equal((await a.json(`/api/v1/announcements/${made.body.id}`)).status, 404);
});

test('the list costs the caller, the rows and one query for their properties, attachments and reads; an announcement one more', async () => {
  const p = await newProperty(a, 'Rundreisenhaus');
  const r = await resident(a, [p.id]);
  for (let i = 0; i < 3; i++) assert.equal((await publish(a, { title: `Reise ${i}`, property_ids: [p.id], notify: false })).status, 201);
  const one = (await a.json('/api/v1/announcements')).body.items[0];
  for (const client of [a, r]) {
    assert.equal(await stack.fewestTrips(client, '/api/v1/announcements', '/api/v1/announcements'), 3);
    // the resident's read recorded, or the manager's list of who read it
    assert.equal(await stack.fewestTrips(client, `/api/v1/announcements/${one.id}`, '/api/v1/announcements/{id}'), 4);
  }
});
