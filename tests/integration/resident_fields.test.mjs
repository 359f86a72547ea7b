// What residents get is theirs: no field of an answer meant for managers
// (API.md: a property's notes, reference ID and count of residents; an
// announcement's recipients and reads) reaches a resident, in lists or alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newResident, newProperty } from './client.mjs';

let stack, manager, resident, property;
before(async () => {
  stack = await startStack({ plugins: 'example invites content' });
  manager = await newManager(stack);
  property = await newProperty(manager, 'Lindenhof');
  const patched = await manager.json(`/api/v1/properties/${property.id}`, { method: 'PATCH', body: { notes: 'Hausmeister hat Schlüssel', reference_id: 'L-INTERN-7' } });
  assert.equal(patched.status, 200);
  resident = await newResident(stack, manager, [property.id]);
  const a = await manager.json('/api/v1/announcements', { method: 'POST', body: { title: 'Wasser', body: 'Abgestellt.', property_ids: [property.id], notify: false } });
  assert.equal(a.status, 201);
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
