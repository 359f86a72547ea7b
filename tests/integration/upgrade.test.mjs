// Upgrades (issue 16, item 5): a database made by the migrations of an early
// release, with data in it, taken to today's schema by `portalctl migrate`;
// every row the old tables held is still there, column for column (but where
// a later migration says it changes them), and the portal serves it.
//
// The early releases, from the repository's history: the first commit that
// added sql/, and the last commit of the day it was made (the first day's
// work, the first release people could use: organisations, accounts,
// properties, the outbox, invitations and content). Their migration files
// (sql/ and each plugin's sql/) are taken out with git show and applied by
// today's migrator, which records them in schema_migrations as the migrator
// of that time did (same table, same names).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack, waitFor, isAlive, repo } from './stack.mjs';
import { Client } from './client.mjs';

let stack, work;

function git(...args) {
  const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const firstSqlCommit = () => git('log', '--diff-filter=A', '--format=%H %cs', '--', 'sql/').trim().split('\n').at(-1).split(' ');

// The commit's migration files under dir: dir/sql/ and dir/plugins/NAME/sql/.
// Returns the plugins that had migrations then.
function checkout(rev, dir) {
  const files = git('ls-tree', '-r', '--name-only', rev).split('\n')
    .filter((f) => /^(sql|plugins\/[^/]+\/sql)\/[^/]+\.sql$/.test(f));
  for (const file of files) {
    fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), git('show', `${rev}:${file}`));
  }
  return [...new Set(files.filter((f) => f.startsWith('plugins/')).map((f) => f.split('/')[1]))];
}

// portalctl with a configuration: spawnSync's result.
function portalctl(conf, ...args) {
  return spawnSync(path.join(stack.env.PORTAL_BIN, 'portalctl'), ['-c', conf, ...args], { encoding: 'utf8', env: stack.env });
}

// portald stopped, and the database emptied: the old release starts afresh.
async function emptyDatabase() {
  const pid = stack.pidOf('portald');
  if (pid && isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    await waitFor('portald to stop', () => !isAlive(pid), 20000);
  }
  stack.sql('DROP DATABASE portal; CREATE DATABASE portal CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
}

// Applies the release's migrations with a copy of the stack's configuration
// that reads them, for the plugins that existed then (and are still ours).
function migrateOld(rev) {
  const dir = path.join(work, rev.slice(0, 8));
  const plugins = checkout(rev, dir).filter((p) => fs.existsSync(path.join(repo, 'plugins', p)));
  const conf = path.join(dir, 'portal.conf');
  fs.writeFileSync(conf, fs.readFileSync(stack.conf, 'utf8'));
  stack.setConf({ sql_dir: path.join(dir, 'sql'), plugin_share: path.join(dir, 'plugins'), plugins: plugins.join(' ') }, conf);
  const r = portalctl(conf, 'migrate');
  assert.equal(r.status, 0, `old migrations: ${r.stderr}`);
  return r.stdout;
}

// Every table's rows, by the columns it has now, each row one line in a fixed order.
function snapshot() {
  const tables = stack.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'portal' ORDER BY table_name").trim().split('\n');
  const shot = {};
  for (const table of tables) {
    const columns = stack.sql(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'portal' AND table_name = '${table}' ORDER BY ordinal_position`).trim().split('\n');
    shot[table] = { columns, rows: rowsOf(table, columns) };
  }
  return shot;
}

function rowsOf(table, columns) {
  const list = columns.map((c) => `\`${c}\``).join(', ');
  const text = stack.sql(`SELECT ${list} FROM \`${table}\` ORDER BY ${list}`);
  return text ? text.replace(/\n$/, '').split('\n') : [];
}

// The old rows of every old table, read again by the old columns: the same,
// but for the tables in changedOnPurpose (checked by the caller).
function assertIntact(old, changedOnPurpose) {
  const now = stack.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'portal'").trim().split('\n');
  for (const [table, { columns, rows }] of Object.entries(old)) {
    if (changedOnPurpose.includes(table)) continue;
    assert.ok(now.includes(table), `table ${table} is still there`);
    const again = rowsOf(table, columns);
    // The migrator's own records only grow; its lock is taken and given back.
    if (table === 'schema_lock') continue;
    if (table === 'schema_migrations' || table === 'stored_file_columns') {
      for (const row of rows) assert.ok(again.includes(row), `${table}: ${row} stays recorded`);
      continue;
    }
    assert.deepEqual(again, rows, `the rows of ${table}`);
  }
}

// Today's migrations, then portald again (stack.sh start starts only what is
// not running).
function upgrade() {
  const r = stack.portalctl('migrate');
  assert.equal(r.status, 0, `today's migrations: ${r.stderr}`);
  stack.startAgain();
  return r.stdout;
}

// A signed-in client for an account of the old release: a reset link from
// portalctl, a new password, a sign-in.
async function signIn(email) {
  const r = stack.portalctl('user', 'reset-password', email);
  assert.equal(r.status, 0, r.stderr);
  const token = /\/password\/reset\/(\S+)/.exec(r.stdout)[1];
  const client = new Client(stack);
  const password = 'Ein neues Passwort 2026';
  assert.equal((await client.json('/api/v1/password/reset', { method: 'POST', body: { token, password } })).status, 200);
  const signed = await client.json('/api/v1/session', { method: 'POST', body: { email, password } });
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  client.csrf = signed.body.csrf_token;
  return client;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-upgrade-'));
  stack = await startStack({ plugins: 'example invites content documents tickets community' });
});
after(async () => {
  await stack?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('from the first commit with migrations: its rows stay, the example plugin\'s first rows go as its 002 says', async () => {
  const [rev] = firstSqlCommit();
  await emptyDatabase();
  const applied = migrateOld(rev);
  assert.match(applied, /migrated core\/001_core\.sql/);
  stack.sql("UPDATE portal_info SET installed_at = '2026-11-27 11:30:00'");
  stack.sql("INSERT INTO example_items (name, created_at) VALUES ('Mülltonnen', '2026-11-27 11:31:00')");
  const old = snapshot();
  assert.deepEqual(Object.keys(old).sort(), ['example_daily', 'example_items', 'portal_info', 'schema_lock', 'schema_migrations', 'stored_file_columns']);
  const migrated = upgrade();
  assert.match(migrated, /migrated core\/002_accounts\.sql/);
  assert.match(migrated, /migrated example\/002_org\.sql/);
  assert.doesNotMatch(migrated, /core\/001_core\.sql/, 'an applied migration is not applied again');
  assertIntact(old, ['example_items', 'example_daily']);
  // plugins/example/sql/002_org.sql: the first version's rows belonged to no organisation.
  assert.equal(stack.sql('SELECT COUNT(*) FROM example_items').trim(), '0');
  assert.equal(stack.sql('SELECT installed_at FROM portal_info').trim(), '2026-11-27 11:30:00');
  const health = await stack.fetch('/healthz');
  assert.equal(health.status, 200);
  assert.equal((await stack.fetch('/login')).status, 200);
});

test('from the first release: organisations, accounts, properties, content and mail survive, and the portal serves them', async () => {
  const [, day] = firstSqlCommit();
  const rev = git('log', '-1', '--format=%H', `--until=${day}T23:59:59Z`).trim();
  await emptyDatabase();
  const applied = migrateOld(rev);
  assert.match(applied, /migrated content\/001_content\.sql/);
  const at = "'2026-11-27 12:00:00'";
  stack.sql(`
    INSERT INTO orgs (id, name, brand_color, locale, created_at) VALUES (7, 'Hausverwaltung Altbestand GmbH', '#2a6f4e', 'de', ${at});
    INSERT INTO users (id, org_id, role, email, name, password_hash, admin, created_at) VALUES
      (70, 7, 'manager', 'verwalterin@alt.example', 'Vera Verwalterin', '$argon2id$v=19$m=65536,t=2,p=1$b2xkc2FsdA$b2xkaGFzaA', 1, ${at}),
      (71, 7, 'resident', 'mieter@alt.example', 'Max Mieter', NULL, 0, ${at}),
      (72, 7, 'manager', 'eingeladen@alt.example', 'Ines Eingeladen', NULL, 0, ${at});
    INSERT INTO properties (id, org_id, reference_id, name, street, zip, city, country, notes, created_at) VALUES
      (700, 7, 'ALT-1', 'Lindenhof', 'Lindenstraße 5', '10115', 'Berlin', 'Deutschland', 'Schlüssel beim Hausmeister – Größe „XL“', ${at});
    INSERT INTO units (id, org_id, property_id, name, created_at) VALUES (7000, 7, 700, 'EG links', ${at}), (7001, 7, 700, 'OG rechts', ${at});
    INSERT INTO memberships (property_id, user_id, org_id, resident_group, state, joined_at) VALUES (700, 71, 7, 'tenant', 'active', ${at});
    INSERT INTO announcements (id, org_id, title, body, all_properties, author_id, recipients, published_at, updated_at) VALUES
      (800, 7, 'Wasser abgestellt', 'Am Dienstag von 9 bis 12 Uhr.', 0, 70, 1, ${at}, ${at});
    INSERT INTO announcement_targets (announcement_id, property_id) VALUES (800, 700);
    INSERT INTO faq (id, org_id, question, answer, all_properties, position) VALUES (900, 7, 'Wo ist der Fahrradkeller?', 'Im Hof links.', 1, 1);
    INSERT INTO notification_settings (user_id, announcements, appointments, documents, tickets, board) VALUES (71, 0, 1, 1, 0, 1);
    INSERT INTO outbox (org_id, to_addr, to_name, subject, body_text, body_html, kind, status, attempts, message_id, next_attempt_at, created_at, sent_at)
      VALUES (7, 'mieter@alt.example', 'Max Mieter', 'Wasser abgestellt', 'Am Dienstag.', '<p>Am Dienstag.</p>', 'announcement', 'sent', 1, '<a1@alt.example>', ${at}, ${at}, ${at});
  `);
  const old = snapshot();
  for (const table of ['orgs', 'users', 'properties', 'units', 'memberships', 'announcements', 'faq', 'outbox', 'notification_settings'])
    assert.ok(old[table]?.rows.length > 0, `${table} has rows in the old release`);
  const migrated = upgrade();
  assert.match(migrated, /migrated core\/013_notification_kinds\.sql/);
  assert.match(migrated, /migrated documents\/001_documents\.sql/);
  // sql/013 turned the columns of notification_settings into a row per kind;
  // the example plugin's 002 dropped its first version's rows.
  assertIntact(old, ['notification_settings', 'example_items', 'example_daily']);
  assert.equal(stack.sql('SELECT kind, enabled FROM notification_settings WHERE user_id = 71 ORDER BY kind'),
    'announcements\t0\nappointments\t1\nboard\t1\ndocuments\t1\ntickets\t0\n');
  // sql/016: residents' and activated managers' addresses count as confirmed,
  // a manager who never activated the invitation has proved nothing.
  assert.equal(stack.sql('SELECT id FROM users WHERE org_id = 7 AND email_confirmed_at IS NOT NULL ORDER BY id'), '70\n71\n');

  const manager = await signIn('verwalterin@alt.example');
  const property = await manager.json('/api/v1/properties/700');
  assert.equal(property.status, 200);
  assert.equal(property.body.name, 'Lindenhof');
  assert.equal(property.body.notes, 'Schlüssel beim Hausmeister – Größe „XL“');
  assert.deepEqual(property.body.units.map((u) => u.name).sort(), ['EG links', 'OG rechts']);
  const list = await manager.json('/api/v1/properties');
  assert.deepEqual(list.body.items.map((p) => p.id), [700]);
  assert.equal(list.body.items[0].residents_count, 1);
  const news = await manager.json('/api/v1/announcements');
  assert.deepEqual(news.body.items.map((a) => a.title), ['Wasser abgestellt']);

  const resident = await signIn('mieter@alt.example');
  const seen = await resident.json('/api/v1/announcements');
  assert.deepEqual(seen.body.items.map((a) => a.title), ['Wasser abgestellt']);
  const faq = await resident.json('/api/v1/faq');
  assert.deepEqual(faq.body.items.map((f) => f.question), ['Wo ist der Fahrradkeller?']);
  const home = await resident.fetch('/portal');
  assert.equal(home.status, 200);
  assert.match(await home.text(), /Wasser abgestellt/);
});

// The release before the search indexes in the SDK (tickets/002), the
// tickets' counts and the residents' count kept by triggers (tickets/003,
// sql/024) and the stored files' guards (sql/026): its tickets keep their
// numbers, the counts and the words are filled from them, and the triggers
// count what comes after.
test('from the release before the counts and indexes: tickets, their counts and words, and the residents\' count', async () => {
  const added = git('log', '--diff-filter=A', '--format=%H', '--', 'plugins/tickets/sql/002_ticket_words.sql').trim().split('\n').at(-1);
  const rev = git('rev-parse', `${added}^`).trim();
  await emptyDatabase();
  const applied = migrateOld(rev);
  assert.match(applied, /migrated tickets\/001_tickets\.sql/);
  assert.doesNotMatch(applied, /tickets\/002|core\/024|core\/026/);
  const at = "'2026-12-01 08:00:00'";
  stack.sql(`
    INSERT INTO orgs (id, name, brand_color, locale, created_at) VALUES (9, 'Hausverwaltung Vorgang', '#2a6f4e', 'de', ${at});
    INSERT INTO users (id, org_id, role, email, email_confirmed_at, name, password_hash, admin, created_at) VALUES
      (90, 9, 'manager', 'chefin@vorgang.example', ${at}, 'Clara Chefin', NULL, 1, ${at}),
      (91, 9, 'resident', 'mieterin@vorgang.example', ${at}, 'Hanna Quellenbach', NULL, 0, ${at});
    INSERT INTO properties (id, org_id, reference_id, name, street, zip, city, country, notes, created_at) VALUES
      (900, 9, 'V-1', 'Birkenhof', 'Birkenweg 1', '50667', 'Köln', 'Deutschland', '', ${at});
    INSERT INTO memberships (property_id, user_id, org_id, resident_group, state, joined_at) VALUES (900, 91, 9, 'tenant', 'active', ${at});
    INSERT INTO ticket_numbers (org_id, last_number) VALUES (9, 3);
    INSERT INTO tickets (id, org_id, number, property_id, reporter_id, title, description, category, status, created_at, updated_at) VALUES
      (9000, 9, 1, 900, 91, 'Heizung kalt', 'Im Wohnzimmer', 'Sonstiges', 'open', ${at}, ${at}),
      (9001, 9, 2, 900, 91, 'Tür klemmt', 'Haustür', 'Sonstiges', 'in_progress', ${at}, ${at}),
      (9002, 9, 3, 900, 91, 'Licht im Keller', 'Flackert', 'Sonstiges', 'closed', ${at}, ${at});
  `);
  const old = snapshot();
  const migrated = upgrade();
  for (const m of ['core/024_residents_count', 'core/026_stored_file_guards', 'tickets/002_ticket_words', 'tickets/003_ticket_counts']) {
    assert.match(migrated, new RegExp(`migrated ${m}\\.sql`));
  }
  // The jobs worker keeps its bookkeeping and fills the search indexes (the
  // properties' rows written by SQL too).
  assertIntact(old, ['jobs', 'search_rebuilds', 'property_words']);
  assert.equal(stack.sql('SELECT residents_count FROM properties WHERE id = 900').trim(), '1');
  assert.equal(stack.sql('SELECT COUNT(*) FROM stored_file_guards').trim(), '0');
  assert.equal(stack.portalctl('search', 'rebuild').status, 0);

  const manager = await signIn('chefin@vorgang.example');
  const list = await manager.json('/api/v1/tickets');
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.deepEqual(list.body.items.map((t) => t.number).sort(), [1, 2, 3]);
  assert.equal(list.body.counts.open, 1);
  assert.equal(list.body.counts.in_progress, 1);
  assert.equal(list.body.counts.closed, 1);
  const found = async (q) => (await manager.json(`/api/v1/tickets?q=${encodeURIComponent(q)}`)).body.items.map((t) => t.id).sort();
  assert.deepEqual(await found('Heizung'), [9000]);
  assert.deepEqual(await found('Quellenbach'), [9000, 9001, 9002]);

  // After the upgrade the counter goes on, and the triggers count.
  const resident = await signIn('mieterin@vorgang.example');
  const report = await resident.json('/api/v1/tickets', { method: 'POST', body: { property_id: 900, title: 'Wasserhahn tropft', description: 'Küche', category: 'Sonstiges' } });
  assert.equal(report.status, 201, JSON.stringify(report.body));
  assert.equal(report.body.number, 4);
  assert.equal((await manager.json('/api/v1/tickets')).body.counts.open, 2);
  assert.deepEqual(await found('Wasserhahn'), [report.body.id]);
  const properties = await manager.json('/api/v1/properties');
  assert.equal(properties.body.items[0].residents_count, 1);
});
