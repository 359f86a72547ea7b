// The example plugin's own tests, against the whole stack (tests/run.sh runs
// every plugins/*/tests/*.test.mjs with the integration tests). Copy this
// file with the plugin: it shows how to test what a plugin promises.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sleep } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, other, home, elsewhere;
before(async () => {
  stack = await startStack({ plugins: 'example invites content' });
  manager = await newManager(stack);
  other = await newManager(stack); // another organisation
  home = (await newProperty(manager, 'Lindenhof')).id;
  elsewhere = (await newProperty(manager, 'Birkenweg')).id;
});
after(async () => { await stack?.stop(); });

const create = (client, body) => client.json('/api/v1/example/items', { method: 'POST', body });

test('items are a manager\'s: 401 signed out, 404 for residents', async () => {
  assert.equal((await stack.fetch('/api/v1/example/items')).status, 401);
  const resident = await newResident(stack, manager, [home]);
  assert.equal((await resident.fetch('/api/v1/example/items')).status, 404);
  assert.equal((await create(resident, { name: 'x', property_ids: 'all' })).status, 404);
  // the public page needs nobody
  assert.equal((await stack.fetch('/api/v1/example')).status, 200);
});

test('create, read, change and delete, each scoped by the organisation', async () => {
  const res = await create(manager, {
    name: '  Fenster putzen ', note: 'Erste Zeile\nZweite Zeile', priority: 'high',
    due_on: '2026-12-24', property_ids: [home, String(home)], org_id: other.user.org_id,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const item = res.body.item;
  assert.equal(item.name, 'Fenster putzen');
  assert.equal(item.note, 'Erste Zeile\nZweite Zeile');
  assert.equal(item.priority, 'high');
  assert.equal(item.due_on, '2026-12-24');
  assert.equal(item.due_date, '24.12.2026');
  assert.equal(item.done, false);
  // the undeclared org_id was never seen: the item is the caller's
  assert.equal(stack.sql(`SELECT org_id FROM example_items WHERE id = ${item.id}`).trim(), String(manager.user.org_id));
  assert.equal(stack.sql(`SELECT COUNT(*) FROM example_item_properties WHERE item_id = ${item.id}`).trim(), '1');

  // another organisation's manager finds nothing, and changes nothing
  for (const [method, body] of [['GET'], ['PATCH', { name: 'gekapert' }], ['DELETE']]) {
    assert.equal((await other.json(`/api/v1/example/items/${item.id}`, { method, body })).status, 404, method);
  }
  assert.equal((await other.json('/api/v1/example/items')).body.items.length, 0);

  // PATCH changes what is sent: done, and due_on cleared with null
  let patched = await manager.json(`/api/v1/example/items/${item.id}`, { method: 'PATCH', body: { done: true, due_on: null } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.item.done, true);
  assert.equal(patched.body.item.due_on, null);
  assert.equal(patched.body.item.name, 'Fenster putzen');
  // a PATCH may leave a member out, not empty one that cannot be none
  for (const body of [{ name: '' }, { name: null }, { priority: null }, { done: null }]) {
    patched = await manager.json(`/api/v1/example/items/${item.id}`, { method: 'PATCH', body });
    assert.equal(patched.status, 422, JSON.stringify(body));
    assert.equal(patched.body.error.field, Object.keys(body)[0]);
  }

  const list = await manager.json('/api/v1/example/items?done=true&q=Fenster');
  assert.deepEqual(list.body.items.map((i) => i.id), [item.id]);
  assert.equal((await manager.json('/api/v1/example/items?done=false&q=Fenster')).body.items.length, 0);

  assert.equal((await manager.fetch(`/api/v1/example/items/${item.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await manager.fetch(`/api/v1/example/items/${item.id}`)).status, 404);
});

test('property_ids must be the organisation\'s own properties, or "all"', async () => {
  const foreign = (await other.json('/api/v1/properties')).body.items[0].id;
  for (const property_ids of [[foreign], [home, foreign], [], 'alle', [0]]) {
    const res = await create(manager, { name: 'x', property_ids });
    assert.equal(res.status, 422, JSON.stringify(property_ids));
    assert.equal(res.body.error.field, 'property_ids');
    assert.equal(res.body.error.message, 'Bitte mindestens eine Ihrer Liegenschaften wählen.');
  }
  const all = await create(manager, { name: 'Für alle', property_ids: 'all' });
  assert.equal(all.status, 201);
  assert.equal(all.body.item.all_properties, true);
});

test('the listener counts items per organisation, in the creating transaction', async () => {
  const count = (org) => Number(stack.sql(`SELECT COALESCE(SUM(items), 0) FROM example_daily WHERE org_id = ${org}`).trim());
  const before = count(manager.user.org_id);
  await create(manager, { name: 'gezählt', property_ids: 'all' });
  await create(manager, { name: '', property_ids: 'all' }); // refused: counts nothing
  assert.equal(count(manager.user.org_id), before + 1);
  assert.equal(count(other.user.org_id), 0);
});

test('the residents\' home shows the open items of their properties; mail goes to those who want it', async () => {
  const here = await newResident(stack, manager, [home]);
  const there = await newResident(stack, manager, [elsewhere]);
  const quiet = await newResident(stack, manager, [home]);
  assert.equal((await quiet.json('/api/v1/me/notifications', { method: 'PATCH', body: { example: false } })).status, 200);
  const res = await create(manager, { name: 'Treppenhaus wird gestrichen', property_ids: [home], notify: true });
  assert.equal(res.status, 201);

  const page = await (await here.fetch('/portal')).text();
  assert.match(page, /Aus dem Beispiel-Plugin/);
  assert.match(page, /Treppenhaus wird gestrichen/);
  assert.doesNotMatch(await (await there.fetch('/portal')).text(), /Treppenhaus wird gestrichen/);

  const mails = await stack.waitForMail((m) => m.headers.subject && m.raw.includes('Treppenhaus wird gestrichen'));
  await sleep(1500); // a mail to the others would have come now
  const to = stack.mails().filter((m) => m.raw.includes('Treppenhaus wird gestrichen')).map((m) => m.headers.to).join(' ');
  assert.ok(to.includes(here.email), to);
  assert.ok(!to.includes(quiet.email), 'who turned these mails off gets none');
  assert.ok(!to.includes(there.email), 'nor does a resident of another property');
  assert.ok(mails[0].raw.includes('/portal/settings'), 'every mail to residents links to the settings');
});

test('the page: the form shows its picker again around a refused input', async () => {
  let res = await manager.fetch('/app/example');
  assert.equal(res.status, 200);
  let html = await res.text();
  assert.match(html, /<label for="example-name">Name<\/label>/);
  assert.match(html, /name="property_ids" value="all"/);
  res = await manager.fetch('/app/example', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams([['csrf_token', manager.csrf], ['name', 'Ohne Liegenschaft']]).toString(),
  });
  assert.equal(res.status, 422);
  html = await res.text();
  assert.match(html, /role="alert"[^>]*>Bitte mindestens eine Ihrer Liegenschaften wählen\./);
  assert.match(html, /value="Ohne Liegenschaft"/, 'what was typed stays');
  assert.match(html, new RegExp(`name="property_ids" value="${home}"> Lindenhof`), 'the picker is back');
  res = await manager.fetch('/app/example', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams([['csrf_token', manager.csrf], ['name', 'Vom Formular'], ['property_ids', String(home)]]).toString(),
  });
  assert.equal(res.status, 303);
  assert.match(await (await manager.fetch('/app/example')).text(), /Vom Formular/);
});

// The form's picker (core's, portal/picker.h) without script: its search
// button posts the form to the page, which comes back with the matches and
// the form as sent, and saves nothing. The CSRF token never goes into a URL.
test('the page: the picker\'s search posts the form, keeps what was chosen and saves nothing', async () => {
  const post = (fields) => manager.fetch('/app/example', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams([['csrf_token', manager.csrf], ...fields]).toString(),
  });
  const chosen = (html) => [...html.matchAll(/name="property_ids" value="(\d+)" checked/g)].map((r) => Number(r[1]));
  const offered = (html) => [...html.matchAll(/name="property_ids" value="(\d+)">/g)].map((r) => Number(r[1]));
  let html = await (await manager.fetch('/app/example')).text();
  assert.match(html, /<button type="submit"[^>]* name="picker" value="search" formaction="\/app\/example#example-properties" formnovalidate>/);
  for (const [, url] of html.matchAll(/(?:href|action|formaction)="([^"]*)"/g)) assert.ok(!url.includes(manager.csrf), url);
  const items = (await manager.json('/api/v1/example/items')).body.items.length;
  const foreign = (await newProperty(other, 'Zedernhof')).id;
  const res = await post([['name', 'Nur gesucht'], ['picker', 'search'], ['picker_q', 'birken'],
    ['property_ids', String(home)], ['property_ids', String(foreign)], ['notify', 'on']]);
  assert.equal(res.status, 200);
  html = await res.text();
  assert.doesNotMatch(html, /role="alert"/, 'a search is no error');
  assert.deepEqual(chosen(html), [home], 'what was chosen stays; another organisation\'s id finds nothing');
  assert.deepEqual(offered(html), [elsewhere], 'the matches');
  assert.match(html, /value="Nur gesucht"/, 'what was typed stays');
  assert.match(html, /name="notify" value="on" checked/);
  assert.equal((await manager.json('/api/v1/example/items')).body.items.length, items, 'nothing saved');
  // A search for another organisation's property finds nothing.
  html = await (await post([['picker', 'search'], ['picker_q', 'zedernhof']])).text();
  assert.deepEqual(offered(html), []);
  assert.match(html, /Keine Liegenschaft gefunden\./);
});

test('the job removes items done longer ago than example.keep_days; portalctl runs it by hand', async () => {
  const old = (await create(manager, { name: 'alt und erledigt', property_ids: 'all' })).body.item.id;
  const recent = (await create(manager, { name: 'neu erledigt', property_ids: 'all' })).body.item.id;
  const open = (await create(manager, { name: 'offen', property_ids: 'all' })).body.item.id;
  stack.sql(`UPDATE example_items SET done_at = UTC_TIMESTAMP() - INTERVAL 31 DAY WHERE id = ${old}`);
  stack.sql(`UPDATE example_items SET done_at = UTC_TIMESTAMP() - INTERVAL 29 DAY WHERE id = ${recent}`);
  const run = stack.portalctl('jobs', 'run', 'example-cleanup');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^job example-cleanup: ok/);
  const left = stack.sql(`SELECT id FROM example_items WHERE id IN (${old}, ${recent}, ${open}) ORDER BY id`).trim().split('\n').map(Number);
  assert.deepEqual(left, [recent, open]);
  const list = stack.portalctl('jobs', 'list');
  assert.match(list.stdout, /^example-cleanup\s+daily 03:30\s+ok\s+/m);
  assert.equal(stack.portalctl('jobs', 'run', 'no-such-job').status, 1);
});
