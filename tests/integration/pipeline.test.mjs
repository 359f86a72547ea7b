// The request pipeline end to end, through nginx and the pool: parsing,
// routing, the two renderings, errors in the API's shape, headers, and logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import net from 'node:net';
import { startStack } from './stack.mjs';
import { newManager } from './client.mjs';

let stack;
let manager; // the example's items are a manager's, of one organisation
let propertyId;
before(async () => {
  stack = await startStack();
  manager = await newManager(stack);
  propertyId = (await manager.json('/api/v1/properties')).body.items[0].id;
});
after(async () => { await stack?.stop(); });

async function json(res) {
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  return res.json();
}

async function expectError(res, status, code, field) {
  assert.equal(res.status, status);
  const body = await json(res);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  if (field) assert.equal(body.error.field, field);
  return body;
}

// Sends raw bytes to nginx and resolves with the whole answer.
function raw(bytes) {
  return new Promise((resolve) => {
    const port = new URL(stack.base).port;
    const sock = net.connect(Number(port), '127.0.0.1');
    let data = '';
    sock.on('data', (d) => { data += d.toString('latin1'); });
    sock.on('error', () => resolve(data));
    sock.on('close', () => resolve(data));
    sock.setTimeout(20000, () => sock.destroy());
    sock.write(bytes);
  });
}

test('one handler, two renderings: JSON under /api/v1, a page elsewhere', async () => {
  const api = await stack.fetch('/api/v1/example');
  assert.equal(api.status, 200);
  const body = await json(api);
  assert.equal(body.plugin, 'example');
  assert.equal(body.locale, 'de');
  assert.equal(body.greeting, 'Willkommen im Beispiel-Plugin');

  const page = await stack.fetch('/example');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html; charset=utf-8/);
  const html = await page.text();
  assert.match(html, /<html[^>]* lang="de"/);
  assert.match(html, /<h1>Willkommen im Beispiel-Plugin<\/h1>/);
});

test('English when the browser asks for it', async () => {
  const res = await stack.fetch('/api/v1/example', { headers: { 'Accept-Language': 'en-GB,en;q=0.9,de;q=0.5' } });
  assert.equal((await json(res)).greeting, 'Welcome to the example plugin');
  const page = await stack.fetch('/example', { headers: { Cookie: 'lang=en' } });
  assert.match(await page.text(), /<html[^>]* lang="en"/);
});

test('security headers on pages and API answers', async () => {
  for (const path of ['/example', '/api/v1/example', '/api/v1/nothing-here']) {
    const res = await stack.fetch(path);
    const csp = res.headers.get('content-security-policy') || '';
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.doesNotMatch(csp, /unsafe-inline/, path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    assert.ok(res.headers.get('referrer-policy'), path);
    assert.doesNotMatch(res.headers.get('server') || '', /\d/, path);
  }
});

test('typed path parameters: a non-numeric or zero id is a 404', async () => {
  const created = await manager.json('/api/v1/example/items', { method: 'POST', body: { name: 'Eins', property_ids: 'all' } });
  assert.equal(created.status, 201);
  const id = created.body.item.id;
  const ok = await manager.fetch(`/api/v1/example/items/${id}`);
  assert.equal(ok.status, 200);
  assert.equal((await json(ok)).item.id, id);
  for (const bad of ['0', 'abc', '-1', '01', '1.5', '99999999999999999999']) {
    await expectError(await manager.fetch(`/api/v1/example/items/${bad}`), 404, 'not_found');
  }
  await expectError(await manager.fetch('/api/v1/example/items/987654'), 404, 'not_found');
  const page = await manager.fetch('/app/example/items/abc');
  assert.equal(page.status, 404);
  assert.match(page.headers.get('content-type'), /^text\/html/);
});

test('unknown routes and wrong methods', async () => {
  await expectError(await stack.fetch('/api/v1/no/such/route'), 404, 'not_found');
  await expectError(await stack.fetch('/api/v1/example', { method: 'DELETE' }), 405, 'method_not_allowed');
  const page = await stack.fetch('/no/such/page');
  assert.equal(page.status, 404);
  assert.match(await page.text(), /<html/);
});

test('a route refuses callers of the wrong role before its handler runs', async () => {
  await expectError(await stack.fetch('/api/v1/plugins'), 401, 'unauthenticated');
});

test('JSON, urlencoded and multipart bodies reach the handler alike, as typed input', async () => {
  const a = await manager.fetch('/api/v1/example/items', {
    method: 'POST', body: { name: 'Müllabfuhr </script><b>', property_ids: [propertyId], due_on: '2026-12-24' },
  });
  assert.equal(a.status, 201);
  const created = await json(a);
  assert.equal(created.item.name, 'Müllabfuhr </script><b>');
  assert.equal(created.item.due_on, '2026-12-24');

  const b = await manager.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `name=Treppenhaus+%C3%BCber&property_ids=${propertyId}&priority=high&notify=on`,
  });
  assert.equal(b.status, 201);
  const typed = (await json(b)).item;
  assert.equal(typed.name, 'Treppenhaus über');
  assert.equal(typed.priority, 'high');

  const form = new FormData();
  form.append('name', 'Mit Anhang');
  form.append('property_ids', 'all');
  form.append('file', new Blob([Buffer.alloc(200000, 7)]), 'bild.png');
  const c = await manager.fetch('/api/v1/example/items', { method: 'POST', body: form });
  assert.equal(c.status, 201);
  assert.equal((await json(c)).item.all_properties, true);
  // the uploaded part went to a temporary file that is gone after the request
  assert.deepEqual(readdirSync(`${stack.var}/tmp`).filter((f) => f.startsWith('upload-')), []);

  // what was stored comes back escaped: "</" never appears raw in JSON or HTML
  const got = await manager.fetch(`/api/v1/example/items/${created.item.id}`);
  const text = await got.text();
  assert.ok(!text.includes('</script>'));
  assert.equal(JSON.parse(text).item.name, 'Müllabfuhr </script><b>');
  const page = await (await manager.fetch(`/app/example/items/${created.item.id}`)).text();
  assert.ok(page.includes('Müllabfuhr &lt;/script&gt;&lt;b&gt;'));
  assert.ok(!page.includes('<b>'));
});

test('validation errors name the field, the same way for JSON, urlencoded and multipart', async () => {
  const cases = [
    [{ name: '' }, 'name'],
    [{ name: 'ä'.repeat(101) }, 'name'],
    [{ name: 'a\u0001b' }, 'name'],
    [{ name: 'ok' }, 'property_ids'],
    [{ name: 'ok', property_ids: 'none' }, 'property_ids'],
    [{ name: 'ok', property_ids: '999999' }, 'property_ids'],
    [{ name: 'ok', property_ids: 'all', priority: 'urgent' }, 'priority'],
    [{ name: 'ok', property_ids: 'all', due_on: '24.12.2026' }, 'due_on'],
    [{ name: 'ok', property_ids: 'all', notify: 'vielleicht' }, 'notify'],
  ];
  for (const [fields, field] of cases) {
    const urlencoded = new URLSearchParams(fields).toString();
    const multipart = new FormData();
    for (const [k, v] of Object.entries(fields)) multipart.append(k, v);
    for (const body of [fields, urlencoded, multipart]) {
      const init = { method: 'POST', body };
      if (typeof body === 'string') init.headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
      await expectError(await manager.fetch('/api/v1/example/items', init), 422, 'validation', field);
    }
  }
  // JSON types that forms cannot send are refused too
  await expectError(await manager.fetch('/api/v1/example/items', { method: 'POST', body: { name: 5, property_ids: 'all' } }), 422, 'validation', 'name');
  await expectError(await manager.fetch('/api/v1/example/items', { method: 'POST', body: { name: 'x', property_ids: [true] } }), 422, 'validation', 'property_ids');
});

test('malformed input gets 400, 413 or 415 in the error shape', async () => {
  // as a manager: a route's body is parsed once the caller may call it
  const post = (body, type) => manager.fetch('/api/v1/example/items', {
    method: 'POST', headers: type ? { 'Content-Type': type } : {}, body,
  });
  await expectError(await post('{"name": ', 'application/json'), 400, 'bad_request');
  await expectError(await post('{"name": "a"} x', 'application/json'), 400, 'bad_request');
  await expectError(await post('["name"]', 'application/json'), 400, 'bad_request');
  await expectError(await post('{"name":"a","name":"b"}', 'application/json'), 400, 'bad_request');
  await expectError(await post(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'application/json'), 400, 'bad_request');
  const deep = await post('{"a":'.repeat(5000), 'application/json');
  assert.ok([400, 413].includes(deep.status));
  assert.ok((await json(deep)).error.code);
  await expectError(await post('name=%FF%FE', 'application/x-www-form-urlencoded'), 400, 'bad_request');
  await expectError(await post('name=%G1', 'application/x-www-form-urlencoded'), 400, 'bad_request');
  await expectError(await post('hello', 'text/plain'), 415, 'unsupported_media_type');
  await expectError(await post('x'.repeat(2 << 20), 'application/json'), 413, 'too_large');
  const many = Array.from({ length: 5000 }, (_, i) => `f${i}=1`).join('&');
  await expectError(await post(many, 'application/x-www-form-urlencoded'), 413, 'too_large');
  await expectError(await stack.fetch('/api/v1/example?q=%FF'), 400, 'bad_request');

  const boundary = 'XyZ';
  const truncated = `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nabc`;
  await expectError(await post(truncated, `multipart/form-data; boundary=${boundary}`), 400, 'bad_request');
  const garbage = `--${boundary}\r\nContent-Disposition: form-data; name="a"; name="b"\r\n\r\nx\r\n--${boundary}--\r\n`;
  await expectError(await post(garbage, `multipart/form-data; boundary=${boundary}`), 400, 'bad_request');
  const nested = `--${boundary}\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n--inner\r\n\r\n--${boundary}`;
  await expectError(await post(nested, `multipart/form-data; boundary=${boundary}`), 400, 'bad_request');
  await expectError(await post('--a\r\n', 'multipart/form-data'), 400, 'bad_request');
});

test('request headers over the limit are refused', async () => {
  const headers = {};
  for (let i = 0; i < 20; i++) headers[`X-Filler-${i}`] = 'y'.repeat(1000);
  await expectError(await stack.fetch('/api/v1/example', { headers }), 413, 'too_large');
  const small = await stack.fetch('/api/v1/example', { headers: { 'X-Filler': 'y'.repeat(1000) } });
  assert.equal(small.status, 200);
});

test('a body over nginx\'s limit is 413 in the API\'s shape', async () => {
  const res = await manager.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: Buffer.alloc(61 << 20, 32),
  });
  await expectError(res, 413, 'too_large');
});

test('a body whose Content-Length lies never reaches or hangs a worker', async () => {
  const pids = stack.workerPids();
  const answer = await raw('POST /api/v1/example/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
    + 'Content-Length: 100\r\nConnection: close\r\n\r\n{"name":"a"}');
  assert.doesNotMatch(answer, /^HTTP\/1\.1 2/);
  const ok = await stack.fetch('/api/v1/example');
  assert.equal(ok.status, 200);
  assert.deepEqual(stack.workerPids(), pids);
});

test('a foreign Origin on an unsafe method is refused', async () => {
  const res = await manager.fetch('/api/v1/example/items', {
    method: 'POST', headers: { Origin: 'https://evil.example' }, body: { name: 'x', property_ids: 'all' },
  });
  await expectError(res, 403, 'csrf');
  const same = await manager.fetch('/api/v1/example/items', {
    method: 'POST', headers: { Origin: stack.base }, body: { name: 'x', property_ids: 'all' },
  });
  assert.equal(same.status, 201);
});

test('one log line per request, and no secret in the log', async () => {
  const secret = 'Zq8xY2secretTokenValue0123456789abcdef';
  await stack.fetch(`/api/v1/example?token=${secret}`, { headers: { Cookie: `session=${secret}` } });
  await stack.fetch(`/api/v1/unknown/${secret}`);
  await manager.fetch('/api/v1/example/items', { method: 'POST', body: { name: secret, property_ids: 'all' } });
  await new Promise((r) => setTimeout(r, 200));
  const log = stack.log();
  assert.match(log, /GET \/api\/v1\/example 200 \d+ms worker=\d+/);
  assert.match(log, /POST \/api\/v1\/example\/items 201 \d+ms worker=\d+/);
  assert.ok(!log.includes(secret), 'a secret reached the log');
});

test('a request\'s log line: its id, route, status, time and database round trips', async () => {
  const lineOf = async (res) => {
    const id = res.headers.get('x-request-id');
    assert.match(id || '', /^[0-9a-f]{32}$/, 'nginx names the request');
    for (let i = 0; i < 20; i++) {
      const line = stack.log().split('\n').find((l) => l.endsWith(` id=${id}`));
      if (line) return line;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no log line with id=${id}`);
  };
  // no database at all
  let line = await lineOf(await stack.fetch('/api/v1/example'));
  assert.match(line, /: GET \/api\/v1\/example 200 \d+ms worker=\d+ route=\/api\/v1\/example db=0 db_time=0\.000ms id=/);
  // a signed-in read: the session and the item, each a round trip or two
  const created = await manager.json('/api/v1/example/items', { method: 'POST', body: { name: 'geloggt', property_ids: 'all' } });
  line = await lineOf(await manager.fetch(`/api/v1/example/items/${created.body.item.id}`));
  const [, trips, ms] = /route=\/api\/v1\/example\/items\/\{id\} db=(\d+) db_time=(\d+\.\d{3})ms/.exec(line);
  assert.ok(Number(trips) >= 2 && Number(trips) <= 6, line);
  assert.ok(Number(ms) > 0, line);
  // a page, and a path no route matches
  line = await lineOf(await manager.fetch('/app/example'));
  assert.match(line, / GET \/app\/example 200 \d+ms worker=\d+ route=\/app\/example db=\d+ /);
  line = await lineOf(await stack.fetch('/api/v1/nothing/here'));
  assert.match(line, / 404 \d+ms worker=\d+ route=- db=0 /);
  // nginx's access line carries the same id
  const id = (await stack.fetch('/api/v1/example')).headers.get('x-request-id');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(stack.accessLog().includes(id), 'the access line names the request too');
});

test('the body of a request that may not reach its handler is never parsed nor spooled', async () => {
  // With the temporary folder gone, any spooled upload would fail the request.
  const tmp = `${stack.var}/tmp`;
  renameSync(tmp, `${tmp}.away`);
  writeFileSync(tmp, 'not a folder');
  const pids = stack.workerPids();
  try {
    const big = new FormData();
    big.append('file', new Blob([Buffer.alloc(50 << 20, 7)]), 'gross.csv');
    await expectError(await stack.fetch('/api/v1/properties/import', { method: 'POST', body: big }), 401, 'unauthenticated');
    const page = await stack.fetch('/app/properties/import', { method: 'POST', body: big });
    assert.ok([401, 303].includes(page.status), `a page: ${page.status}`);
    // a signed-in manager's upload is spooled: here it cannot be
    const small = new FormData();
    small.append('file', new Blob([Buffer.from('Name\nHaus\n')]), 'klein.csv');
    const signed = await manager.fetch('/api/v1/properties/import', { method: 'POST', body: small });
    assert.ok(signed.status >= 500, `spooled: ${signed.status}`);
  } finally {
    rmSync(tmp);
    renameSync(`${tmp}.away`, tmp);
  }
  assert.deepEqual(stack.workerPids(), pids);
});

test('migrations are recorded once each', async () => {
  const out = stack.sql('SELECT name FROM schema_migrations ORDER BY name');
  assert.match(out, /core\/001_core\.sql/);
  assert.match(out, /example\/001_example\.sql/);
  assert.match(out, /example\/002_org\.sql/);
  const again = stack.portalctl('migrate');
  assert.equal(again.status, 0);
  assert.equal(again.stdout.trim(), '');
});

// A migration may outlast the lock's lease (a key built over a big table):
// the lease is renewed while it runs, or another host's migrator would take
// the lock over and run the same migrations at the same time.
test('the migration lock holds while a migration runs longer than its lease', async () => {
  const { pluginDir, shareDir } = stack.testPlugins(['slow'], ['example']);
  writeFileSync(`${shareDir}/slow/sql/001_slow.sql`, 'DO SLEEP(7);\nCREATE TABLE slow_migrated (id INT PRIMARY KEY);\n');
  const conf = path.join(stack.var, 'migrate.conf');
  copyFileSync(stack.conf, conf);
  stack.setConf({ plugin_dir: pluginDir, plugin_share: shareDir, plugins: 'example slow', migration_lease_seconds: 3 }, conf);
  const migrator = spawn(path.join(stack.env.PORTAL_BIN, 'portalctl'), ['-c', conf, 'migrate'], { env: stack.env });
  const ended = new Promise((resolve) => migrator.on('exit', resolve));
  const lock = () => stack.sql("SELECT CONCAT(IFNULL(holder, 'free'), ' ', until >= UTC_TIMESTAMP()) FROM schema_lock").trim();
  const started = Date.now();
  for (const at of [2000, 4500, 6500]) { // the lease of 3 s ran out twice
    await new Promise((r) => setTimeout(r, at - (Date.now() - started)));
    assert.match(lock(), new RegExp(`:${migrator.pid} 1$`), `the lock after ${at} ms`);
  }
  assert.equal(await ended, 0);
  assert.match(lock(), /^free /);
  assert.match(stack.sql('SHOW TABLES'), /slow_migrated/);
});
