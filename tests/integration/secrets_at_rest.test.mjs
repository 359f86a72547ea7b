// No live token at rest (SECURITY.md; core/mail/outbox.c, core/features/cleanup.c):
// a mail that carries a secret link (activation, password reset, address
// confirmation, a property's invite link) is marked when queued and its
// bodies are cleared once it is sent or failed for good, keeping subject,
// recipient, kind and status; sent and failed mail is purged after
// mail_retention_days by the job "mail-retention". The proof is a dump of the
// stack's database taken once such mails were sent: it holds none of their
// tokens, while every one of them still works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startStack, waitFor, mailParts } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

let stack, m;
let counter = 0;
const unique = (prefix) => {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}@example.org`;
};

before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  m = await newManager(stack);
});
after(async () => {
  await stack?.stop();
});

const post = (p, body) => stack.fetch(p, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
});

// Every mail the sink got, decoded: [{to, text}].
const sunk = () => stack.mails().map((mail) => ({
  to: mail.headers.to || '',
  text: mailParts(mail).map((p) => p.text).join('\n'),
}));

// The links with a token in what the sink got: [{kind, token}], one per token.
const LINK = /\/(activate|password\/reset|confirm|join)\/([A-Za-z0-9_-]{43})\b/g;
function sunkLinks() {
  const seen = new Map();
  for (const { text } of sunk()) for (const [, kind, token] of text.matchAll(LINK)) seen.set(token, kind);
  return [...seen].map(([token, kind]) => ({ kind, token }));
}

// The page a live link opens answers 200; a dead one 404.
const pageOf = ({ kind, token }) => (kind === 'join' ? `/api/v1/join/${token}` : `/${kind}/${token}`);

// Waits until no mail waits in the outbox: every row sent (or failed).
const outboxDone = () => waitFor('the outbox to be sent', () => stack.sql("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").trim() === '0', 20000);

function dump() {
  const r = spawnSync(
    'mariadb-dump',
    [`--defaults-file=${path.join(stack.var, 'mariadb.cnf')}`, '-u', os.userInfo().username, '--single-transaction', 'portal'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /CREATE TABLE `outbox`/, 'a dump of the portal\'s tables');
  return r.stdout;
}

test('a dump after activation, reset, confirmation and invitation mails were sent holds no working token', async () => {
  // Activation: an organisation's first manager (portalctl) and an employee (POST /employees).
  const ctl = stack.portalctl('org', 'create', '--name', `Ruhende Verwaltung ${process.pid}`, '--admin-email', unique('erste'));
  assert.equal(ctl.status, 0, ctl.stderr);
  const employee = unique('kollege');
  assert.equal((await m.json('/api/v1/employees', { method: 'POST', body: { email: employee, name: 'Kollege' } })).status, 201);
  // Reset: for the manager.
  assert.equal((await post('/api/v1/password/forgot', { email: m.email })).status, 202);
  // Invitation with the property's link, and a sign-up's confirmation.
  const p = await newProperty(m, 'Tresorweg 1');
  const invited = unique('eingeladen');
  assert.equal((await m.json(`/api/v1/properties/${p.id}/invite/email`, { method: 'POST', body: { emails: [invited] } })).status, 200);
  const link = (await m.json(`/api/v1/properties/${p.id}/invite`)).body.url;
  const resident = unique('bewohnerin');
  const joined = await new Client(stack).json(`/api/v1/join/${/\/join\/(\S+)$/.exec(link)[1]}`, {
    method: 'POST', body: { display_name: 'Bea Bewohnerin', email: resident, password: 'Ein langer Satz als Passwort' },
  });
  assert.equal(joined.status, 201);
  // A mail without a secret keeps its text: an announcement to a resident.
  const reader = await newResident(stack, m, [p.id]);
  assert.equal((await m.json('/api/v1/announcements', { method: 'POST', body: { title: 'Heizung', body: 'Wartung am Freitag', property_ids: [p.id] } })).status, 201);

  await outboxDone();
  const links = await waitFor('every link in the sink', () => {
    const found = sunkLinks();
    const kinds = new Set(found.map((l) => l.kind));
    return ['activate', 'password/reset', 'confirm', 'join'].every((k) => kinds.has(k)) && found.length >= 5 && found;
  });
  // Every link but the first manager's activation (newManager redeemed it) still works.
  const live = [];
  for (const l of links) if ((await stack.fetch(pageOf(l))).status === 200) live.push(l);
  assert.ok(live.length >= 5, `live links: ${live.map((l) => l.kind).join(', ')}`);
  for (const kind of ['activate', 'password/reset', 'confirm', 'join']) assert.ok(live.some((l) => l.kind === kind), `a live ${kind} link`);

  const text = dump();
  for (const { kind, token } of links) assert.ok(!text.includes(token), `a ${kind} token in the dump`);
  for (const route of ['/activate/', '/password/reset/', '/confirm/', '/join/']) assert.ok(!text.includes(route), `a ${route} link in the dump`);

  // The rows stay, without their bodies: subject, recipient, kind and status.
  const rows = stack.sql(`SELECT kind, status, secret, LENGTH(body_text), LENGTH(body_html), subject <> '' FROM outbox WHERE to_addr IN ('${employee}', '${m.email}', '${invited}', '${resident}') ORDER BY id`)
    .trim().split('\n').map((l) => l.split('\t'));
  // m's own invitation (newManager redeemed it), the employee's, m's reset,
  // the resident invitation, the sign-up's confirmation.
  assert.deepEqual(rows.map((r) => r[0]), ['invitation', 'invitation', 'password_reset', 'invitation', 'confirm']);
  for (const r of rows) assert.deepEqual(r.slice(1), ['sent', '1', '0', '0', '1'], r[0]);
  const listed = await m.json('/api/v1/outbox?status=sent');
  const reset = listed.body.items.find((i) => i.kind === 'password_reset');
  assert.equal(reset.to, m.email);
  assert.ok(reset.subject.length > 0);
  const kept = stack.sql(`SELECT secret, body_text FROM outbox WHERE to_addr = '${reader.email}' AND kind = 'announcements'`);
  assert.match(kept, /^0\t.*Wartung am Freitag/s, 'a mail without a secret keeps its text');
});

test('a secret mail that fails for good keeps no text either', async () => {
  // Nothing listens on port 1: the first attempt fails, and is the last.
  stack.setConf({ smtp_url: 'smtp://127.0.0.1:1', mail_max_attempts: 1 });
  await stack.reload();
  const email = unique('verloren');
  try {
    const r = stack.portalctl('org', 'create', '--name', `Verlorene Post ${process.pid}`, '--admin-email', email);
    assert.equal(r.status, 0, r.stderr);
    const token = /activation: \S+\/activate\/(\S+)/.exec(r.stdout)[1];
    const row = await waitFor('the mail to fail', () => {
      const out = stack.sql(`SELECT status, LENGTH(body_text), LENGTH(body_html), kind FROM outbox WHERE to_addr = '${email}'`).trim();
      return out.startsWith('failed') && out.split('\t');
    }, 20000);
    assert.deepEqual(row, ['failed', '0', '0', 'invitation']);
    assert.ok(!dump().includes(token));
  } finally {
    stack.setConf({ smtp_url: `smtp://127.0.0.1:${stack.smtpPort}`, mail_max_attempts: 8 });
    await stack.reload();
  }
});

test('the job mail-retention purges sent and failed mail after mail_retention_days, and old quota counts', async () => {
  const to = unique('alt');
  const org = m.user.org_id;
  const insert = (status, sentDaysAgo, createdDaysAgo) => Number(stack.sql(
    `INSERT INTO outbox (org_id, to_addr, subject, body_text, body_html, kind, status, message_id, next_attempt_at, created_at, sent_at)
     VALUES (${org}, '${to}', 'Alt', 'Text', '<p>Text</p>', 'test', '${status}', CONCAT(UUID(), '@localhost'), UTC_TIMESTAMP(),
             UTC_TIMESTAMP() - INTERVAL ${createdDaysAgo} DAY, ${sentDaysAgo === null ? 'NULL' : `UTC_TIMESTAMP() - INTERVAL ${sentDaysAgo} DAY`});
     SELECT LAST_INSERT_ID();`,
  ).trim());
  const ids = {
    sent31: insert('sent', 31, 31),
    sent29: insert('sent', 29, 29),
    sentRecently: insert('sent', 6, 6),
    failed31: insert('failed', null, 31),
    queued40: insert('queued', null, 40), // not sent yet: never purged
  };
  stack.sql(`INSERT INTO mail_quota_events (org_id, user_id, mails, at) VALUES
    (${org}, NULL, 1, UTC_TIMESTAMP() - INTERVAL 25 HOUR), (${org}, NULL, 2, UTC_TIMESTAMP() - INTERVAL 23 HOUR)`);
  const left = () => stack.sql(`SELECT id FROM outbox WHERE to_addr = '${to}' ORDER BY id`).trim().split('\n').filter(Boolean).map(Number);
  const counts = () => stack.sql(`SELECT mails FROM mail_quota_events WHERE org_id = ${org} AND user_id IS NULL ORDER BY id`).trim();

  const run = stack.portalctl('jobs', 'run', 'mail-retention');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^job mail-retention: ok/);
  assert.deepEqual(left(), [ids.sent29, ids.sentRecently, ids.queued40], 'the default keeps 30 days');
  assert.equal(counts(), '2', 'quota counts go after a day');

  stack.setConf({ mail_retention_days: 5 });
  try {
    assert.equal(stack.portalctl('jobs', 'run', 'mail-retention').status, 0);
    assert.deepEqual(left(), [ids.queued40], 'a setting of 5 days');
  } finally {
    stack.withoutConf('mail_retention_days');
  }
  assert.match(stack.portalctl('jobs', 'list').stdout, /^mail-retention\s+every 1h\s+ok/m);
});

test('no request of this file failed inside the pool, nor any template', () => {
  const log = stack.log();
  assert.doesNotMatch(log, / 5\d\d \d+ms worker=/, 'a 5xx answer');
  assert.doesNotMatch(log, /template/i, 'a template failed');
});
