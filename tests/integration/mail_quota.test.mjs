// Mail quotas (core/mail/quota.c): the mail a manager sends to addresses that
// are not yet residents (a property's email invitations, employee
// invitations) is limited per organisation and per manager, per hour and per
// day (mail_quota_* in portal.conf; defaults 500 and 2,000 for the
// organisation), counted in MariaDB so that every worker and host shares the
// count. Past a quota the request is 429 with a message that says why and
// that nothing was sent, and sends none of its mails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, waitFor, mailParts } from './stack.mjs';
import { Client, newManager, newProperty } from './client.mjs';

const LIMITS = ['mail_quota_org_hour', 'mail_quota_org_day', 'mail_quota_user_hour', 'mail_quota_user_day'];
let stack;
let counter = 0;

before(async () => {
  stack = await startStack({ plugins: 'example invites', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
});
after(async () => {
  await stack?.stop();
});

// Quotas for one test; the others generous (the defaults when none is given).
async function quotas(settings) {
  for (const key of LIMITS) {
    if (key in settings) stack.setConf({ [key]: settings[key] });
    else stack.withoutConf(key);
  }
  await stack.reload();
}

// n fresh addresses.
const addresses = (n) => Array.from({ length: n }, () => {
  counter += 1;
  return `quote-${process.pid}-${counter}@example.org`;
});

const invite = (client, propertyId, emails) =>
  client.json(`/api/v1/properties/${propertyId}/invite/email`, { method: 'POST', body: { emails } });

// The invitations queued to this file's addresses (not the first manager's, from portalctl).
const invitations = (orgId) => Number(stack.sql(`SELECT COUNT(*) FROM outbox WHERE org_id = ${orgId} AND kind = 'invitation' AND to_addr LIKE 'quote-%'`).trim());

function assertRefused(res, pattern) {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'rate_limited');
  assert.match(res.body.error.message, pattern);
  assert.match(res.body.error.message, /Es wurde keine E-Mail verschickt\./);
}

// A second manager of client's organisation, through the invitation mail.
async function colleague(admin) {
  const [email] = addresses(1);
  assert.equal((await admin.json('/api/v1/employees', { method: 'POST', body: { email, name: 'Kollegin' } })).status, 201);
  const [mail] = await stack.waitForMail((m) => (m.headers.to || '').includes(email));
  const token = /\/activate\/([A-Za-z0-9_-]{43})/.exec(mailParts(mail).map((p) => p.text).join('\n'))[1];
  const client = new Client(stack);
  const res = await client.json('/api/v1/activate', { method: 'POST', body: { token, password: 'Kollegin Passwort 123' } });
  assert.equal(res.status, 200);
  client.csrf = res.body.csrf_token;
  client.user = res.body.user;
  return client;
}

test('past the organisation\'s hourly quota: 429, none of the request\'s mails, and why, in German and English', async () => {
  await quotas({ mail_quota_org_hour: 5 });
  const m = await newManager(stack);
  const p = await newProperty(m, 'Kontingentweg 1');
  const org = m.user.org_id;

  assert.deepEqual((await invite(m, p.id, addresses(3))).body, { sent: 3, invalid: [] });
  const refused = await invite(m, p.id, addresses(3));
  assertRefused(refused, /Ihre Organisation mehr verschicken, als in einer Stunde erlaubt ist/);
  assert.match(refused.body.error.message, /Bitte versuchen Sie es in \d+ Minuten erneut\./);
  const wait = Number(refused.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 3600, `Retry-After ${refused.headers.get('retry-after')}`);
  assert.equal(invitations(org), 3, 'all or nothing: none of the three');
  assert.deepEqual((await invite(m, p.id, addresses(2))).body, { sent: 2, invalid: [] }, 'what fits passes');
  assertRefused(await invite(m, p.id, addresses(1)), /als in einer Stunde erlaubt ist/);

  // An employee's invitation is such a mail too: refused, nothing written.
  const [employee] = addresses(1);
  const hired = await m.json('/api/v1/employees', { method: 'POST', body: { email: employee, name: 'Neu' } });
  assertRefused(hired, /Organisation/);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${employee}'`).trim(), '0', 'no account without its mail');

  // The page shows the form again with the reason and what was typed.
  const [typed] = addresses(1);
  const page = await m.fetch(`/app/properties/${p.id}/invite/email`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams({ csrf_token: m.csrf, emails: typed, message: 'Hallo' }).toString(),
  });
  assert.equal(page.status, 429);
  const html = await page.text();
  assert.match(html, /role="alert"/);
  assert.match(html, /Es wurde keine E-Mail verschickt\./);
  assert.ok(html.includes(typed), 'the addresses are still there');

  // In the organisation's language.
  assert.equal((await m.json('/api/v1/org', { method: 'PATCH', body: { locale: 'en' } })).status, 200);
  const english = await invite(m, p.id, addresses(1));
  assert.equal(english.status, 429);
  assert.match(english.body.error.message, /These emails would take your organisation past what it may send in an hour\. No email was sent\. Please try again in \d+ minutes\./);
  assert.equal(invitations(org), 5);
});

test('per manager: one manager\'s quota leaves the colleagues theirs; the organisation\'s binds them all', async () => {
  await quotas({ mail_quota_user_hour: 3, mail_quota_org_hour: 5 });
  const a = await newManager(stack);
  const b = await colleague(a); // a's first mail
  const p = await newProperty(a, 'Zweierweg 2');
  assert.equal((await invite(a, p.id, addresses(2))).status, 200);
  const refused = await invite(a, p.id, addresses(1));
  assertRefused(refused, /Mit diesen E-Mails würden Sie mehr verschicken, als Ihnen in einer Stunde erlaubt ist/);
  assert.equal((await invite(b, p.id, addresses(2))).status, 200, 'the colleague has a quota of their own');
  assertRefused(await invite(b, p.id, addresses(1)), /Ihre Organisation/);
  assert.equal(invitations(a.user.org_id), 5);
});

test('the day counts too, and what left the window counts no more', async () => {
  await quotas({ mail_quota_org_day: 10 });
  const m = await newManager(stack);
  const p = await newProperty(m, 'Tagesweg 3');
  const org = m.user.org_id;
  stack.sql(`INSERT INTO mail_quota_events (org_id, user_id, mails, at) VALUES
    (${org}, NULL, 8, UTC_TIMESTAMP() - INTERVAL 3 HOUR),
    (${org}, NULL, 50, UTC_TIMESTAMP() - INTERVAL 25 HOUR)`);
  assert.equal((await invite(m, p.id, addresses(2))).status, 200, '8 in the day, 2 more fit');
  const refused = await invite(m, p.id, addresses(1));
  assertRefused(refused, /Ihre Organisation mehr verschicken, als in 24 Stunden erlaubt ist/);
  // The 8 of three hours ago must leave the window: in about 21 hours.
  const wait = Number(refused.headers.get('retry-after'));
  assert.ok(wait > 20 * 3600 && wait <= 21 * 3600, `Retry-After ${wait}`);

  // A manager's own day.
  await quotas({ mail_quota_user_day: 12 });
  const other = await newManager(stack);
  const q = await newProperty(other, 'Tagesweg 4');
  stack.sql(`INSERT INTO mail_quota_events (org_id, user_id, mails, at) VALUES (${other.user.org_id}, ${other.user.id}, 12, UTC_TIMESTAMP() - INTERVAL 2 HOUR)`);
  assertRefused(await invite(other, q.id, addresses(1)), /Sie mehr verschicken, als Ihnen in 24 Stunden erlaubt ist/);
});

test('more mails at once than a quota allows: 429 without Retry-After', async () => {
  await quotas({ mail_quota_org_hour: 5 });
  const m = await newManager(stack);
  const p = await newProperty(m, 'Großweg 5');
  const res = await invite(m, p.id, addresses(6));
  assertRefused(res, /So viele E-Mails auf einmal erlaubt das Kontingent nicht/);
  assert.equal(res.headers.get('retry-after'), null, 'waiting would not help');
  assert.equal(invitations(m.user.org_id), 0);
});

test('parallel requests on every worker never pass a quota together: the count is in MariaDB', async () => {
  await quotas({ mail_quota_org_hour: 5 });
  const m = await newManager(stack);
  const p = await newProperty(m, 'Parallelweg 6');
  // Ten requests of one mail each: five pass.
  const ones = await Promise.all(Array.from({ length: 10 }, () => invite(m, p.id, addresses(1))));
  assert.deepEqual(ones.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
  assert.equal(invitations(m.user.org_id), 5);

  // Three requests of three mails each with room for five: one passes, whole.
  const n = await newManager(stack);
  const q = await newProperty(n, 'Parallelweg 7');
  const threes = await Promise.all(Array.from({ length: 3 }, () => invite(n, q.id, addresses(3))));
  assert.deepEqual(threes.map((r) => r.status).sort(), [200, 429, 429]);
  assert.equal(invitations(n.user.org_id), 3);
  assert.equal(stack.sql(`SELECT SUM(mails) FROM mail_quota_events WHERE org_id = ${n.user.org_id}`).trim(), '3');
});

test('the defaults: 500 an hour for an organisation, in one request or several', async () => {
  await quotas({});
  const m = await newManager(stack);
  const p = await newProperty(m, 'Standardweg 8');
  const all = await invite(m, p.id, addresses(500));
  assert.equal(all.status, 200);
  assert.equal(all.body.sent, 500);
  assert.equal((await invite(m, p.id, addresses(1))).status, 429);
  assert.equal(invitations(m.user.org_id), 500);
  await waitFor('the outbox to be sent', () => stack.sql("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").trim() === '0', 60000);
});

test('no request of this file failed inside the pool, nor any template', () => {
  const log = stack.log();
  assert.doesNotMatch(log, / 5\d\d \d+ms worker=/, 'a 5xx answer');
  assert.doesNotMatch(log, /template/i, 'a template failed');
});
