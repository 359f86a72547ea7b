// portalctl resident erase (core/ctl/erase.c): the account and everything
// personal goes, no row names the address or the account any more, what
// others rely on stays under "ehemalige Bewohnerin / ehemaliger Bewohner".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

let stack, manager, leaving, staying, documentId, announcementId, ticketId, postId;

before(async () => {
  stack = await startStack({ plugins: 'example invites content documents tickets community', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack, { name: 'Hausverwaltung Abschied' });
  const house = (await newProperty(manager, 'Ulmenweg 2')).id;
  leaving = await newResident(stack, manager, [house]);
  // A name of their own, which the tickets' search index holds for their ticket.
  stack.sql(`UPDATE users SET name = 'Wilhelmine Quirinus' WHERE id = ${leaving.id}`);
  staying = await newResident(stack, manager, [house]);
  const post = (p, body) => manager.json(p, { method: 'POST', body, headers: { Origin: stack.base } });
  // A mail to the resident (announcement), a document to acknowledge.
  const a = await post('/api/v1/announcements', { title: 'Wasser abgestellt', body: 'Am Montag', property_ids: [house] });
  assert.equal(a.status, 201);
  announcementId = a.body.id;
  const docs = new FormData();
  docs.append('files', new Blob(['%PDF-1.4 Hausordnung']), 'Hausordnung.pdf');
  docs.append('title', 'Hausordnung');
  docs.append('category', 'Hausordnung');
  docs.append('audience', 'residents');
  docs.append('requires_ack', 'true');
  const up = await post(`/api/v1/properties/${house}/documents`, docs);
  assert.equal(up.status, 201);
  documentId = up.body.items[0].id;
  // Everything of the resident's own: a read, acknowledgement, settings, a
  // calendar feed, a session, an unused reset link, a failed sign-in, mail.
  // What the resident wrote for others: a ticket, a board post with a comment.
  const ticket = await leaving.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, title: 'Licht im Flur', description: 'Flackert', category: 'Sonstiges' } });
  assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
  ticketId = ticket.body.id;
  const board = await leaving.json(`/api/v1/properties/${house}/board`, { method: 'POST', body: { kind: 'info', title: 'Flohmarkt', body: 'Samstag im Hof' } });
  assert.equal(board.status, 201, JSON.stringify(board.body));
  postId = board.body.id;
  assert.equal((await leaving.json(`/api/v1/board/${postId}/comments`, { method: 'POST', body: { body: 'Ab 10 Uhr' } })).status, 201);
  for (const r of [leaving, staying]) {
    assert.equal((await r.json(`/api/v1/announcements/${announcementId}`)).status, 200);
    assert.equal((await r.json(`/api/v1/documents/${documentId}/ack`, { method: 'POST', body: {} })).status, 200);
  }
  assert.equal((await leaving.json('/api/v1/me/notifications', { method: 'PATCH', body: { appointments: false } })).status, 200);
  assert.equal((await leaving.json('/api/v1/me/calendar')).status, 200);
  assert.equal(stack.portalctl('user', 'reset-password', leaving.email).status, 0);
  assert.equal((await new Client(stack).json('/api/v1/session', { method: 'POST', body: { email: leaving.email, password: 'falsch falsch' } })).status, 401);
  await stack.waitForMail((m) => m.headers.to?.includes(leaving.email));
});
after(async () => { await stack?.stop(); });

const lines = (text) => text.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));

test('an erased resident leaves no row with their address or account, and cannot sign in', async () => {
  const count = (sql) => Number(stack.sql(sql).trim());
  for (const [table, column] of [['memberships', 'user_id'], ['sessions', 'user_id'], ['account_tokens', 'user_id'], ['notification_settings', 'user_id'], ['calendar_feeds', 'user_id'], ['announcement_reads', 'user_id'], ['document_acks', 'user_id']]) {
    assert.ok(count(`SELECT COUNT(*) FROM ${table} WHERE ${column} = ${leaving.id}`) >= 1, `${table} has the resident's rows before`);
  }
  assert.ok(count(`SELECT COUNT(*) FROM outbox WHERE to_addr = '${leaving.email}'`) >= 1);

  const byName = async () => (await manager.json('/api/v1/tickets?q=Quirinus')).body.items.map((t) => t.id);
  assert.deepEqual(await byName(), [ticketId], 'a manager finds the ticket by the reporter\'s name');

  const r = stack.portalctl('resident', 'erase', leaving.email.toUpperCase());
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^erased: ${leaving.email} \\(account ${leaving.id}\\); \\d+ rows they wrote for others stay`));

  // No text column of any table holds the address.
  const textColumns = lines(stack.sql("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'portal' AND data_type IN ('char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext')"));
  assert.ok(textColumns.length > 20);
  for (const [table, column] of textColumns) {
    assert.equal(count(`SELECT COUNT(*) FROM \`${table}\` WHERE \`${column}\` LIKE '%${leaving.email}%'`), 0, `${table}.${column}`);
  }
  // No column that points at users names the account.
  const userColumns = lines(stack.sql("SELECT table_name, column_name FROM information_schema.key_column_usage WHERE table_schema = 'portal' AND referenced_table_name = 'users' AND referenced_column_name = 'id'"));
  assert.ok(userColumns.length >= 8);
  for (const [table, column] of userColumns) {
    assert.equal(count(`SELECT COUNT(*) FROM \`${table}\` WHERE \`${column}\` = ${leaving.id}`), 0, `${table}.${column}`);
  }
  assert.equal(count(`SELECT COUNT(*) FROM users WHERE id = ${leaving.id}`), 0);
  // The tickets' search index no longer holds their name: the ticket stays, unfound by it.
  assert.equal(count("SELECT COUNT(*) FROM ticket_words WHERE word LIKE 'quirinus%' OR word LIKE 'wilhelmine%'"), 0);
  assert.deepEqual(await byName(), []);
  assert.equal(count(`SELECT COUNT(*) FROM tickets WHERE id = ${ticketId}`), 1);

  const signIn = await new Client(stack).json('/api/v1/session', { method: 'POST', body: { email: leaving.email, password: leaving.password } });
  assert.equal(signIn.status, 401);
  assert.equal((await leaving.json('/api/v1/me/notifications')).status, 401, 'the old session is dead');
});

test('what others see stays, shown as a former resident in German and English', async () => {
  assert.equal((await staying.json(`/api/v1/announcements/${announcementId}`)).status, 200);
  assert.equal((await staying.fetch(`/api/v1/documents/${documentId}/download`)).status, 200);
  const acks = await manager.json(`/api/v1/documents/${documentId}/acks`);
  assert.equal(acks.status, 200);
  const names = acks.body.items.map((i) => [i.display_name, Boolean(i.acknowledged_at)]);
  assert.deepEqual(names, [['Rita Resident', true], ['ehemalige Bewohnerin / ehemaliger Bewohner', true]]);
  const page = await manager.fetch(`/app/documents/${documentId}/acks`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /ehemalige Bewohnerin \/ ehemaliger Bewohner/);
  assert.doesNotMatch(html, /documents\.group\./, 'no locale key shows for the unknown group');
  const former = 'ehemalige Bewohnerin / ehemaliger Bewohner';
  const ticket = await manager.json(`/api/v1/tickets/${ticketId}`);
  assert.equal(ticket.status, 200);
  assert.equal(ticket.body.reporter.display_name, former);
  const post = await staying.json(`/api/v1/board/${postId}`);
  assert.equal(post.status, 200);
  assert.deepEqual([post.body.author.display_name, post.body.comments[0].author.display_name], [former, former]);
  stack.sql(`UPDATE users SET locale = 'en' WHERE id = ${manager.user.id}`);
  assert.equal((await manager.json(`/api/v1/tickets/${ticketId}`)).body.reporter.display_name, 'former resident');
  const english = await manager.json(`/api/v1/documents/${documentId}/acks`);
  assert.equal(english.body.items[1].display_name, 'former resident');
  const englishPage = await manager.fetch(`/app/documents/${documentId}/acks`);
  assert.equal(englishPage.status, 200);
  assert.match(await englishPage.text(), /former resident/);
  stack.sql(`UPDATE users SET locale = NULL WHERE id = ${manager.user.id}`);
});

test('an unknown address, a manager and bad arguments are refused with exit status 1', async () => {
  const unknown = stack.portalctl('resident', 'erase', 'niemand@example.org');
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stderr, 'portalctl: no account has the email niemand@example.org; nothing was changed\n');
  const boss = stack.portalctl('resident', 'erase', manager.email);
  assert.equal(boss.status, 1);
  assert.match(boss.stderr, /^portalctl: .* is a manager's account, not a resident's; nothing was changed\n$/);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE id = ${manager.user.id}`).trim(), '1');
  for (const args of [['resident'], ['resident', 'erase'], ['resident', 'erase', 'kein-at'], ['resident', 'delete', staying.email]]) {
    const bad = stack.portalctl(...args);
    assert.equal(bad.status, 1, args.join(' '));
    assert.match(bad.stderr, /^portalctl: /);
  }
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE id = ${staying.id}`).trim(), '1');
});
