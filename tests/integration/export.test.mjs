// portalctl export (core/ctl/export.c): everything of one organisation as CSV
// per table with a README, and its stored files under the names users saw;
// nothing of another organisation and no secret.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { startStack, repo } from './stack.mjs';
import { newManager, newProperty, newResident } from './client.mjs';

let stack, scratch, ours, theirs;

// An organisation with a row in every plugin's tables, made through the API;
// tag marks its texts.
async function organisationWithData(tag) {
  const manager = await newManager(stack, { name: `Hausverwaltung ${tag}` });
  const house = (await newProperty(manager, `Haus ${tag}`)).id;
  assert.equal((await manager.json(`/api/v1/properties/${house}/units`, { method: 'POST', body: { name: `Wohnung ${tag}` } })).status, 201);
  const resident = await newResident(stack, manager, [house]);
  const post = (p, body) => manager.json(p, { method: 'POST', body, headers: { Origin: stack.base } });
  const form = new FormData();
  form.append('title', `Mitteilung ${tag}`);
  form.append('body', `Text ${tag}`);
  form.append('property_ids', String(house));
  form.append('notify', 'false');
  form.append('files', new Blob([`Anhang ${tag}`]), `Plan ${tag}.txt`);
  const announcement = await post('/api/v1/announcements', form);
  assert.equal(announcement.status, 201, JSON.stringify(announcement.body));
  assert.equal((await post('/api/v1/appointments', { title: `Termin ${tag}`, starts_at: '2027-01-10T09:00:00Z', property_ids: [house] })).status, 201);
  assert.equal((await post('/api/v1/faq', { question: `Frage ${tag}?`, answer: 'Antwort', property_ids: [house] })).status, 201);
  assert.equal((await post('/api/v1/contacts', { name: `Hausmeister ${tag}`, role: 'Hausmeister', property_ids: [house] })).status, 201);
  assert.equal((await post('/api/v1/example/items', { name: `Eintrag ${tag}`, property_ids: [house] })).status, 201);
  const docs = new FormData();
  for (const [content, ack] of [[`%PDF-1.4 eins ${tag}`, 'true'], [`%PDF-1.4 zwei ${tag}`, '']]) {
    docs.append('files', new Blob([content]), 'Hausordnung.pdf');
    docs.append('title', `Hausordnung ${tag}`);
    docs.append('category', 'Hausordnung');
    docs.append('audience', 'residents');
    docs.append('requires_ack', ack);
  }
  const uploaded = await post(`/api/v1/properties/${house}/documents`, docs);
  assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
  const invite = await manager.json(`/api/v1/properties/${house}/invite`);
  assert.equal((await post(`/api/v1/properties/${house}/invite/email`, { emails: [`eingeladen-${tag.toLowerCase()}@example.org`] })).status, 200);
  // The resident's own: a read, an acknowledgement, settings, a calendar feed.
  assert.equal((await resident.json(`/api/v1/announcements/${announcement.body.id}`)).status, 200);
  assert.equal((await resident.json(`/api/v1/documents/${uploaded.body.items[0].id}/ack`, { method: 'POST', body: {} })).status, 200);
  assert.equal((await resident.json('/api/v1/me/notifications', { method: 'PATCH', body: { announcements: false } })).status, 200);
  // What the resident wrote: a ticket with a photo, a board post with a comment.
  const report = new FormData();
  report.append('property_id', String(house));
  report.append('title', `Wasserfleck ${tag}`);
  report.append('description', 'An der Decke im Bad');
  report.append('files', new Blob([fs.readFileSync(path.join(repo, 'tests/fixtures/images/photo-gps-o6.jpg'))], { type: 'image/jpeg' }), `Fleck ${tag}.jpg`);
  const ticket = await resident.json('/api/v1/tickets', { method: 'POST', body: report, headers: { Origin: stack.base } });
  assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
  const board = await resident.json(`/api/v1/properties/${house}/board`, { method: 'POST', body: { kind: 'info', title: `Flohmarkt ${tag}`, body: 'Samstag im Hof' } });
  assert.equal(board.status, 201, JSON.stringify(board.body));
  assert.equal((await manager.json(`/api/v1/board/${board.body.id}/comments`, { method: 'POST', body: { body: 'Gern' } })).status, 201);
  const feed = await resident.json('/api/v1/me/calendar');
  assert.equal(feed.status, 200);
  return { manager, resident, house, tag, inviteUrl: invite.body.url, feedUrl: feed.body.url };
}

before(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-export-'));
  stack = await startStack({ plugins: 'example invites content documents tickets community', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  ours = await organisationWithData('Sonnenhof');
  theirs = await organisationWithData('Schattenweg');
});
after(async () => {
  await stack?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

// The zip's entries, unpacked by python3's zipfile: { name: Buffer }.
function unzip(file) {
  const dir = fs.mkdtempSync(path.join(scratch, 'unzipped-'));
  const r = spawnSync('/usr/bin/python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print("\\n".join(z.namelist())); z.extractall(sys.argv[2])', file, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const entries = {};
  for (const name of r.stdout.trim().split('\n')) entries[name] = fs.readFileSync(path.join(dir, name));
  return entries;
}

// A CSV of the export: its header and rows, each row an object.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += ch;
  }
  const [header, ...body] = rows;
  return { header, rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}

test('the export holds every table of the organisation, its files under their names, and nothing else', async () => {
  const orgId = ours.manager.user.org_id;
  const out = path.join(scratch, 'sonnenhof.zip');
  const r = stack.portalctl('export', '--org', String(orgId), '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^export: .*sonnenhof\.zip \(\d+ tables, \d+ files\)\n$/);
  const zip = unzip(out);
  const readme = zip['README.txt'].toString('utf8');
  assert.match(readme, /UTC/);
  assert.match(readme, /password hashes, sessions/);
  assert.match(readme, /Passwort-Hashes, Sitzungen/);

  const table = (name) => {
    assert.ok(zip[`tables/${name}.csv`], `tables/${name}.csv`);
    assert.match(readme, new RegExp(`tables/${name}\\.csv:`));
    return parseCsv(zip[`tables/${name}.csv`].toString('utf8'));
  };
  // Every plugin's tables, with this organisation's rows.
  for (const name of ['orgs', 'users', 'properties', 'units', 'memberships', 'notification_settings', 'outbox',
    'announcements', 'announcement_targets', 'announcement_attachments', 'announcement_reads', 'appointments',
    'appointment_targets', 'calendar_feeds', 'faq', 'faq_targets', 'contacts', 'contact_targets',
    'documents', 'document_files', 'document_acks', 'invite_links', 'example_items',
    'tickets', 'ticket_attachments', 'board_posts', 'board_comments']) {
    assert.ok(table(name).rows.length >= 1, `${name} has rows`);
  }
  for (const [name, csv] of Object.entries(zip).filter(([n]) => n.startsWith('tables/'))) {
    const { header, rows } = parseCsv(csv.toString('utf8'));
    if (header.includes('org_id')) for (const row of rows) assert.equal(row.org_id, String(orgId), name);
    for (const h of header) assert.doesNotMatch(h, /password|token|hash|secret/, `${name}: ${h}`);
  }
  const users = table('users');
  assert.deepEqual(users.header.slice(0, 3), ['id', 'org_id', 'role']);
  assert.ok(users.header.includes('email') && users.header.includes('name') && users.header.includes('created_at'));
  assert.deepEqual(users.rows.map((u) => u.email).sort(), [ours.manager.email, ours.resident.email].sort());
  assert.match(users.rows[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(table('orgs').rows.map((o) => o.name), ['Hausverwaltung Sonnenhof']);
  assert.equal(table('outbox').header.includes('body_text'), false, 'no mail text');
  assert.deepEqual(table('announcements').rows.map((a) => a.title), ['Mitteilung Sonnenhof']);

  // The search indexes and counts are there, named as derived in the README;
  // what belongs to no organisation (stored files' guards, jobs, locks) is not.
  assert.ok(table('ticket_words').rows.length >= 1);
  assert.ok(table('property_words').rows.length >= 1);
  assert.ok(table('ticket_org_counts').rows.length >= 1);
  assert.match(readme, /_words\.csv sind Suchindizes/);
  assert.match(readme, /_words\.csv are search indexes/);
  for (const name of ['stored_file_guards', 'jobs', 'schema_lock', 'search_rebuilds', 'sessions', 'account_tokens']) {
    assert.equal(zip[`tables/${name}.csv`], undefined, name);
  }

  // Nothing of the other organisation, and no secret, anywhere in the zip.
  const everything = Buffer.concat(Object.values(zip)).toString('latin1');
  assert.doesNotMatch(everything, /Schattenweg/);
  const secrets = {
    'a password hash': stack.sql(`SELECT password_hash FROM users WHERE email = '${ours.resident.email}'`).trim(),
    'a session token': decodeURIComponent(ours.resident.cookie.split('=')[1]),
    'a CSRF token': ours.resident.csrf,
    'an invite token': /\/join\/([^/?#]+)$/.exec(ours.inviteUrl)[1],
    'a calendar feed token': /\/calendar\/([^/.]+)\.ics$/.exec(ours.feedUrl)[1],
  };
  for (const [what, secret] of Object.entries(secrets)) {
    assert.ok(secret.length >= 20, what);
    assert.equal(everything.includes(secret), false, `${what} is not in the export`);
  }
  assert.doesNotMatch(everything, /argon2id/);

  // The files under their names, a name used twice made unique.
  assert.equal(zip['files/document_files/Hausordnung.pdf'].toString(), '%PDF-1.4 eins Sonnenhof');
  assert.equal(zip['files/document_files/Hausordnung (2).pdf'].toString(), '%PDF-1.4 zwei Sonnenhof');
  assert.equal(zip['files/announcement_attachments/Plan Sonnenhof.txt'].toString(), 'Anhang Sonnenhof');
  // A ticket's photo as stored (cleaned, re-encoded) under the name it was sent with.
  const photo = table('ticket_attachments').rows[0];
  const stored = fs.readFileSync(path.join(stack.var, 'files', photo.file));
  assert.ok(Object.entries(zip).some(([n, b]) => n.startsWith('files/ticket_attachments/Fleck Sonnenhof') && b.equals(stored)), 'the photo under its name');
  const listed = table('document_files').rows.map((f) => f.file);
  const map = parseCsv(zip['files.csv'].toString('utf8')).rows;
  for (const file of listed) assert.ok(map.some((m) => m.file === file && zip[m.path]), `file ${file} is in files.csv`);
});

test('an unknown organisation, a taken file name and bad arguments are clear refusals', async () => {
  const out = path.join(scratch, 'nobody.zip');
  const r = stack.portalctl('export', '--org', '999999', '--out', out);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'portalctl: no organisation has the id 999999 (portalctl org list shows them)\n');
  assert.equal(fs.existsSync(out), false);
  fs.writeFileSync(out, 'x');
  const taken = stack.portalctl('export', '--org', String(ours.manager.user.org_id), '--out', out);
  assert.equal(taken.status, 1);
  assert.match(taken.stderr, /^portalctl: .*nobody\.zip exists already: name a new file\n$/);
  assert.equal(fs.readFileSync(out, 'utf8'), 'x');
  for (const args of [['export'], ['export', '--org', 'abc', '--out', 'x.zip'], ['export', '--org', '1']]) {
    const bad = stack.portalctl(...args);
    assert.equal(bad.status, 1, args.join(' '));
    assert.match(bad.stderr, /^portalctl: /);
  }
});

test('an admin downloads the same export from Einstellungen; others cannot', async () => {
  const page = await ours.manager.fetch('/app/settings');
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<form class="card" method="post" action="\/app\/settings\/export" data-busy="Der Export wird erstellt/);
  assert.match(html, /Export herunterladen \(ZIP\)/);
  const form = (client) => client.fetch('/app/settings/export', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: `csrf_token=${encodeURIComponent(client.csrf)}`,
  });
  const res = await form(ours.manager);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  assert.match(res.headers.get('content-disposition'), /^attachment; filename="portal-export-\d+\.zip"$/);
  const file = path.join(scratch, 'downloaded.zip');
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const zip = unzip(file);
  assert.ok(zip['README.txt']);
  assert.deepEqual(parseCsv(zip['tables/users.csv'].toString('utf8')).rows.map((u) => u.email).sort(), [ours.manager.email, ours.resident.email].sort());
  assert.equal(zip['files/document_files/Hausordnung.pdf'].toString(), '%PDF-1.4 eins Sonnenhof');
  assert.doesNotMatch(Buffer.concat(Object.values(zip)).toString('latin1'), /Schattenweg/);
  assert.deepEqual(fs.readdirSync(path.join(stack.var, 'tmp')).filter((n) => n.startsWith('export-')), [], 'no temporary export is left');

  const refused = await form(ours.resident);
  assert.notEqual(refused.status, 200);
  assert.notEqual(refused.headers.get('content-type'), 'application/zip');
});

test('an export too large for the browser is a clear page naming portalctl export', async () => {
  const house = ours.house;
  const big = new FormData();
  big.append('files', new Blob([crypto.randomBytes(600 * 1024)]), 'Plan.pdf');
  big.append('title', 'Großer Plan');
  big.append('category', 'Hausordnung');
  big.append('audience', 'residents');
  assert.equal((await ours.manager.json(`/api/v1/properties/${house}/documents`, { method: 'POST', body: big, headers: { Origin: stack.base } })).status, 201);
  stack.setConf({ arena_bytes: 1048576 });
  await stack.reload();
  try {
    const res = await ours.manager.fetch('/app/settings/export', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
      body: `csrf_token=${encodeURIComponent(ours.manager.csrf)}`,
    });
    assert.equal(res.status, 413);
    const html = await res.text();
    assert.match(html, /Der Export ist zu groß für den Download im Browser/);
    assert.match(html, /Hausverwaltung Sonnenhof/, 'the settings page is shown again');
  } finally {
    stack.withoutConf('arena_bytes');
    await stack.reload();
  }
});
