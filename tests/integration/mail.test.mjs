// The outbox end to end: portal_mail (through the test plugin "mailer") writes
// rows in the request's transaction, the jobs worker sends them to the SMTP
// sink with retries and back-off, two pools on one database never send a mail
// twice, and GET /api/v1/outbox lists an organisation's mails to its admins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startStack, isAlive, sleep, waitFor, decodeWords, decodeQP } from './stack.mjs';

let stack;
let shareDir;
let pluginDir;

// The settings this file runs with; stack.startAgain() rewrites portal.conf,
// so they are written again after it.
const RETRY_SECONDS = 1;
const MAX_ATTEMPTS = 4; // waits of 1, 2 and 4 s: 'failed' about 7 s after the first try

function ourConf() {
  stack.setConf({
    plugin_dir: pluginDir,
    plugin_share: shareDir,
    plugins: 'mailer',
    mail_retry_seconds: RETRY_SECONDS,
    mail_max_attempts: MAX_ATTEMPTS,
  });
}

before(async () => {
  stack = await startStack({ workers: 2 });
  ({ pluginDir, shareDir } = stack.testPlugins(['mailer']));
  // The plugin's share folder: its mail templates and the subject's catalog entry.
  mkdirSync(`${shareDir}/mailer/templates/mail`, { recursive: true });
  mkdirSync(`${shareDir}/mailer/locale`, { recursive: true });
  writeFileSync(`${shareDir}/mailer/templates/mail/hello.txt`,
    '{{! plain text: nothing is escaped }}\n' +
    'Hallo {{name}},\n\nNachricht {{number}}.\n\n{{@mailer.line}}\n' +
    'Einstellungen: {{settings_url}}\nPortal: {{base_url}}\n');
  writeFileSync(`${shareDir}/mailer/templates/mail/hello.html`,
    '<p>Hallo {{name}},</p>\n<p>Nachricht {{number}}.</p>\n<p>{{@mailer.line}}</p>\n' +
    '<p><a href="{{settings_url}}">Einstellungen</a></p>\n');
  writeFileSync(`${shareDir}/mailer/locale/de.txt`,
    'mailer.subject = Grüße für {{name}} – Ihre Nachricht {{number}}\n' +
    'mailer.line = Straße & Söhne <GmbH>\n');
  writeFileSync(`${shareDir}/mailer/locale/en.txt`,
    'mailer.subject = Greetings for {{name}}, message {{number}}\n' +
    'mailer.line = Street & Sons <Ltd>\n');
  ourConf();
  await stack.reload();
});

after(async () => { await stack?.stop(); });

async function send(body) {
  const res = await stack.fetch('/api/v1/mailer/send', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// A recipient no other test uses.
let counter = 0;
function recipient(tag) {
  counter += 1;
  return `${tag}-${counter}-${crypto.randomBytes(3).toString('hex')}@example.org`;
}

// RFC 2047 encoded words (stack.mjs), each of them UTF-8.
const words = (value) => decodeWords(value, { charset: 'UTF-8' });

// The parts of a multipart mail: [{type, encoding, text}].
function parts(mail) {
  const m = /boundary="([^"]+)"/.exec(mail.headers['content-type'] || '');
  assert.ok(m, `no boundary in ${mail.headers['content-type']}`);
  const body = mail.body.replace(/\r\n/g, '\n');
  const chunks = body.split(`--${m[1]}`);
  assert.match(chunks[chunks.length - 1], /^--\s*$/, 'the closing boundary ends the body');
  return chunks.slice(1, -1).map((chunk) => {
    const cut = chunk.indexOf('\n\n');
    const head = chunk.slice(0, cut);
    const content = chunk.slice(cut + 2).replace(/\n$/, '');
    const type = /Content-Type: ([^;\n]+)/i.exec(head)[1];
    const encoding = /Content-Transfer-Encoding: (\S+)/i.exec(head)[1];
    assert.equal(encoding, 'quoted-printable');
    assert.match(head, /charset=UTF-8/i);
    return { type, text: decodeQP(content) };
  });
}

function mailsTo(addr) {
  return stack.mails().filter((m) => (m.headers['x-rcptto'] || m.headers.to || '').includes(addr));
}

function outboxRow(addr) {
  const out = stack.sql(`SELECT id, status, attempts, IFNULL(last_error, ''), message_id, IFNULL(sent_at, '') FROM outbox WHERE to_addr = '${addr}' ORDER BY id`);
  return out.trim().split('\n').filter(Boolean).map((l) => {
    const [id, status, attempts, lastError, messageId, sentAt] = l.split('\t');
    return { id: Number(id), status, attempts: Number(attempts), lastError, messageId, sentAt };
  });
}

function smtpUp() {
  const pid = stack.pidOf('smtp');
  return pid !== null && isAlive(pid);
}

async function stopSink() {
  const pid = stack.pidOf('smtp');
  assert.ok(pid && isAlive(pid), 'the sink runs');
  process.kill(pid, 'SIGTERM');
  await waitFor('the sink to stop', () => !isAlive(pid), 10000);
}

function startSink() {
  stack.startAgain();
  ourConf(); // startAgain wrote portal.conf anew
  assert.ok(smtpUp());
}

test('a queued mail reaches the sink: encoded-word subject, Date, Message-ID, both parts', async () => {
  const to = recipient('joerg');
  const started = Date.now();
  const res = await send({ to, name: 'Jörg Müller <b>&', locale: 'de' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.queued, 1);
  const [mail] = await stack.waitForMail((m) => (m.headers['x-rcptto'] || '').includes(to));
  const h = mail.headers;

  // Subject: encoded words only (umlauts and a dash), each at most 75 characters.
  const rawSubject = /^Subject:(.*(?:\n[ \t].*)*)/m.exec(mail.raw.replace(/\r\n/g, '\n'))[1];
  for (const word of rawSubject.trim().split(/\s+/)) {
    assert.match(word, /^=\?UTF-8\?[BQ]\?[^?]*\?=$/i);
    assert.ok(word.length <= 75, `encoded word of ${word.length} characters`);
  }
  assert.equal(words(h.subject), 'Grüße für Jörg Müller <b>& – Ihre Nachricht 1');
  // The display name is an encoded word too; the address is the recipient alone.
  assert.match(h.to, new RegExp(`<${to.replace(/[.]/g, '\\.')}>$`));
  assert.equal(words(h.to.replace(/\s*<[^>]+>$/, '')), 'Jörg Müller <b>&');
  assert.equal(h['x-rcptto'], to);
  assert.equal(h.from, 'portal@localhost');
  assert.equal(h['mime-version'], '1.0');
  assert.equal(h['auto-submitted'], 'auto-generated');

  // Date: RFC 5322 in UTC, about now.
  assert.match(h.date, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  const date = Date.parse(h.date);
  assert.ok(Math.abs(date - started) < 60000, `Date ${h.date} is not about now`);

  // Message-ID: random, at the host of base_url, the one stored in the outbox.
  assert.match(h['message-id'], /^<[0-9a-f]{32}@127\.0\.0\.1>$/);
  const [row] = outboxRow(to);
  assert.equal(`<${row.messageId}>`, h['message-id']);
  assert.equal(row.status, 'sent');
  assert.equal(row.attempts, 1);
  assert.notEqual(row.sentAt, '');

  // Both parts, UTF-8 and quoted-printable: text unescaped, HTML escaped.
  assert.match(h['content-type'], /^multipart\/alternative;/);
  const [text, html] = parts(mail);
  assert.equal(text.type, 'text/plain');
  assert.equal(html.type, 'text/html');
  assert.match(text.text, /^Hallo Jörg Müller <b>&,\r?\n/);
  assert.match(text.text, /Straße & Söhne <GmbH>/);
  assert.match(text.text, new RegExp(`Einstellungen: ${stack.base}/portal/settings`));
  assert.match(text.text, new RegExp(`Portal: ${stack.base}\\r?\\n`));
  assert.match(html.text, /<p>Hallo Jörg Müller &lt;b&gt;&amp;,<\/p>/);
  assert.match(html.text, /Straße &amp; Söhne &lt;GmbH&gt;/);
  assert.match(html.text, new RegExp(`<a href="${stack.base}/portal/settings">`));
  // Every line of the message as sent is short (the sink stores it as it came).
  for (const line of mail.raw.split(/\r?\n/)) assert.ok(line.length <= 998);
});

test('the recipient\'s language chooses the texts', async () => {
  const to = recipient('en');
  assert.equal((await send({ to, name: 'Ann', locale: 'en' })).status, 200);
  const [mail] = await stack.waitForMail((m) => (m.headers['x-rcptto'] || '').includes(to));
  assert.equal(words(mail.headers.subject), 'Greetings for Ann, message 1');
  assert.match(parts(mail)[0].text, /Street & Sons <Ltd>/);
});

test('CR and LF in the name add no header and no recipient', async () => {
  const to = recipient('crlf');
  const name = 'Eve\r\nBcc: victim@example.org\r\nX-Injected: 1';
  assert.equal((await send({ to, name, locale: 'de' })).status, 200);
  const [mail] = await stack.waitForMail((m) => (m.headers['x-rcptto'] || '').includes(to));
  assert.equal(mail.headers['x-rcptto'], to, 'exactly one recipient');
  assert.equal(mail.headers.bcc, undefined);
  assert.equal(mail.headers['x-injected'], undefined);
  assert.ok(!/^(Bcc|X-Injected):/im.test(mail.raw.split(/\r?\n\r?\n/)[0]));
  assert.ok(!words(mail.headers.subject).includes('\n'));
  assert.equal(mailsTo('victim@example.org').length, 0);
});

test('an unusable address is a 422 on "email", and nothing is queued', async () => {
  const long = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(10)}.de`;
  assert.ok(long.length > 254);
  const bad = [
    'x@example.org\r\nBcc: victim@example.org',
    'x@example.org\nBcc: victim@example.org',
    'x@example.org, victim@example.org',
    'x@example.org;victim@example.org',
    'x y@example.org',
    'no-at-sign',
    'Eve <x@example.org>',
    long,
    '',
  ];
  const before = stack.sql('SELECT COUNT(*) FROM outbox').trim();
  for (const to of bad) {
    const res = await send({ to, name: 'x', locale: 'de' });
    assert.equal(res.status, 422, `${JSON.stringify(to)}: ${res.status}`);
    assert.equal(res.body.error.code, 'validation');
    assert.equal(res.body.error.field, 'email');
  }
  assert.equal(stack.sql('SELECT COUNT(*) FROM outbox').trim(), before);
});

test('a mail of a rolled-back transaction is never queued nor sent', async () => {
  const to = recipient('rollback');
  const res = await send({ to, name: 'x', rollback: true });
  assert.equal(res.status, 200);
  assert.equal(res.body.queued, 0);
  assert.deepEqual(outboxRow(to), []);
  await sleep(2000);
  assert.equal(mailsTo(to).length, 0);
});

test('with the sink down a mail waits with its error, and arrives once it is back', async () => {
  await stopSink();
  try {
    const to = recipient('outage');
    assert.equal((await send({ to, name: 'Wartende', locale: 'de' })).status, 200);
    const [row] = await waitFor('a failed attempt', () => {
      const rows = outboxRow(to);
      return rows.length && rows[0].attempts > 0 ? rows : null;
    });
    assert.equal(row.status, 'queued');
    assert.ok(row.lastError.length > 0 && row.lastError.length <= 200, row.lastError);
    assert.ok(!/password|smtp:\/\//i.test(row.lastError), row.lastError);
    // The back-off is in the future, at most an hour.
    const wait = Number(stack.sql(`SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), next_attempt_at) FROM outbox WHERE id = ${row.id}`).trim());
    assert.ok(wait >= -1 && wait <= 3600, `next attempt in ${wait} s`);
    assert.equal(mailsTo(to).length, 0);
    assert.match(stack.log(), new RegExp(`outbox: mail ${row.id}: attempt 1 failed`));
    startSink();
    const mails = await stack.waitForMail((m) => (m.headers['x-rcptto'] || '').includes(to));
    assert.equal(mails.length, 1);
    const [sent] = await waitFor('the row marked sent', () => {
      const rows = outboxRow(to);
      return rows[0].status === 'sent' ? rows : null;
    });
    assert.ok(sent.attempts >= 2);
    await sleep(1500);
    assert.equal(mailsTo(to).length, 1, 'sent once');
  } finally {
    if (!smtpUp()) startSink();
  }
});

test('after mail_max_attempts with the sink down a mail is failed, and never sent', async () => {
  await stopSink();
  const to = recipient('failed');
  try {
    assert.equal((await send({ to, name: 'Pech', locale: 'de' })).status, 200);
    const [row] = await waitFor('the mail to fail', () => {
      const rows = outboxRow(to);
      return rows.length && rows[0].status === 'failed' ? rows : null;
    }, 30000);
    assert.equal(row.attempts, MAX_ATTEMPTS);
    assert.ok(row.lastError.length > 0);
    assert.match(stack.log(), new RegExp(`outbox: mail ${row.id} failed for good after ${MAX_ATTEMPTS} attempts`));
  } finally {
    startSink();
  }
  await sleep(3000);
  assert.equal(mailsTo(to).length, 0);
  assert.equal(outboxRow(to)[0].status, 'failed');
});

// A TCP proxy in front of the sink, at a port of its own: wire(client,
// upstream) passes the bytes on as the test wants.
function smtpProxy(targetPort, wire) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => { client.destroy(); upstream.destroy(); };
    wire(client, upstream);
    for (const s of [client, upstream]) {
      s.on('error', drop);
      s.on('close', () => sockets.delete(s));
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      close: () => new Promise((done) => {
        for (const s of sockets) s.destroy();
        server.close(done);
      }),
    }));
  });
}

// A proxy that holds back each of the sink's answers for delay ms, so that
// sending a batch takes seconds and the two jobs workers below are certain to
// look for due mail while the other is sending.
function slowProxy(targetPort, delay) {
  return smtpProxy(targetPort, (client, upstream) => {
    // Timers of one delay fire in order: the answers keep theirs.
    upstream.on('data', (d) => setTimeout(() => client.write(d), delay));
    upstream.on('end', () => setTimeout(() => client.end(), delay + 1));
    client.on('data', (d) => upstream.write(d));
    client.on('end', () => upstream.end());
  });
}

test('two pools on one database send each of 30 mails exactly once', async (t) => {
  // Both pools send through the slow proxy: a batch of ten then takes about
  // three seconds, three times the jobs workers' polling period.
  const proxy = await slowProxy(stack.smtpPort, 40);
  stack.setConf({ smtp_url: `smtp://127.0.0.1:${proxy.port}` });
  await stack.reload();
  // A second portald (master, workers and its own jobs worker) with a copy of
  // the configuration: its own socket and pid file, the same database.
  let second;
  try {
    second = await stack.startSecondPool();
    assert.ok(isAlive(second.pid), `the second pool died: ${second.log()}`);
    const to = recipient('pools');
    const res = await send({ to, name: 'Pool', locale: 'de', count: 30 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await waitFor('30 mails', () => mailsTo(to).length >= 30, 60000);
    await sleep(3000); // a duplicate would come now
    const mails = mailsTo(to);
    const ids = mails.map((m) => m.headers['message-id']);
    const unique = new Set(ids);
    assert.equal(unique.size, 30, 'thirty different Message-IDs');
    assert.equal(ids.length, 30, `no Message-ID twice: ${ids.length} mails`);
    const rows = outboxRow(to);
    assert.equal(rows.length, 30);
    assert.ok(rows.every((r) => r.status === 'sent' && r.attempts === 1),
      JSON.stringify(rows.filter((r) => r.status !== 'sent' || r.attempts !== 1)));
    assert.deepEqual([...unique].sort(), rows.map((r) => `<${r.messageId}>`).sort());
    const sentIn = (log) => rows.filter((r) => new RegExp(`outbox: mail ${r.id} sent`).test(log)).length;
    const byFirst = sentIn(stack.log());
    const bySecond = sentIn(second.log());
    t.diagnostic(`sent by the first pool: ${byFirst}, by the second: ${bySecond}`);
    assert.equal(byFirst + bySecond, 30, 'each mail sent by exactly one pool');
    // Both took part: the test did make them compete for the same rows.
    assert.ok(byFirst > 0 && bySecond > 0, `${byFirst} + ${bySecond}`);
  } finally {
    await second?.stop();
    ourConf();
    stack.setConf({ smtp_url: `smtp://127.0.0.1:${stack.smtpPort}` });
    await stack.reload();
    await proxy.close();
  }
});

// A proxy that holds back the client's QUIT until hold() resolves (called
// with nothing): what the client had done by then.
function quitHoldingProxy(targetPort, hold) {
  return smtpProxy(targetPort, (client, upstream) => {
    upstream.on('data', (d) => client.write(d));
    upstream.on('end', () => client.end());
    client.on('data', async (d) => {
      if (/^QUIT\r\n/m.test(d.toString('latin1'))) await hold();
      upstream.write(d);
    });
    client.on('end', () => upstream.end());
  });
}

test('a mail is marked sent as soon as the server accepted it, before QUIT: a worker dying after the answer sends it again only then', async () => {
  const to = recipient('quit');
  const states = [];
  // While the jobs worker's QUIT is held, the row is read (up to 10 s for it
  // to turn 'sent'): marking it only after QUIT would leave it 'queued' here.
  const proxy = await quitHoldingProxy(stack.smtpPort, async () => {
    const end = Date.now() + 10000;
    while (Date.now() < end && outboxRow(to)[0]?.status !== 'sent') await sleep(50);
    states.push(outboxRow(to)[0]?.status);
  });
  stack.setConf({ smtp_url: `smtp://127.0.0.1:${proxy.port}` });
  await stack.reload();
  try {
    const res = await send({ to, name: 'Quit', locale: 'de', count: 1 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await waitFor('the QUIT', () => states.length > 0, 30000);
    assert.deepEqual(states, ['sent'], 'marked between the 250 to DATA and QUIT');
    await waitFor('the mail', () => mailsTo(to).length > 0);
    assert.equal(mailsTo(to).length, 1);
  } finally {
    ourConf();
    stack.setConf({ smtp_url: `smtp://127.0.0.1:${stack.smtpPort}` });
    await stack.reload();
    await proxy.close();
  }
});

// A mark that fails as a cluster's conflict does (error 1213, what a node
// rejoining or another node's commit gives): the jobs worker tries it again
// while the lease (two minutes) holds, so the mail is marked sent and not
// sent a second time after the lease.
test('a mark that fails after the server accepted the mail is tried again: the mail is sent once', async () => {
  const to = recipient('mark');
  stack.sql(`CREATE TABLE mark_fails (n INT NOT NULL PRIMARY KEY);
    INSERT INTO mark_fails VALUES (1);
    DELIMITER //
    CREATE TRIGGER outbox_mark_fails BEFORE UPDATE ON outbox FOR EACH ROW
      IF NEW.status = 'sent' AND OLD.status = 'queued' AND NEW.to_addr = '${to}' AND EXISTS (SELECT 1 FROM mark_fails) THEN
        SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'a conflict';
      END IF //
    DELIMITER ;`);
  try {
    const res = await send({ to, name: 'Mark', locale: 'de', count: 1 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await waitFor('the mail in the sink', () => mailsTo(to).length > 0, 30000);
    await waitFor('a failed mark', () => /outbox: mail \d+ was sent, its mark failed \(503\); trying again/.test(stack.log()), 30000);
    assert.equal(outboxRow(to)[0].status, 'queued');
    stack.sql('DELETE FROM mark_fails');
    await waitFor('the mark', () => outboxRow(to)[0].status === 'sent', 30000);
    assert.equal(mailsTo(to).length, 1);
    assert.doesNotMatch(stack.log(), /was sent but not marked/);
  } finally {
    stack.sql('DROP TRIGGER IF EXISTS outbox_mark_fails; DROP TABLE IF EXISTS mark_fails');
  }
});

// Accounts made directly in the database (the sign-in routes are not under
// test here): an organisation, its people and their sessions.
function sqlValue(query) {
  return stack.sql(query).trim().split('\n').pop();
}

function newOrg(name) {
  return Number(sqlValue(`INSERT INTO orgs (name, created_at) VALUES ('${name}', UTC_TIMESTAMP()); SELECT LAST_INSERT_ID();`));
}

// A user of org with a session: the Cookie header to send.
function signedIn(org, role, admin) {
  const email = `${role}-${crypto.randomBytes(4).toString('hex')}@example.org`;
  const user = Number(sqlValue(
    `INSERT INTO users (org_id, role, email, name, admin, created_at) VALUES (${org}, '${role}', '${email}', 'Test', ${admin ? 1 : 0}, UTC_TIMESTAMP()); SELECT LAST_INSERT_ID();`));
  const token = crypto.randomBytes(32).toString('base64url');
  const csrf = crypto.randomBytes(32).toString('base64url');
  stack.sql(`INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (UNHEX(SHA2('${token}', 256)), ${user}, '${csrf}', UTC_TIMESTAMP(), UTC_TIMESTAMP())`);
  return `session=${token}`;
}

async function outbox(cookie, query = '') {
  const res = await stack.fetch(`/api/v1/outbox${query}`, { headers: cookie ? { Cookie: cookie } : {} });
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  return { status: res.status, body: await res.json() };
}

test('GET /api/v1/outbox lists the organisation\'s mails to its admins, newest first, in pages', async () => {
  const orgA = newOrg('HV Outbox A');
  const orgB = newOrg('HV Outbox B');
  const adminA = signedIn(orgA, 'manager', true);
  const managerA = signedIn(orgA, 'manager', false);
  const residentA = signedIn(orgA, 'resident', false);
  const adminB = signedIn(orgB, 'manager', true);
  const toA = recipient('org-a');
  const toB = recipient('org-b');
  assert.equal((await send({ to: toA, name: 'Anna', locale: 'de', org_id: orgA, count: 5 })).status, 200);
  assert.equal((await send({ to: toB, name: 'Bert', locale: 'de', org_id: orgB, count: 2 })).status, 200);
  assert.equal((await send({ to: recipient('no-org'), name: 'Niemand', locale: 'de' })).status, 200);
  await waitFor('the mails to be sent', () => outboxRow(toA).every((r) => r.status === 'sent') && outboxRow(toB).every((r) => r.status === 'sent'));
  const rowsA = outboxRow(toA);
  stack.sql(`UPDATE outbox SET status = 'failed', last_error = 'test' WHERE id = ${rowsA[1].id}`);

  const all = await outbox(adminA);
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.equal(all.body.next, null);
  assert.deepEqual(all.body.items.map((i) => i.id), rowsA.map((r) => r.id).reverse());
  const item = all.body.items[0];
  assert.deepEqual(Object.keys(item), ['id', 'to', 'subject', 'kind', 'status', 'attempts', 'last_error', 'created_at', 'sent_at']);
  assert.equal(item.to, toA);
  assert.equal(item.subject, 'Grüße für Anna – Ihre Nachricht 5');
  assert.equal(item.kind, 'test');
  assert.equal(item.status, 'sent');
  assert.equal(item.attempts, 1);
  assert.equal(item.last_error, null);
  assert.match(item.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.match(item.sent_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

  // Pages of two, through the cursor, give the same list.
  const seen = [];
  let next = null;
  let pages = 0;
  do {
    const page = await outbox(adminA, `?limit=2${next ? `&after=${encodeURIComponent(next)}` : ''}`);
    assert.equal(page.status, 200);
    assert.ok(page.body.items.length <= 2);
    seen.push(...page.body.items.map((i) => i.id));
    next = page.body.next;
    pages += 1;
  } while (next !== null && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(seen, all.body.items.map((i) => i.id));

  const failed = await outbox(adminA, '?status=failed');
  assert.deepEqual(failed.body.items.map((i) => [i.id, i.status, i.last_error]), [[rowsA[1].id, 'failed', 'test']]);
  assert.equal((await outbox(adminA, '?status=sent')).body.items.length, 4);
  assert.equal((await outbox(adminA, '?status=queued')).body.items.length, 0);
  assert.equal((await outbox(adminA, '?limit=1000')).status, 200); // clamped, not refused
  assert.equal((await outbox(adminA, '?limit=123456789012345678901234')).body.items.length, 5);

  // Another organisation's mails are not there, and its admin sees only its own.
  const b = await outbox(adminB);
  assert.deepEqual(b.body.items.map((i) => i.to), [toB, toB]);

  for (const q of ['?after=abc', '?after=0', '?after=-1', '?after=1.5', '?after=', '?limit=0', '?limit=x',
    '?limit=-5', '?after=99999999999999999999999']) {
    const r = await outbox(adminA, q);
    assert.equal(r.status, 400, `${q}: ${r.status}`);
    assert.equal(r.body.error.code, 'bad_request');
  }
  for (const q of ['?status=bogus', '?status=sent&status=bogus']) {
    const r = await outbox(adminA, q);
    assert.equal(r.status, 422, `${q}: ${r.status}`);
    assert.equal(r.body.error.code, 'validation');
    assert.equal(r.body.error.field, 'status');
  }
  // A status given twice: the last one counts, as for every query parameter.
  assert.equal((await outbox(adminA, '?status=sent&status=failed')).body.items.length, 1);
  assert.equal((await outbox(managerA)).status, 403);
  assert.equal((await outbox(residentA)).status, 404);
  assert.equal((await outbox(null)).status, 401);
});

test('the jobs worker removes throttle events older than a day, and keeps the rest', async () => {
  const scope = `t${crypto.randomBytes(4).toString('hex')}`;
  stack.sql(`INSERT INTO throttle_events (scope, key_hash, at) VALUES
    ('${scope}', UNHEX(SHA2('old', 256)), UTC_TIMESTAMP(3) - INTERVAL 2 DAY),
    ('${scope}', UNHEX(SHA2('older', 256)), UTC_TIMESTAMP(3) - INTERVAL 30 DAY),
    ('${scope}', UNHEX(SHA2('recent', 256)), UTC_TIMESTAMP(3) - INTERVAL 23 HOUR)`);
  // The clean-up runs once every ten minutes in the whole deployment; an
  // operator can run it now.
  const run = stack.portalctl('jobs', 'run', 'throttle-events');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^job throttle-events: ok/);
  const left = Number(stack.sql(`SELECT COUNT(*) FROM throttle_events WHERE scope = '${scope}'`).trim());
  assert.equal(left, 1);
  assert.equal(stack.sql(`SELECT HEX(key_hash) = SHA2('recent', 256) FROM throttle_events WHERE scope = '${scope}'`).trim(), '1');
  const list = stack.portalctl('jobs', 'list');
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^throttle-events\s+every 10m\s+ok\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m);
});

test('SMTP credentials travel only over TLS: portald refuses a login without it, with one line', () => {
  const conf = `${stack.var}/smtp-tls.conf`;
  const check = (settings) => {
    writeFileSync(conf, readFileSync(stack.conf, 'utf8'));
    stack.setConf(settings, conf);
    return spawnSync(`${stack.env.PORTAL_BIN}/portald`, ['-t', '-c', conf], { encoding: 'utf8' });
  };
  // A socket and pid file of its own: a portald that started anyway must not
  // touch the running pool's.
  const plain = {
    listen: `${stack.var}/run/smtp-tls.sock`, pid_file: `${stack.var}/run/smtp-tls.pid`,
    smtp_user: 'portal', smtp_password: 'geheim', smtp_starttls: 0, smtp_url: 'smtp://127.0.0.1:587',
  };
  const refused = check(plain);
  assert.notEqual(refused.status, 0);
  const lines = refused.stderr.trim().split('\n');
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(lines[0], /smtp_user/);
  assert.match(lines[0], /smtp_starttls|smtps/);
  assert.doesNotMatch(refused.stderr, /geheim/);
  // Nor does it start with it (before it binds anything).
  const started = spawnSync(`${stack.env.PORTAL_BIN}/portald`, ['-c', conf], { encoding: 'utf8', timeout: 10000 });
  assert.notEqual(started.status, 0);
  assert.equal(started.stderr.trim().split('\n').length, 1, started.stderr);
  assert.match(started.stderr, /smtp_user/);
  // STARTTLS required, or TLS from the first byte: accepted.
  for (const tls of [{ ...plain, smtp_starttls: 1 }, { ...plain, smtp_url: 'smtps://127.0.0.1:465' }, { smtp_user: '' }]) {
    const ok = check(tls);
    assert.equal(ok.status, 0, `${JSON.stringify(tls)}: ${ok.stderr}`);
  }
});
