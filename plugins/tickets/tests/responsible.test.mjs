// Who gets the mail of a new ticket: the property's responsible employee when
// it has one (core: properties.responsible_id), else every manager of the
// organisation; and every manager again while the responsible employee has
// not activated the account, or once they left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, decodeWords, waitFor } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, admin, zoe, house, annex, rita;
before(async () => {
  stack = await startStack({ plugins: 'invites tickets', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  admin = await newManager(stack);
  const hired = await admin.json('/api/v1/employees', { method: 'POST', body: { email: `zoe-${process.pid}@example.org`, name: 'Zoe Zuständig' } });
  assert.equal(hired.status, 201);
  zoe = { id: hired.body.id, email: `zoe-${process.pid}@example.org` };
  // her address confirmed, as her activation does: mail goes only to confirmed addresses
  stack.sql(`UPDATE users SET email_confirmed_at = UTC_TIMESTAMP() WHERE id = ${zoe.id}`);
  house = (await newProperty(admin, 'Lindenhof')).id;
  annex = (await newProperty(admin, 'Gartenhaus')).id;
  const set = await admin.json(`/api/v1/properties/${house}`, { method: 'PATCH', body: { responsible_id: zoe.id } });
  assert.equal(set.status, 200);
  rita = await newResident(stack, admin, [house, annex]);
});
after(async () => { await stack?.stop(); });

async function reported(property, title) {
  const res = await rita.json('/api/v1/tickets', { method: 'POST', body: { property_id: property, title, description: 'Bitte ansehen.' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}
// The addresses the new ticket's mail was queued for, in order.
const queuedTo = (t) => stack.sql(`SELECT to_addr FROM outbox WHERE kind = 'tickets' AND subject LIKE '[Vorgang #${t.number}]%' ORDER BY to_addr`).split('\n').filter(Boolean);
// The addresses the SMTP sink got the ticket's mail for, once the outbox sent all of it.
async function sunkTo(t) {
  await waitFor('the outbox sent everything', () => stack.sql("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").trim() === '0');
  return stack.mails().filter((m) => decodeWords(m.headers.subject).includes(`[Vorgang #${t.number}]`))
    .map((m) => m.headers.to.replace(/.*</, '').replace(/>.*/, '')).sort();
}

test('a property with a responsible employee: the new ticket\'s mail goes to that employee only', async () => {
  const t = await reported(house, 'Heizung kalt');
  assert.deepEqual(queuedTo(t), [zoe.email]);
  assert.deepEqual(await sunkTo(t), [zoe.email]);
});

test('a property without one: every manager gets it, as before', async () => {
  const t = await reported(annex, 'Licht im Keller');
  const all = [admin.email, zoe.email].sort();
  assert.deepEqual(queuedTo(t), all);
  assert.deepEqual(await sunkTo(t), all);
});

test('a responsible employee who has not activated the account yet: every manager gets it meanwhile', async () => {
  const hired = await admin.json('/api/v1/employees', { method: 'POST', body: { email: `neu-${process.pid}@example.org`, name: 'Nele Neu' } });
  assert.equal(hired.status, 201);
  assert.equal((await admin.json(`/api/v1/properties/${annex}`, { method: 'PATCH', body: { responsible_id: hired.body.id } })).status, 200);
  const t = await reported(annex, 'Briefkasten kaputt');
  const all = [admin.email, zoe.email].sort();
  assert.deepEqual(queuedTo(t), all);
  assert.deepEqual(await sunkTo(t), all);
});

test('the responsible employee leaves: the property has none, and every manager gets the mail again', async () => {
  assert.equal((await admin.fetch(`/api/v1/employees/${zoe.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await admin.json(`/api/v1/properties/${house}`)).body.responsible, null);
  const t = await reported(house, 'Tür klemmt');
  assert.deepEqual(queuedTo(t), [admin.email]);
  assert.deepEqual(await sunkTo(t), [admin.email]);
});
