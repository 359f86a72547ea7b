// A resident's notification settings (core/features/routes_notifications.c): GET and
// PATCH /me/notifications, one switch per kind of mail that a running plugin
// declares (content: announcements and appointments; the example: example),
// all on until touched, a change of one kind keeps the others, 422 on a
// non-boolean, residents only, and the page /portal/settings that saves them
// all with a form, in German and English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { newManager, newResident } from './client.mjs';

const KINDS = ['announcements', 'appointments', 'example'];
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

// The rows of a resident: "kind enabled" lines in the order of the kinds.
const rows = (id) => stack.sql(`SELECT kind, enabled FROM notification_settings WHERE user_id = ${id} ORDER BY kind`).trim();

test('defaults: every kind on, without a row', async () => {
  const r = await newResident(stack, manager, [propertyId]);
  const res = await r.json('/api/v1/me/notifications');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, allOn);
  assert.equal(rows(r.id), '', 'a GET writes nothing');
});

test('PATCH one kind: only it changes, the others stay; unknown fields are ignored', async () => {
  const r = await newResident(stack, manager, [propertyId]);
  // board is no running plugin's kind: ignored like any unknown field
  let res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { example: false, board: false, role: 'manager', colour: 1 } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { ...allOn, example: false });
  res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { announcements: false } });
  assert.deepEqual(res.body, { ...allOn, example: false, announcements: false });
  res = await r.json('/api/v1/me/notifications');
  assert.deepEqual(res.body, { ...allOn, example: false, announcements: false });
  res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { example: true } });
  assert.deepEqual(res.body, { ...allOn, announcements: false });
  assert.equal(rows(r.id).split(/\s+/).join(','), 'announcements,0,example,1');
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
  for (const [field, value] of [['example', 'ja'], ['appointments', 2], ['example', { on: true }], ['announcements', 'yes']]) {
    const res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { announcements: false, [field]: value } });
    assert.equal(res.status, 422, `${field}=${JSON.stringify(value)}`);
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, field);
  }
  assert.deepEqual((await r.json('/api/v1/me/notifications')).body, allOn);
  // Strings a form would send are booleans too.
  const res = await r.json('/api/v1/me/notifications', { method: 'PATCH', body: { example: 'false', appointments: '0' } });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ...allOn, example: false, appointments: false });
});

test('residents only: a manager gets 404, a signed-out caller 401, CSRF is required', async () => {
  for (const [method, path] of [['GET', '/api/v1/me/notifications'], ['PATCH', '/api/v1/me/notifications'], ['GET', '/portal/settings'], ['POST', '/portal/settings']]) {
    const res = await manager.fetch(path, { method, body: method === 'GET' ? undefined : { example: false } });
    assert.equal(res.status, 404, `${method} ${path}`);
  }
  assert.equal((await stack.fetch('/api/v1/me/notifications')).status, 401);
  const r = await newResident(stack, manager, [propertyId]);
  const noToken = await stack.fetch('/api/v1/me/notifications', {
    method: 'PATCH', headers: { Cookie: r.cookie, 'Content-Type': 'application/json' }, body: JSON.stringify({ example: false }),
  });
  assert.equal(noToken.status, 403);
  assert.deepEqual((await r.json('/api/v1/me/notifications')).body, allOn);
});

test('the page: a labelled checkbox per kind, saved by its form (absent = off), with a notice; German and English', async () => {
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
  const body = new URLSearchParams([['csrf_token', r.csrf], ['announcements', 'on'], ['example', 'on']]).toString();
  res = await r.fetch('/portal/settings', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base }, body,
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/portal/settings?saved=1');
  assert.deepEqual((await r.json('/api/v1/me/notifications')).body,
    { announcements: true, appointments: false, example: true });
  res = await r.fetch('/portal/settings?saved=1');
  html = await res.text();
  assert.match(html, /notice--success[^>]*>Ihre Einstellungen wurden gespeichert\./);
  assert.match(html, /name="announcements" value="on" aria-describedby="n-announcements-hint" checked>/);
  assert.match(html, /name="appointments" value="on" aria-describedby="n-appointments-hint">/);
  assert.doesNotMatch(html, /name="board"/, 'no switch for a plugin that does not run');

  // A bad value from a hand-made form: the page again, with the error.
  const bad = new URLSearchParams([['csrf_token', r.csrf], ['appointments', 'vielleicht']]).toString();
  res = await r.fetch('/portal/settings', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base }, body: bad,
  });
  assert.equal(res.status, 422);
  html = await res.text();
  assert.match(html, /notice--error/);
  assert.match(html, /name="announcements" value="on" aria-describedby="n-announcements-hint" checked>/, 'the switches are shown again');

  // English, for an organisation that speaks it.
  stack.sql(`UPDATE orgs SET locale = 'en' WHERE id = ${manager.user.org_id}`);
  html = await (await r.fetch('/portal/settings')).text();
  stack.sql(`UPDATE orgs SET locale = 'de' WHERE id = ${manager.user.org_id}`);
  assert.match(html, /Email notifications/);
  assert.match(html, /Get emails about/);
  assert.match(html, /Appointments/);
});
