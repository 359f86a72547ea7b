// /healthz and /metrics (API.md, "Operations"): the health check from the
// pool's shared board without a database trip while fresh, 503 while the
// stack's own MariaDB is down; the metrics in Prometheus's text format
// (checked with the small parser below), counted by route pattern so that no
// id or token of a path ever shows, with the workers, their restarts, the
// outbox and the jobs. The address check through nginx is in
// nginx_production.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, waitFor, isAlive, sleep } from './stack.mjs';

let stack;

before(async () => {
  stack = await startStack({ workers: 2 });
});
after(async () => {
  await stack?.stop();
});

// The text exposition format: # HELP and # TYPE lines, then samples
// `name{label="value",...} number`. Throws on anything else, on a sample
// whose family has no TYPE, on a series given twice, and on a histogram whose
// buckets fall or whose +Inf bucket differs from its count. Returns
// { types, samples: [{ name, labels, value }] }.
function parseMetrics(text) {
  assert.ok(text.endsWith('\n'), 'ends with a line break');
  const types = {};
  const samples = [];
  const seen = new Set();
  const unescape = (v) => v.replace(/\\(["\\n])/g, (_, c) => (c === 'n' ? '\n' : c));
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line))) continue;
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.ok(!(m[1] in types), `TYPE of ${m[1]} once`);
      types[m[1]] = m[2];
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    assert.ok(m, `a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText = '', value] = m;
    const labels = {};
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/y;
    while (labelRe.lastIndex < labelText.length) {
      const l = labelRe.exec(labelText);
      assert.ok(l, `labels of ${JSON.stringify(line)}`);
      labels[l[1]] = unescape(l[2]);
    }
    const family = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types[name] || types[family] === 'histogram', `TYPE before ${name}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seen.has(key), `one sample of ${key}`);
    seen.add(key);
    samples.push({ name, labels, value: Number(value === '+Inf' ? Infinity : value) });
  }
  for (const [family, type] of Object.entries(types)) {
    if (type !== 'histogram') continue;
    const series = new Map();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      const k = JSON.stringify(Object.entries(rest).sort());
      if (!series.has(k)) series.set(k, []);
      series.get(k).push({ le: le === '+Inf' ? Infinity : Number(le), value: s.value });
    }
    for (const [k, buckets] of series) {
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(buckets[i].le > buckets[i - 1].le, `${family} ${k}: bounds rise`);
        assert.ok(buckets[i].value >= buckets[i - 1].value, `${family} ${k}: buckets never fall`);
      }
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(Object.entries(x.labels).sort()) === k);
      assert.equal(buckets.at(-1).le, Infinity, `${family} ${k}: a +Inf bucket`);
      assert.equal(buckets.at(-1).value, count.value, `${family} ${k}: +Inf is the count`);
    }
  }
  return { types, samples };
}

async function scrape() {
  const res = await stack.fetch('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, ...parseMetrics(text) };
}

// The value of the one sample of name whose labels include these; 0 when none.
function value(m, name, labels = {}) {
  const found = m.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `one ${name} ${JSON.stringify(labels)}`);
  return found.length ? found[0].value : 0;
}

// portald's log line of the last request to path: its route and db=N.
function lastLogLine(path) {
  return stack.log().split('\n').filter((l) => l.includes(` ${path} `)).at(-1);
}

test('/healthz: 200 {"status":"ok"} without a database trip while a worker reached MariaDB', async () => {
  assert.equal((await stack.fetch('/api/v1/health')).status, 200); // reaches MariaDB
  const res = await stack.fetch('/healthz');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(await res.json(), { status: 'ok' });
  assert.match(lastLogLine('/healthz'), /route=\/healthz db=0 /);
});

test('/healthz: 503 while the stack\'s MariaDB is stopped, 200 again once it is back', async () => {
  const pid = stack.pidOf('mariadb');
  process.kill(pid, 'SIGTERM');
  await waitFor('MariaDB to stop', () => !isAlive(pid), 30000);
  let down;
  for (let i = 0; i < 150; i++) {
    down = await stack.fetch('/healthz');
    if (down.status === 503) break;
    await sleep(100);
  }
  assert.equal(down.status, 503);
  assert.match(down.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(await down.json(), { status: 'unavailable' });
  assert.equal((await stack.fetch('/healthz')).status, 503, 'still down');
  // /metrics still answers from the board, and says the database is not up.
  const m = await scrape();
  assert.equal(value(m, 'portal_database_up'), 0);
  assert.equal(m.samples.some((s) => s.name === 'portal_outbox_mails'), false);
  stack.startAgain();
  const up = await stack.fetch('/healthz');
  assert.equal(up.status, 200);
  assert.deepEqual(await up.json(), { status: 'ok' });
});

test('/metrics parses as Prometheus text, and the request counters rise with requests', async () => {
  const route = { method: 'GET', route: '/api/v1/health', status: '200' };
  const before = await scrape();
  for (let i = 0; i < 3; i++) assert.equal((await stack.fetch('/api/v1/health')).status, 200);
  const after = await scrape();
  assert.equal(value(after, 'portal_requests_total', route) - value(before, 'portal_requests_total', route), 3);
  const hist = { method: 'GET', route: '/api/v1/health' };
  assert.equal(value(after, 'portal_request_duration_seconds_count', hist) - value(before, 'portal_request_duration_seconds_count', hist), 3);
  assert.equal(value(after, 'portal_request_duration_seconds_bucket', { ...hist, le: '+Inf' }) - value(before, 'portal_request_duration_seconds_bucket', { ...hist, le: '+Inf' }), 3);
  assert.ok(value(after, 'portal_request_duration_seconds_sum', hist) > value(before, 'portal_request_duration_seconds_sum', hist));
  assert.equal(after.types.portal_requests_total, 'counter');
  assert.equal(after.types.portal_request_duration_seconds, 'histogram');
  // The scrape itself is a request: it counts, and a worker was busy with it.
  assert.ok(value(after, 'portal_requests_total', { route: '/metrics', status: '200' }) >= 1);
  assert.ok(value(after, 'portal_workers', { state: 'busy' }) >= 1);
  assert.equal(value(after, 'portal_workers', { state: 'busy' }) + value(after, 'portal_workers', { state: 'idle' }), 2);
});

test('the route label is the route\'s pattern: no id or token of a path shows', async () => {
  const token = 'Zq8wSecretTokenOfAnInviteLink0123456789';
  assert.equal((await stack.fetch(`/join/${token}`)).status >= 400, true);
  assert.equal((await stack.fetch('/api/v1/properties/987654321')).status, 401);
  assert.equal((await stack.fetch(`/no/such/${token}x`)).status, 404);
  const m = await scrape();
  assert.doesNotMatch(m.text, new RegExp(token));
  assert.doesNotMatch(m.text, /987654321/);
  assert.ok(value(m, 'portal_requests_total', { route: '/join/{token}', method: 'GET' }) >= 1);
  assert.equal(value(m, 'portal_requests_total', { route: '/api/v1/properties/{id}', method: 'GET', status: '401' }), 1);
  assert.ok(value(m, 'portal_requests_total', { route: '(unmatched)', method: 'GET', status: '404' }) >= 1);
  for (const s of m.samples.filter((x) => x.labels.route)) assert.ok(s.labels.route === '(unmatched)' || s.labels.route.startsWith('/'), s.labels.route);
});

test('a worker killed is a failed restart; the pool replaces it', async () => {
  const before = value(await scrape(), 'portal_worker_restarts_total', { reason: 'failed' });
  const m0 = await scrape();
  const workers = value(m0, 'portal_workers', { state: 'busy' }) + value(m0, 'portal_workers', { state: 'idle' });
  const victim = stack.workerPids()[0];
  process.kill(victim, 'SIGKILL');
  await waitFor('the pool to replace the worker', () => !isAlive(victim) && stack.workerPids().length === 3);
  let m;
  for (let i = 0; i < 50; i++) {
    m = await scrape();
    if (value(m, 'portal_worker_restarts_total', { reason: 'failed' }) > before) break;
    await sleep(100);
  }
  assert.equal(value(m, 'portal_worker_restarts_total', { reason: 'failed' }), before + 1);
  assert.equal(value(m, 'portal_workers', { state: 'busy' }) + value(m, 'portal_workers', { state: 'idle' }), workers);
});

test('the outbox\'s queued and failed mails, and each job\'s last run and outcome', async () => {
  const before = await scrape();
  assert.equal(value(before, 'portal_database_up'), 1);
  stack.sql(`INSERT INTO outbox (to_addr, subject, body_text, body_html, kind, status, message_id, next_attempt_at, created_at)
             VALUES ('gone@example.org', 'x', 'x', 'x', 'test', 'failed', '<m1@test>', UTC_TIMESTAMP(), UTC_TIMESTAMP()),
                    ('later@example.org', 'x', 'x', 'x', 'test', 'queued', '<m2@test>', UTC_TIMESTAMP() + INTERVAL 1 DAY, UTC_TIMESTAMP())`);
  const after = await scrape();
  assert.equal(value(after, 'portal_outbox_mails', { status: 'failed' }), value(before, 'portal_outbox_mails', { status: 'failed' }) + 1);
  assert.equal(value(after, 'portal_outbox_mails', { status: 'queued' }), value(before, 'portal_outbox_mails', { status: 'queued' }) + 1);
  // Each job the jobs table knows, with the time of its last run and its outcome.
  await waitFor('the outbox job to have run', () => stack.sql("SELECT outcome FROM jobs WHERE name = 'outbox'").trim() === 'ok', 60000);
  const rows = stack.sql('SELECT name, UNIX_TIMESTAMP(started_at), outcome FROM jobs WHERE started_at IS NOT NULL').trim().split('\n').map((l) => l.split('\t'));
  const m = await scrape();
  for (const [job, started, outcome] of rows) {
    assert.ok(Math.abs(value(m, 'portal_job_last_run_timestamp_seconds', { job }) - Number(started)) < 1, job);
    if (outcome !== 'NULL') assert.equal(value(m, 'portal_job_last_outcome', { job, outcome }), 1, job);
  }
  assert.equal(value(m, 'portal_job_last_outcome', { job: 'outbox', outcome: 'ok' }), 1);
  assert.equal(value(m, 'portal_job_last_outcome', { job: 'outbox', outcome: 'failed' }), 0);
});
