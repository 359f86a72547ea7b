// The property's contacts (plugins/invites/residents.c): the list with search,
// filters and keyset pages; accepting and rejecting sign-ups (with the mail);
// the group; removal, which takes the property away at once, also from an open
// session; the "Kontakte" page; and the rules that hold on every route: another
// organisation's manager, a resident and a signed-out caller get nothing, and
// no answer ever carries a resident's email.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, decodeWords, mailParts } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

let stack, a, b;
before(async () => {
  stack = await startStack({ plugins: 'example invites', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newManager(stack);
  b = await newManager(stack);
});
after(async () => { await stack?.stop(); });

// Every resident's address, and every answer of this file's routes: each
// answer is checked for the addresses as it arrives, and the last test checks
// that every route was asked.
const emails = new Set();
const answered = new Set();

function assertNoEmail(text, where) {
  for (const email of emails) assert.ok(!text.includes(email), `${where} shows ${email}`);
  assert.doesNotMatch(text, /resident-\d+-\d+@/, where);
}

// The route of this file a path belongs to, for the coverage check.
function routeOf(method, path) {
  const api = path.startsWith('/api/v1/') ? 'api' : 'page';
  const tail = path.split('?')[0].replace(/\/\d+/g, '/N');
  return `${api} ${method} ${tail}`;
}

// A request to a route of this file: { status, headers, text, body (JSON or null) }.
async function call(client, path, init = {}) {
  const res = await client.fetch(path, init);
  const text = await res.text();
  const method = init.method || 'GET';
  assertNoEmail(text, `${method} ${path}`);
  if (res.status < 400) answered.add(routeOf(method, path));
  let body = null;
  if ((res.headers.get('content-type') || '').startsWith('application/json') && text) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, text, body };
}

// A page's form, as a browser sends it.
function submit(client, path, fields = {}) {
  return call(client, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams({ csrf_token: client.csrf, ...fields }).toString(),
  });
}

const sqlText = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

// A resident of propertyIds (client.mjs), signed in, with the display name given.
async function resident(manager, propertyIds, { name, state, group } = {}) {
  const r = await newResident(stack, manager, propertyIds, { state, group });
  emails.add(r.email);
  if (name) stack.sql(`UPDATE users SET name = ${sqlText(name)} WHERE id = ${r.id}`);
  return r;
}

const membership = (propertyId, userId) =>
  stack.sql(`SELECT resident_group, state FROM memberships WHERE property_id = ${propertyId} AND user_id = ${userId}`).trim();

const mailTo = (addr) => stack.waitForMail((m) => (m.headers.to || '').includes(addr));
const outboxCount = (addr) => Number(stack.sql(`SELECT COUNT(*) FROM outbox WHERE to_addr = '${addr}'`).trim());

test('the list: display name, group, state and joined_at, by display name, never the email', async () => {
  const p = await newProperty(a, 'Lindenhof');
  const zoe = await resident(a, [p.id], { name: 'Zoe Zander', group: 'owner' });
  const anna = await resident(a, [p.id], { name: 'anna Adler', group: 'tenant' });
  const bernd = await resident(a, [p.id], { name: 'Bernd Berg', state: 'pending' });
  const res = await call(a, `/api/v1/properties/${p.id}/residents`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.items.map((r) => r.display_name), ['anna Adler', 'Bernd Berg', 'Zoe Zander']);
  assert.equal(res.body.next, null);
  for (const item of res.body.items) {
    assert.deepEqual(Object.keys(item).sort(), ['display_name', 'group', 'id', 'joined_at', 'state', 'unit']);
    assert.match(item.joined_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  const [first, second, third] = res.body.items;
  assert.deepEqual([first.id, first.group, first.state], [anna.id, 'tenant', 'active']);
  assert.deepEqual([second.id, second.group, second.state], [bernd.id, 'resident', 'pending']);
  assert.deepEqual([third.id, third.group, third.state], [zoe.id, 'owner', 'active']);

  const other = await newProperty(a, 'Leerstand');
  const empty = await call(a, `/api/v1/properties/${other.id}/residents`);
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.body, { items: [], next: null }, 'residents of one property only');
});

test('search, group and state filters; an unknown filter value is 422 on it', async () => {
  const p = await newProperty(a, 'Filterhaus');
  await resident(a, [p.id], { name: 'Jürgen Müller', group: 'owner' });
  await resident(a, [p.id], { name: 'Petra Mueller-Schmidt', group: 'tenant' });
  await resident(a, [p.id], { name: 'Karl 100% Korn', group: 'tenant', state: 'pending' });
  const names = async (query) => {
    const res = await call(a, `/api/v1/properties/${p.id}/residents?${query}`);
    assert.equal(res.status, 200, query);
    return res.body.items.map((r) => r.display_name);
  };
  assert.deepEqual(await names(`q=${encodeURIComponent('müller')}`), ['Jürgen Müller']);
  assert.deepEqual(await names('q=MULLER'), ['Jürgen Müller'], 'case-insensitive, umlauts folded');
  assert.deepEqual(await names('q=ueller'), ['Petra Mueller-Schmidt'], 'a substring');
  assert.deepEqual(await names('q=%25'), ['Karl 100% Korn'], 'a % is literal');
  assert.deepEqual(await names('q=_'), [], 'a _ is literal');
  assert.deepEqual(await names('q='), ['Jürgen Müller', 'Karl 100% Korn', 'Petra Mueller-Schmidt'], 'empty: no search');
  assert.deepEqual(await names('group=tenant'), ['Karl 100% Korn', 'Petra Mueller-Schmidt']);
  assert.deepEqual(await names('group=tenant&state=active'), ['Petra Mueller-Schmidt']);
  assert.deepEqual(await names('state=pending'), ['Karl 100% Korn']);
  assert.deepEqual(await names('q=korn&group=owner'), []);
  for (const bad of ['group=admin', 'group=Tenant', 'state=gone', 'group=tenant&group=admin']) {
    const res = await call(a, `/api/v1/properties/${p.id}/residents?${bad}`);
    assert.equal(res.status, 422, bad);
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, bad.split('=')[0]);
  }
  // A filter given twice: the last one counts, as for every query parameter.
  assert.deepEqual(await names('group=owner&group=tenant'), ['Karl 100% Korn', 'Petra Mueller-Schmidt']);
});

test('keyset pages: by display name, then id; malformed limit or cursor is 400', async () => {
  const p = await newProperty(a, 'Seitenhaus');
  const made = [];
  for (const name of ['Gleich', 'Xaver', 'gleich', 'Anton', 'Gleich', 'Berta', 'Mia']) {
    made.push({ name, id: (await resident(a, [p.id], { name })).id });
  }
  const expected = [...made]
    .sort((x, y) => x.name.localeCompare(y.name, 'de', { sensitivity: 'base' }) || x.id - y.id)
    .map((r) => r.id);
  const seen = [];
  let after = '';
  for (let page = 0; page < 10; page++) {
    const res = await call(a, `/api/v1/properties/${p.id}/residents?limit=2${after ? `&after=${after}` : ''}`);
    assert.equal(res.status, 200);
    assert.ok(res.body.items.length <= 2);
    seen.push(...res.body.items.map((r) => r.id));
    if (!res.body.next) break;
    after = res.body.next;
  }
  assert.deepEqual(seen, expected, 'every resident once, names equal but for case ordered by id');
  for (const bad of ['after=!!!', 'limit=abc', 'limit=0']) {
    assert.equal((await call(a, `/api/v1/properties/${p.id}/residents?${bad}`)).status, 400, bad);
  }
  const clamped = await call(a, `/api/v1/properties/${p.id}/residents?limit=100000`);
  assert.equal(clamped.status, 200);
  assert.equal(clamped.body.items.length, 7);
});

test('the group: PATCH changes it; anything but resident, tenant or owner is 422 on group; without it nothing changes', async () => {
  const p = await newProperty(a, 'Gruppenhaus');
  const r = await resident(a, [p.id], { name: 'Greta Gruppe' });
  const url = `/api/v1/properties/${p.id}/residents/${r.id}`;
  const ok = await call(a, url, { method: 'PATCH', body: { group: 'owner' } });
  assert.equal(ok.status, 200);
  assert.deepEqual(Object.keys(ok.body).sort(), ['display_name', 'group', 'id', 'joined_at', 'state', 'unit']);
  assert.deepEqual([ok.body.id, ok.body.display_name, ok.body.group, ok.body.state], [r.id, 'Greta Gruppe', 'owner', 'active']);
  assert.equal(membership(p.id, r.id), 'owner\tactive');

  for (const body of [{ group: 'admin' }, { group: 'Owner' }, { group: ' owner' }, { group: 5 }, { group: null }, { group: ['tenant'] }]) {
    const bad = await call(a, url, { method: 'PATCH', body });
    assert.equal(bad.status, 422, JSON.stringify(body));
    assert.equal(bad.body.error.code, 'validation');
    assert.equal(bad.body.error.field, 'group');
  }
  assert.equal(membership(p.id, r.id), 'owner\tactive', 'a refused change changes nothing');
  const none = await call(a, url, { method: 'PATCH', body: {} });
  assert.equal(none.status, 200, 'group is optional (unit_id and unit_since may be all a PATCH sends)');
  assert.equal(membership(p.id, r.id), 'owner\tactive');

  const ignored = await call(a, url, { method: 'PATCH', body: { group: 'tenant', state: 'pending', display_name: 'x', org_id: b.user.org_id } });
  assert.equal(ignored.status, 200);
  assert.deepEqual([ignored.body.group, ignored.body.state, ignored.body.display_name], ['tenant', 'active', 'Greta Gruppe'], 'only the group changes');
  assert.equal((await call(a, `/api/v1/properties/${p.id}/residents/999999999`, { method: 'PATCH', body: { group: 'owner' } })).status, 404);
});

test('accept: a pending resident gets access at once; accepting again answers 200 unchanged', async () => {
  const p = await newProperty(a, 'Wartehaus');
  const elsewhere = await newProperty(a, 'Anderswo');
  const r = await resident(a, [p.id], { name: 'Paul Pending', state: 'pending', group: 'tenant' });
  assert.equal((await r.json(`/api/v1/properties/${p.id}`)).status, 404, 'a pending membership grants nothing');
  const url = `/api/v1/properties/${p.id}/residents/${r.id}/accept`;
  const res = await call(a, url, { method: 'POST' });
  assert.equal(res.status, 200);
  assert.deepEqual([res.body.id, res.body.display_name, res.body.group, res.body.state], [r.id, 'Paul Pending', 'tenant', 'active']);
  assert.equal(membership(p.id, r.id), 'tenant\tactive');
  assert.equal((await r.json(`/api/v1/properties/${p.id}`)).status, 200, 'the open session sees the property');

  const again = await call(a, url, { method: 'POST', body: {} });
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, res.body);

  const stranger = await resident(a, [elsewhere.id], { name: 'Sven Stranger', state: 'pending' });
  const notMember = await call(a, `/api/v1/properties/${p.id}/residents/${stranger.id}/accept`, { method: 'POST' });
  assert.equal(notMember.status, 404);
  assert.equal(notMember.body.error.code, 'not_found');
  assert.equal(membership(p.id, stranger.id), '', 'no membership made');
  assert.equal(membership(elsewhere.id, stranger.id), 'resident\tpending', 'nor the other one accepted');
  assert.equal((await call(a, `/api/v1/properties/${p.id}/residents/${a.user.id}/accept`, { method: 'POST' })).status, 404, 'a manager is no member');
});

test('reject: the pending membership goes, the account stays, and the person is told by mail', async () => {
  const p = await newProperty(a, 'Absagehaus');
  const r = await resident(a, [p.id], { name: 'Rolf <b>Abgelehnt</b>', state: 'pending' });
  const res = await call(a, `/api/v1/properties/${p.id}/residents/${r.id}/reject`, { method: 'POST' });
  assert.equal(res.status, 204);
  assert.equal(res.text, '');
  assert.equal(membership(p.id, r.id), '');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE id = ${r.id}`).trim(), '1', 'the account stays');
  assert.equal((await r.json(`/api/v1/properties/${p.id}`)).status, 404);

  const [mail] = await mailTo(r.email);
  assert.equal(decodeWords(mail.headers.subject), 'Ihre Anmeldung für Absagehaus');
  const [text, html] = mailParts(mail);
  assert.equal(text.type, 'text/plain');
  assert.match(text.text, /Guten Tag Rolf <b>Abgelehnt<\/b>,/);
  assert.match(text.text, /Absagehaus/);
  assert.match(text.text, /nicht bestätigt/);
  assert.equal(html.type, 'text/html');
  assert.ok(html.text.includes('Rolf &lt;b&gt;Abgelehnt&lt;/b&gt;'), 'the name is text in the HTML part');
  assert.ok(!html.text.includes('<b>Abgelehnt'));
  assert.equal(stack.sql(`SELECT kind FROM outbox WHERE to_addr = '${r.email}'`).trim(), 'membership');
  assert.equal(outboxCount(r.email), 1, 'one mail');

  assert.equal((await call(a, `/api/v1/properties/${p.id}/residents/${r.id}/reject`, { method: 'POST' })).status, 404, 'no longer a member');
  const active = await resident(a, [p.id], { name: 'Anja Aktiv' });
  const conflict = await call(a, `/api/v1/properties/${p.id}/residents/${active.id}/reject`, { method: 'POST', body: {} });
  assert.equal(conflict.status, 409, 'an active member is removed, not rejected');
  assert.equal(conflict.body.error.code, 'conflict');
  assert.equal(membership(p.id, active.id), 'resident\tactive');
  assert.equal(outboxCount(active.email), 0, 'no mail for a refused rejection');
});

test("the rejection mail is in the organisation's language", async () => {
  const en = await newManager(stack);
  assert.equal((await en.json('/api/v1/org', { method: 'PATCH', body: { locale: 'en' } })).status, 200);
  const p = await newProperty(en, 'Elm House');
  const r = await resident(en, [p.id], { name: 'Erin Elm', state: 'pending' });
  assert.equal((await call(en, `/api/v1/properties/${p.id}/residents/${r.id}/reject`, { method: 'POST' })).status, 204);
  const [mail] = await mailTo(r.email);
  assert.equal(decodeWords(mail.headers.subject), 'Your sign-up for Elm House');
  const [text] = mailParts(mail);
  assert.match(text.text, /Hello Erin Elm,/);
  assert.match(text.text, /did not approve/);
});

test('remove: the property is gone at once for the open session; the account stays', async () => {
  const p = await newProperty(a, 'Auszugshaus');
  const q = await newProperty(a, 'Nachbarhaus');
  const r = await resident(a, [p.id, q.id], { name: 'Rita Raus' });
  assert.equal((await r.json(`/api/v1/properties/${p.id}`)).status, 200);
  const res = await call(a, `/api/v1/properties/${p.id}/residents/${r.id}`, { method: 'DELETE' });
  assert.equal(res.status, 204);
  assert.equal((await r.json(`/api/v1/properties/${p.id}`)).status, 404, 'the same session, right after');
  assert.equal((await r.json(`/api/v1/properties/${q.id}`)).status, 200, 'the other property stays');
  assert.deepEqual((await r.json('/api/v1/properties')).body.items.map((x) => x.id), [q.id]);
  assert.equal(membership(p.id, r.id), '');
  assert.equal((await call(a, `/api/v1/properties/${p.id}/residents/${r.id}`, { method: 'DELETE' })).status, 404, 'removed already');
  const list = await call(a, `/api/v1/properties/${p.id}/residents`);
  assert.ok(!list.body.items.some((x) => x.id === r.id));

  assert.equal((await call(a, `/api/v1/properties/${q.id}/residents/${r.id}`, { method: 'DELETE' })).status, 204);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE id = ${r.id}`).trim(), '1', 'the last membership: the account stays');
  assert.equal((await r.json('/api/v1/session')).status, 200, 'still signed in, to nothing');
  assert.deepEqual((await r.json('/api/v1/properties')).body.items, []);
  assert.equal(outboxCount(r.email), 0, 'removal mails nobody');
});

test("another organisation's manager gets 404 on every route, a resident 404, signed out 401", async () => {
  const p = await newProperty(a, 'Privathaus');
  const member = await resident(a, [p.id], { name: 'Ida Insider', group: 'tenant' });
  const waiting = await resident(a, [p.id], { name: 'Pia Pending', state: 'pending' });
  const theirs = await newProperty(b, 'Fremdhaus');
  const api = (pid, uid) => [
    ['GET', `/api/v1/properties/${pid}/residents`],
    ['POST', `/api/v1/properties/${pid}/residents/${uid}/accept`],
    ['POST', `/api/v1/properties/${pid}/residents/${uid}/reject`],
    ['PATCH', `/api/v1/properties/${pid}/residents/${uid}`, { group: 'owner' }],
    ['DELETE', `/api/v1/properties/${pid}/residents/${uid}`],
  ];
  const pages = (pid, uid) => [
    [`/app/properties/${pid}/residents/${uid}/accept`],
    [`/app/properties/${pid}/residents/${uid}/reject`],
    [`/app/properties/${pid}/residents/${uid}`, { group: 'owner' }],
    [`/app/properties/${pid}/residents/${uid}/remove`],
  ];
  const member2 = await resident(a, [p.id], { name: 'Max Mitglied' });
  for (const uid of [member.id, waiting.id]) {
    // The property of another organisation, and one's own property with the other's people.
    for (const pid of [p.id, theirs.id]) {
      for (const [method, path, body] of api(pid, uid)) {
        if (pid === theirs.id && method === 'GET') continue; // b's own list: below
        const res = await call(b, path, { method, body });
        assert.equal(res.status, 404, `b: ${method} ${path}`);
        assert.equal(res.body.error.code, 'not_found');
      }
      for (const [path, fields] of pages(pid, uid)) {
        assert.equal((await submit(b, path, fields)).status, 404, `b: POST ${path}`);
      }
      assert.equal((await call(b, `/app/properties/${pid}/residents`)).status, pid === p.id ? 404 : 200);
    }
    for (const [method, path, body] of api(p.id, uid)) {
      assert.equal((await call(member2, path, { method, body })).status, 404, `resident: ${method} ${path}`);
      assert.equal((await call(new Client(stack), path, { method, body })).status, 401, `signed out: ${method} ${path}`);
    }
    for (const [path, fields] of pages(p.id, uid)) {
      assert.equal((await submit(member2, path, fields)).status, 404, `resident: POST ${path}`);
      assert.equal((await submit(new Client(stack), path, fields)).status, 401, `signed out: POST ${path}`);
    }
  }
  assert.equal((await call(member2, `/app/properties/${p.id}/residents`)).status, 404);
  const out = await call(new Client(stack), `/app/properties/${p.id}/residents`);
  assert.equal(out.status, 303);
  assert.equal(out.headers.get('location'), '/login');

  assert.equal(membership(p.id, member.id), 'tenant\tactive', 'nothing changed');
  assert.equal(membership(p.id, waiting.id), 'resident\tpending');
  assert.equal(outboxCount(waiting.email), 0);
  const theirList = await call(b, `/api/v1/properties/${theirs.id}/residents`);
  assert.deepEqual(theirList.body.items, [], 'lists never cross organisations');
});

test('display names with markup are text in the JSON and on the page', async () => {
  const p = await newProperty(a, 'Markuphaus');
  const evil = '<img src=x onerror=alert(1)><b>Fett</b></script>\u2028"\'';
  await resident(a, [p.id], { name: evil });
  await resident(a, [p.id], { name: `${evil} wartet`, state: 'pending' });
  const res = await call(a, `/api/v1/properties/${p.id}/residents`);
  assert.deepEqual(res.body.items.map((r) => r.display_name).sort(), [evil, `${evil} wartet`].sort());
  assert.ok(!res.text.includes('</'), 'JSON escapes </');
  assert.ok(!res.text.includes('\u2028'), 'JSON escapes U+2028');

  const page = await call(a, `/app/properties/${p.id}/residents`);
  assert.equal(page.status, 200);
  assert.ok(page.text.includes('&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;Fett&lt;/b&gt;'));
  assert.ok(!page.text.includes('<img src=x'));
  assert.ok(!page.text.includes('<b>Fett</b>'));
});

test('the page: the heading, counts, the pending queue first, then the list with its forms', async () => {
  const p = await newProperty(a, 'Seitenansicht');
  const olga = await resident(a, [p.id], { name: 'Olga Owner', group: 'owner' });
  await resident(a, [p.id], { name: 'Tim Tenant', group: 'tenant' });
  await resident(a, [p.id], { name: 'Tina Tenant', group: 'tenant' });
  const wanda = await resident(a, [p.id], { name: 'Wanda Waiting', state: 'pending' });
  const res = await call(a, `/app/properties/${p.id}/residents`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const html = res.text;
  assert.match(html, /<html lang="de">/);
  assert.ok(html.includes('<h1>Kontakte: Seitenansicht</h1>'));
  assert.match(html, /Bewohner: <strong>0<\/strong>/);
  assert.match(html, /Mieter: <strong>2<\/strong>/);
  assert.match(html, /Eigentümer: <strong>1<\/strong>/);
  assert.match(html, /Wartet auf Bestätigung: <strong>1<\/strong>/);
  assert.match(html, /<input id="resident-q" name="q" type="search"/);
  assert.match(html, /<select id="resident-group" name="group">/);

  const [queue, list] = html.split('id="list-title"');
  assert.ok(queue.includes('Wanda Waiting'), 'the queue comes first');
  assert.ok(!list.includes('Wanda Waiting'), 'and the pending are not in the list');
  assert.ok(queue.includes(`action="/app/properties/${p.id}/residents/${wanda.id}/accept"`));
  assert.ok(queue.includes(`action="/app/properties/${p.id}/residents/${wanda.id}/reject"`));
  assert.match(queue, />Annehmen</);
  assert.match(queue, />Ablehnen</);
  assert.deepEqual([...list.matchAll(/<th scope="row">([^<]+)/g)].map((m) => m[1]), ['Olga Owner', 'Tim Tenant', 'Tina Tenant']);
  assert.match(list, new RegExp(`<select id="group-${olga.id}" name="group">[^]*?<option value="owner" selected>Eigentümer</option>`));
  assert.match(list, new RegExp(`<details class="resident-remove">\\s*<summary>Entfernen[^]*?action="/app/properties/${p.id}/residents/${olga.id}/remove"[^]*?button--danger`));
  assert.match(list, /<time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">\d\d\.\d\d\.\d{4}<\/time>/);
  assert.match(list, /<table class="table--stack/, 'stacked on a phone');
  assert.match(list, /data-label="Gruppe"/);

  const tenants = (await call(a, `/app/properties/${p.id}/residents?group=tenant`)).text;
  assert.ok(tenants.includes('Tim Tenant') && tenants.includes('Tina Tenant'));
  assert.ok(!tenants.includes('Olga Owner'));
  assert.match(tenants, /<option value="tenant" selected>Mieter<\/option>/);
  const search = (await call(a, `/app/properties/${p.id}/residents?q=olga`)).text;
  assert.ok(search.includes('Olga Owner') && !search.includes('Tim Tenant'));
  assert.match(search, /value="olga"/);
  assert.match((await call(a, `/app/properties/${p.id}/residents?q=zzz`)).text, /Niemand passt zu dieser Suche\./);
  assert.equal((await call(a, `/app/properties/${p.id}/residents?group=admin`)).status, 422);
});

test('the page in English', async () => {
  const en = await newManager(stack);
  assert.equal((await en.json('/api/v1/org', { method: 'PATCH', body: { locale: 'en' } })).status, 200);
  const p = await newProperty(en, 'Oak Court');
  await resident(en, [p.id], { name: 'Owen Owner', group: 'owner' });
  await resident(en, [p.id], { name: 'Wes Waiting', state: 'pending' });
  const html = (await call(en, `/app/properties/${p.id}/residents`)).text;
  assert.match(html, /<html lang="en">/);
  assert.ok(html.includes('<h1>Contacts: Oak Court</h1>'));
  assert.match(html, /Owner: <strong>1<\/strong>/);
  for (const word of ['>Accept<', '>Reject<', '<summary>Remove', 'Waiting for approval', 'Search by name']) {
    assert.ok(html.includes(word), word);
  }
  assert.match(html, /<time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">\d{1,2} [A-Z][a-z]{2} \d{4}<\/time>/);
});

test('the page: empty states and the link to the next page', async () => {
  const p = await newProperty(a, 'Neubau');
  const empty = (await call(a, `/app/properties/${p.id}/residents`)).text;
  assert.match(empty, /Noch niemand ist dieser Liegenschaft beigetreten\./);
  assert.ok(empty.includes(`href="/app/properties/${p.id}/invite"`));
  assert.ok(!empty.includes('id="queue-title"'), 'no queue when nobody waits');
  assert.match((await call(a, `/app/properties/${p.id}/residents?state=pending`)).text, /Niemand wartet auf Bestätigung\./);

  await resident(a, [p.id], { name: 'Erste & Einzige', state: 'pending' });
  assert.match((await call(a, `/app/properties/${p.id}/residents`)).text, /Noch niemand ist bestätigt\./);

  for (const name of ['Anna A', 'Anna B', 'Anna C']) await resident(a, [p.id], { name });
  const first = (await call(a, `/app/properties/${p.id}/residents?q=Anna&limit=2`)).text;
  assert.ok(first.includes('Anna A') && first.includes('Anna B') && !first.includes('Anna C'));
  const href = /<a class="button button--secondary" href="([^"]+)">Weitere anzeigen<\/a>/.exec(first)[1]
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replaceAll('&amp;', '&');
  assert.match(href, new RegExp(`^/app/properties/${p.id}/residents\\?q=Anna&limit=2&after=`));
  const second = (await call(a, href)).text;
  assert.ok(second.includes('Anna C') && !second.includes('Anna A'));
  assert.ok(!second.includes('Weitere anzeigen'), 'the last page');
});

test('the page: a long queue shows its first 50, the rest on a page of their own', async () => {
  const p = await newProperty(a, 'Ansturm');
  const org = a.user.org_id;
  // Made with SQL: these people never sign in, and 52 sign-ups would take long.
  for (let i = 0; i < 52; i++) {
    const email = `bulk-${process.pid}-${p.id}-${i}@example.org`;
    emails.add(email);
    stack.sql(`INSERT INTO users (org_id, role, email, name, created_at) VALUES (${org}, 'resident', '${email}', 'Warteliste ${String(i).padStart(2, '0')}', UTC_TIMESTAMP())`);
    stack.sql(`INSERT INTO memberships (property_id, user_id, org_id, state, joined_at) SELECT ${p.id}, id, ${org}, 'pending', UTC_TIMESTAMP() FROM users WHERE email = '${email}'`);
  }
  const html = (await call(a, `/app/properties/${p.id}/residents`)).text;
  const queue = html.split('id="list-title"')[0];
  assert.equal([...queue.matchAll(/<th scope="row">Warteliste/g)].length, 50);
  assert.ok(queue.includes('Warteliste 49') && !queue.includes('Warteliste 50'));
  assert.match(html, /Wartet auf Bestätigung: <strong>52<\/strong>/);
  const more = /<a href="([^"]+)">Alle wartenden Anmeldungen anzeigen<\/a>/.exec(queue)[1]
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replaceAll('&amp;', '&');
  assert.equal(more, `/app/properties/${p.id}/residents?state=pending`);
  const all = (await call(a, `${more}&limit=60`)).text;
  assert.ok(!all.includes('id="queue-title"'), 'the list is the queue now');
  const [, list] = all.split('id="list-title"');
  assert.equal([...list.matchAll(/<th scope="row">Warteliste/g)].length, 52);
  assert.equal([...list.matchAll(/>Annehmen</g)].length, 52, 'each with its decision');
  assert.match(all, /<input type="hidden" name="state" value="pending">/, 'the search keeps the state');
});

test('the page forms: accept, reject, group, remove; a refusal shows the list again with the reason', async () => {
  const p = await newProperty(a, 'Formularhaus');
  const base = `/app/properties/${p.id}/residents`;
  const one = await resident(a, [p.id], { name: 'Fiona Form', state: 'pending' });
  const two = await resident(a, [p.id], { name: 'Fritz Form', state: 'pending' });

  const accepted = await submit(a, `${base}/${one.id}/accept`);
  assert.equal(accepted.status, 303);
  assert.equal(accepted.headers.get('location'), `${base}?done=accepted`);
  assert.equal(membership(p.id, one.id), 'resident\tactive');
  assert.match((await call(a, `${base}?done=accepted`)).text, /role="status">Die Anmeldung wurde angenommen\./);

  const rejected = await submit(a, `${base}/${two.id}/reject`);
  assert.equal(rejected.status, 303);
  assert.equal(rejected.headers.get('location'), `${base}?done=rejected`);
  assert.equal(membership(p.id, two.id), '');
  await mailTo(two.email);

  const grouped = await submit(a, `${base}/${one.id}`, { group: 'owner' });
  assert.equal(grouped.status, 303);
  assert.equal(grouped.headers.get('location'), `${base}?done=updated`);
  assert.equal(membership(p.id, one.id), 'owner\tactive');

  const bad = await submit(a, `${base}/${one.id}`, { group: 'admin' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /role="alert">Bitte wählen Sie Bewohner, Mieter oder Eigentümer\./);
  assert.ok(bad.text.includes('Fiona Form'), 'the list around the reason');
  assert.equal(membership(p.id, one.id), 'owner\tactive');

  const conflict = await submit(a, `${base}/${one.id}/reject`);
  assert.equal(conflict.status, 409);
  assert.match(conflict.text, /role="alert">Diese Person ist schon aufgenommen\./);
  assert.ok(conflict.text.includes('<h1>Kontakte: Formularhaus</h1>'));
  assert.ok(conflict.text.includes('Fiona Form'));

  const noToken = await stack.fetch(`${base}/${one.id}/remove`, {
    method: 'POST', redirect: 'manual', body: 'x=1',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: a.cookie },
  });
  assert.equal(noToken.status, 403, 'forms need the CSRF token');
  assert.equal(membership(p.id, one.id), 'owner\tactive');

  const removed = await submit(a, `${base}/${one.id}/remove`);
  assert.equal(removed.status, 303);
  assert.equal(removed.headers.get('location'), `${base}?done=removed`);
  assert.equal(membership(p.id, one.id), '');
  assert.equal((await one.json(`/api/v1/properties/${p.id}`)).status, 404);
});

test('the unit: PATCH sets one of the property\'s units (or none) and when the tenancy began; the list shows and filters it', async () => {
  const p = await newProperty(a, 'Einheitenhaus');
  const other = await newProperty(a, 'Nachbarhaus');
  const unitOf = async (property, name) => (await a.json(`/api/v1/properties/${property}/units`, { method: 'POST', body: { name } })).body.id;
  const wg1 = await unitOf(p.id, 'WE 1');
  const wg2 = await unitOf(p.id, 'WE 2');
  const foreignUnit = await unitOf(other.id, 'WE 9');
  const r = await resident(a, [p.id], { name: 'Udo Unit' });
  const s = await resident(a, [p.id], { name: 'Sara Solo' });
  const url = `/api/v1/properties/${p.id}/residents/${r.id}`;
  const since = () => stack.sql(`SELECT COALESCE(unit_id, 0), COALESCE(DATE_FORMAT(unit_since, '%Y-%m-%d %H:%i:%s.%f'), '-') FROM memberships WHERE property_id = ${p.id} AND user_id = ${r.id}`).trim().split('\t');

  let res = await call(a, url, { method: 'PATCH', body: { unit_id: wg1 } });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.unit, { id: wg1, name: 'WE 1' });
  assert.equal(res.body.group, 'resident', 'the group stays');
  const [unit, started] = since();
  assert.equal(Number(unit), wg1);
  assert.notEqual(started, '-', 'a new unit starts the tenancy now');
  // the same unit again keeps the start; a date moves it to that day's start (Berlin)
  assert.equal((await call(a, url, { method: 'PATCH', body: { unit_id: wg1 } })).status, 200);
  assert.equal(since()[1], started);
  assert.equal((await call(a, url, { method: 'PATCH', body: { unit_since: '2024-03-01' } })).status, 200);
  assert.deepEqual(since(), [String(wg1), '2024-02-29 23:00:00.000000']);
  // another unit is a new tenancy
  assert.equal((await call(a, url, { method: 'PATCH', body: { unit_id: wg2 } })).status, 200);
  assert.equal(Number(since()[0]), wg2);
  assert.ok(since()[1] > '2025', since()[1]);

  for (const [body, field] of [
    [{ unit_id: foreignUnit }, 'unit_id'], [{ unit_id: 999999999 }, 'unit_id'], [{ unit_id: 'x' }, 'unit_id'],
    [{ unit_since: '2999-01-01' }, 'unit_since'], [{ unit_since: '01.03.2024' }, 'unit_since'],
    [{ unit_id: null, unit_since: '2024-01-01' }, 'unit_since'],
  ]) {
    res = await call(a, url, { method: 'PATCH', body });
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal(res.body.error.field, field, JSON.stringify(body));
  }
  assert.equal(Number(since()[0]), wg2, 'a refused change changes nothing');

  const list = await call(a, `/api/v1/properties/${p.id}/residents`);
  const byId = Object.fromEntries(list.body.items.map((i) => [i.id, i.unit]));
  assert.deepEqual(byId[r.id], { id: wg2, name: 'WE 2' });
  assert.equal(byId[s.id], null);
  assert.deepEqual((await call(a, `/api/v1/properties/${p.id}/residents?unit_id=${wg2}`)).body.items.map((i) => i.id), [r.id]);
  assert.deepEqual((await call(a, `/api/v1/properties/${p.id}/residents?unit_id=${wg1}`)).body.items, []);
  assert.equal((await call(a, `/api/v1/properties/${p.id}/residents?unit_id=abc`)).status, 422);

  // none again: no unit, no start
  res = await call(a, url, { method: 'PATCH', body: { unit_id: null } });
  assert.equal(res.status, 200);
  assert.equal(res.body.unit, null);
  assert.deepEqual(since(), ['0', '-']);
  // a deleted unit leaves its residents without one
  await call(a, url, { method: 'PATCH', body: { unit_id: wg1 } });
  assert.equal((await a.fetch(`/api/v1/units/${wg1}`, { method: 'DELETE' })).status, 204);
  assert.equal((await call(a, `/api/v1/properties/${p.id}/residents?unit_id=${wg2}`)).body.items.length, 0);
  assert.equal(since()[0], '0');
  // another organisation's manager changes nothing
  assert.equal((await call(b, url, { method: 'PATCH', body: { unit_id: wg2 } })).status, 404);
});

test('the page sets a resident\'s unit with the group\'s form: the tenancy starts then; "Keine" ends it; no units, no column', async () => {
  const p = await newProperty(a, 'Wohnungshaus');
  const base = `/app/properties/${p.id}/residents`;
  const r = await resident(a, [p.id], { name: 'Wanda Wechsel', group: 'tenant' });
  let html = (await call(a, base)).text;
  assert.doesNotMatch(html, /name="unit_id"/, 'a property without units: no choice');
  assert.doesNotMatch(html, /<th scope="col">Einheit<\/th>/);
  const unitOf = async (name) => (await a.json(`/api/v1/properties/${p.id}/units`, { method: 'POST', body: { name } })).body.id;
  const we2 = await unitOf('WE 2');
  const we1 = await unitOf('WE 1');
  const row = () => stack.sql(`SELECT resident_group, COALESCE(unit_id, 0), COALESCE(FLOOR(UNIX_TIMESTAMP(unit_since)), 0) FROM memberships WHERE property_id = ${p.id} AND user_id = ${r.id}`).trim().split('\t');

  html = (await call(a, base)).text;
  assert.match(html, /<th scope="col">Einheit<\/th>/);
  assert.match(html, /id="units-hint">Mit „Ändern“ gilt eine neu gewählte Einheit ab sofort/);
  const select = new RegExp(`<label class="visually-hidden" for="unit-${r.id}">Einheit von Wanda Wechsel</label>\\s*<select id="unit-${r.id}" name="unit_id" form="resident-${r.id}" aria-describedby="units-hint">([\\s\\S]*?)</select>`);
  assert.match(html, new RegExp(`<form class="resident-group" id="resident-${r.id}" method="post" action="${base}/${r.id}">`));
  let options = select.exec(html)?.[1];
  assert.ok(options, 'the unit select, labelled and part of the group\'s form');
  assert.deepEqual([...options.matchAll(/<option value="(\d*)"( selected)?>([^<]*)</g)].map((m) => [m[1], Boolean(m[2]), m[3]]),
    [['', true, 'Keine'], [String(we1), false, 'WE 1'], [String(we2), false, 'WE 2']], 'none yet; the units by name');

  // the form sends the group and the unit: a new unit starts the tenancy now
  await stack.advanceClock(60);
  let res = await submit(a, `${base}/${r.id}`, { group: 'tenant', unit_id: String(we2) });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `${base}?done=updated`);
  let [group, unit, since] = row();
  assert.deepEqual([group, Number(unit)], ['tenant', we2]);
  assert.ok(Math.abs(Number(since) - stack.now().getTime() / 1000) < 120, `the tenancy begins now: ${since}`);
  html = (await call(a, `${base}?done=updated`)).text;
  assert.match(html, /role="status">Die Änderung wurde gespeichert\./);
  options = select.exec(html)[1];
  assert.match(options, new RegExp(`<option value="${we2}" selected>WE 2</option>`), 'the unit shown as chosen');
  // the same unit sent again with another group: the tenancy keeps its start
  await stack.advanceClock(3600);
  res = await submit(a, `${base}/${r.id}`, { group: 'owner', unit_id: String(we2) });
  assert.equal(res.status, 303);
  assert.deepEqual(row(), ['owner', String(we2), since]);
  // "Keine": no unit, no tenancy
  res = await submit(a, `${base}/${r.id}`, { group: 'owner', unit_id: '' });
  assert.equal(res.status, 303);
  assert.deepEqual(row(), ['owner', '0', '0']);
  // a unit of another property: the list again with the reason, nothing changed
  const foreign = (await a.json(`/api/v1/properties/${(await newProperty(a, 'Fremdhaus')).id}/units`, { method: 'POST', body: { name: 'WE 9' } })).body.id;
  res = await submit(a, `${base}/${r.id}`, { group: 'tenant', unit_id: String(foreign) });
  assert.equal(res.status, 422);
  assert.match(res.text, /role="alert">Bitte wählen Sie eine Einheit dieser Liegenschaft\./);
  assert.ok(res.text.includes('Wanda Wechsel'), 'the list around the reason');
  assert.deepEqual(row(), ['owner', '0', '0']);
  // in English
  stack.sql(`UPDATE users SET locale = 'en' WHERE id = ${a.user.id}`);
  try {
    html = (await call(a, base)).text;
    assert.match(html, /<th scope="col">Unit<\/th>/);
    assert.match(html, new RegExp(`Unit of Wanda Wechsel</label>`));
    assert.match(html, /<option value="" selected>None<\/option>/);
  } finally {
    stack.sql(`UPDATE users SET locale = NULL WHERE id = ${a.user.id}`);
  }
});

test('the page keeps its round trips: the units of its unit choices come with the counts', async () => {
  const p = await newProperty(a, 'Rundreisen');
  const base = `/app/properties/${p.id}/residents`;
  const r = await resident(a, [p.id], { name: 'Rudi Rund', group: 'tenant' });
  await resident(a, [p.id], { name: 'Paula Prüfung', state: 'pending' });
  const units = {};
  for (const name of ['WE 2', 'B-Haus', 'Ärztezimmer']) {
    const res = await a.json(`/api/v1/properties/${p.id}/units`, { method: 'POST', body: { name } });
    assert.equal(res.status, 201);
    units[name] = String(res.body.id);
  }
  const fewest = async (path) => {
    for (let i = 0; i < 4; i++) assert.equal((await call(a, path)).status, 200);
    const lines = stack.log().split('\n').filter((l) => l.includes('route=/app/properties/{id}/residents ') && / db=\d+/.test(l));
    return Math.min(...lines.slice(-4).map((l) => Number(/ db=(\d+)/.exec(l)[1])));
  };
  // the caller, the property, the list, the queue, then the counts with the units
  assert.equal(await fewest(base), 5);
  // a state asked for has no queue
  assert.equal(await fewest(`${base}?state=pending`), 4);
  const html = (await call(a, base)).text;
  assert.match(html, /Mieter: <strong>1<\/strong>/);
  assert.match(html, /Wartet auf Bestätigung: <strong>1<\/strong>/);
  const options = new RegExp(`<select id="unit-${r.id}" name="unit_id"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1];
  assert.deepEqual([...options.matchAll(/<option value="(\d*)"(?: selected)?>([^<]*)</g)].map((m) => [m[1], m[2]]),
    [['', 'Keine'], [units['Ärztezimmer'], 'Ärztezimmer'], [units['B-Haus'], 'B-Haus'], [units['WE 2'], 'WE 2']],
    'the units by name as people sort them');
});

test("no answer of these routes carried a resident's email, and every route was asked", () => {
  // call() checked each answer as it came; this makes sure none was skipped.
  for (const route of [
    'api GET /api/v1/properties/N/residents',
    'api POST /api/v1/properties/N/residents/N/accept',
    'api POST /api/v1/properties/N/residents/N/reject',
    'api PATCH /api/v1/properties/N/residents/N',
    'api DELETE /api/v1/properties/N/residents/N',
    'page GET /app/properties/N/residents',
    'page POST /app/properties/N/residents/N/accept',
    'page POST /app/properties/N/residents/N/reject',
    'page POST /app/properties/N/residents/N',
    'page POST /app/properties/N/residents/N/remove',
  ]) assert.ok(answered.has(route), `${route} was never answered successfully`);
  assert.ok(emails.size >= 20);
});
