// The list's counts per status (GET /tickets, API.md: for the same filters
// without the status) stay exactly what the tickets are through every write:
// reports, status changes alone and in bulk, merges, reopening, rows written
// and moved by SQL, a deleted ticket, a deleted property with its tickets and a
// deleted organisation. The counts without filters and with only the property
// are kept by triggers (sql/003); the other filters count the tickets, and
// both are compared with a count of the tickets themselves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty } from '../../../tests/integration/client.mjs';

const STATUSES = ['open', 'in_progress', 'waiting', 'resolved', 'closed'];

let stack, boss, org, p1, p2, p3;
before(async () => {
  stack = await startStack({ plugins: 'invites content tickets' });
  boss = await newManager(stack);
  org = boss.user.org_id;
  p1 = (await newProperty(boss, 'Erstes Haus')).id;
  p2 = (await newProperty(boss, 'Zweites Haus')).id;
  p3 = (await newProperty(boss, 'Drittes Haus')).id;
});
after(async () => { await stack?.stop(); });

const post = (p, body = {}) => boss.json(p, { method: 'POST', body });
async function reported(property, body = {}) {
  const res = await post('/api/v1/tickets', { property_id: property, title: 'Heizung kalt', description: 'd', reporter_name: 'Anruf', category: 'Heizung/Wasser', ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

// What the tickets themselves say: {open: n, ...} for a condition on t.
function truth(where) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const line of stack.sql(`SELECT t.status, COUNT(*) FROM tickets t WHERE t.org_id = ${org} AND ${where} GROUP BY t.status`).split('\n').filter(Boolean)) {
    const [status, n] = line.split('\t');
    counts[status] = Number(n);
  }
  return counts;
}

// The tickets with a word that begins with term.
const words = (term) => `EXISTS (SELECT 1 FROM ticket_words w WHERE w.ticket_id = t.id AND w.word LIKE '${term}%')`;

async function counts(query) {
  const res = await boss.json(`/api/v1/tickets${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.counts;
}

// Every view of the list counts what the tickets are; returns the
// organisation's counts.
async function agree(label) {
  const all = await counts('');
  assert.deepEqual(all, truth('1'), `${label}: the organisation`);
  assert.deepEqual(await counts('?status=closed&sort=activity'), all, `${label}: without the status`);
  for (const p of [p1, p2, p3].filter(Boolean))
    assert.deepEqual(await counts(`?property_id=${p}`), truth(`t.property_id = ${p}`), `${label}: property ${p}`);
  assert.deepEqual(await counts(`?assignee_id=${boss.user.id}`), truth(`t.assignee_id = ${boss.user.id}`), `${label}: assignee`);
  assert.deepEqual(await counts(`?category=${encodeURIComponent('Aufzug')}`), truth("t.category = 'Aufzug'"), `${label}: category`);
  assert.deepEqual(await counts('?overdue=true'), truth("t.due_on < UTC_DATE() AND t.status NOT IN ('resolved', 'closed')"), `${label}: overdue`);
  assert.deepEqual(await counts(`?property_id=${p1}&category=${encodeURIComponent('Aufzug')}`), truth(`t.property_id = ${p1} AND t.category = 'Aufzug'`), `${label}: property and category`);
  // a search without other filters counts its words' rows, which carry their
  // ticket's status (sql/005): each ticket once, however many of its words match
  assert.equal(stack.sql('SELECT COUNT(*) FROM ticket_words w JOIN tickets t ON t.id = w.ticket_id WHERE w.status <> t.status').trim(), '0', `${label}: the words' status`);
  for (const q of ['heiz', 'heizung', 'kalt heiz'])
    assert.deepEqual(await counts(`?q=${encodeURIComponent(q)}&status=waiting`), truth(q.split(' ').map(words).join(' AND ')), `${label}: search ${q}`);
  assert.deepEqual(await counts(`?q=heiz&property_id=${p1}`), truth(`${words('heiz')} AND t.property_id = ${p1}`), `${label}: search in a property`);
  return all;
}

const empty = { open: 0, in_progress: 0, waiting: 0, resolved: 0, closed: 0 };

test('the counts follow every write of tickets, through the API and SQL', async () => {
  assert.deepEqual(await agree('no tickets'), empty);
  const a = await reported(p1, { category: 'Aufzug' });
  const b = await reported(p1, { title: 'Heizung und Heizungsrohr kalt' });
  const c = await reported(p2);
  const d = await reported(p3, { category: 'Aufzug' });
  const e = await reported(p3);
  assert.deepEqual(await agree('reported'), { ...empty, open: 5 });

  const patched = await boss.json(`/api/v1/tickets/${a.id}`, { method: 'PATCH', body: { status: 'in_progress', assignee_id: boss.user.id, due_on: '2020-01-01' } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.equal((await boss.json(`/api/v1/tickets/${c.id}`, { method: 'PATCH', body: { title: 'Heizung sehr kalt' } })).status, 200, 'no status change');
  assert.deepEqual(await agree('patched'), { ...empty, open: 4, in_progress: 1 });

  const bulk = await post('/api/v1/tickets/bulk', { ids: [b.id, c.id, d.id], status: 'resolved' });
  assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
  assert.deepEqual(await agree('bulk'), { ...empty, open: 1, in_progress: 1, resolved: 3 });
  const refused = await post('/api/v1/tickets/bulk', { ids: [b.id, 99999999], status: 'waiting' });
  assert.equal(refused.status, 422, 'an unknown id changes none');
  assert.deepEqual(await agree('bulk refused'), { ...empty, open: 1, in_progress: 1, resolved: 3 });

  assert.equal((await post(`/api/v1/tickets/${b.id}/reopen`)).status, 200);
  assert.deepEqual(await agree('reopened'), { ...empty, open: 2, in_progress: 1, resolved: 2 });

  // e (in p3) is a duplicate of b (p1): closed, and it points at b
  const merged = await post(`/api/v1/tickets/${e.id}/merge`, { into: b.id });
  assert.equal(merged.status, 200, JSON.stringify(merged.body));
  assert.deepEqual(await agree('merged'), { ...empty, open: 1, in_progress: 1, resolved: 2, closed: 1 });

  // rows written by SQL, as tests and hands do
  stack.sql(`INSERT INTO tickets (org_id, number, property_id, title, description, category, status, created_at, updated_at)
    VALUES (${org}, 1001, ${p2}, 'Per SQL: Heizung', 'd', 'Aufzug', 'waiting', UTC_TIMESTAMP(), UTC_TIMESTAMP()),
           (${org}, 1002, ${p3}, 'Per SQL', 'd', 'Sonstiges', 'open', UTC_TIMESTAMP(), UTC_TIMESTAMP())`);
  // their words, written by the rebuild, take their status ('waiting' too)
  assert.equal(stack.portalctl('search', 'rebuild').status, 0);
  assert.equal(stack.sql(`SELECT GROUP_CONCAT(DISTINCT w.status) FROM ticket_words w JOIN tickets t ON t.id = w.ticket_id WHERE t.number = 1001 AND t.org_id = ${org}`).trim(), 'waiting');
  // pointers into the property deleted below, from inside it and from outside
  stack.sql(`UPDATE tickets SET merged_into = ${e.id} WHERE org_id = ${org} AND number = 1002 OR id = ${a.id}`);
  assert.deepEqual(await agree('inserted by SQL'), { ...empty, open: 2, in_progress: 1, waiting: 1, resolved: 2, closed: 1 });
  stack.sql(`UPDATE tickets SET property_id = ${p2}, status = 'closed' WHERE id = ${d.id}`);
  assert.deepEqual(await counts(`?property_id=${p3}`), { ...empty, open: 1, closed: 1 }, 'moved away with a new status');
  assert.deepEqual(await agree('moved by SQL'), { ...empty, open: 2, in_progress: 1, waiting: 1, resolved: 1, closed: 2 });
  stack.sql(`DELETE FROM tickets WHERE id = ${c.id}`);
  assert.deepEqual(await agree('deleted by SQL'), { ...empty, open: 2, in_progress: 1, waiting: 1, closed: 2 });

  // the property goes with its tickets: the duplicate e and the SQL one
  const gone = await boss.json(`/api/v1/properties/${p3}`, { method: 'DELETE' });
  assert.equal(gone.status, 204, JSON.stringify(gone.body));
  assert.equal(Number(stack.sql(`SELECT COUNT(*) FROM tickets WHERE property_id = ${p3}`).trim()), 0);
  assert.equal(Number(stack.sql(`SELECT COUNT(*) FROM ticket_property_counts WHERE property_id = ${p3}`).trim()), 0);
  p3 = null;
  assert.deepEqual(await agree('property deleted'), { ...empty, open: 1, in_progress: 1, waiting: 1, closed: 1 });
  assert.equal((await boss.json(`/api/v1/tickets/${b.id}`)).status, 200, 'the ticket a deleted duplicate pointed at stays');
  assert.equal(stack.sql(`SELECT merged_into FROM tickets WHERE id = ${a.id}`).trim(), 'NULL', 'a pointer into the deleted property is cleared');
});

test('another organisation\'s property counts nothing; a deleted organisation takes its counts along', async () => {
  const other = await newManager(stack);
  const theirs = (await newProperty(other, 'Fremdhaus')).id;
  const res = await other.json('/api/v1/tickets', { method: 'POST', body: { property_id: theirs, title: 'Fremd', description: 'd', reporter_name: 'Anruf' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.deepEqual(await counts(`?property_id=${theirs}`), empty);
  assert.deepEqual((await other.json('/api/v1/tickets')).body.counts, { ...empty, open: 1 });
  const kept = () => Number(stack.sql(`SELECT (SELECT COUNT(*) FROM ticket_org_counts WHERE org_id = ${other.user.org_id})
    + (SELECT COUNT(*) FROM ticket_property_counts WHERE org_id = ${other.user.org_id})`).trim());
  assert.equal(kept(), 2);
  stack.sql(`DELETE FROM orgs WHERE id = ${other.user.org_id}`);
  assert.equal(kept(), 0);
});

test('keyset pages through the indexes the list names: every filter\'s pages are its whole list, in its order', async () => {
  const org2 = await newManager(stack);
  const house = (await newProperty(org2, 'Seitenhaus')).id;
  const made = [];
  for (let i = 0; i < 7; i++) {
    const res = await org2.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: `Meldung ${i}`, description: 'd', reporter_name: 'Anruf', category: i % 2 ? 'Aufzug' : 'Sonstiges' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    made.push(res.body.id);
  }
  // activity in another order than the numbers, with two at the same second
  const minutes = [5, 1, 3, 3, 7, 2, 6];
  made.forEach((id, i) => stack.sql(`UPDATE tickets SET updated_at = UTC_TIMESTAMP() - INTERVAL ${minutes[i]} MINUTE, status = '${i % 3 ? 'open' : 'waiting'}' WHERE id = ${id}`));
  for (const q of ['', '&sort=activity', '&status=open', '&status=open&sort=activity', '&category=Aufzug', '&category=Aufzug&sort=activity']) {
    const whole = (await org2.json(`/api/v1/tickets?limit=100${q}`)).body.items.map((t) => t.id);
    const paged = [];
    let after = null;
    do {
      const res = await org2.json(`/api/v1/tickets?limit=2${q}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      paged.push(...res.body.items.map((t) => t.id));
      after = res.body.next;
    } while (after);
    assert.deepEqual(paged, whole, `pages of ${q}`);
    assert.ok(whole.length >= 3, `${q} has pages`);
  }
  const byActivity = (await org2.json('/api/v1/tickets?limit=100&sort=activity&status=open')).body.items.map((t) => t.id);
  assert.deepEqual(byActivity, [made[1], made[5], made[2], made[4]], 'open ones, last changed first');
});

// Rows written before sql/005 took the column's default ('open'): the
// migration gives them their ticket's status.
test('the migration that brought the words\' status gives the rows of before their ticket\'s', async () => {
  const stale = () => Number(stack.sql(`SELECT COUNT(*) FROM ticket_words w JOIN tickets t ON t.id = w.ticket_id
    WHERE t.org_id = ${org} AND w.status <> t.status`).trim());
  // one far on in the ids, which the migration reaches in a later slice
  stack.sql('ALTER TABLE tickets AUTO_INCREMENT = 4321');
  const far = await reported(p1, { title: 'Heizung weit hinten' });
  assert.ok(far.id >= 4321);
  assert.equal((await post('/api/v1/tickets/bulk', { ids: [far.id], status: 'resolved' })).status, 200);
  assert.ok(Number(stack.sql(`SELECT COUNT(*) FROM tickets WHERE org_id = ${org} AND status <> 'open'`).trim()) > 0, 'tickets that are not open');
  stack.sql(`UPDATE ticket_words SET status = 'open' WHERE org_id = ${org}`);
  assert.ok(stale() > 0, 'rows as before the migration');
  // the migrator applies it again once it is not recorded as applied
  assert.equal(stack.sql("DELETE FROM schema_migrations WHERE name LIKE '%005_ticket_word_status%'; SELECT ROW_COUNT()").trim(), '1');
  const migrated = stack.portalctl('migrate');
  assert.equal(migrated.status, 0, migrated.stderr);
  assert.equal(stale(), 0);
  await agree('after the migration');
});
