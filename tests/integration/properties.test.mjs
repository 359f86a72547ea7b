// Properties and units over the API and the manager's pages, and the access
// rules across two organisations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

let stack, a, b;
before(async () => {
  stack = await startStack({ env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newManager(stack);
  b = await newManager(stack);
});
after(async () => { await stack?.stop(); });

test('a new organisation starts with the sample property', async () => {
  const res = await a.json('/api/v1/properties');
  assert.equal(res.status, 200);
  assert.equal(res.body.items.length, 1);
  assert.equal(res.body.items[0].name, 'Robert-Koch-Straße');
  assert.match(res.body.items[0].reference_id, /^L-\d+/);
  assert.equal(res.body.next, null);
});

test('create, read, update and delete a property', async () => {
  const created = await a.json('/api/v1/properties', {
    method: 'POST', body: { name: 'Lindenallee 5', street: 'Lindenallee 5', zip: '01067', city: 'Dresden', role: 'x', org_id: b.user.org_id },
  });
  assert.equal(created.status, 201);
  const p = created.body;
  assert.equal(p.name, 'Lindenallee 5');
  assert.equal(p.zip, '01067');
  assert.equal(p.residents_count, 0);
  assert.equal(p.image_url, null);
  assert.match(p.reference_id, /^L-/);

  const got = await a.json(`/api/v1/properties/${p.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body.units, []);

  const patched = await a.json(`/api/v1/properties/${p.id}`, { method: 'PATCH', body: { city: 'Leipzig' } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.city, 'Leipzig');
  assert.equal(patched.body.street, 'Lindenallee 5', 'fields not sent stay');

  const unit = await a.json(`/api/v1/properties/${p.id}/units`, { method: 'POST', body: { name: 'EG links' } });
  assert.equal(unit.status, 201);
  const units = await a.json(`/api/v1/properties/${p.id}/units`);
  assert.deepEqual(units.body.items.map((u) => u.name), ['EG links']);
  assert.equal((await a.json(`/api/v1/units/${unit.body.id}`, { method: 'PATCH', body: { name: 'EG rechts' } })).body.name, 'EG rechts');

  assert.equal((await a.fetch(`/api/v1/properties/${p.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await a.json(`/api/v1/properties/${p.id}`)).status, 404);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM units WHERE property_id = ${p.id}`).trim(), '0');
});

test('reference IDs: given, unique per organisation, 409 on a duplicate', async () => {
  const one = await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Haus A', reference_id: 'WE-100' } });
  assert.equal(one.status, 201);
  assert.equal(one.body.reference_id, 'WE-100');
  const dup = await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Haus B', reference_id: 'WE-100' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'conflict');
  const other = await b.json('/api/v1/properties', { method: 'POST', body: { name: 'Haus C', reference_id: 'WE-100' } });
  assert.equal(other.status, 201, 'another organisation may use the same reference ID');
});

// A new property's search words go in without first removing its (none):
// that removal locked the gap after the index's last key, where parallel
// creates insert, and MariaDB refused one as a deadlock (503).
test('properties created at the same instant are all created and all found', async () => {
  const made = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    a.json('/api/v1/properties', { method: 'POST', body: { name: `Gleichzeitig ${i}`, city: 'Zwickau' } })));
  assert.deepEqual(made.map((r) => r.status), made.map(() => 201));
  const found = await a.json('/api/v1/properties?q=gleichzeitig+zwick&limit=50');
  assert.deepEqual(found.body.items.map((p) => p.id).sort(), made.map((r) => r.body.id).sort());
});

test('validation: the name is required, at most 200 characters, on one line', async () => {
  for (const body of [{}, { name: '' }, { name: '   ' }, { name: 'ß'.repeat(201) }, { name: 5 }, { name: 'Bahn\nhof' }, { name: 'Bahn\u2028hof' }, { name: 'Bahn\u0085hof' }]) {
    const res = await a.json('/api/v1/properties', { method: 'POST', body });
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, 'name');
  }
  const ok = await a.json('/api/v1/properties', { method: 'POST', body: { name: 'ß'.repeat(200) } });
  assert.equal(ok.status, 201);
});

test('search and keyset pagination', async () => {
  const c = await newManager(stack);
  for (let i = 0; i < 7; i++) {
    const city = i % 2 ? 'München' : 'Köln';
    assert.equal((await c.json('/api/v1/properties', { method: 'POST', body: { name: `Objekt ${i}`, city } })).status, 201);
  }
  const seen = [];
  let after = '';
  for (let page = 0; page < 10; page++) {
    const res = await c.json(`/api/v1/properties?limit=3${after ? `&after=${after}` : ''}`);
    assert.equal(res.status, 200);
    seen.push(...res.body.items.map((p) => p.name));
    if (!res.body.next) break;
    after = res.body.next;
  }
  assert.equal(seen.length, 8);
  assert.deepEqual([...seen].sort(), seen, 'ordered by name');
  assert.equal(new Set(seen).size, 8);

  const munich = await c.json(`/api/v1/properties?q=${encodeURIComponent('münchen')}`);
  assert.equal(munich.body.items.length, 3, 'case-insensitive search in the city');
  const folded = await c.json('/api/v1/properties?q=MUNCHEN');
  assert.equal(folded.body.items.length, 3, 'umlauts folded as the collation folds them');
  const none = await c.json('/api/v1/properties?q=%25');
  assert.equal(none.body.items.length, 0, 'a % in the search is literal');
  assert.equal((await c.json('/api/v1/properties?after=!!!')).status, 400);
  assert.equal((await c.json('/api/v1/properties?limit=abc')).status, 400);
  assert.equal((await c.json('/api/v1/properties?limit=100000')).status, 200);
});

test('another organisation\'s property is 404 everywhere', async () => {
  const mine = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Nur für A' } })).body;
  for (const [method, path, body] of [
    ['GET', `/api/v1/properties/${mine.id}`],
    ['PATCH', `/api/v1/properties/${mine.id}`, { name: 'x' }],
    ['DELETE', `/api/v1/properties/${mine.id}`],
    ['GET', `/api/v1/properties/${mine.id}/units`],
    ['POST', `/api/v1/properties/${mine.id}/units`, { name: 'x' }],
  ]) {
    const res = await b.json(path, { method, body });
    assert.equal(res.status, 404, `${method} ${path}`);
  }
  const list = await b.json(`/api/v1/properties?q=${encodeURIComponent('Nur für A')}`);
  assert.equal(list.body.items.length, 0);
  assert.equal((await new Client(stack).json('/api/v1/properties')).status, 401);
});

test('pages: the list, "create another", and markup shown as text', async () => {
  const form = (fields) => a.fetch('/app/properties/new', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams({ csrf_token: a.csrf, ...fields }).toString(),
  });
  const again = await form({ name: '<b>Fett</b>', another: 'on' });
  assert.equal(again.status, 303);
  assert.match(again.headers.get('location'), /^\/app\/properties\/new\?created=\d+$/);
  const empty = await (await a.fetch(again.headers.get('location'))).text();
  assert.match(empty, /name="another" value="1" checked/);
  const done = await form({ name: 'Ohne weitere' });
  assert.match(done.headers.get('location'), /^\/app\/properties\/\d+$/);
  const bad = await form({ name: '' });
  assert.equal(bad.status, 422);
  assert.match(await bad.text(), /role="alert"/);

  const page = await (await a.fetch('/app/properties?q=Fett')).text();
  assert.ok(page.includes('&lt;b&gt;Fett&lt;/b&gt;'));
  assert.ok(!page.includes('<b>Fett</b>'));
  const noToken = await stack.fetch('/app/properties/new', {
    method: 'POST', redirect: 'manual', body: 'name=x',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: a.cookie },
  });
  assert.equal(noToken.status, 403, 'forms need the CSRF token');
});

test('the property image: PNG or JPEG by content, 5 MiB, seen by who may see the property', async () => {
  const p = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Mit Bild' } })).body;
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1000, 1)]);
  const upload = (bytes, name = 'haus.png', client = a, id = p.id) => {
    const form = new FormData();
    form.append('file', new Blob([bytes]), name);
    return client.json(`/api/v1/properties/${id}/image`, { method: 'POST', body: form });
  };
  const ok = await upload(png);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.image_url, `/api/v1/properties/${p.id}/image`);
  const img = await a.fetch(ok.body.image_url);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  assert.ok(Buffer.from(await img.arrayBuffer()).equals(png));
  assert.equal((await b.fetch(ok.body.image_url)).status, 404, 'another organisation');
  assert.equal((await upload(png, 'x.png', b)).status, 404);

  assert.equal((await upload(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'x.png')).status, 415);
  assert.equal((await upload(Buffer.from('\x7fELF\x02\x01\x01'), 'bild.jpg')).status, 415);
  assert.equal((await upload(Buffer.concat([png, Buffer.alloc(5 << 20)]))).status, 413);
  const missing = await a.json(`/api/v1/properties/${p.id}/image`, { method: 'POST', body: new FormData() });
  assert.equal(missing.status, 422);
  assert.equal(missing.body.error.field, 'file');
});

test('residents see only the properties they are active members of', async () => {
  const mine = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Wohnanlage Süd' } })).body;
  const other = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Wohnanlage Nord' } })).body;
  const pendingOne = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Wartend' } })).body;
  const r = await newResident(stack, a, [mine.id]);
  stack.sql(`INSERT INTO memberships (property_id, user_id, org_id, state, joined_at) VALUES (${pendingOne.id}, ${r.id}, ${a.user.org_id}, 'pending', UTC_TIMESTAMP())`);
  const list = await r.json('/api/v1/properties');
  assert.deepEqual(list.body.items.map((p) => p.name), ['Wohnanlage Süd']);
  assert.equal((await r.json(`/api/v1/properties/${mine.id}`)).status, 200);
  assert.equal((await r.json(`/api/v1/properties/${mine.id}/units`)).status, 200);
  for (const id of [other.id, pendingOne.id]) {
    assert.equal((await r.json(`/api/v1/properties/${id}`)).status, 404, 'not a member, or pending');
  }
  assert.equal((await r.json('/api/v1/properties', { method: 'POST', body: { name: 'x' } })).status, 404);
  assert.equal((await r.json(`/api/v1/properties/${mine.id}`, { method: 'PATCH', body: { name: 'x' } })).status, 404);
  assert.equal((await r.fetch('/app/properties')).status, 404);
  const home = await (await r.fetch('/portal')).text();
  assert.ok(home.includes('Wohnanlage Süd'));
  assert.ok(!home.includes('Wohnanlage Nord'));
  assert.equal(Number((await a.json(`/api/v1/properties/${mine.id}`)).body.residents_count), 1);
});

test('a resident\'s search finds her properties by what she sees, never by the reference ID she may not see', async () => {
  const p = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Haus am Quellgrund', reference_id: 'XQV-4711 Großhof', street: 'Brunnenstraße 3', city: 'Köln' } })).body;
  const r = await newResident(stack, a, [p.id]);
  const found = async (q) => (await r.json(`/api/v1/properties?q=${encodeURIComponent(q)}`)).body.items.map((x) => x.id);
  assert.deepEqual(await found('quellgr'), [p.id], 'by its name');
  assert.deepEqual(await found('brunnenstrasse 3'), [p.id], 'by its street, ß folded');
  assert.deepEqual(await found('koln'), [p.id], 'by its city, umlaut folded');
  assert.deepEqual(await found('xqv'), [], 'not by its reference ID');
  assert.deepEqual(await found('4711'), [], 'nor by a part of it');
  assert.deepEqual(await found('quellgr xqv'), [], 'nor with a word of it');
  assert.deepEqual(await found('grossh'), [], 'nor with one whose ß is folded');
  const res = await a.json(`/api/v1/properties?q=xqv`);
  assert.deepEqual(res.body.items.map((x) => x.id), [p.id], 'the managers find it by its reference ID');
});

test('the home lists a resident\'s properties in the order of their names as MariaDB compares them', async () => {
  // Created in another order than the names', with an umlaut, a small letter,
  // a name twice and names that begin with another: the session sorts the
  // cards itself (core/http/session.c), as ORDER BY p.name, p.id does (Ä is A,
  // case does not count, a shorter name is padded with spaces, then the id).
  const names = ['Bahn', 'apfel', 'Ähre', 'Bahn', 'Zeder', 'Bahnhof', 'Bahn 2', 'Altlast'];
  const made = [];
  for (const name of names) made.push(await newProperty(a, name));
  // a name stored before line separators were refused: it sorts before the
  // shorter name it begins with (its separator weighs less than the space)
  stack.sql(`UPDATE properties SET name = CONCAT('Bahn', _utf8mb4 0xE280A8, 'Hof') WHERE id = ${made[7].id}`);
  const waiting = [await newProperty(a, 'Ulme'), await newProperty(a, 'Ahorn')];
  const r = await newResident(stack, a, made.map((p) => p.id));
  for (const p of waiting) {
    stack.sql(`INSERT INTO memberships (property_id, user_id, org_id, state, joined_at) VALUES (${p.id}, ${r.id}, ${a.user.org_id}, 'pending', UTC_TIMESTAMP())`);
  }
  const expected = [made[2], made[1], made[7], made[0], made[3], made[6], made[5], made[4]].map((p) => p.id);
  const listed = (await r.json('/api/v1/properties')).body.items.map((p) => p.id);
  assert.deepEqual(listed, expected, 'the list, sorted by MariaDB');
  const home = await (await r.fetch('/portal')).text();
  const switcher = [...home.matchAll(/property-switcher__link" href="\/portal\?property=(\d+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(switcher, expected, 'the home\'s switcher');
  const pending = [...home.matchAll(/<span class="portal-pending">([^:<]*):/g)].map((m) => m[1]);
  assert.deepEqual(pending, ['Ahorn', 'Ulme'], 'the memberships waiting for approval');
});

test('the preview shows a manager the residents\' home of one property, read-only', async () => {
  const p = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Vorschau-Haus <i>', city: 'Bonn', zip: '53111' } })).body;
  const page = await a.fetch(`/app/properties/${p.id}/preview`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /role="note"/);
  assert.match(html, /Vorschau/);
  assert.ok(html.includes('Vorschau-Haus &lt;i&gt;'));
  assert.ok(html.includes('53111 Bonn'));
  // Its own heading before the preview; the preview is read, not inert
  // (the browser tests check that its links do nothing).
  assert.ok(html.includes('<h1>Bewohneransicht: Vorschau-Haus &lt;i&gt;</h1>'));
  assert.match(html, /<section class="preview" data-preview /);
  assert.doesNotMatch(html, /\sinert[\s>]/);
  assert.doesNotMatch(html.split('data-preview')[1], /<form/, 'nothing to submit in the preview');
  assert.equal((await b.fetch(`/app/properties/${p.id}/preview`)).status, 404);
});

test('a property\'s responsible employee: set, shown to managers only, cleared, and gone with the employee', async () => {
  const hired = await a.json('/api/v1/employees', { method: 'POST', body: { email: `zustaendig-${process.pid}@example.org`, name: 'Zoe Zuständig' } });
  assert.equal(hired.status, 201);
  const zoe = hired.body.id;
  const created = await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Haus mit Zuständiger', responsible_id: zoe } });
  assert.equal(created.status, 201);
  const p = created.body;
  assert.deepEqual(p.responsible, { id: zoe, name: 'Zoe Zuständig' });
  assert.equal((await newManagerlessProperty()).responsible, null, 'none by default');
  const listed = (await a.json('/api/v1/properties?q=Zuständiger')).body.items;
  assert.deepEqual(listed.map((i) => i.responsible), [{ id: zoe, name: 'Zoe Zuständig' }]);

  // The page: a labelled choice of the organisation's employees, this one chosen.
  const html = await (await a.fetch(`/app/properties/${p.id}`)).text();
  assert.match(html, /<label for="responsible_id">Zuständig<\/label>/);
  assert.match(html, new RegExp(`<option value="${zoe}" selected>Zoe Zuständig</option>`));
  assert.match(html, new RegExp(`<option value="${a.user.id}">`));

  // Residents never get the key.
  const r = await newResident(stack, a, [p.id]);
  const seen = await r.json(`/api/v1/properties/${p.id}`);
  assert.equal(seen.status, 200);
  assert.ok(!('responsible' in seen.body) && !('responsible_id' in seen.body) && !('responsible_name' in seen.body));
  assert.ok((await r.json('/api/v1/properties')).body.items.every((i) => !('responsible' in i)));

  // Anything but an employee of the organisation is a 422 on the field that names nobody.
  const other = stack.sql(`SELECT id FROM users WHERE org_id = ${b.user.org_id} LIMIT 1`).trim();
  for (const [value, who] of [[Number(other), 'another organisation\'s manager'], [r.id, 'a resident'], [999999999, 'nobody'], ['abc', 'no id']]) {
    const res = await a.json(`/api/v1/properties/${p.id}`, { method: 'PATCH', body: { responsible_id: value } });
    assert.equal(res.status, 422, who);
    assert.equal(res.body.error.field, 'responsible_id', who);
    assert.doesNotMatch(res.body.error.message, /Hausverwaltung|@/, who);
    const post = await a.json('/api/v1/properties', { method: 'POST', body: { name: `Abgelehnt ${who}`, responsible_id: value } });
    assert.equal(post.status, 422, who);
  }
  assert.equal(stack.sql(`SELECT COUNT(*) FROM properties WHERE name LIKE 'Abgelehnt%'`).trim(), '0', 'nothing half-stored');
  assert.deepEqual((await a.json(`/api/v1/properties/${p.id}`)).body.responsible.id, zoe, 'unchanged after a refusal');

  // A PATCH without it keeps it; null clears it; the page's form chooses again.
  assert.equal((await a.json(`/api/v1/properties/${p.id}`, { method: 'PATCH', body: { city: 'Kiel' } })).body.responsible.id, zoe);
  assert.equal((await a.json(`/api/v1/properties/${p.id}`, { method: 'PATCH', body: { responsible_id: null } })).body.responsible, null);
  const form = (fields) => a.fetch(`/app/properties/${p.id}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: a.csrf, name: 'Haus mit Zuständiger', reference_id: p.reference_id, ...fields }).toString(),
  });
  assert.equal((await form({ responsible_id: String(zoe) })).status, 303);
  assert.equal((await a.json(`/api/v1/properties/${p.id}`)).body.responsible.id, zoe);
  const refused = await form({ responsible_id: other });
  assert.equal(refused.status, 422);
  assert.match(await refused.text(), /Bitte wählen Sie eine Mitarbeiterin oder einen Mitarbeiter/);
  assert.equal((await form({ responsible_id: '' })).status, 303);
  assert.equal((await a.json(`/api/v1/properties/${p.id}`)).body.responsible, null);

  // The employee goes: the property has nobody responsible, nothing else changes.
  assert.equal((await form({ responsible_id: String(zoe) })).status, 303);
  assert.equal((await a.fetch(`/api/v1/employees/${zoe}`, { method: 'DELETE' })).status, 204);
  const after = (await a.json(`/api/v1/properties/${p.id}`)).body;
  assert.equal(after.responsible, null);
  assert.equal(after.name, 'Haus mit Zuständiger');
});

// A property created without a responsible employee.
async function newManagerlessProperty() {
  return (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Haus ohne Zuständige' } })).body;
}

test('the property list and page keep their round trips with the responsible employee\'s name', async () => {
  const p = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Rundreisen', responsible_id: a.user.id } })).body;
  const fewest = (path, route) => stack.fewestTrips(a, path, route);
  // the caller, then the rows (the page: the property, then its units with the employees)
  assert.equal(await fewest('/app/properties', '/app/properties'), 2);
  assert.equal(await fewest('/api/v1/properties', '/api/v1/properties'), 2);
  assert.equal(await fewest(`/app/properties/${p.id}`, '/app/properties/{id}'), 3);
});
