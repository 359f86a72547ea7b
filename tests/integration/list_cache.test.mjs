// The manager's property list (GET /properties, /app/properties, the
// pickers' first page) is kept in each worker until something of the
// organisation changes (core/features/list_cache.c, sql/027): every change
// that shows in the list is on the next request of every worker, whoever
// made it (the API, a membership, SQL), one organisation's list never shows
// in another's, and an unchanged list costs one database round trip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newResident, newProperty } from './client.mjs';

let stack, manager, other, house;
before(async () => {
  stack = await startStack({ workers: 3, plugins: 'invites' });
  manager = await newManager(stack);
  other = await newManager(stack);
  house = (await newProperty(manager, 'Listenhaus')).id;
  await newProperty(manager, 'Zweithaus');
});
after(async () => { await stack?.stop(); });

// The list several times over: with three workers, each serves some of them
// (and keeps the list from then on).
async function lists(client, times = 9) {
  const answers = [];
  for (let i = 0; i < times; i++) {
    const res = await client.json('/api/v1/properties');
    assert.equal(res.status, 200);
    answers.push({ items: res.body.items, id: res.headers.get('x-request-id') });
  }
  return answers;
}

const row = (items, id) => items.find((p) => p.id === id);
const workersOf = (answers) => {
  const log = stack.log();
  return new Set(answers.map(({ id }) => new RegExp(`worker=(\\d+) .* id=${id}$`, 'm').exec(log)?.[1]));
};

test('a change of a property is on the next list of every worker', async () => {
  const before = await lists(manager);
  for (const { items } of before) assert.equal(row(items, house).name, 'Listenhaus');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(workersOf(before).size >= 2, 'the lists came from more than one worker');

  const renamed = await manager.json(`/api/v1/properties/${house}`, { method: 'PATCH', body: { name: 'Listenhaus Nord' } });
  assert.equal(renamed.status, 200);
  for (const { items } of await lists(manager)) assert.equal(row(items, house).name, 'Listenhaus Nord');

  const added = await newProperty(manager, 'Dritthaus');
  for (const { items } of await lists(manager)) assert.ok(row(items, added.id), 'the new property');
  assert.equal((await manager.fetch(`/api/v1/properties/${added.id}`, { method: 'DELETE' })).status, 204);
  for (const { items } of await lists(manager)) assert.equal(row(items, added.id), undefined);

  // a change by SQL (an operator's) counts too: the triggers bump, not the routes
  stack.sql(`UPDATE properties SET city = 'Leipzig' WHERE id = ${house}`);
  for (const { items } of await lists(manager)) assert.equal(row(items, house).city, 'Leipzig');
});

test('residents joining and leaving count on the next list of every worker', async () => {
  await lists(manager);
  const rita = await newResident(stack, manager, [house]);
  for (const { items } of await lists(manager)) assert.equal(row(items, house).residents_count, 1);
  const removed = await manager.fetch(`/api/v1/properties/${house}/residents/${rita.id}`, { method: 'DELETE' });
  assert.equal(removed.status, 204);
  for (const { items } of await lists(manager)) assert.equal(row(items, house).residents_count, 0);
});

test('the responsible employee\'s name and removal are on the next list', async () => {
  const invited = await manager.json('/api/v1/employees', { method: 'POST', body: { email: `hm-${process.pid}@example.org`, name: 'Hanna Haus' } });
  assert.equal(invited.status, 201);
  const employee = Number(stack.sql(`SELECT id FROM users WHERE email = 'hm-${process.pid}@example.org'`).trim());
  const set = await manager.json(`/api/v1/properties/${house}`, { method: 'PATCH', body: { responsible_id: employee } });
  assert.equal(set.status, 200);
  for (const { items } of await lists(manager)) assert.deepEqual(row(items, house).responsible, { id: employee, name: 'Hanna Haus' });

  stack.sql(`UPDATE users SET name = 'Hanna Hausmann' WHERE id = ${employee}`);
  for (const { items } of await lists(manager)) assert.equal(row(items, house).responsible.name, 'Hanna Hausmann');

  assert.equal((await manager.fetch(`/api/v1/employees/${employee}`, { method: 'DELETE' })).status, 204);
  for (const { items } of await lists(manager)) assert.equal(row(items, house).responsible, null);
});

test('one organisation\'s list never shows in another\'s, nor its changes bump the other', async () => {
  const generation = (org) => Number(stack.sql(`SELECT content_generation FROM orgs WHERE id = ${org}`).trim());
  await lists(manager);
  const mine = generation(manager.user.org_id);
  const theirs = await newProperty(other, 'Fremdhaus');
  assert.equal(generation(manager.user.org_id), mine);
  for (const { items } of await lists(other)) {
    assert.ok(row(items, theirs.id), 'their new property');
    assert.equal(row(items, house), undefined, 'none of ours');
  }
  for (const { items } of await lists(manager)) assert.equal(row(items, theirs.id), undefined);
});

test('a resident\'s list is their own, never a manager\'s kept one', async () => {
  await lists(manager);
  const rita = await newResident(stack, manager, [house]);
  for (let i = 0; i < 6; i++) {
    const res = await rita.json('/api/v1/properties');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.items.map((p) => p.id), [house]);
    assert.equal(res.body.items[0].residents_count, undefined, 'no managers\' fields');
  }
});

// The triggers bump the organisation's row: writes of one organisation at
// the same time take turns there instead of deadlocking (a 503 each).
test('properties created and residents joining at the same time all succeed', async () => {
  const made = await Promise.all(Array.from({ length: 12 }, (_, i) => manager.json('/api/v1/properties', { method: 'POST', body: { name: `Gleichzeitig ${i}` } })));
  assert.deepEqual([...new Set(made.map((r) => r.status))], [201], made.map((r) => r.status).join(' '));
  const residents = await Promise.all(made.slice(0, 6).map((r) => newResident(stack, manager, [r.body.id])));
  assert.equal(residents.length, 6);
  for (const { items } of await lists(manager)) {
    for (const r of made.slice(0, 6)) assert.equal(row(items, r.body.id)?.residents_count, 1);
  }
});

test('an unchanged list costs one database round trip', async () => {
  await lists(manager);
  const answers = await lists(manager, 12);
  await new Promise((r) => setTimeout(r, 200));
  const log = stack.log();
  for (const { id } of answers) {
    const line = new RegExp(`^.* id=${id}$`, 'm').exec(log)?.[0];
    assert.ok(line, `the log line of ${id}`);
    assert.match(line, / db=1 /, line);
  }
});
