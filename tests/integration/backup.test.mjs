// portalctl backup and restore (core/ctl/backup.c, restore.c): a backup taken
// while residents sign up and managers publish is one consistent state, and a
// restore brings a fresh deployment back to exactly it; a damaged backup, a
// deployment that is not empty and a folder that cannot be written are clear
// refusals that change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { startStack, waitFor, isAlive } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

const PLUGINS = 'invites content documents';
const ENV = { SESSION_BURST: '100000', SESSION_RATE: '10000r/s' };
let source, target, manager, house, resident, joinToken, documentIds, scratch;

async function upload(title, content) {
  const form = new FormData();
  form.append('files', new Blob([content]), `${title}.pdf`);
  form.append('title', title);
  form.append('category', 'Hausordnung');
  form.append('audience', 'residents');
  const res = await manager.json(`/api/v1/properties/${house}/documents`, { method: 'POST', body: form, headers: { Origin: source.base } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.items[0].id;
}

before(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-backup-'));
  source = await startStack({ plugins: PLUGINS, env: ENV });
  source.setConf({ 'invites.join_max_per_address': 100000, 'invites.join_max_per_email': 100000 });
  await source.reload();
  manager = await newManager(source, { name: 'Hausverwaltung Sicherung' });
  house = (await newProperty(manager, 'Lindenhof 3')).id;
  resident = await newResident(source, manager, [house]);
  const invite = await manager.json(`/api/v1/properties/${house}/invite`);
  joinToken = /\/join\/([^/?#]+)$/.exec(invite.body.url)[1];
  documentIds = [await upload('Hausordnung', `%PDF-1.4 Hausordnung ${crypto.randomUUID()}`)];
  target = await startStack({ plugins: PLUGINS, env: ENV });
});
after(async () => {
  await source?.stop();
  await target?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

// portalctl without blocking the event loop, so that the load runs on.
function portalctlAsync(stack, ...args) {
  return new Promise((resolve) => {
    const child = spawn(path.join(stack.env.PORTAL_BIN, 'portalctl'), ['-c', stack.conf, ...args], { env: stack.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// Announcements, sign-ups and uploads in a loop until stop(); each write the
// portal acknowledged is kept with the times it was sent and answered.
function writeLoad() {
  let running = true;
  const acked = [];
  const done = (async () => {
    for (let i = 0; running; i++) {
      const at = Date.now();
      const title = `Mitteilung ${i} ${crypto.randomUUID()}`;
      const a = await manager.json('/api/v1/announcements', { method: 'POST', body: { title, body: 'Text', property_ids: [house], notify: false } });
      if (a.status === 201) acked.push({ kind: 'announcement', at, done: Date.now(), key: title });
      const email = `load-${i}-${crypto.randomUUID()}@example.org`;
      const j = await new Client(source).json(`/api/v1/join/${joinToken}`, { method: 'POST', body: { display_name: `Neu ${i}`, email, password: 'Ein gutes Passwort 1' } });
      if (j.status === 201) acked.push({ kind: 'user', at, done: Date.now(), key: email });
      if (i % 4 === 0) {
        const title2 = `Aushang ${i}`;
        await upload(title2, `%PDF-1.4 ${title2} ${crypto.randomUUID()}`);
        acked.push({ kind: 'document', at, done: Date.now(), key: title2 });
      }
      if (i % 4 === 2) {
        // A file that goes again with its document, perhaps while the backup runs.
        const id = await upload(`Wegwerf ${i}`, `%PDF-1.4 Wegwerf ${crypto.randomUUID()}`);
        assert.equal((await manager.fetch(`/api/v1/documents/${id}`, { method: 'DELETE', headers: { Origin: source.base } })).status, 204);
      }
    }
  })();
  return { acked, stop: async () => { running = false; await done; } };
}

const tablesOf = (stack) => stack.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'portal' ORDER BY table_name").trim().split('\n');

// Per table its row count and CHECKSUM TABLE; every stored file with its hash.
function stateOf(stack) {
  const tables = {};
  for (const t of tablesOf(stack)) {
    const count = stack.sql(`SELECT COUNT(*) FROM \`${t}\``).trim();
    const sum = stack.sql(`CHECKSUM TABLE \`${t}\``).trim().split('\t')[1];
    tables[t] = `${count} rows, checksum ${sum}`;
  }
  const files = {};
  const dir = path.join(stack.var, 'files');
  for (const name of fs.readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort()) {
    files[name] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex');
  }
  // The triggers that keep counts (sql/024's residents_count) come back too.
  const triggers = stack.sql("SELECT trigger_name, event_object_table, action_timing, event_manipulation, MD5(action_statement) FROM information_schema.triggers WHERE trigger_schema = 'portal' ORDER BY trigger_name").trim();
  return { tables, files, triggers };
}

async function stopPortald(stack) {
  const pid = stack.pidOf('portald');
  process.kill(pid, 'SIGTERM');
  await waitFor('portald to stop', () => !isAlive(pid));
}

// The target as a fresh deployment: no portald, an empty database and files folder.
async function emptyTarget() {
  if (target.pidOf('portald') && isAlive(target.pidOf('portald'))) await stopPortald(target);
  target.sql('DROP DATABASE portal; CREATE DATABASE portal CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  const dir = path.join(target.var, 'files');
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { force: true });
}

// portald again on the restored data, with the source's secret key (the
// backup holds data, not the configuration).
async function startTarget() {
  const key = /^secret_key = (\S+)$/m.exec(fs.readFileSync(source.conf, 'utf8'))[1];
  target.setConf({ secret_key: key });
  target.startAgain();
}

async function signIn(stack, email, password) {
  const c = new Client(stack);
  const res = await c.json('/api/v1/session', { method: 'POST', body: { email, password } });
  c.csrf = res.body?.csrf_token;
  return { c, res };
}

test('a restore into a deployment that is not empty is refused and changes nothing', async () => {
  const dir = path.join(scratch, 'first');
  const made = source.portalctl('backup', '--out', dir);
  assert.equal(made.status, 0, made.stderr);
  // The target's own jobs worker keeps its bookkeeping (table jobs) meanwhile.
  const withoutJobs = () => { const s = stateOf(target); delete s.tables.jobs; return s; };
  const before = withoutJobs();
  const r = target.portalctl('restore', dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^portalctl: the deployment is not empty \(\d+ tables in database portal, \d+ files in .*\): restore into a fresh one, or pass --force/);
  assert.deepEqual(withoutJobs(), before);
});

test('a backup under a write load restores as one consistent state that serves', async () => {
  const load = writeLoad();
  await waitFor('some writes', () => load.acked.length >= 6, 30000);
  const startedAt = Date.now();
  const dir = path.join(scratch, 'under-load');
  const made = await portalctlAsync(source, 'backup', '--out', dir);
  const writesDuring = load.acked.filter((w) => w.at >= startedAt).length;
  await waitFor('writes after the backup', () => load.acked.filter((w) => w.at >= startedAt).length > writesDuring + 2, 30000);
  await load.stop();
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /^backup: .* \(the database and \d+ files\)$/m);
  assert.deepEqual(fs.readdirSync(scratch).filter((n) => n.includes('.partial-')), [], 'no half backup is left');
  assert.deepEqual(fs.readdirSync(path.join(source.var, 'files')).filter((n) => n.startsWith('.backup-')), [], 'no pinned links are left');

  await emptyTarget();
  const r = target.portalctl('restore', dir);
  assert.equal(r.status, 0, r.stderr);

  // Every write acknowledged before the backup began is there.
  const before = load.acked.filter((w) => w.done < startedAt);
  assert.ok(before.length >= 4);
  for (const w of before) {
    const q = { announcement: `SELECT COUNT(*) FROM announcements WHERE title = '${w.key}'`, user: `SELECT COUNT(*) FROM users WHERE email = '${w.key}'`, document: `SELECT COUNT(*) FROM documents WHERE title = '${w.key}'` }[w.kind];
    assert.equal(target.sql(q).trim(), '1', `${w.kind} ${w.key}`);
  }
  // One snapshot: what each transaction wrote is there together or not at all.
  assert.equal(target.sql('SELECT COUNT(*) FROM announcements a WHERE NOT EXISTS (SELECT 1 FROM announcement_targets t WHERE t.announcement_id = a.id)').trim(), '0');
  assert.equal(target.sql("SELECT COUNT(*) FROM users u WHERE u.role = 'resident' AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)").trim(), '0');
  assert.equal(target.sql('SELECT COUNT(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM document_files f WHERE f.document_id = d.id)').trim(), '0');
  // Every file a row names is there, whole.
  const named = target.sql('SELECT DISTINCT file FROM document_files').trim().split('\n');
  assert.ok(named.length >= 2);
  const restored = stateOf(target).files;
  for (const name of named) assert.equal(restored[name], name, `file ${name}`);

  await startTarget();
  const { c, res } = await signIn(target, resident.email, resident.password);
  assert.equal(res.status, 200);
  const doc = await c.fetch(`/api/v1/documents/${documentIds[0]}/download`);
  assert.equal(doc.status, 200);
  assert.match(await doc.text(), /^%PDF-1.4 Hausordnung /);
});

test('a backup of a quiet portal restores every table and file exactly (restore --force)', async () => {
  // "As of the backup": the source's state before and after it is the same.
  let made;
  let state;
  const dir = path.join(scratch, 'quiet');
  await waitFor('the outbox to be sent', () => source.sql("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").trim() === '0', 30000);
  for (let attempt = 0; attempt < 5; attempt++) {
    fs.rmSync(dir, { recursive: true, force: true });
    const first = stateOf(source);
    made = source.portalctl('backup', '--out', dir);
    assert.equal(made.status, 0, made.stderr);
    state = stateOf(source);
    if (JSON.stringify(first) === JSON.stringify(state)) break;
    state = null;
  }
  assert.ok(state, 'the source stood still during one of the backups');
  // Over the target's data of the test before; its portald (and jobs) stopped.
  await stopPortald(target);
  const r = target.portalctl('restore', dir, '--force');
  assert.equal(r.status, 0, r.stderr);
  const restored = stateOf(target);
  assert.deepEqual(Object.keys(restored.tables), Object.keys(state.tables));
  for (const t of Object.keys(state.tables)) assert.equal(restored.tables[t], state.tables[t], `table ${t}`);
  assert.deepEqual(restored.files, state.files);
  // The manifest is what sha256sum checks.
  const manifest = fs.readFileSync(path.join(dir, 'MANIFEST'), 'utf8').trim().split('\n');
  assert.equal(manifest.length, Object.keys(state.files).length + 1);
  assert.ok(manifest.some((l) => /^[0-9a-f]{64} {2}database\.sql$/.test(l)));
});

test('a damaged backup is refused with a clear message and nothing is written', async () => {
  const good = path.join(scratch, 'quiet');
  const files = fs.readdirSync(path.join(good, 'files'));
  for (const damaged of ['database.sql', `files/${files[0]}`]) {
    const dir = path.join(scratch, `damaged-${damaged.replace('/', '-')}`);
    fs.cpSync(good, dir, { recursive: true });
    const file = path.join(dir, damaged);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    fs.writeFileSync(file, bytes);
    await emptyTarget();
    const r = target.portalctl('restore', dir);
    assert.equal(r.status, 1, damaged);
    assert.equal(r.stderr, `portalctl: the backup in ${dir} is damaged: ${damaged} does not match its checksum in the manifest; nothing was restored\n`);
    assert.deepEqual(tablesOf(target), [''], 'no table was written');
    assert.deepEqual(fs.readdirSync(path.join(target.var, 'files')), [], 'no file was written');
  }
});

test('backup refuses a folder it cannot write or that exists, and writes nothing', async () => {
  const plain = path.join(scratch, 'a-file');
  fs.writeFileSync(plain, 'x');
  const r = source.portalctl('backup', '--out', path.join(plain, 'backup'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^portalctl: cannot write a backup into .*a-file: Not a directory\n$/);
  const exists = source.portalctl('backup', '--out', path.join(scratch, 'quiet'));
  assert.equal(exists.status, 1);
  assert.match(exists.stderr, /^portalctl: .*quiet exists already: name a new folder\n$/);
  for (const args of [['backup'], ['backup', '--out'], ['restore'], ['restore', 'x', '--bogus']]) {
    const bad = source.portalctl(...args);
    assert.equal(bad.status, 1, args.join(' '));
    assert.match(bad.stderr, /^portalctl: usage: /, args.join(' '));
  }
});

// A dump names the account that made each trigger (DEFINER=`...`@`...`). A
// restore by another account without the SET USER privilege (a new host, a
// database user of another name) would be refused by MariaDB, and a missing
// definer would fail every write the trigger fires on: restore leaves the
// clause out, so that the triggers are the restoring account's.
test('a restore by another database user without SUPER: the triggers are its own and keep counting', async () => {
  const dir = path.join(scratch, 'other-user');
  const made = source.portalctl('backup', '--out', dir);
  assert.equal(made.status, 0, made.stderr);
  assert.match(fs.readFileSync(path.join(dir, 'database.sql'), 'utf8'), /DEFINER=`[^`]+`@`[^`]+`/, 'the dump names a definer');
  await emptyTarget();
  const password = crypto.randomUUID();
  target.sql(`DROP USER IF EXISTS 'restorer'@'localhost'; CREATE USER 'restorer'@'localhost' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON portal.* TO 'restorer'@'localhost'`);
  const conf = path.join(scratch, 'restorer.conf');
  fs.writeFileSync(conf, fs.readFileSync(target.conf, 'utf8'));
  target.setConf({ db_user: 'restorer', db_password: password }, conf);
  const r = spawnSync(path.join(target.env.PORTAL_BIN, 'portalctl'), ['-c', conf, 'restore', dir], { env: target.env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const definers = target.sql("SELECT DISTINCT definer FROM information_schema.triggers WHERE trigger_schema = 'portal'").trim();
  assert.equal(definers, 'restorer@localhost');
  assert.equal(stateOf(target).triggers, stateOf(source).triggers);
  // A membership gone is counted by the restored trigger.
  const count = () => Number(target.sql(`SELECT residents_count FROM properties WHERE id = ${house}`).trim());
  const was = count();
  assert.ok(was > 0, `residents of the house: ${was}`);
  target.sql(`DELETE FROM memberships WHERE property_id = ${house} AND state = 'active' LIMIT 1`);
  assert.equal(count(), was - 1);
});
