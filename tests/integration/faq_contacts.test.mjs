// FAQ (Fragen & Antworten) and contacts (Ansprechpartner) of the content plugin
// (plugins/content/faq_contacts.c): the API of both kinds with its 422s, who
// sees what across properties and organisations (404 for another's ids),
// the order by position, markup shown as text, the managers' pages and the
// sections of the residents' home and of the manager's preview.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newProperty, newResident } from './client.mjs';

let stack, a, b;
before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newManager(stack);
  b = await newManager(stack);
});
after(async () => { await stack?.stop(); });

// A page's form, as a browser sends it (repeated keys for property_ids).
async function submit(client, path, fields = []) {
  const params = new URLSearchParams([['csrf_token', client.csrf], ...fields]);
  const res = await client.fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: params.toString(),
  });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

async function page(client, path) {
  const res = await client.fetch(path);
  return { status: res.status, text: await res.text() };
}

// The two kinds: a valid body, its text fields, and a second valid body.
const kinds = {
  faq: {
    body: (extra) => ({ question: 'Wann wird der Müll abgeholt?', answer: 'Dienstags.', ...extra }),
    title: 'question',
    required: ['question', 'answer'],
    limits: { question: 300, answer: 5000 },
  },
  contacts: {
    body: (extra) => ({ name: 'Herr Meier', role: 'Hausmeister', phone: '+49 30 1234567', email: 'meier@example.org', note: 'Mo–Fr 8–16 Uhr', ...extra }),
    title: 'name',
    required: ['name', 'role'],
    limits: { name: 200, role: 200, phone: 50, email: 254, note: 1000 },
    // The links residents get must work: tel: only with a dialable number,
    // mailto: only with an address.
    invalid: [['phone', 'ruf mich an'], ['phone', '+49 30 <b>'], ['email', 'kein-at-zeichen'], ['email', 'a b@example.org'], ['email', '@example.org'], ['email', 'a@b@c']],
  },
};

for (const [kind, k] of Object.entries(kinds)) {
  test(`${kind}: create, read, update and delete through the API`, async () => {
    const p = await newProperty(a, `${kind} Haus 1`);
    const created = await a.json(`/api/v1/${kind}`, { method: 'POST', body: k.body({ property_ids: [p.id] }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.ok(Number.isInteger(created.body.id));
    assert.deepEqual(created.body.property_ids, [p.id]);
    assert.deepEqual(created.body.properties, [{ id: p.id, name: p.name }]);
    assert.equal(created.body.all_properties, false);
    for (const f of Object.keys(k.limits)) assert.equal(created.body[f], k.body({})[f]);

    const list = await a.json(`/api/v1/${kind}`);
    assert.equal(list.status, 200);
    assert.equal(list.body.next, null);
    assert.ok(list.body.items.some((i) => i.id === created.body.id));

    const patched = await a.json(`/api/v1/${kind}/${created.body.id}`, { method: 'PATCH', body: { [k.title]: 'Neu', property_ids: 'all' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body[k.title], 'Neu');
    assert.equal(patched.body.property_ids, 'all');
    assert.equal(patched.body.all_properties, true);
    // What was not sent stays.
    const other = k.required.find((f) => f !== k.title);
    assert.equal(patched.body[other], k.body({})[other]);

    const del = await a.fetch(`/api/v1/${kind}/${created.body.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const again = await a.fetch(`/api/v1/${kind}/${created.body.id}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    const gone = await a.json(`/api/v1/${kind}`);
    assert.ok(!gone.body.items.some((i) => i.id === created.body.id));
  });

  test(`${kind}: 422 with the field on bad input, nothing stored`, async () => {
    const p = await newProperty(a, `${kind} Haus 422`);
    const foreign = await newProperty(b, `${kind} fremd`);
    const before = (await a.json(`/api/v1/${kind}?limit=200`)).body.items.length;
    const cases = [
      [{ property_ids: [] }, 'property_ids'],
      [{ property_ids: undefined }, 'property_ids'],
      [{ property_ids: [foreign.id] }, 'property_ids'],
      [{ property_ids: [p.id, foreign.id] }, 'property_ids'],
      [{ property_ids: [999999999] }, 'property_ids'],
      [{ property_ids: 'some' }, 'property_ids'],
      [{ property_ids: [p.id], position: 'oben' }, 'position'],
      [{ property_ids: [p.id], position: 1.5 }, 'position'],
    ];
    for (const f of k.required) {
      cases.push([{ property_ids: [p.id], [f]: '' }, f]);
      cases.push([{ property_ids: [p.id], [f]: '   ' }, f]);
    }
    for (const [f, max] of Object.entries(k.limits)) cases.push([{ property_ids: [p.id], [f]: (f === 'phone' ? '1' : 'x').repeat(max + 1) }, f]);
    for (const [f, value] of k.invalid || []) cases.push([{ property_ids: [p.id], [f]: value }, f]);
    for (const [extra, field] of cases) {
      const body = k.body(extra);
      if (extra.property_ids === undefined) delete body.property_ids;
      const res = await a.json(`/api/v1/${kind}`, { method: 'POST', body });
      assert.equal(res.status, 422, `${JSON.stringify(extra).slice(0, 80)}: ${res.status}`);
      assert.equal(res.body.error.code, 'validation');
      assert.equal(res.body.error.field, field, JSON.stringify(extra).slice(0, 80));
    }
    assert.equal((await a.json(`/api/v1/${kind}?limit=200`)).body.items.length, before);

    // The same rules on PATCH; a failed PATCH changes nothing.
    const made = await a.json(`/api/v1/${kind}`, { method: 'POST', body: k.body({ property_ids: [p.id] }) });
    for (const [body, field] of [[{ property_ids: [] }, 'property_ids'], [{ property_ids: [foreign.id] }, 'property_ids'], [{ [k.title]: '' }, k.title], [{ position: 'x' }, 'position']]) {
      const res = await a.json(`/api/v1/${kind}/${made.body.id}`, { method: 'PATCH', body });
      assert.equal(res.status, 422);
      assert.equal(res.body.error.field, field);
    }
    const list = await a.json(`/api/v1/${kind}?property_id=${p.id}`);
    const item = list.body.items.find((i) => i.id === made.body.id);
    assert.deepEqual(item.property_ids, [p.id]);
    assert.equal(item[k.title], k.body({})[k.title]);
  });

  test(`${kind}: residents see those of their active properties; other organisations see nothing`, async () => {
    const p1 = await newProperty(a, `${kind} Sichtbar 1`);
    const p2 = await newProperty(a, `${kind} Sichtbar 2`);
    const mk = async (title, property_ids) => (await a.json(`/api/v1/${kind}`, { method: 'POST', body: k.body({ [k.title]: title, property_ids }) })).body;
    const one = await mk(`nur eins ${kind}`, [p1.id]);
    const two = await mk(`nur zwei ${kind}`, [p2.id]);
    const all = await mk(`alle ${kind}`, 'all');
    const both = await mk(`beide ${kind}`, [p1.id, p2.id]);

    const r1 = await newResident(stack, a, [p1.id]);
    const pending = await newResident(stack, a, [p2.id], { state: 'pending' });
    const seen = async (client, q = '') => {
      const res = await client.json(`/api/v1/${kind}${q}`);
      assert.equal(res.status, 200);
      return res.body.items.map((i) => i.id);
    };
    const s1 = await seen(r1);
    assert.ok(s1.includes(one.id) && s1.includes(all.id) && s1.includes(both.id));
    assert.ok(!s1.includes(two.id), 'a resident sees another property\'s entry');
    // A resident never learns the targets.
    const r1items = (await r1.json(`/api/v1/${kind}`)).body.items;
    assert.ok(r1items.every((i) => i.property_ids === undefined && i.properties === undefined));
    // A pending membership grants nothing, not even what is for all.
    assert.deepEqual(await seen(pending), []);
    // The filter: only what applies to that property.
    assert.deepEqual((await seen(r1, `?property_id=${p2.id}`)), []);
    const m2 = await seen(a, `?property_id=${p2.id}`);
    assert.ok(m2.includes(two.id) && m2.includes(all.id) && m2.includes(both.id) && !m2.includes(one.id));

    // Another organisation: nothing in lists, 404 on the ids, and its
    // resident neither.
    const q = await newProperty(b, `${kind} fremdes Haus`);
    const rb = await newResident(stack, b, [q.id]);
    for (const client of [b, rb]) {
      const ids = await seen(client);
      for (const x of [one, two, all, both]) assert.ok(!ids.includes(x.id));
    }
    for (const x of [one, all]) {
      const patch = await b.json(`/api/v1/${kind}/${x.id}`, { method: 'PATCH', body: { [k.title]: 'gekapert' } });
      assert.equal(patch.status, 404);
      assert.equal(patch.body.error.code, 'not_found');
      const del = await b.fetch(`/api/v1/${kind}/${x.id}`, { method: 'DELETE' });
      assert.equal(del.status, 404);
    }
    assert.ok((await seen(a)).includes(one.id));
    // Residents only read.
    const write = await r1.json(`/api/v1/${kind}`, { method: 'POST', body: k.body({ property_ids: [p1.id] }) });
    assert.equal(write.status, 404);
    const rpatch = await r1.json(`/api/v1/${kind}/${one.id}`, { method: 'PATCH', body: { [k.title]: 'x' } });
    assert.equal(rpatch.status, 404);
    // Signed out: 401.
    assert.equal((await stack.fetch(`/api/v1/${kind}`)).status, 401);
  });

  test(`${kind}: ordered by position, then id; pages through the cursor`, async () => {
    const m = await newManager(stack);
    const p = await newProperty(m, `${kind} Reihenfolge`);
    const mk = async (title, position) => (await m.json(`/api/v1/${kind}`, { method: 'POST', body: k.body({ [k.title]: title, property_ids: [p.id], ...(position === undefined ? {} : { position }) }) })).body;
    const c = await mk('C', 5);
    const a1 = await mk('A', 1);
    const b5 = await mk('B', 5);
    const last = await mk('Z');
    const first = await mk('N', -3);
    assert.ok(last.position > 5, 'without a position an entry goes last');
    const order = (await m.json(`/api/v1/${kind}`)).body.items.map((i) => i.id);
    assert.deepEqual(order, [first.id, a1.id, c.id, b5.id, last.id]);
    // Keyset pages give the same order.
    const got = [];
    let next = null;
    do {
      const res = await m.json(`/api/v1/${kind}?limit=2${next ? `&after=${encodeURIComponent(next)}` : ''}`);
      assert.equal(res.status, 200);
      got.push(...res.body.items.map((i) => i.id));
      next = res.body.next;
    } while (next);
    assert.deepEqual(got, order);
    assert.equal((await m.json(`/api/v1/${kind}?after=nonsense`)).status, 400);
    // A declared query parameter that is no id: 422 on it, as every declared input.
    const badFilter = await m.json(`/api/v1/${kind}?property_id=abc`);
    assert.equal(badFilter.status, 422);
    assert.equal(badFilter.body.error.field, 'property_id');
    assert.equal((await m.json(`/api/v1/${kind}?limit=x`)).status, 400);
    // Moving one changes the order.
    await m.json(`/api/v1/${kind}/${last.id}`, { method: 'PATCH', body: { position: 0 } });
    const moved = (await m.json(`/api/v1/${kind}`)).body.items.map((i) => i.id);
    assert.deepEqual(moved, [first.id, last.id, a1.id, c.id, b5.id]);
    // The residents' home follows the same order.
    const r = await newResident(stack, m, [p.id]);
    const home = await page(r, '/portal');
    const titles = { faq: ['N', 'Z', 'A', 'C', 'B'], contacts: ['N', 'Z', 'A', 'C', 'B'] }[kind];
    const at = titles.map((t) => home.text.indexOf(kind === 'faq' ? `>${t}</summary>` : `contact-card__name">${t}<`));
    assert.ok(at.every((i) => i > 0), `all shown: ${at}`);
    assert.deepEqual([...at].sort((x, y) => x - y), at);
  });

  test(`${kind}: markup in every text field is shown as text`, async () => {
    const m = await newManager(stack);
    const p = await newProperty(m, `${kind} Markup`);
    const evil = '<script>alert(1)</script><b onmouseover="x">fett</b>';
    const body = k.body({ property_ids: [p.id] });
    for (const f of Object.keys(k.limits)) if (f !== 'email' && f !== 'phone') body[f] = `${f} ${evil}`;
    const res = await m.json(`/api/v1/${kind}`, { method: 'POST', body });
    assert.equal(res.status, 201);
    const r = await newResident(stack, m, [p.id]);
    for (const [client, path] of [[r, '/portal'], [m, `/app/properties/${p.id}/preview`], [m, `/app/content/${kind}`], [m, `/app/content/${kind}/${res.body.id}`]]) {
      const pg = await page(client, path);
      assert.equal(pg.status, 200, path);
      assert.ok(!pg.text.includes('<script>alert'), path);
      assert.ok(!pg.text.includes('<b onmouseover'), path);
      assert.ok(pg.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), path);
    }
  });

  test(`${kind}: the page creates, edits and deletes through forms, and shows errors`, async () => {
    const m = await newManager(stack);
    const p1 = await newProperty(m, `${kind} Seite 1`);
    const p2 = await newProperty(m, `${kind} Seite 2`);
    const empty = await page(m, `/app/content/${kind}`);
    assert.equal(empty.status, 200);
    assert.ok(empty.text.includes(`href="/app/content/${kind}/new"`), 'a link to the new entry\'s page');
    assert.doesNotMatch(empty.text, /name="property_ids"/, 'the list holds no form with a picker');
    const form = await page(m, `/app/content/${kind}/new`);
    assert.equal(form.status, 200);
    assert.match(form.text, new RegExp(`<form method="post" action="/app/content/${kind}">`));
    assert.match(form.text, new RegExp(`name="property_ids" value="all"`));
    assert.match(form.text, new RegExp(`name="property_ids" value="${p1.id}"`));
    assert.match(form.text, new RegExp(`name="property_ids" value="${p2.id}"`));

    const fields = Object.entries(k.body({})).map(([f, v]) => [f, v]);
    const created = await submit(m, `/app/content/${kind}`, [...fields, ['property_ids', String(p1.id)], ['property_ids', String(p2.id)]]);
    assert.equal(created.status, 303, created.text.slice(0, 300));
    assert.equal(created.location, `/app/content/${kind}?saved=created`);
    const [item] = (await m.json(`/api/v1/${kind}`)).body.items;
    assert.deepEqual([...item.property_ids].sort(), [p1.id, p2.id].sort());
    const shown = await page(m, created.location);
    assert.match(shown.text, /notice--success/);
    assert.ok(shown.text.includes(`href="/app/content/${kind}/${item.id}"`), 'a link to its form\'s page');
    // Its form's page: the fields and the chosen properties as stored.
    const editing = await page(m, `/app/content/${kind}/${item.id}`);
    assert.equal(editing.status, 200);
    assert.ok(editing.text.includes(`action="/app/content/${kind}/${item.id}"`));
    assert.ok(editing.text.includes(`value="${k.body({})[k.title]}"`));
    for (const id of [p1.id, p2.id]) assert.match(editing.text, new RegExp(`name="property_ids" value="${id}" checked`));
    assert.equal((await page(b, `/app/content/${kind}/${item.id}`)).status, 404, 'another organisation\'s');
    assert.equal((await page(m, `/app/content/${kind}/999999999`)).status, 404);

    // No recipients: the form is shown again with the error and what was typed.
    const bad = await submit(m, `/app/content/${kind}`, [...fields.map(([f, v]) => [f, f === k.title ? 'Ohne Empfänger' : v])]);
    assert.equal(bad.status, 422);
    assert.match(bad.text, /notice--error/);
    assert.ok(bad.text.includes('value="Ohne Empfänger"'));
    // A refused change shows its own page again with what was typed.
    const badEdit = await submit(m, `/app/content/${kind}/${item.id}`, [...fields.map(([f, v]) => [f, f === k.title ? '' : v])]);
    assert.equal(badEdit.status, 422);
    assert.match(badEdit.text, /notice--error/);
    assert.ok(badEdit.text.includes(`action="/app/content/${kind}/${item.id}"`));

    // Edit: all properties, a new title.
    const edited = await submit(m, `/app/content/${kind}/${item.id}`, [...fields.map(([f, v]) => [f, f === k.title ? 'Geändert' : v]), ['position', '7'], ['property_ids', 'all']]);
    assert.equal(edited.status, 303);
    const after1 = (await m.json(`/api/v1/${kind}`)).body.items[0];
    assert.equal(after1[k.title], 'Geändert');
    assert.equal(after1.property_ids, 'all');
    assert.equal(after1.position, 7);

    // Another organisation's manager cannot edit or delete it through the page.
    assert.equal((await submit(b, `/app/content/${kind}/${item.id}`, fields)).status, 404);
    assert.equal((await submit(b, `/app/content/${kind}/${item.id}/delete`)).status, 404);

    const deleted = await submit(m, `/app/content/${kind}/${item.id}/delete`);
    assert.equal(deleted.status, 303);
    assert.deepEqual((await m.json(`/api/v1/${kind}`)).body.items, []);

    // The move buttons: the entry trades places with its neighbour, also when
    // positions are shared; the first has no "up", the last no "down".
    const mk = async (title, position) => (await m.json(`/api/v1/${kind}`, { method: 'POST', body: k.body({ [k.title]: title, property_ids: 'all', position }) })).body.id;
    const x = await mk('X', 1);
    const y = await mk('Y', 1);
    const z = await mk('Z', 9);
    const ids = async () => (await m.json(`/api/v1/${kind}`)).body.items.map((i) => i.id);
    assert.deepEqual(await ids(), [x, y, z]);
    let moved = await submit(m, `/app/content/${kind}/${y}/move`, [['direction', 'up']]);
    assert.equal(moved.status, 303);
    assert.deepEqual(await ids(), [y, x, z]);
    moved = await submit(m, `/app/content/${kind}/${x}/move`, [['direction', 'down']]);
    assert.equal(moved.status, 303);
    assert.deepEqual(await ids(), [y, z, x]);
    assert.equal((await m.json(`/api/v1/${kind}`)).body.items.find((i) => i.id === z).position < 9, true);
    moved = await submit(m, `/app/content/${kind}/${y}/move`, [['direction', 'up']]);
    assert.equal(moved.status, 303);
    assert.deepEqual(await ids(), [y, z, x]);
    assert.equal((await submit(m, `/app/content/${kind}/${y}/move`, [['direction', 'sideways']])).status, 422);
    assert.equal((await submit(b, `/app/content/${kind}/${y}/move`, [['direction', 'down']])).status, 404);
    assert.deepEqual(await ids(), [y, z, x]);
    const listed = await page(m, `/app/content/${kind}`);
    const ups = [...listed.text.matchAll(/\/move">\s*<input[^>]*>\s*<input type="hidden" name="direction" value="(up|down)">/g)].map((r) => r[1]);
    assert.deepEqual(ups, ['down', 'up', 'down', 'up']);

    // Residents have no manager's page.
    const r = await newResident(stack, m, [p1.id]);
    assert.equal((await page(r, `/app/content/${kind}`)).status, 404);
  });
}

test('home sections: the FAQ as <details>, contacts as cards with tel: and mailto:, for the shown properties only', async () => {
  const m = await newManager(stack);
  const p1 = await newProperty(m, 'Heimat 1');
  const p2 = await newProperty(m, 'Heimat 2');
  const r = await newResident(stack, m, [p1.id]);
  // Nothing yet: no section.
  let home = await page(r, '/portal');
  assert.equal(home.status, 200);
  assert.ok(!home.text.includes('home-faq'));
  assert.ok(!home.text.includes('home-contacts'));

  await m.json('/api/v1/faq', { method: 'POST', body: { question: 'Wo ist der Fahrradkeller?', answer: 'Im Hof links.', property_ids: [p1.id] } });
  await m.json('/api/v1/faq', { method: 'POST', body: { question: 'Frage nur für Haus 2', answer: 'x', property_ids: [p2.id] } });
  await m.json('/api/v1/contacts', { method: 'POST', body: { name: 'Frau Schulz', role: 'Hausmeisterin', phone: '+49 30 555', email: 'schulz@example.org', property_ids: 'all' } });
  await m.json('/api/v1/contacts', { method: 'POST', body: { name: 'Nur Haus 2', role: 'Notdienst', property_ids: [p2.id] } });

  home = await page(r, '/portal');
  assert.match(home.text, /<details class="faq-entry">\s*<summary class="faq-entry__question">Wo ist der Fahrradkeller\?<\/summary>/);
  assert.ok(home.text.includes('Im Hof links.'));
  assert.ok(!home.text.includes('Frage nur für Haus 2'));
  assert.ok(home.text.includes('href="tel:+49 30 555"'));
  assert.ok(home.text.includes('href="mailto:schulz@example.org"'));
  assert.ok(home.text.includes('Frau Schulz'));
  assert.ok(!home.text.includes('Nur Haus 2'));

  // The manager's preview of each property shows what its residents see.
  const prev2 = await page(m, `/app/properties/${p2.id}/preview`);
  assert.equal(prev2.status, 200);
  assert.ok(prev2.text.includes('Frage nur für Haus 2'));
  assert.ok(!prev2.text.includes('Wo ist der Fahrradkeller?'));
  assert.ok(prev2.text.includes('Nur Haus 2') && prev2.text.includes('Frau Schulz'));
  const prev1 = await page(m, `/app/properties/${p1.id}/preview`);
  assert.ok(prev1.text.includes('Wo ist der Fahrradkeller?'));
  assert.ok(!prev1.text.includes('Nur Haus 2'));
  // Another organisation's preview is 404, and shows it nothing.
  assert.equal((await page(b, `/app/properties/${p1.id}/preview`)).status, 404);
});
