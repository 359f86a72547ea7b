// What residents get is theirs: no field of an answer meant for managers
// (API.md: a property's notes, reference ID and count of residents; an
// announcement's recipients and reads) reaches a resident, in lists or alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newResident, newProperty } from './client.mjs';

let stack, manager, resident, property, other;
before(async () => {
  stack = await startStack({ plugins: 'example invites content' });
  manager = await newManager(stack);
  property = await newProperty(manager, 'Lindenhof');
  const patched = await manager.json(`/api/v1/properties/${property.id}`, { method: 'PATCH', body: { notes: 'Hausmeister hat Schlüssel', reference_id: 'L-INTERN-7' } });
  assert.equal(patched.status, 200);
  other = await newProperty(manager, 'Geheimweg');
  resident = await newResident(stack, manager, [property.id]);
  const both = [property.id, other.id];
  for (const [path, body] of [
    ['/api/v1/announcements', { title: 'Wasser', body: 'Abgestellt.', property_ids: both, notify: false }],
    ['/api/v1/appointments', { title: 'Ablesung', starts_at: '2030-01-10T09:00:00Z', property_ids: both }],
    ['/api/v1/faq', { question: 'Müll?', answer: 'Dienstags.', property_ids: both }],
    ['/api/v1/contacts', { name: 'Frau Berg', role: 'Hausmeisterin', property_ids: both }],
  ]) assert.equal((await manager.json(path, { method: 'POST', body })).status, 201, path);
});
after(async () => { await stack?.stop(); });

test('a property: the manager sees notes, reference ID and residents; a resident none of them', async () => {
  const mine = (await manager.json(`/api/v1/properties/${property.id}`)).body;
  assert.equal(mine.notes, 'Hausmeister hat Schlüssel');
  assert.equal(mine.reference_id, 'L-INTERN-7');
  assert.equal(mine.residents_count, 1);
  for (const answer of [(await resident.json(`/api/v1/properties/${property.id}`)).body,
    (await resident.json('/api/v1/properties')).body.items[0]]) {
    assert.equal(answer.name, 'Lindenhof');
    for (const key of ['notes', 'reference_id', 'residents_count']) assert.ok(!(key in answer), key);
  }
  const raw = await (await resident.fetch('/api/v1/properties')).text();
  assert.doesNotMatch(raw, /Hausmeister|L-INTERN-7/);
});

test('an announcement: its recipients and reads are the managers\'', async () => {
  const managers = (await manager.json('/api/v1/announcements')).body.items[0];
  assert.ok('recipients' in managers && 'reads' in managers);
  const residents = (await resident.json('/api/v1/announcements')).body.items[0];
  assert.equal(residents.title, 'Wasser');
  for (const key of ['recipients', 'reads']) assert.ok(!(key in residents), key);
  const one = (await resident.json(`/api/v1/announcements/${residents.id}`)).body;
  for (const key of ['recipients', 'reads', 'readers']) assert.ok(!(key in one), key);
});

test('content for two properties names to a resident only their own', async () => {
  for (const path of ['/api/v1/announcements', '/api/v1/appointments', '/api/v1/faq', '/api/v1/contacts']) {
    const raw = await (await resident.fetch(path)).text();
    assert.doesNotMatch(raw, /Geheimweg/, path);
    const item = JSON.parse(raw).items[0];
    assert.ok(item, path);
    if ('properties' in item) assert.deepEqual(item.properties.map((p) => p.id), [property.id], path);
    const one = await resident.fetch(`${path}/${item.id}`);
    if (one.status === 200) assert.doesNotMatch(await one.text(), /Geheimweg/, path);
  }
});
