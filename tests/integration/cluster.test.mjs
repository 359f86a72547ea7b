// Two hosts, three database nodes, on loopback: a three-node MariaDB Galera
// cluster (the stack's own MariaDB bootstrapped as its first node, two more
// joined by state transfer), two portald pools (the stack's and a second one,
// sharing the files folder) each on its own node, and the stack's nginx over
// both through one upstream. Under a steady write load (announcements to
// residents, which queue mail, sign-ups through an invite link, ticket
// comments, which mail the reporter, document uploads into the shared files
// folder) one Galera node and then one pool are
// killed with SIGKILL and brought back: every write answered 2xx is there
// afterwards (read on the third node and through nginx); every queued mail
// reaches the SMTP sink once (but the one a killed pool may have had in
// flight: that one twice, with one Message-ID); the test plugin "ticker" (a job every
// two seconds) runs at most once a period; failures are 502/503 only, of
// requests in flight as a node or pool was killed, and once all is back
// every request succeeds. The
// plugins' tables are made on a node that refuses a table without a primary
// key. Then an upload and a removal of the same stored file on two nodes at
// once: the cluster lets one through and no row names a missing file. Last,
// content written through both pools at one instant: none of it refused, and
// every home read afterwards on either node shows all of it; then tickets
// reported, commented and marked affected through both at one instant: none
// refused, the numbers without a gap or a repeat; and sign-ups through one
// invite link at one instant: none refused, each signed in once. The example
// deployment is deploy/cluster (see its README.md).
//
// Part of `make test`; `make test-cluster` runs it alone (about two
// minutes). A run that fails keeps its folders and prints where.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack, freePorts, isAlive, sleep, waitFor } from './stack.mjs';
import { newManager, newProperty, newResident } from './client.mjs';

const NODES = 3;
let stack;
let dir;
let nodes; // [{ n, cnf, socket, pid }]
let second;
let manager;
let property;
let ticketId;
let token;
// The tests that passed: a run with one that failed keeps its folders
// (every node's error log, both pools' logs, nginx's, the mail) and says where.
const TESTS = 5;
let passed = 0;

function nodeOptions(n, ports) {
  const gcomm = ports.map((p) => `127.0.0.1:${p.galera}`).join(',');
  const own = ports[n - 1];
  return [
    '[mariadbd]',
    'binlog_format = ROW',
    'default_storage_engine = InnoDB',
    'innodb_autoinc_lock_mode = 2',
    'innodb_buffer_pool_size = 64M',
    'wsrep_on = ON',
    'wsrep_provider = /usr/lib/galera/libgalera_smm.so',
    'wsrep_cluster_name = portal-test',
    // The first node bootstraps the cluster; the others join it.
    `wsrep_cluster_address = gcomm://${n === 1 ? '' : gcomm}`,
    `wsrep_node_name = node${n}`,
    `wsrep_node_address = 127.0.0.1:${own.galera}`,
    `wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:${own.galera};ist.recv_addr=127.0.0.1:${own.ist};gcache.size=64M"`,
    `wsrep_sst_receive_address = 127.0.0.1:${own.sst}`,
    // A hot copy by mariabackup for a node that joins without the
    // history IST needs; it signs in as the system user by socket.
    'wsrep_sst_method = mariabackup',
    `wsrep_sst_auth = ${os.userInfo().username}:`,
    // Galera replicates rows by their primary key: a table without one is refused.
    'wsrep_mode = REQUIRED_PRIMARY_KEY',
    // The migrations create triggers as the portal's user (galera.cnf).
    'log_bin_trust_function_creators = 1',
    // Reads see what the other nodes committed before them (galera.cnf).
    'wsrep_sync_wait = 1',
    '',
  ].join('\n');
}

// The option file of node n (2 or 3): a server of its own beside the stack's.
function nodeCnf(n, ports) {
  const d = path.join(dir, `node${n}`);
  fs.mkdirSync(path.join(d, 'tmp'), { recursive: true });
  const socket = path.join(d, 'mariadb.sock');
  fs.writeFileSync(path.join(d, 'my.cnf'), [
    '[client]',
    `socket = ${socket}`,
    '[mariadbd]',
    ...(process.getuid() === 0 ? ['user = root'] : []),
    `datadir = ${d}/data`,
    `socket = ${socket}`,
    `pid-file = ${d}/mariadb.pid`,
    `log-error = ${d}/mariadb.err`,
    `tmpdir = ${d}/tmp`,
    'skip-networking',
    'skip-name-resolve',
    'character-set-server = utf8mb4',
    'collation-server = utf8mb4_unicode_ci',
    'performance_schema = OFF',
    'max_connections = 200',
    nodeOptions(n, ports).replace('[mariadbd]\n', ''),
  ].join('\n'));
  return { n, dir: d, cnf: path.join(d, 'my.cnf'), socket, pid: null };
}

function nodeSql(node, query) {
  const r = spawnSync('mariadb', [`--defaults-file=${node.cnf}`, '-u', os.userInfo().username, '-N', '-B', '-e', query], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const synced = (node) => nodeSql(node, "SHOW STATUS LIKE 'wsrep_local_state_comment'") === 'wsrep_local_state_comment\tSynced';
const clusterSize = (node) => Number((nodeSql(node, "SHOW STATUS LIKE 'wsrep_cluster_size'") || '\t0').split('\t')[1]);

const tail = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').slice(-3000) : '');

async function startNode(node) {
  if (!fs.existsSync(path.join(node.dir, 'data'))) {
    // As the stack's own (core/scripts/stack.sh): its temporary tables in
    // the node's folder (one vanished from the shared /tmp under a run on a
    // busy machine), and a second try from scratch before giving up.
    const install = () => {
      fs.rmSync(path.join(node.dir, 'data'), { recursive: true, force: true });
      return spawnSync('mariadb-install-db', ['--no-defaults', `--user=${os.userInfo().username}`, `--datadir=${node.dir}/data`,
        `--tmpdir=${node.dir}/tmp`, '--auth-root-authentication-method=socket', '--skip-test-db'], { encoding: 'utf8' });
    };
    let r = install();
    if (r.status !== 0) r = install();
    assert.equal(r.status, 0, r.stderr);
  }
  const out = fs.openSync(path.join(node.dir, 'mariadb.out'), 'a');
  const child = spawn('/usr/sbin/mariadbd', [`--defaults-file=${node.cnf}`], { stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  child.unref();
  node.pid = child.pid;
  await waitFor(`node ${node.n} synced (${path.join(node.dir, 'mariadb.err')})`, () => {
    if (!isAlive(node.pid)) throw new Error(`node ${node.n} died:\n${tail(path.join(node.dir, 'mariadb.err'))}`);
    return synced(node);
  }, 90000);
}

async function stopNode(node) {
  if (!node.pid || !isAlive(node.pid)) return;
  process.kill(node.pid, 'SIGTERM');
  await waitFor(`node ${node.n} to stop`, () => !isAlive(node.pid), 60000);
}

// The stack's own pool: its master and its workers, killed at once (as a
// host that dies), then started again on the same configuration.
function killPool1() {
  const master = stack.pidOf('portald');
  const pids = [master, ...stack.workerPids()];
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return pids;
}

function startPool1() {
  const logFd = fs.openSync(path.join(stack.var, 'log', 'portald.log'), 'a');
  const child = spawn(path.join(stack.env.PORTAL_BIN, 'portald'), ['-c', stack.conf], { stdio: ['ignore', logFd, logFd], detached: true });
  fs.closeSync(logFd);
  child.unref();
  return child.pid;
}

// nginx's FastCGI pass goes to an upstream of both pools' sockets. A pool
// that cannot be reached (error) or answers 503 (portald's "the database
// failed, nothing was written") passes the request to the other; a timeout
// does not, since the write may have happened.
function upstreamOverBothPools() {
  const conf = path.join(stack.var, 'nginx');
  const sockets = ['portald.sock', 'portald2.sock'].map((s) => path.join(stack.var, 'run', s));
  const server = path.join(conf, 'portal-server.conf');
  const text = fs.readFileSync(server, 'utf8');
  assert.match(text, /fastcgi_pass unix:/);
  fs.writeFileSync(server, text.replaceAll(`fastcgi_pass unix:${sockets[0]};`,
    'fastcgi_pass portal_pools;\n    fastcgi_next_upstream error http_503 non_idempotent;'));
  fs.appendFileSync(path.join(conf, 'portal-http.conf'),
    `\nupstream portal_pools {\n${sockets.map((s) => `    server unix:${s} max_fails=0;\n`).join('')}}\n`);
  process.kill(stack.pidOf('nginx'), 'SIGHUP');
}

// The joined nodes are this process's own servers: a test run that ends
// early (an interrupt, a crash) takes them down too.
process.on('exit', () => {
  for (const node of (nodes || []).slice(1)) {
    if (node.pid && isAlive(node.pid)) process.kill(node.pid, 'SIGKILL');
  }
});

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-galera-'));
  fs.chmodSync(dir, 0o711);
  const free = await freePorts(3 * NODES);
  const ports = Array.from({ length: NODES }, (_, i) => ({ galera: free[3 * i], ist: free[3 * i + 1], sst: free[3 * i + 2] }));
  const first = path.join(dir, 'node1.cnf');
  fs.writeFileSync(first, nodeOptions(1, ports));
  stack = await startStack({
    workers: 2,
    env: { MARIADB_INCLUDE: first, SESSION_RATE: '1000r/s', SESSION_BURST: '1000', REQUEST_TIMEOUT: '10' },
  });
  nodes = [{ n: 1, cnf: path.join(stack.var, 'mariadb.cnf'), pid: stack.pidOf('mariadb') }, nodeCnf(2, ports), nodeCnf(3, ports)];
  assert.equal(clusterSize(nodes[0]), 1, 'the first node bootstrapped a cluster');
  for (const node of nodes.slice(1)) await startNode(node);
  assert.equal(clusterSize(nodes[0]), 3);

  const { pluginDir, shareDir } = stack.testPlugins(['ticker'], ['example', 'invites', 'content', 'documents', 'tickets', 'community']);
  fs.writeFileSync(`${shareDir}/ticker/sql/001_ticker.sql`,
    'CREATE TABLE ticker_runs (period BIGINT NOT NULL PRIMARY KEY, label VARCHAR(32) NOT NULL, at DATETIME(3) NOT NULL);\n');
  stack.setConf({
    plugin_dir: pluginDir,
    plugin_share: shareDir,
    plugins: 'example invites content documents tickets community ticker',
    'invites.join_max_per_address': 100000,
    'invites.join_max_per_email': 100000,
    'ticker.label': 'eins',
  });
  // both pools start the new plugins' migrations at once, on two nodes:
  // one migrates, the other waits for the cluster's migration lock
  [second] = await Promise.all([
    stack.startSecondPool({ conf: { db_socket: nodes[1].socket, 'ticker.label': 'zwei' } }),
    stack.reload(),
  ]);
  assert.ok(isAlive(second.pid), second.log());
  assert.match(stack.sql("SELECT CONCAT(id, ':', IFNULL(holder, 'free')) FROM schema_lock"), /^1:free$/m);
  upstreamOverBothPools();

  manager = await newManager(stack);
  property = await newProperty(manager, 'Clusterhaus');
  for (let i = 0; i < 3; i++) await newResident(stack, manager, [property.id]);
  // A resident's ticket, for the manager's comments of the load (each mails them).
  const reporter = await newResident(stack, manager, [property.id]);
  const reported = await reporter.json('/api/v1/tickets', { method: 'POST', body: { property_id: property.id, title: 'Heizung', description: 'Kalt', category: 'Sonstiges' } });
  assert.equal(reported.status, 201, JSON.stringify(reported.body));
  ticketId = reported.body.id;
  const invite = await manager.json(`/api/v1/properties/${property.id}/invite`);
  assert.equal(invite.status, 200, JSON.stringify(invite.body));
  token = /\/join\/([^/?#]+)$/.exec(invite.body.url)[1];
});

after(async () => {
  if (passed < TESTS) {
    process.env.KEEP_STACK = '1';
    process.stderr.write(`cluster test failed: the stack is kept in ${stack?.var}, the joined nodes in ${dir}\n`);
  }
  await second?.stop().catch(() => {});
  for (const node of (nodes || []).slice(1)) await stopNode(node).catch(() => {});
  await stack?.stop();
  if (dir && !process.env.KEEP_STACK) fs.rmSync(dir, { recursive: true, force: true });
});

// The form of a document upload: one file of content.
function documentForm(content, filename, title) {
  const form = new FormData();
  form.append('files', new Blob([content], { type: 'text/plain' }), filename);
  for (const [k, v] of Object.entries({ title, category: 'Sonstiges', audience: 'residents', unit_id: '', requires_ack: '' })) form.append(k, v);
  return form;
}
const uploadDocument = (form) => manager.json(`/api/v1/properties/${property.id}/documents`, { method: 'POST', body: form, headers: { Origin: stack.base } });

// A sign-up through the property's invite link: fetch's answer.
const signUp = (displayName, email, tag) => fetch(`${stack.base}/api/v1/join/${token}`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Origin: stack.base },
  body: JSON.stringify({ display_name: displayName, email, password: `Ein sicheres Passwort ${tag}` }),
});

// One write: an announcement, a sign-up, a ticket comment or a document
// upload, in turn. Returns { status, kind, key } (key: what reads it back).
let writes = 0;
async function oneWrite() {
  writes += 1;
  const tag = `${process.pid}-${writes}-${crypto.randomBytes(3).toString('hex')}`;
  try {
    if (writes % 4 === 3) {
      const body = `Kommentar ${tag}`;
      const res = await manager.json(`/api/v1/tickets/${ticketId}/comments`, { method: 'POST', body: { body } });
      return { status: res.status, kind: 'comment', key: res.body?.id, body };
    }
    if (writes % 4 === 0) {
      const content = `Hausordnung ${tag}\n`;
      const res = await uploadDocument(documentForm(content, `hausordnung-${tag}.txt`, `Hausordnung ${tag}`));
      return { status: res.status, kind: 'document', key: res.body?.items?.[0]?.id, content };
    }
    if (writes % 4 === 1) {
      const title = `Cluster ${tag}`;
      const res = await manager.json('/api/v1/announcements', { method: 'POST', body: { title, body: 'Text', property_ids: [property.id] } });
      return { status: res.status, kind: 'announcement', key: res.body?.id, title };
    }
    const email = `signup-${tag}@example.org`;
    const res = await signUp('Sina Signup', email, tag);
    return { status: res.status, kind: 'signup', key: email };
  } catch (err) {
    return { status: 0, kind: 'error', key: String(err) };
  }
}

// Writes one after another until stop() is called: every answer kept.
function load() {
  const results = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const sent = Date.now();
      const r = await oneWrite();
      results.push({ ...r, phase: load.phase, sent, answered: Date.now() });
    }
  })();
  return { results, stop: async () => { running = false; await done; } };
}

test('a node and a pool killed under write load: every acknowledged write stays, mail goes once, the job runs once a period', async (t) => {
  load.phase = 'steady';
  const writer = load();
  t.after(() => writer.stop()); // also when the test failed midway
  const count = () => writer.results.length;
  const after = async (n) => { const at = count(); await waitFor('writes', () => count() >= at + n, 60000); };
  await after(10);

  // node 2, the second pool's database, dies and comes back (IST or SST)
  load.phase = 'node';
  const kills = [Date.now()];
  process.kill(nodes[1].pid, 'SIGKILL');
  await waitFor('node 2 to die', () => !isAlive(nodes[1].pid));
  await after(10);
  await startNode(nodes[1]);
  await waitFor('three nodes', () => clusterSize(nodes[0]) === 3, 30000);
  // Joined is not yet synced: the new node, and the donor that sent it its
  // state, still apply the writes queued meanwhile, which may abort a write
  // of the load that holds the same rows. Steady means all three in sync.
  await waitFor('three nodes in sync', () => nodes.every((n) => synced(n)), 30000);
  load.phase = 'steady';
  await after(10);

  // the first pool dies with its workers and comes back
  load.phase = 'pool';
  const killedAt = stack.sql('SELECT UTC_TIMESTAMP(3)').trim();
  const killedMs = Date.now();
  kills.push(killedMs);
  const dead = killPool1();
  await waitFor('pool 1 to die', () => dead.every((pid) => !isAlive(pid)));
  await after(10);
  const pid = startPool1();
  await waitFor('pool 1 to serve', () => stack.pidOf('portald') === pid && stack.workerPids().length >= 2, 20000);
  load.phase = 'steady';
  await after(10);
  await writer.stop();

  // afterwards every request succeeds
  for (let i = 0; i < 20; i++) {
    const r = await oneWrite();
    assert.ok(r.status >= 200 && r.status < 300, `after recovery: ${JSON.stringify(r)}`);
    writer.results.push({ ...r, phase: 'after' });
  }

  const failed = writer.results.filter((r) => r.status < 200 || r.status >= 300);
  t.diagnostic(`writes ${writer.results.length}, failed: ${JSON.stringify(failed.map((r) => [r.phase, r.status, r.kind]))}`);
  for (const r of failed) {
    assert.ok([502, 503].includes(r.status), `only 502/503 while a node or pool is down: ${JSON.stringify(r)}`);
    assert.notEqual(r.phase, 'steady', `no failure while all is up: ${JSON.stringify(r)}`);
    // Only a request in flight as a node or a pool was killed may fail: one
    // sent later goes to what is up.
    assert.ok(kills.some((k) => r.sent <= k && k <= r.answered), `failed but not in flight at a kill: ${JSON.stringify(r)}`);
  }
  const ok = writer.results.filter((r) => r.status >= 200 && r.status < 300);
  assert.ok(ok.length >= 60, `writes acknowledged: ${ok.length} of ${writer.results.length}`);

  // every acknowledged write is there, read on node 3 and through the second pool
  const node3 = nodes[2];
  for (const r of ok) {
    if (r.kind === 'announcement') {
      assert.equal(nodeSql(node3, `SELECT title FROM portal.announcements WHERE id = ${Number(r.key)}`), r.title);
    } else if (r.kind === 'signup') {
      assert.equal(nodeSql(node3, `SELECT COUNT(*) FROM portal.users WHERE email = '${r.key}'`), '1', r.key);
    } else if (r.kind === 'comment') {
      assert.equal(nodeSql(node3, `SELECT body FROM portal.ticket_events WHERE id = ${Number(r.key)} AND type = 'comment'`), r.body);
    } else {
      // its file, from the shared files folder through nginx
      const file = await manager.fetch(`/api/v1/documents/${Number(r.key)}/download`);
      assert.equal(file.status, 200, `document ${r.key}`);
      assert.equal(await file.text(), r.content);
    }
  }
  const listed = await manager.json('/api/v1/announcements?limit=200');
  assert.equal(listed.status, 200);
  const ids = new Set(listed.body.items.map((a) => a.id));
  for (const r of ok.filter((x) => x.kind === 'announcement')) assert.ok(ids.has(r.key), `announcement ${r.key} listed`);

  // every queued mail is sent, and the sink has each exactly once. A batch
  // the killed pool had claimed waits for its lease (two minutes): the
  // test lets the leases taken before the kill run out now.
  stack.sql(`UPDATE outbox SET next_attempt_at = UTC_TIMESTAMP() WHERE status = 'queued' AND next_attempt_at <= '${killedAt}' + INTERVAL 120 SECOND`);
  await waitFor('the outbox to drain', () => stack.sql("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").trim() === '0', 90000);
  const queued = stack.sql('SELECT message_id FROM outbox').trim().split('\n');
  await waitFor('every mail in the sink', () => stack.mails().length >= queued.length, 30000);
  await sleep(1000);
  const seen = new Map();
  for (const m of stack.mails()) {
    const id = (m.headers['message-id'] || '').replace(/[<>]/g, '');
    seen.set(id, (seen.get(id) || 0) + 1);
  }
  // Once each, but for the one mail a killed jobs worker may have handed to
  // SMTP and not yet marked: SMTP cannot take part in the transaction, so
  // that one goes again after its lease, with its Message-ID.
  const again = queued.filter((id) => seen.get(id) !== 1);
  for (const id of queued) assert.ok(seen.get(id) >= 1, `mail ${id} sent`);
  assert.ok(again.length <= 1, `sent more than once: ${again.join(', ')}`);
  for (const id of again) {
    assert.equal(seen.get(id), 2, `mail ${id}`);
    const first = Math.min(...stack.mails().filter((m) => (m.headers['message-id'] || '').includes(id)).map((m) => fs.statSync(m.file).mtimeMs));
    assert.ok(first < killedMs + 1000, `mail ${id}: its first copy came as the pool was killed`);
  }
  assert.equal(stack.mails().length, queued.length + again.length, 'no mail besides the queued ones');

  // the ticker ran on after recovery, once a period: its rows (the key is the
  // period of the run's moment) and its refused inserts (a run that came
  // late into a period already run: 409) together are no more than the
  // periods from its first run to its last (two pools both running each
  // period would make about twice as many)
  const recent = Number(stack.sql('SELECT COUNT(*) FROM ticker_runs WHERE at > UTC_TIMESTAMP(3) - INTERVAL 20 SECOND').trim());
  assert.ok(recent >= 3, `the ticker runs after recovery: ${recent}`);
  const [first, last, rows] = stack.sql('SELECT MIN(period), MAX(period), COUNT(*) FROM ticker_runs').trim().split('\t').map(Number);
  const logs = stack.log() + second.log();
  const late = logs.split('\n').filter((l) => l.includes('job ticker failed: 409')).length;
  assert.ok(rows + late <= last - first + 2, `ticker runs ${rows} + ${late} in ${last - first + 1} periods`);
  const labels = stack.sql('SELECT label, COUNT(*) FROM ticker_runs GROUP BY label').trim();
  t.diagnostic(`runs by pool: ${labels.replace(/\t/g, ' ').replace(/\n/g, ', ')}; late ${late}`);
  passed += 1;
});

// A statement session on a node of its own (the mariadb client reading its
// input), as a pool's connection there: { run(sql), output(), end() } where
// end() resolves to { code, stderr }.
function session(node) {
  const p = spawn('mariadb', [`--defaults-file=${node.cnf}`, '-u', os.userInfo().username, '-N', '-B', '--unbuffered', 'portal'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => { stdout += d; });
  p.stderr.on('data', (d) => { stderr += d; });
  return {
    run: (sql) => p.stdin.write(`${sql};\n`),
    output: () => stdout,
    end: () => new Promise((resolve) => { p.on('exit', (code) => resolve({ code, stderr })); p.stdin.end(); }),
  };
}

test('an upload and a removal of the same content on two nodes at once: the cluster lets one of them through', async () => {
  const content = `Geteilter Inhalt ${crypto.randomBytes(6).toString('hex')}\n`;
  const name = crypto.createHash('sha256').update(content).digest('hex');
  const file = path.join(stack.var, 'files', name);
  const res = await uploadDocument(documentForm(content, 'geteilt.txt', 'Geteilt'));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  // its last row goes on node 1 (as a foreign key takes it along)
  assert.notEqual(nodeSql(nodes[0], `DELETE FROM portal.document_files WHERE file = '${name}'`), null);
  // on node 2, an upload of the same content inside its transaction: the
  // file's guard written, its row not yet
  const upload = session(nodes[1]);
  upload.run('START TRANSACTION');
  upload.run(`INSERT INTO stored_file_guards (name, version) VALUES ('${name}', 1) ON DUPLICATE KEY UPDATE version = version + 1`);
  upload.run("SELECT 'guard written'");
  await waitFor('the upload on node 2 to write the guard', () => upload.output().includes('guard written'));
  // the removal on node 1 (pool 1's sweep) does not wait for node 2's lock:
  // it commits first, so the cluster aborts the upload's transaction
  const sweep = stack.portalctl('jobs', 'run', 'files-sweep');
  assert.equal(sweep.status, 0, sweep.stderr);
  assert.ok(!fs.existsSync(file), 'the removal went through');
  upload.run(`UPDATE properties SET image_file = '${name}' WHERE id = ${property.id}`);
  upload.run('COMMIT');
  const ended = await upload.end();
  assert.notEqual(ended.code, 0, 'the upload lost: its transaction was aborted');
  assert.match(ended.stderr, /Deadlock|1213/);
  await waitFor('node 3 in step', () => synced(nodes[2]));
  assert.equal(nodeSql(nodes[2], `SELECT COUNT(*) FROM portal.properties WHERE image_file = '${name}'`), '0', 'no row names the removed file');
  // the upload tried again stores the file anew
  const again = await uploadDocument(documentForm(content, 'geteilt.txt', 'Geteilt again'));
  assert.equal(again.status, 201, JSON.stringify(again.body));
  assert.equal(fs.readFileSync(file, 'utf8'), content);
  passed += 1;
});

// Content written through both pools (on two nodes) at one instant: every
// write raises the organisation's content generation after its commit. On
// the organisation's row those raises aborted the other node's writes (their
// foreign keys hold that row) and each other: writes were refused (503, most
// of them then taken by the other pool) and raises lost. A raise goes to one
// of eight rows now (sql/027) and is tried again when it loses certification:
// no write is refused, not even once, and every home read after the answers,
// on either node, shows all that was written.
test('content written on two nodes at one instant: none refused, every home after it shows all of it', async () => {
  const resident = await newResident(stack, manager, [property.id]);
  const homes = () => Promise.all(Array.from({ length: 8 }, async () => {
    const res = await resident.fetch('/portal');
    return { status: res.status, html: await res.text() };
  }));
  const logged = [stack.log().length, second.log().length];
  for (let round = 0; round < 3; round++) {
    // both pools' workers keep the home of before
    for (const home of await homes()) assert.equal(home.status, 200);
    const tag = crypto.randomBytes(3).toString('hex');
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => [
      manager.json('/api/v1/announcements', { method: 'POST', body: { title: `Zugleich ${tag} ${i}`, body: 'Text', property_ids: [property.id] } }),
      manager.json('/api/v1/faq', { method: 'POST', body: { question: `Zugleich ${tag} ${i}?`, answer: 'Ja.', property_ids: [property.id] } }),
    ]).flat());
    assert.deepEqual(answers.map((r) => r.status), answers.map(() => 201), JSON.stringify(answers.map((r) => r.body)));
    for (const home of await homes()) {
      assert.equal(home.status, 200);
      for (let i = 0; i < 8; i++) assert.ok(home.html.includes(`Zugleich ${tag} ${i}?`), `the question ${i} on the home`);
      // the home shows the newest five announcements: five of these
      assert.equal(home.html.match(new RegExp(`Zugleich ${tag} \\d(?!\\?)`, 'g'))?.length, 5, 'the newest announcements on the home');
    }
  }
  const lines = (stack.log().slice(logged[0]) + second.log().slice(logged[1])).split('\n');
  assert.deepEqual(lines.filter((l) => / POST \/api\/v1\/(announcements|faq) (?!201)/.test(l)), [], 'no write refused by a pool');
  assert.deepEqual(lines.filter((l) => l.includes('generation was not raised')), [], 'every raise of the generation made');
  passed += 1;
});

test('tickets reported, commented and marked affected on two nodes at one instant: none refused, numbered without a gap or a repeat', async () => {
  const residents = [];
  for (let i = 0; i < 4; i++) residents.push(await newResident(stack, manager, [property.id]));
  const neighbours = [];
  for (let i = 0; i < 12; i++) neighbours.push(await newResident(stack, manager, [property.id]));
  const shared = await manager.json(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { shared: true } });
  assert.equal(shared.status, 200, JSON.stringify(shared.body));
  const logged = [stack.log().length, second.log().length];
  const numbers = [];
  for (let round = 0; round < 3; round++) {
    const tag = crypto.randomBytes(3).toString('hex');
    // the reports meet in the organisation's counter of ticket numbers, the
    // comments and the neighbours' "affected" in their ticket's row
    const answers = await Promise.all([
      ...residents.flatMap((resident, i) => [0, 1].map((k) => resident.json('/api/v1/tickets', {
        method: 'POST', body: { property_id: property.id, title: `Zugleich ${tag} ${i}.${k}`, description: 'Tropft.', category: 'Sonstiges' },
      }))),
      ...Array.from({ length: 4 }, (_, i) => manager.json(`/api/v1/tickets/${ticketId}/comments`, { method: 'POST', body: { body: `Zugleich ${tag} ${i}` } })),
      ...neighbours.slice(4 * round, 4 * round + 4).map((n) => n.json(`/api/v1/tickets/${ticketId}/affected`, { method: 'POST', body: {} })),
    ]);
    assert.deepEqual(answers.map((r) => r.status), answers.map((_, i) => (i < 12 ? 201 : 200)), JSON.stringify(answers.map((r) => r.body)));
    numbers.push(...answers.slice(0, 8).map((r) => r.body.number));
  }
  numbers.sort((x, y) => x - y);
  assert.deepEqual(numbers, numbers.map((_, i) => numbers[0] + i), 'numbers without a gap or a repeat');
  const ticket = await manager.json(`/api/v1/tickets/${ticketId}`);
  assert.equal(ticket.body.affected_count, 12);
  const lines = (stack.log().slice(logged[0]) + second.log().slice(logged[1])).split('\n');
  assert.deepEqual(lines.filter((l) => / POST \/api\/v1\/tickets(\/\d+\/(comments|affected))? (?!20[01])/.test(l)), [], 'no write refused by a pool');
  passed += 1;
});

test('sign-ups through one invite link on two nodes at one instant: none refused, each with one session, all counted', async () => {
  const count = () => Number(stack.sql(`SELECT residents_count FROM properties WHERE id = ${property.id}`).trim());
  const before = count();
  const logged = [stack.log().length, second.log().length];
  for (let round = 0; round < 3; round++) {
    const tag = crypto.randomBytes(3).toString('hex');
    // each counts a resident on the property's row
    const answers = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const res = await signUp('Zara Zugleich', `zugleich-${tag}-${i}@example.org`, tag);
      return { status: res.status, cookies: res.headers.getSetCookie(), body: await res.json() };
    }));
    for (const a of answers) {
      assert.equal(a.status, 201, JSON.stringify(a.body));
      assert.equal(a.cookies.length, 1, a.cookies.join(' | '));
      const me = await fetch(`${stack.base}/api/v1/me`, { headers: { Cookie: a.cookies[0].split(';')[0] } });
      assert.equal(me.status, 200);
    }
  }
  assert.equal(count(), before + 24);
  const lines = (stack.log().slice(logged[0]) + second.log().slice(logged[1])).split('\n');
  assert.deepEqual(lines.filter((l) => / POST \/api\/v1\/join\/\{token\} (?!201)/.test(l)), [], 'no sign-up refused by a pool');
  passed += 1;
});
