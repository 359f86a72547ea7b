// The organisation's own document categories (portal/categories.h): admins
// add and remove them under the settings (API and page), the upload and
// PATCH take exactly the organisation's list, another organisation keeps the
// defaults, what carries a removed category keeps it, the residents' page
// groups by them, and the manager's page offers them without a query of its
// own once the worker knows the list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startStack } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, other, home;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s', WORKERS: '1' } }); // one worker: its cache is the one asked
  manager = await newManager(stack);
  other = await newManager(stack); // another organisation
  home = (await newProperty(manager, 'Kategorienhaus')).id;
});
after(async () => { await stack?.stop(); });

const DEFAULTS = ['Hausordnung', 'Protokoll', 'Abrechnung', 'Aushang', 'Vertrag', 'Sonstiges'];

function multipart(parts) {
  const boundary = `----docs${crypto.randomUUID()}`;
  const chunks = [];
  for (const p of parts) {
    const file = p.filename === undefined ? '' : `; filename="${p.filename}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n\r\n`), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

function upload(client, propertyId, category, title = `Dokument ${category}`) {
  const { body, type } = multipart([
    { name: 'files', filename: `${title}.txt`, value: `${title} ${crypto.randomUUID()}` },
    { name: 'title', value: title }, { name: 'category', value: category }, { name: 'audience', value: 'residents' },
  ]);
  return client.json(`/api/v1/properties/${propertyId}/documents`, { method: 'POST', headers: { 'Content-Type': type }, body });
}

const listOf = async (client) => {
  const res = await client.json('/api/v1/categories');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.items.find((l) => l.kind === 'documents').names.map((n) => n.name);
};
const change = (client, path, body) => client.json(`/api/v1/categories${path}`, { method: 'POST', body });
const dbCount = (route) => {
  const lines = stack.log().split('\n').filter((l) => l.includes(`route=${route} `) && / db=\d+/.test(l));
  return Number(/ db=(\d+)/.exec(lines.at(-1))[1]);
};

test('the defaults until an admin changes the list; adding and removing, with their refusals', async () => {
  const res = await manager.json('/api/v1/categories');
  assert.deepEqual(res.body.items, [{
    kind: 'documents', label: 'Kategorien der Dokumente', names: DEFAULTS.map((name) => ({ name, text: name })),
  }]);
  let added = await change(manager, '', { kind: 'documents', name: 'Mietvertrag' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  assert.deepEqual(added.body.names.map((n) => n.name), [...DEFAULTS, 'Mietvertrag']);
  added = await change(manager, '', { kind: 'documents', name: 'Wartung Heizung' });
  assert.deepEqual(await listOf(manager), [...DEFAULTS, 'Mietvertrag', 'Wartung Heizung']);
  assert.deepEqual(await listOf(other), DEFAULTS, 'another organisation keeps the defaults');

  for (const [body, status, field] of [
    [{ kind: 'documents', name: 'Mietvertrag' }, 422, 'name'],
    [{ kind: 'tickets', name: 'Aufzug' }, 422, 'kind'],
    [{ kind: 'documents', name: 'x'.repeat(51) }, 422, 'name'],
    [{ kind: 'documents', name: '' }, 422, 'name'],
    [{ kind: 'documents', name: 'a\u0001b' }, 422, 'name'],
  ]) {
    const r = await change(manager, '', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(r.body.error.field, field, JSON.stringify(body));
  }
  const removed = await change(manager, '/remove', { kind: 'documents', name: 'Vertrag' });
  assert.equal(removed.status, 200);
  assert.deepEqual(removed.body.names.map((n) => n.name), ['Hausordnung', 'Protokoll', 'Abrechnung', 'Aushang', 'Sonstiges', 'Mietvertrag', 'Wartung Heizung']);
  assert.equal((await change(manager, '/remove', { kind: 'documents', name: 'Vertrag' })).status, 422, 'not there any more');

  // only admins change; every manager sees
  const plain = await newManager(stack);
  stack.sql(`UPDATE users SET admin = 0 WHERE id = ${plain.user.id}`);
  assert.equal((await change(plain, '', { kind: 'documents', name: 'Neu' })).status, 403);
  assert.equal((await plain.json('/api/v1/categories')).status, 200);
  const resident = await newResident(stack, manager, [home]);
  assert.equal((await resident.json('/api/v1/categories')).status, 404);
  assert.equal((await change(resident, '', { kind: 'documents', name: 'Neu' })).status, 404);
});

test('the last category of a list stays', async () => {
  const solo = await newManager(stack);
  for (const name of DEFAULTS.slice(1)) assert.equal((await change(solo, '/remove', { kind: 'documents', name })).status, 200, name);
  const last = await change(solo, '/remove', { kind: 'documents', name: 'Hausordnung' });
  assert.equal(last.status, 422);
  assert.equal(last.body.error.field, 'name');
  assert.deepEqual(await listOf(solo), ['Hausordnung']);
});

test('uploads and changes take the organisation\'s list; what carries a removed category keeps it', async () => {
  const own = 'Eigene Kategorie';
  let res = await upload(manager, home, own);
  assert.equal(res.status, 422, 'not yet one of the list');
  assert.equal(res.body.error.field, 'category');
  assert.equal((await change(manager, '', { kind: 'documents', name: own })).status, 201);
  res = await upload(manager, home, own);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.items[0].category, own);
  const foreign = await newProperty(other, 'Fremdhaus');
  assert.equal((await upload(other, foreign.id, own)).status, 422, 'another organisation does not have it');

  const rules = (await upload(manager, home, 'Hausordnung', 'Alte Hausordnung')).body.items[0].id;
  let patched = await manager.json(`/api/v1/documents/${rules}`, { method: 'PATCH', body: { category: own } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.category, own);
  patched = await manager.json(`/api/v1/documents/${rules}`, { method: 'PATCH', body: { category: 'Hausordnung' } });
  assert.equal(patched.body.category, 'Hausordnung');
  assert.equal((await change(manager, '/remove', { kind: 'documents', name: 'Hausordnung' })).status, 200);
  assert.equal((await upload(manager, home, 'Hausordnung')).status, 422, 'a removed category is offered no more');
  assert.equal((await manager.json(`/api/v1/documents/${rules}`, { method: 'PATCH', body: { category: 'Hausordnung' } })).status, 422);
  patched = await manager.json(`/api/v1/documents/${rules}`, { method: 'PATCH', body: { title: 'Hausordnung 2025' } });
  assert.deepEqual([patched.status, patched.body.category], [200, 'Hausordnung'], 'the document keeps it');
  assert.equal((await manager.json(`/api/v1/properties/${home}/documents?category=${encodeURIComponent(own)}`)).body.items.length, 1);

  // the residents' page groups by the organisation's categories
  const resident = await newResident(stack, manager, [home]);
  const html = await (await resident.fetch('/portal/documents')).text();
  assert.match(html, new RegExp(`<h3 class="documents-category">${own}</h3>[\\s\\S]*Dokument ${own}`));
  assert.match(html, /<h3 class="documents-category">Hausordnung<\/h3>[\s\S]*Hausordnung 2025/);
});

test('the settings page: every list, forms for admins, refusals shown at their field', async () => {
  const admin = await newManager(stack);
  let html = await (await admin.fetch('/app/settings/categories')).text();
  assert.match(html, /<h2 id="categories-documents">Kategorien der Dokumente<\/h2>/);
  for (const name of DEFAULTS) assert.ok(html.includes(`<span>${name}</span>`), name);
  const form = (body) => admin.fetch(body.remove ? '/app/settings/categories/remove' : '/app/settings/categories', {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: admin.csrf, kind: 'documents', name: body.name }).toString(),
  });
  let res = await form({ name: 'Aushang' });
  assert.equal(res.status, 422);
  html = await res.text();
  assert.match(html, /role="alert"[\s\S]*Diese Kategorie gibt es schon/);
  res = await form({ name: 'Übergabeprotokoll' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/app/settings/categories?done=added');
  html = await (await admin.fetch('/app/settings/categories?done=added')).text();
  assert.match(html, /Die Kategorie wurde hinzugefügt/);
  assert.ok(html.includes('<span>Übergabeprotokoll</span>'));
  res = await form({ name: 'Aushang', remove: true });
  assert.equal(res.headers.get('location'), '/app/settings/categories?done=removed');

  // the property's documents page offers the list; once the worker knows it
  // (for the organisation's categories generation) it costs no query
  const p = (await newProperty(admin, 'Formularhaus')).id;
  const route = '/app/properties/{id}/documents';
  const load = async () => {
    const text = await (await admin.fetch(`/app/properties/${p}/documents`)).text();
    return [text, dbCount(route)];
  };
  const [first] = await load();
  const [, hit] = await load();
  assert.match(first, /<option value="Übergabeprotokoll">Übergabeprotokoll<\/option>/);
  assert.ok(!first.includes('<option value="Aushang">'));
  stack.sql(`UPDATE orgs SET categories_generation = categories_generation + 1 WHERE id = ${admin.user.org_id}`);
  const [, missed] = await load();
  assert.equal(hit, missed - 1, 'the list came from the worker\'s cache: one query less');
  // changed behind the portal's back (no new generation): still the cached list
  stack.sql(`DELETE FROM org_categories WHERE org_id = ${admin.user.org_id}`);
  assert.ok((await load())[0].includes('<option value="Übergabeprotokoll">'));
  stack.sql(`UPDATE orgs SET categories_generation = categories_generation + 1 WHERE id = ${admin.user.org_id}`);
  const [fresh] = await load();
  assert.ok(!fresh.includes('Übergabeprotokoll') && fresh.includes('<option value="Aushang">'), 'a new generation reads the list again: the defaults');
});
