// A resident's notification settings (core/routes_notifications.c): GET and
// PATCH /me/notifications, all on until touched, a change of one kind keeps the
// others, 422 on a non-boolean, residents only, and the page /portal/settings
// that saves all five with a form, in German and English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newResident } from './client.mjs';

const KINDS = ['announcements', 'appointments', 'documents', 'tickets', 'board'];
const allOn = Object.fromEntries(KINDS.map((k) => [k, true]));

let stack, manager, propertyId;
before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  const p = await manager.json('/api/v1/properties', { method: 'POST', body: { name: 'Benachrichtigungshaus' } });
  assert.equal(p.status, 201);
  propertyId = p.body.id;
});
after(async () => { await stack?.stop(); });

const row = (id) => stack.sql(`SELECT announcements, appointments, documents, tickets, board FROM notification_settings WHERE user_id = ${id}`).trim();

test('defaults: every kind on, without a row', async () => {
  const r = await newResident(stack, manager, [propertyId]);
  const res = await r.json('/api/v1/me/notifications');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, allOn);
  assert.equal(row(r.id), '', 'a GET writes nothing');
});

test('PATCH one kind: only it changes, the others stay; unknown fields are ignored', async () => {
  const r = await newResident(stack, manager, [propertyId]);
  let res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { board: false, role: 'manager', colour: 1 } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { ...allOn, board: false });
  res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { announcements: false } });
  assert.deepEqual(res.body, { ...allOn, board: false, announcements: false });
  res = await r.json('/api/v1/me/notifications');
  assert.deepEqual(res.body, { ...allOn, board: false, announcements: false });
  res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { board: true } });
  assert.deepEqual(res.body, { ...allOn, announcements: false });
  assert.equal(row(r.id).split(/\s+/).join(','), '0,1,1,1,1');
  // An empty body changes nothing.
  res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: {} });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ...allOn, announcements: false });
  // The role did not change: still a resident.
  const me = await r.json('/api/v1/session');
  assert.equal(me.body.user.role, 'resident');
  // Another resident is untouched.
  const other = await newResident(stack, manager, [propertyId]);
  assert.deepEqual((await other.json('/api/v1/me/notifications')).body, allOn);
});

test('422 with the field on a non-boolean, and nothing changes', async () => {
  const r = await newResident(stack, manager, [propertyId]);
  for (const [field, value] of [['tickets', 'ja'], ['documents', 2], ['appointments', []], ['board', { on: true }], ['announcements', 'yes']]) {
    const res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { announcements: false, [field]: value } });
    assert.equal(res.status, 422, `${field}=${JSON.stringify(value)}`);
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, field);
  }
  assert.deepEqual((await r.json('/api/v1/me/notifications')).body, allOn);
  // Strings a form would send are booleans too.
  const res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { tickets: 'false', documents: '0' } });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ...allOn, tickets: false, documents: false });
});

test('residents only: a manager gets 404, a signed-out caller 401, CSRF is required', async () => {
  for (const [method, path] of [['GET', '/api/v1/me/notifications'], ['PATCH', '/api/v1/me/notifications'], ['GET', '/portal/settings'], ['POST', '/portal/settings']]) {
    const res = await manager.fetch(path, { method, body: method === 'GET' ? undefined : { board: false } });
    assert.equal(res.status, 404, `${method} ${path}`);
  }
  assert.equal((await stack.fetch('/api/v1/me/notifications')).status, 401);
  const r = await newResident(stack, manager, [propertyId]);
  const noToken = await stack.fetch('/api/v1/me/notifications', {
    method: 'PATCH', headers: { Cookie: r.cookie, 'Content-Type': 'application/json' }, body: JSON.stringify({ board: false }),
  });
  assert.equal(noToken.status, 403);
  assert.deepEqual((await r.json('/api/v1/me/notifications')).body, allOn);
});

test('the page: five labelled checkboxes, saved by its form (absent = off), with a notice; German and English', async () => {
  const r = await newResident(stack, manager, [propertyId]);
  let res = await r.fetch('/portal/settings');
  assert.equal(res.status, 200);
  let html = await res.text();
  for (const k of KINDS) {
    assert.match(html, new RegExp(`<input type="checkbox" id="n-${k}" name="${k}" value="on" aria-describedby="n-${k}-hint" checked>`), k);
    assert.match(html, new RegExp(`id="n-${k}-hint"`));
  }
  assert.match(html, /Benachrichtigungen per E-Mail/);
  assert.match(html, /href="\/portal\/settings"/, 'the residents\' menu links to it');

  // The form sends only the ticked boxes.
  const body = new URLSearchParams([['csrf_token', r.csrf], ['announcements', 'on'], ['tickets', 'on']]).toString();
  res = await r.fetch('/portal/settings', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base }, body,
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/portal/settings?saved=1');
  assert.deepEqual((await r.json('/api/v1/me/notifications')).body,
    { announcements: true, appointments: false, documents: false, tickets: true, board: false });
  res = await r.fetch('/portal/settings?saved=1');
  html = await res.text();
  assert.match(html, /notice--success[^>]*>Ihre Einstellungen wurden gespeichert\./);
  assert.match(html, /name="announcements" value="on" aria-describedby="n-announcements-hint" checked>/);
  assert.match(html, /name="board" value="on" aria-describedby="n-board-hint">/);

  // A bad value from a hand-made form: the page again, with the error.
  const bad = new URLSearchParams([['csrf_token', r.csrf], ['board', 'vielleicht']]).toString();
  res = await r.fetch('/portal/settings', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base }, body: bad,
  });
  assert.equal(res.status, 422);
  assert.match(await res.text(), /notice--error/);

  // English, for an organisation that speaks it.
  stack.sql(`UPDATE orgs SET locale = 'en' WHERE id = ${manager.user.org_id}`);
  html = await (await r.fetch('/portal/settings')).text();
  stack.sql(`UPDATE orgs SET locale = 'de' WHERE id = ${manager.user.org_id}`);
  assert.match(html, /Email notifications/);
  assert.match(html, /Community board/);
});
