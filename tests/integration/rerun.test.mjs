// A transaction the database refused for another's sake runs again
// (portal_db_transaction, core/http/sdk.c), here the sign-up through an
// invite link (plugins/invites/join.c). Another connection holds the link's
// property row for three seconds on a server that lets a statement wait two
// seconds for a lock: MariaDB then refuses the statement (1205), as it
// refuses one side of a deadlock (1213) and a Galera node a write that
// another host's certified first, which is what two sign-ups through one
// link at one instant on two hosts meet. The sign-up's first try gives up;
// its second gets the row once it is free: one 201 with one session that
// works, the resident counted once, one confirmation mail, and nothing of
// the first try left (its session, its cookie, its mail).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

const HOLD_SECONDS = 3;
let stack, manager, property, token, cnf;

before(async () => {
  cnf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'portal-rerun-')), 'lock-wait.cnf');
  fs.writeFileSync(cnf, '[mariadbd]\ninnodb_lock_wait_timeout = 2\n');
  stack = await startStack({ env: { MARIADB_INCLUDE: cnf, SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  property = await newProperty(manager, 'Wartehaus');
  const invite = await manager.json(`/api/v1/properties/${property.id}/invite`);
  assert.equal(invite.status, 200, JSON.stringify(invite.body));
  token = /\/join\/([^/?#]+)$/.exec(invite.body.url)[1];
});

after(async () => {
  await stack?.stop();
  if (cnf) fs.rmSync(path.dirname(cnf), { recursive: true, force: true });
});

// Another connection takes the rows that lock (a locking read) takes and
// keeps them seconds (HOLD_SECONDS by default); resolves once it holds them
// (its line comes after the lock) to { ended }, the holder's end.
async function hold(lock, seconds = HOLD_SECONDS) {
  const holder = spawn('mariadb', [`--defaults-file=${path.join(stack.var, 'mariadb.cnf')}`, '-u', os.userInfo().username,
    '--unbuffered', '-N', '-B', 'portal', '-e', `BEGIN; ${lock}; SELECT 'held'; DO SLEEP(${seconds}); COMMIT;`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const ended = new Promise((resolve) => holder.on('exit', resolve));
  await new Promise((resolve, reject) => {
    holder.stdout.on('data', (d) => String(d).includes('held') && resolve());
    holder.on('exit', (code) => reject(new Error(`the holder ended (${code}) before it held its rows`)));
  });
  return { ended };
}

async function signUp(body, cookie) {
  const res = await fetch(`${stack.base}/api/v1/join/${token}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: stack.base, ...(cookie ? { Cookie: cookie } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, cookies: res.headers.getSetCookie(), body: await res.json() };
}

const residentsCount = async () => (await manager.json(`/api/v1/properties/${property.id}`)).body.residents_count;

// The answer's one session cookie works, and the account has that session only.
async function signedIn(res) {
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.cookies.length, 1, `one Set-Cookie: ${res.cookies.join(' | ')}`);
  const me = await new Client(stack, res.cookies[0].split(';')[0], res.body.csrf_token).json('/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.user.id, res.body.user.id);
  assert.ok(me.body.memberships.some((m) => m.property.id === property.id));
  assert.equal(stack.sql(`SELECT COUNT(*) FROM sessions WHERE user_id = ${me.body.user.id}`).trim(), '1');
}

test('a sign-up that waited too long for a lock runs again: one account, one session, one mail, counted once', async () => {
  const email = `warten-${crypto.randomBytes(4).toString('hex')}@example.org`;
  const before = await residentsCount();
  const { ended } = await hold(`SELECT id FROM properties WHERE id = ${property.id} FOR UPDATE`);
  const sent = Date.now();
  const res = await signUp({ display_name: 'Wanda Warten', email, password: 'Ein langer Satz als Passwort' });
  assert.ok(Date.now() - sent >= 2000, 'the first try waited for the row');
  await ended;
  await signedIn(res);
  assert.equal(await residentsCount(), before + 1);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${email}'`).trim(), '1');
  await stack.waitForMail((m) => (m.headers.to || '').includes(email));
  assert.equal(stack.mails().filter((m) => m.raw.includes(email)).length, 1, 'one confirmation mail');
  assert.doesNotMatch(stack.log(), /lost to others/);
});

// A sign-up that loses every try (five of two seconds, within the twenty
// the row is held) is logged once, by its route: the link's token in its
// path is no more in portald's log than in nginx's.
test('a sign-up that lost every try is answered 503 and logged without the link\'s token', async () => {
  const email = `verloren-${crypto.randomBytes(4).toString('hex')}@example.org`;
  const logged = stack.log().length;
  const { ended } = await hold(`SELECT id FROM properties WHERE id = ${property.id} FOR UPDATE`, 20);
  const res = await signUp({ display_name: 'Lotte Verloren', email, password: 'Ein langer Satz als Passwort' });
  await ended;
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${email}'`).trim(), '0');
  const lines = stack.log().slice(logged);
  assert.match(lines, /POST \/api\/v1\/join\/\{token\}: its transaction lost to others 5 times/);
  assert.ok(!lines.includes(token), `the token is in portald's log:\n${lines}`);
});

// The try that waits is the one that has ended the caller's session of
// before (every sign-in gives a new one): the rerun ends it again.
test('an existing resident who joins while new sessions wait gets the property, a new session, and loses the old one', async () => {
  const other = await newProperty(manager, 'Nebenhaus');
  const resident = await newResident(stack, manager, [other.id]);
  const before = await residentsCount();
  // the gap after the last session: where the sign-in inserts its new one
  const { ended } = await hold('SELECT id FROM sessions WHERE id > 1000000000 FOR UPDATE');
  const sent = Date.now();
  const res = await signUp({ existing: true, email: resident.email, password: resident.password }, resident.cookie);
  assert.ok(Date.now() - sent >= 2000, 'the first try waited for the gap');
  await ended;
  await signedIn(res);
  assert.notEqual(res.cookies[0].split(';')[0], resident.cookie);
  assert.equal((await resident.json('/api/v1/me')).status, 401, 'the session of before has ended');
  assert.equal(await residentsCount(), before + 1);
});

// What a Galera node did now and then when another host's write aborted a
// transaction (core/db/db.c, transaction_still_open): the next statement ran
// outside any transaction instead of failing, and the COMMIT after it
// answered success for a transaction that was gone. The test plugin "ender"
// ends its transaction with a COMMIT of its own in the middle.
test('a transaction the server ended in the middle is never taken for committed: it runs again, then 503', async () => {
  const { pluginDir, shareDir } = stack.testPlugins(['ender'], ['example', 'invites', 'content']);
  stack.setConf({ plugin_dir: pluginDir, plugin_share: shareDir, plugins: 'example invites content ender' });
  await stack.reload();
  const plain = await stack.fetch('/api/v1/ender/1');
  assert.equal(plain.status, 200);
  assert.equal((await plain.json()).tries, 1);
  const logged = stack.log().length;
  const ended = await stack.fetch('/api/v1/ender/2');
  assert.equal(ended.status, 503);
  const lines = stack.log().slice(logged);
  assert.equal(lines.split('\n').filter((l) => l.includes('the server ended the open transaction')).length, 5);
  assert.match(lines, /GET \/api\/v1\/ender\/2: its transaction lost to others 5 times/);
});
