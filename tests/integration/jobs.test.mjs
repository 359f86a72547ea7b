// Jobs, settings and the init context of plugins (portal/portal.h): a job
// runs each period of its schedule, once in the whole deployment even with
// two pools on one database; portalctl jobs list shows it; init runs with its
// context in every serving process (the jobs worker too); settings and
// schedules a plugin does not accept are refused with one line, and a reload
// with one keeps the running generation; the test clock moves the jobs
// worker, the requests' and portalctl's database time alike, and costs not
// one statement while it is not moved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { startStack, isAlive, sleep, waitFor } from './stack.mjs';
import { newManager } from './client.mjs';

const BIN = process.env.PORTAL_BIN || new URL('../../bin', import.meta.url).pathname;
let stack;

// portald -t with the stack's configuration changed by changes: its status
// and the lines it printed.
function check(changes) {
  const conf = `${stack.var}/check.conf`;
  writeFileSync(conf, readFileSync(stack.conf, 'utf8'));
  stack.setConf(changes, conf);
  const r = spawnSync(`${BIN}/portald`, ['-t', '-c', conf], { encoding: 'utf8' });
  return { status: r.status, lines: r.stderr.trim().split('\n').filter(Boolean) };
}

const runs = () => stack.sql('SELECT period FROM ticker_runs ORDER BY period').trim().split('\n').filter(Boolean).map(Number);

before(async () => {
  stack = await startStack({ workers: 2, plugins: 'example' });
  const { pluginDir, shareDir } = stack.testPlugins(['ticker', 'bad_schedule'], ['example']);
  // the test plugin's table, as its own migration
  writeFileSync(`${shareDir}/ticker/sql/001_ticker.sql`,
    'CREATE TABLE ticker_runs (period BIGINT NOT NULL PRIMARY KEY, label VARCHAR(32) NOT NULL,' +
    ' at DATETIME(3) NOT NULL) ENGINE=InnoDB;\n');
  stack.setConf({ plugin_dir: pluginDir, plugin_share: shareDir, plugins: 'example ticker', 'ticker.label': 'erster' });
  await stack.reload();
});
after(async () => { await stack?.stop(); });

test('init runs with its context in every request worker and in the jobs worker', async () => {
  await sleep(500);
  const lines = stack.log().split('\n').filter((l) => l.includes('ticker init:'));
  assert.ok(lines.some((l) => / jobs: ticker init:/.test(l)), 'the jobs worker ran init');
  assert.ok(lines.filter((l) => / worker \d+: ticker init:/.test(l)).length >= 2, 'each request worker ran init');
  assert.match(lines[0], new RegExp(`plugin=ticker label=erster share=${stack.var}/share/ticker`));
});

test('a job runs once each period of its schedule; portalctl jobs list shows it', async () => {
  await sleep(5000);
  const periods = runs();
  assert.ok(periods.length >= 2, `runs: ${periods}`);
  assert.equal(new Set(periods).size, periods.length);
  assert.equal(stack.sql("SELECT DISTINCT label FROM ticker_runs").trim(), 'erster', 'the job reads its setting');
  const list = stack.portalctl('jobs', 'list');
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^JOB\s+SCHEDULE\s+OUTCOME\s+LAST RUN\s+NEXT RUN\s+PLUGIN$/m);
  assert.match(list.stdout, /^ticker\s+every 2s\s+ok\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|due now)\s+ticker$/m);
  assert.match(list.stdout, /^outbox\s+every 1s\s+/m, 'core\'s jobs use the same mechanism');
  assert.match(list.stdout, /^example-cleanup\s+daily 03:30\s+\S+\s+.*\s+example$/m);
  assert.match(list.stdout, /\(times in Europe\/Berlin\)/);
  assert.doesNotMatch(stack.log(), /job ticker failed/);
});

test('two pools on one database run each period of a job once', async () => {
  // A second portald (master, workers, its own jobs worker) with a copy of
  // the configuration: its own socket and pid file, the same database.
  const second = await stack.startSecondPool();
  try {
    assert.ok(isAlive(second.pid), `the second pool died: ${second.log()}`);
    const from = Math.floor(Date.now() / 2000) + 1;
    await sleep(9000);
    const to = Math.floor(Date.now() / 2000) - 1;
    const periods = runs().filter((p) => p >= from && p <= to);
    // every period ran, and none twice (the table's key would have refused it
    // and the job would have failed)
    assert.deepEqual(periods, Array.from({ length: to - from + 1 }, (_, i) => from + i));
    assert.doesNotMatch(stack.log() + second.log(), /job ticker failed/);
    assert.match(second.log(), /ticker init:/);
    // the claims name the process that ran the last period
    assert.match(stack.sql("SELECT claimed_by FROM jobs WHERE name = 'ticker'"), /:\d+/);
  } finally {
    await second.stop();
  }
});

test('settings and schedules a plugin does not accept are refused with one line', () => {
  let r = check({ 'ticker.label': 'bad' });
  assert.notEqual(r.status, 0);
  assert.equal(r.lines.length, 1, r.lines.join('\n'));
  assert.match(r.lines[0], /check\.conf:\d+: ticker\.label must not be "bad"/);

  r = check({ 'ticker.colour': 'blue' });
  assert.notEqual(r.status, 0);
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0], /ticker\.colour is not a setting of plugin ticker/);

  r = check({ 'example.keep_days': '0' });
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0], /example\.keep_days must be a whole number from 1 to 3650/);
  r = check({ 'example.keep_days': '30 days' });
  assert.match(r.lines[0], /example\.keep_days must be a whole number/);

  r = check({ plugins: 'example ticker bad_schedule' });
  assert.notEqual(r.status, 0);
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0], /plugin bad_schedule: job nightly: schedule "every night" is none of/);

  r = check({ time_zone: 'Mars/Olympus_Mons' });
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0], /time_zone "Mars\/Olympus_Mons" is not a time zone/);

  // a setting of a plugin that is not enabled is left alone
  r = check({ 'content.whatever': '1' });
  assert.equal(r.status, 0, r.lines.join('\n'));
  assert.equal(check({}).status, 0);
});

test('a reload with a refused setting keeps the running workers; a good one takes effect', async () => {
  const pids = stack.workerPids();
  stack.setConf({ 'ticker.label': 'bad' });
  process.kill(stack.pidOf('portald'), 'SIGHUP');
  await sleep(800);
  assert.match(stack.log(), /reload refused, keeping the running workers: .*ticker\.label must not be "bad"/);
  assert.deepEqual(stack.workerPids(), pids);
  assert.equal((await stack.fetch('/api/v1/example')).status, 200);
  stack.setConf({ 'ticker.label': 'zweiter' });
  await stack.reload();
  await sleep(4500);
  assert.match(stack.sql("SELECT label FROM ticker_runs ORDER BY period DESC LIMIT 1"), /zweiter/);
  stack.withoutConf('ticker.label');
  await stack.reload();
  await sleep(4500);
  assert.match(stack.sql("SELECT label FROM ticker_runs ORDER BY period DESC LIMIT 1"), /tick/, 'the default');
});

// Last: it sets the clock back at its end, which leaves the ticker waiting
// for the periods it already ran.
test('the test clock: the log warns; not moved, not one statement more; moved, the jobs worker, requests and portalctl follow it', async () => {
  assert.match(stack.log(), /WARNING: TEST CLOCK ON: test_clock = \S+\/clock moves every time/);
  const manager = await newManager(stack);
  // The SET timestamp statements of every connection, from MariaDB's general
  // log (a connection's other SETs, e.g. its time zone when a worker
  // reconnects, do not count)
  stack.sql("SET GLOBAL log_output = 'TABLE'");
  stack.sql('SET GLOBAL general_log = 1');
  const sets = () => Number(stack.sql("SELECT COUNT(*) FROM mysql.general_log WHERE argument LIKE 'SET timestamp%'").trim());
  const tickerRuns = () => Number(stack.sql('SELECT COUNT(*) FROM ticker_runs').trim());
  const dbOf = (route) => Number(/ db=(\d+)/.exec(stack.log().split('\n').filter((l) => l.includes(`route=${route} `)).at(-1))[1]);

  // not moved: requests and the jobs worker's runs set nothing, once each
  // request worker made its connection (which sets its time zone)
  const requestWorkers = () => stack.workerPids().filter((pid) => stack.log().includes(`portald[${pid}] worker `));
  const served = (pid) => new RegExp(`portald\\[${pid}\\] worker \\d+: GET /api/v1/properties `).test(stack.log());
  for (let i = 0; !requestWorkers().every(served); i++) {
    assert.ok(i < 200, 'every request worker served a request');
    await manager.json('/api/v1/properties');
  }
  const before = sets();
  const runs = tickerRuns();
  for (let i = 0; i < 10; i++) assert.equal((await manager.json('/api/v1/properties')).status, 200);
  await waitFor('two more ticker runs', () => tickerRuns() >= runs + 2);
  assert.equal(sets(), before, 'no SET timestamp while the clock is not moved');
  const trips = dbOf('/api/v1/properties');

  // a day later: the ticker's runs (C's schedule, the database's time), a
  // request's row and portalctl's are that day's
  const moved = new Date(stack.now().getTime() + 86400000);
  await stack.advanceClock(86400);
  const movedSql = moved.toISOString().replace('T', ' ').replace('Z', '');
  await waitFor('a ticker run a day later', () => Number(stack.sql(`SELECT COUNT(*) FROM ticker_runs WHERE at >= '${movedSql}' AND period >= ${Math.floor(moved.getTime() / 2000)}`).trim()));
  await manager.signIn();
  const house = await manager.json('/api/v1/properties', { method: 'POST', body: { name: 'Morgenhaus' } });
  assert.equal(house.status, 201);
  const createdAt = (table, id) => Date.parse(`${stack.sql(`SELECT created_at FROM ${table} WHERE id = ${id}`).trim().replace(' ', 'T')}Z`);
  assert.ok(createdAt('properties', house.body.id) >= Math.floor(moved.getTime() / 1000) * 1000, 'a request\'s NOW()');
  const org = await newManager(stack);
  assert.ok(createdAt('orgs', org.user.org_id) >= Math.floor(moved.getTime() / 1000) * 1000, 'portalctl\'s NOW()');
  assert.ok(sets() > before, 'SET timestamp once moved');
  stack.sql('SET GLOBAL general_log = 0');
  // the statements that move NOW() are no round trips of the request
  assert.equal((await manager.json('/api/v1/properties')).status, 200);
  assert.equal(dbOf('/api/v1/properties'), trips);

  // back at 0: the database's own time again
  writeFileSync(`${stack.var}/clock`, '0\n');
  const back = await manager.json('/api/v1/properties', { method: 'POST', body: { name: 'Heutehaus' } });
  assert.ok(createdAt('properties', back.body.id) < moved.getTime() - 3600000);
});
