// The residents' home keeps what every resident of a property sees alike in
// each worker (PORTAL_HOME_SHARED sections) and reuses it until something of
// the organisation changes: the next request on any worker sees a change, one
// organisation's change never shows in another's, a removed resident sees
// nothing of the property at once, and an unchanged home costs one database
// round trip (the caller, with the properties).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newResident, newProperty } from './client.mjs';

let stack, manager, other, home, resident;
before(async () => {
  stack = await startStack({ workers: 3, plugins: 'example invites content' });
  manager = await newManager(stack);
  other = await newManager(stack);
  home = (await newProperty(manager, 'Cachehaus')).id;
  resident = await newResident(stack, manager, [home]);
});
after(async () => { await stack?.stop(); });

const announce = (client, title, property_ids) =>
  client.json('/api/v1/announcements', { method: 'POST', body: { title, body: `${title}.`, property_ids, notify: false } });

// The home several times over: with three workers, each of them serves some.
async function homes(client, times = 9) {
  const pages = [];
  for (let i = 0; i < times; i++) {
    const res = await client.fetch('/portal');
    assert.equal(res.status, 200);
    pages.push({ html: await res.text(), id: res.headers.get('x-request-id') });
  }
  return pages;
}

// The organisation's content generation: the sum the session's query reads
// (sql/027: its slots and the organisation's own column).
const generation = (org) => Number(stack.sql(`SELECT o.content_generation + COALESCE(SUM(g.generation), 0) FROM orgs o LEFT JOIN content_generations g ON g.org_id = o.id WHERE o.id = ${org} GROUP BY o.id`).trim());

test('a change is on the next home of every worker', async () => {
  assert.equal((await announce(manager, 'Erste Mitteilung', [home])).status, 201);
  for (const { html } of await homes(resident)) assert.match(html, /Erste Mitteilung/);
  // every worker holds the home now; a change must reach all of them
  assert.equal((await announce(manager, 'Zweite Mitteilung', [home])).status, 201);
  for (const { html } of await homes(resident)) assert.match(html, /Zweite Mitteilung/);
  const faq = await manager.json('/api/v1/faq', { method: 'POST', body: { question: 'Wo ist der Müllraum?', answer: 'Im Hof.', property_ids: [home] } });
  assert.equal(faq.status, 201);
  for (const { html } of await homes(resident)) assert.match(html, /Wo ist der Müllraum\?/);
  assert.equal((await manager.fetch(`/api/v1/faq/${faq.body.id}`, { method: 'DELETE' })).status, 204);
  for (const { html } of await homes(resident)) assert.doesNotMatch(html, /Wo ist der Müllraum\?/);
});

test('the manager\'s preview sees changes as residents do', async () => {
  const page = async () => (await manager.fetch(`/app/properties/${home}/preview`)).text();
  assert.match(await page(), /Zweite Mitteilung/);
  assert.equal((await announce(manager, 'Dritte Mitteilung', [home])).status, 201);
  for (let i = 0; i < 6; i++) assert.match(await page(), /Dritte Mitteilung/);
});

test('another organisation\'s change leaves this one\'s generation alone', async () => {
  const before = generation(manager.user.org_id);
  const theirs = (await newProperty(other, 'Fremdhaus')).id;
  assert.equal((await announce(other, 'Fremde Mitteilung', [theirs])).status, 201);
  assert.equal(generation(manager.user.org_id), before);
  for (const { html } of await homes(resident)) assert.doesNotMatch(html, /Fremde Mitteilung/);
});

test('a removed resident sees nothing of the property on the next request', async () => {
  const leaving = await newResident(stack, manager, [home]);
  for (const { html } of await homes(leaving, 6)) assert.match(html, /Dritte Mitteilung/);
  const res = await manager.fetch(`/api/v1/properties/${home}/residents/${leaving.id}`, { method: 'DELETE' });
  assert.equal(res.status, 204);
  for (const { html } of await homes(leaving, 6)) {
    assert.doesNotMatch(html, /Dritte Mitteilung|Cachehaus/);
  }
});

// Writes of one organisation at one instant: none is refused (503), and
// each raises the organisation's generation (after its commit, sdk.c).
test('writes of one organisation at the same instant all succeed', async () => {
  const before = generation(manager.user.org_id);
  const second = (await newProperty(manager, 'Zweithaus')).id;
  const all = async (status, writes) => {
    const answers = await Promise.all(writes);
    assert.deepEqual(answers.map((r) => r.status), answers.map(() => status));
    return answers;
  };
  const created = await all(201, Array.from({ length: 8 }, (_, i) => [
    announce(manager, `Gleichzeitig ${i}`, [home]),
    manager.json('/api/v1/faq', { method: 'POST', body: { question: `Gleichzeitig ${i}?`, answer: 'Ja.', property_ids: [home] } }),
    manager.json('/api/v1/appointments', { method: 'POST', body: { title: `Gleichzeitig ${i}`, starts_at: '2027-03-01T08:00:00Z', property_ids: [home] } }),
  ]).flat());
  // and their changes at one instant, each of them to other properties
  const paths = ['announcements', 'faq', 'appointments'];
  const changed = await all(200, created.map((r, i) =>
    manager.json(`/api/v1/${paths[i % 3]}/${r.body.id}`, { method: 'PATCH', body: { property_ids: [home, second] } })));
  assert.ok(generation(manager.user.org_id) >= before + created.length + changed.length);
  assert.equal(stack.sql("SELECT COUNT(*) FROM faq_targets t JOIN faq f ON f.id = t.faq_id WHERE f.question LIKE 'Gleichzeitig %'").trim(), '16');
});

test('an unchanged home costs one database round trip', async () => {
  const pages = await homes(resident, 12);
  await new Promise((r) => setTimeout(r, 200));
  const log = stack.log().split('\n');
  const trips = pages.map(({ id }) => {
    const line = log.find((l) => l.endsWith(` id=${id}`));
    assert.ok(line, `no log line of ${id}`);
    return Number(/ db=(\d+) /.exec(line)[1]);
  });
  // the last homes of each worker come from its cache: the caller's query
  // brings the properties along
  assert.deepEqual(trips.slice(-3), [1, 1, 1], `round trips: ${trips}`);
});
