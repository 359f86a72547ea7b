// A property's residents_count (sql/024: a column kept by triggers) through
// every path that writes memberships: a sign-up through the invite link
// (active, or pending until accepted), accept, reject, a group changed,
// removal, an erased resident, a user deleted by SQL (a foreign key's cascade,
// which fires no trigger of memberships), memberships written by SQL, and a
// deleted property. It counts the active memberships, nothing else: after
// each step the API's count equals a count of the rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

let stack, m;
let counter = 0;

before(async () => {
  stack = await startStack({ plugins: 'example invites', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  stack.setConf({ 'invites.join_max_per_address': 100000, 'invites.join_max_per_email': 100000 });
  await stack.reload();
  m = await newManager(stack);
});
after(async () => { await stack?.stop(); });

// The count as the manager's API shows it, on the property and in the list.
async function shown(propertyId) {
  const one = await m.json(`/api/v1/properties/${propertyId}`);
  assert.equal(one.status, 200);
  const list = await m.json('/api/v1/properties?limit=100');
  const row = list.body.items.find((p) => p.id === propertyId);
  assert.equal(row.residents_count, one.body.residents_count, 'the list and the property agree');
  return one.body.residents_count;
}

// The active memberships as rows, the truth the column must keep.
const counted = (propertyId) =>
  Number(stack.sql(`SELECT COUNT(*) FROM memberships WHERE property_id = ${propertyId} AND state = 'active'`).trim());

async function expectCount(propertyId, n, what) {
  assert.equal(counted(propertyId), n, `${what}: the rows`);
  assert.equal(await shown(propertyId), n, what);
}

async function joinToken(propertyId, approval) {
  const patched = await m.json(`/api/v1/properties/${propertyId}/invite`, { method: 'PATCH', body: { approval_required: approval } });
  assert.equal(patched.status, 200);
  const res = await m.json(`/api/v1/properties/${propertyId}/invite`);
  assert.equal(res.status, 200);
  return /\/join\/([^/?#]+)$/.exec(res.body.url)[1];
}

async function signUp(token) {
  counter += 1;
  const email = `zaehler-${process.pid}-${counter}@example.org`;
  const res = await new Client(stack).json(`/api/v1/join/${token}`, {
    method: 'POST', body: { display_name: `Zähler ${counter}`, email, password: 'Ein langer Satz als Passwort', group: 'tenant' },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.user.id, email, state: res.body.membership.state };
}

test('the invite link, accept, reject, group, remove: the count follows the active memberships', async () => {
  const p = await newProperty(m, 'Zählhaus 1');
  await expectCount(p.id, 0, 'a new property');

  const open = await joinToken(p.id, false);
  const one = await signUp(open);
  assert.equal(one.state, 'active');
  await expectCount(p.id, 1, 'a sign-up without approval');
  const two = await signUp(open);
  await expectCount(p.id, 2, 'a second one');

  const waiting = await joinToken(p.id, true);
  const three = await signUp(waiting);
  const four = await signUp(waiting);
  assert.equal(three.state, 'pending');
  await expectCount(p.id, 2, 'pending sign-ups do not count');

  const base = `/api/v1/properties/${p.id}/residents`;
  assert.equal((await m.json(`${base}/${three.id}/accept`, { method: 'POST', body: {} })).status, 200);
  await expectCount(p.id, 3, 'accepted');
  assert.equal((await m.json(`${base}/${four.id}/reject`, { method: 'POST', body: {} })).status, 204);
  await expectCount(p.id, 3, 'a rejected sign-up was never counted');
  assert.equal((await m.json(`${base}/${one.id}`, { method: 'PATCH', body: { group: 'owner' } })).status, 200);
  await expectCount(p.id, 3, 'a new group changes nothing');
  assert.equal((await m.json(`${base}/${two.id}`, { method: 'DELETE' })).status, 204);
  await expectCount(p.id, 2, 'removed');
});

test('an erased resident, a user deleted by SQL and memberships written by SQL are uncounted and counted', async () => {
  const p = await newProperty(m, 'Zählhaus 2');
  const q = await newProperty(m, 'Zählhaus 3');
  const a = await newResident(stack, m, [p.id, q.id]);
  const b = await newResident(stack, m, [p.id, q.id]);
  const c = await newResident(stack, m, [p.id], { state: 'pending' });
  await expectCount(p.id, 2, 'memberships inserted by SQL');
  await expectCount(q.id, 2, 'memberships inserted by SQL');

  const email = stack.sql(`SELECT email FROM users WHERE id = ${a.id}`).trim();
  const erased = stack.portalctl('resident', 'erase', email);
  assert.equal(erased.status, 0, erased.stderr);
  await expectCount(p.id, 1, 'erased: every property of theirs');
  await expectCount(q.id, 1, 'erased: every property of theirs');

  // The memberships go by the foreign key's cascade.
  stack.sql(`DELETE FROM users WHERE id = ${b.id}`);
  await expectCount(p.id, 0, 'a deleted user');
  await expectCount(q.id, 0, 'a deleted user');
  stack.sql(`DELETE FROM users WHERE id = ${c.id}`);
  await expectCount(p.id, 0, 'a deleted user who was pending was never counted');

  const d = await newResident(stack, m, [p.id], { state: 'pending' });
  stack.sql(`UPDATE memberships SET state = 'active' WHERE user_id = ${d.id}`);
  await expectCount(p.id, 1, 'made active by SQL');
  stack.sql(`UPDATE memberships SET property_id = ${q.id} WHERE user_id = ${d.id}`);
  await expectCount(p.id, 0, 'moved to another property by SQL');
  await expectCount(q.id, 1, 'moved to another property by SQL');
  stack.sql(`DELETE FROM memberships WHERE user_id = ${d.id}`);
  await expectCount(q.id, 0, 'deleted by SQL');
});

test('a deleted property takes its memberships along and leaves the others\' counts as they were', async () => {
  const p = await newProperty(m, 'Zählhaus 4');
  const q = await newProperty(m, 'Zählhaus 5');
  await newResident(stack, m, [p.id, q.id]);
  await newResident(stack, m, [q.id]);
  assert.equal((await m.fetch(`/api/v1/properties/${p.id}`, { method: 'DELETE' })).status, 204);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM memberships WHERE property_id = ${p.id}`).trim(), '0');
  await expectCount(q.id, 2, 'the other property');
  // Every property of every organisation agrees with its rows.
  assert.equal(stack.sql(`SELECT COUNT(*) FROM properties p WHERE p.residents_count <>
    (SELECT COUNT(*) FROM memberships x WHERE x.property_id = p.id AND x.state = 'active')`).trim(), '0');
});
