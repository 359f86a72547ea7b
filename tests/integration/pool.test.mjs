// The pool under faults: killed and stuck workers, reloads, recycling,
// malformed floods, plugin refusals, a database restart, and shutdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, renameSync, existsSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startStack, repo, sleep, isAlive, waitFor } from './stack.mjs';
import { newManager } from './client.mjs';

const BIN = process.env.PORTAL_BIN || new URL('../../bin', import.meta.url).pathname;
let stack;

async function waitForWorkers(n) {
  for (let i = 0; i < 50; i++) {
    if (stack.workerPids().length === n) return;
    await sleep(100);
  }
  assert.equal(stack.workerPids().length, n);
}

before(async () => {
  stack = await startStack({ workers: 2 });
  // the test plugins beside the example, a copy of which a test below
  // replaces with a rebuilt one
  const { pluginDir, shareDir } = stack.testPlugins(['slow', 'wrong_abi', 'wrong_name', 'clash', 'search_clash', 'failinit', 'sdk1'], ['example'], { copies: ['example'] });
  stack.setConf({ plugin_dir: pluginDir, plugin_share: shareDir, plugins: 'example slow', request_timeout: 2 });
  await stack.reload();
});
after(async () => { await stack?.stop(); });

test('the pool runs the configured request workers and one jobs worker', async () => {
  await waitForWorkers(3);
  const res = await stack.fetch('/api/v1/slow/pid');
  assert.equal(res.status, 200);
});

test('the master and its children run as the user portal, and can gain no privileges', () => {
  const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8');
  const portal = spawnSync('id', ['-u', 'portal'], { encoding: 'utf8' });
  const root = process.getuid() === 0;
  if (root) assert.equal(portal.status, 0, 'make deps creates the user portal');
  for (const pid of [stack.pidOf('portald'), ...stack.workerPids()]) {
    const text = status(pid);
    assert.match(text, /^NoNewPrivs:\s+1$/m, `pid ${pid}`);
    if (root) assert.match(text, new RegExp(`^Uid:\\s+${portal.stdout.trim()}\\s`, 'm'), `pid ${pid}`);
  }
});

test('kill -9 of a worker under load: replaced within a second, later requests succeed', async () => {
  let victim;
  const counts = await stack.underLoad('/api/v1/health', async () => {
    await sleep(300);
    const before = stack.workerPids();
    victim = (await (await stack.fetch('/api/v1/slow/pid')).json()).pid;
    process.kill(victim, 'SIGKILL');
    await sleep(1000);
    const afterKill = stack.workerPids();
    assert.equal(afterKill.length, before.length);
    assert.ok(!afterKill.includes(victim));
    await sleep(300);
  });
  const failed = Object.entries(counts).filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0);
  assert.ok(failed <= 4, `only requests in flight may fail: ${JSON.stringify(counts)}`);
  for (let i = 0; i < 10; i++) assert.equal((await stack.fetch('/api/v1/health')).status, 200);
  assert.match(stack.log(), new RegExp(`pid ${victim}\\) killed by signal 9`));
});

test('a request past request_timeout is killed and logged, and the pool stays full', async () => {
  const res = await stack.fetch('/api/v1/slow/30');
  assert.ok([502, 504].includes(res.status), `status ${res.status}`);
  const body = await res.json();
  assert.ok(body.error.code);
  assert.match(stack.log(), /exceeded request_timeout of 2s serving GET \/api\/v1\/slow\/30; killed/);
  await waitForWorkers(3);
  assert.equal((await stack.fetch('/api/v1/example')).status, 200);
});

test('SIGHUP with a changed plugin list takes effect with no failed request', async () => {
  const counts = await stack.underLoad('/api/v1/health', async () => {
    await sleep(200);
    stack.setConf({ plugins: 'slow' });
    await stack.reload();
    assert.equal((await stack.fetch('/api/v1/example')).status, 404);
    stack.setConf({ plugins: 'example slow' });
    await stack.reload();
    assert.equal((await stack.fetch('/api/v1/example')).status, 200);
  });
  assert.deepEqual(Object.keys(counts), ['200'], JSON.stringify(counts));
});

// Builds the example plugin from a copy of its sources with another version
// string and puts it in place of the running one, as `make install` would.
function rebuildExample(version) {
  const src = mkdtempSync(path.join(os.tmpdir(), 'portal-example-'));
  try {
    const files = spawnSync('sh', ['-c', `cp -R ${repo}/plugins/example/. ${src}/`], { encoding: 'utf8' });
    assert.equal(files.status, 0, files.stderr);
    const main = `${src}/example.c`;
    const text = readFileSync(main, 'utf8');
    assert.match(text, /\.version = "[^"]*"/);
    writeFileSync(main, text.replace(/\.version = "[^"]*"/, `.version = "${version}"`));
    const out = `${stack.var}/test-plugins/example.so.new`;
    const cc = spawnSync('sh', ['-c', `cc -shared -fPIC -fvisibility=hidden -I${repo}/core/include -o ${out} ${src}/*.c`], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    renameSync(out, `${stack.var}/test-plugins/example.so`);
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

test('SIGHUP after a plugin was rebuilt runs the new build, with no failed request', async () => {
  const manager = await newManager(stack);
  const versionOf = async () => {
    const res = await manager.json('/api/v1/plugins');
    assert.equal(res.status, 200);
    return res.body.items.find((p) => p.name === 'example').version;
  };
  const before = await versionOf();
  const counts = await stack.underLoad('/api/v1/example', async () => {
    await sleep(200);
    rebuildExample('9.9.9-rebuilt');
    await stack.reload();
    assert.equal(await versionOf(), '9.9.9-rebuilt');
    rebuildExample(before);
    await stack.reload();
  });
  assert.equal(await versionOf(), before);
  assert.deepEqual(Object.keys(counts), ['200'], JSON.stringify(counts));
  // each generation ran from copies of its own, and the drained ones are gone
  const copies = readFileSync(stack.conf, 'utf8').match(/^tmp_dir\s*=\s*(.*)$/m)[1];
  const folders = () => spawnSync('sh', ['-c', `ls -d ${copies}/plugins.* 2>/dev/null | wc -l`], { encoding: 'utf8' }).stdout.trim();
  for (let i = 0; i < 20 && folders() !== '1'; i++) await sleep(100);
  assert.equal(folders(), '1', 'one folder of copies: the running generation');
});

test('a reload with a broken plugin keeps the running workers', async () => {
  const pids = stack.workerPids();
  stack.setConf({ plugins: 'example slow wrong_abi' });
  process.kill(stack.pidOf('portald'), 'SIGHUP');
  await waitFor('the refused reload', () => /reload refused, keeping the running workers: plugin wrong_abi/.test(stack.log()));
  assert.deepEqual(stack.workerPids(), pids);
  assert.equal((await stack.fetch('/api/v1/example')).status, 200);
  stack.setConf({ plugins: 'example slow' });
});

test('workers that die at start are respawned with back-off, not in a tight loop', async () => {
  const deaths = () => (stack.log().match(/exited with status 3/g) || []).length;
  const before = deaths();
  stack.setConf({ plugins: 'example slow failinit' });
  const sent = Date.now();
  process.kill(stack.pidOf('portald'), 'SIGHUP');
  await waitFor('workers that died at start', () => deaths() - before >= 2);
  await sleep(3000);
  const died = deaths() - before;
  const seconds = (Date.now() - sent) / 1000;
  // a tight loop would be hundreds a second; the back-off doubles from 200 ms
  assert.ok(died < 10 * seconds, `${died} deaths in ${seconds} s: no back-off`);
  assert.match(stack.log(), /workers die at start; next try in \d+ ms/);
  stack.setConf({ plugins: 'example slow' });
  await stack.reload();
  assert.equal((await stack.fetch('/api/v1/example')).status, 200);
});

test('a plugin built with the first SDK still loads: its routes of the first layout and its init', async () => {
  stack.setConf({ plugins: 'example slow sdk1' });
  await stack.reload();
  const hello = await (await stack.fetch('/api/v1/sdk1/hello')).json();
  assert.deepEqual(hello, { hello: 'sdk1', initialised: true });
  assert.deepEqual(await (await stack.fetch('/api/v1/sdk1/answer')).json(), { answer: '42' });
  stack.setConf({ plugins: 'example slow' });
  await stack.reload();
});

test('the loader refuses a file that is no plugin, a wrong ABI, a wrong name and a clash with one clear line', () => {
  writeFileSync(`${stack.var}/test-plugins/notaplugin.so`, 'this is text, not a shared object\n');
  const cases = { notaplugin: /cannot load .*notaplugin\.so/, wrong_abi: /ABI/, wrong_name: /calls itself "someone_else"/, clash: /clashes/, search_clash: /search index properties is also another's/ };
  for (const [name, reason] of Object.entries(cases)) {
    const conf = `${stack.var}/check-${name}.conf`;
    writeFileSync(conf, readFileSync(stack.conf, 'utf8').replace(/^plugins\s*=.*$/m, `plugins = example ${name}`));
    const r = spawnSync(`${BIN}/portald`, ['-t', '-c', conf], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, name);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], reason);
    assert.match(lines[0], new RegExp(name));
  }
  const good = spawnSync(`${BIN}/portald`, ['-t', '-c', stack.conf], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
});

test('workers are recycled after max_requests without a failed request', async () => {
  stack.setConf({ max_requests: 5 });
  await stack.reload();
  const first = stack.workerPids();
  for (let i = 0; i < 40; i++) assert.equal((await stack.fetch('/api/v1/example')).status, 200);
  await sleep(300);
  const later = stack.workerPids();
  assert.ok(later.some((p) => !first.includes(p)), 'no worker was recycled');
  stack.setConf({ max_requests: 10000 });
  await stack.reload();
});

test('a worker past worker_max_rss finishes its request and is replaced', async () => {
  stack.setConf({ worker_max_rss: 256 });
  await stack.reload();
  let grown;
  const counts = await stack.underLoad('/api/v1/health', async () => {
    const res = await stack.fetch('/api/v1/slow/grow/300');
    assert.equal(res.status, 200);
    grown = (await res.json()).pid;
    for (let i = 0; i < 50 && isAlive(grown); i++) await sleep(100);
  });
  assert.deepEqual(Object.keys(counts), ['200'], JSON.stringify(counts));
  assert.ok(!isAlive(grown), 'the large worker is gone');
  assert.match(stack.log(), new RegExp(`portald\\[${grown}\\] worker \\d+: resident size \\d+ MiB is over worker_max_rss \\(256 MiB\\): replaced`));
  await waitForWorkers(3);
  for (let i = 0; i < 10; i++) assert.equal((await stack.fetch('/api/v1/health')).status, 200);
  stack.withoutConf('worker_max_rss');
  await stack.reload();
});

test('a thousand malformed requests leave every worker alive', async () => {
  // a manager's: a route's body is parsed once the caller may call it
  const manager = await newManager(stack);
  const pids = stack.workerPids();
  const port = Number(new URL(stack.base).port);
  const bodies = [
    ['application/json', '{"a":'], ['application/json', '\xff\xfe'], ['application/json', '{"a":1}}'],
    ['application/x-www-form-urlencoded', 'a=%zz&b'], ['multipart/form-data; boundary=b', '--b\r\n\r\n'],
    ['multipart/form-data; boundary="' + 'x'.repeat(90) + '"', 'x'], ['text/xml', '<a/>'],
    ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="f"; filename*=x\r\n\r\nx\r\n--b--\r\n'],
  ];
  const jobs = [];
  for (let i = 0; i < 1000; i++) {
    const [type, body] = bodies[i % bodies.length];
    jobs.push(manager.fetch(`/api/v1/example/items?i=${i}`, {
      method: 'POST', headers: { 'Content-Type': type }, body: Buffer.from(body, 'latin1'),
    }).then((r) => r.status).catch(() => 'error'));
    if (jobs.length % 50 === 0) await Promise.all(jobs.slice(-50));
  }
  const statuses = await Promise.all(jobs);
  assert.ok(statuses.every((s) => [400, 413, 415].includes(s)), `unexpected: ${[...new Set(statuses)]}`);
  // raw garbage straight at nginx, too
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(`GARBAGE ${'\x00'.repeat(i)} /\r\n\r\n`));
      s.on('close', resolve); s.on('error', resolve); s.resume();
    });
  }
  assert.deepEqual(stack.workerPids(), pids);
  assert.equal((await stack.fetch('/api/v1/example')).status, 200);
});

test('a MariaDB restart costs at most the requests in flight', async () => {
  assert.equal((await stack.fetch('/api/v1/health')).status, 200);
  const pid = stack.pidOf('mariadb');
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await sleep(100);
  const down = await stack.fetch('/api/v1/health');
  assert.equal(down.status, 503);
  assert.ok(down.headers.get('retry-after'));
  const text = await down.text();
  assert.equal(JSON.parse(text).error.code, 'unavailable');
  assert.doesNotMatch(text, /SELECT|mysql|mariadb|socket/i);
  stack.startAgain(); // starts only what is not running: MariaDB
  for (let i = 0; i < 20; i++) {
    const r = await stack.fetch('/api/v1/health');
    assert.equal(r.status, 200, `request ${i} after the restart`);
  }
});

test('SIGTERM stops the pool cleanly', async () => {
  const master = stack.pidOf('portald');
  const workers = stack.workerPids();
  process.kill(master, 'SIGTERM');
  for (let i = 0; i < 100 && existsSync(`/proc/${master}`); i++) await sleep(100);
  const gone = (p) => !existsSync(`/proc/${p}`) || /\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
  assert.ok(gone(master));
  assert.ok(workers.every(gone));
  assert.match(stack.log(), /stopped/);
});
