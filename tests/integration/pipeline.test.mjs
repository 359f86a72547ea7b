// The request pipeline end to end, through nginx and the pool: parsing,
// routing, the two renderings, errors in the API's shape, headers, and logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { startStack } from './stack.mjs';

let stack;
before(async () => { stack = await startStack(); });
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
  const ok = await stack.fetch('/api/v1/example/items/1');
  assert.equal(ok.status, 200);
  assert.equal((await json(ok)).item.id, 1);
  for (const id of ['0', 'abc', '-1', '01', '1.5', '99999999999999999999']) {
    await expectError(await stack.fetch(`/api/v1/example/items/${id}`), 404, 'not_found');
  }
  await expectError(await stack.fetch('/api/v1/example/items/987654'), 404, 'not_found');
  const page = await stack.fetch('/example/items/abc');
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

test('JSON, urlencoded and multipart bodies reach the handler alike', async () => {
  const a = await stack.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Müllabfuhr </script><b>' }),
  });
  assert.equal(a.status, 201);
  const created = await json(a);
  assert.equal(created.item.name, 'Müllabfuhr </script><b>');

  const b = await stack.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'name=Treppenhaus+%C3%BCber',
  });
  assert.equal(b.status, 201);
  assert.equal((await json(b)).item.name, 'Treppenhaus über');

  const form = new FormData();
  form.append('name', 'Mit Anhang');
  form.append('file', new Blob([Buffer.alloc(200000, 7)]), 'bild.png');
  const c = await stack.fetch('/api/v1/example/items', { method: 'POST', body: form });
  assert.equal(c.status, 201);
  // the uploaded part went to a temporary file that is gone after the request
  assert.deepEqual(readdirSync(`${stack.var}/tmp`).filter((f) => f.startsWith('upload-')), []);

  // what was stored comes back escaped: "</" never appears raw in JSON or HTML
  const got = await stack.fetch(`/api/v1/example/items/${created.item.id}`);
  const text = await got.text();
  assert.ok(!text.includes('</script>'));
  assert.equal(JSON.parse(text).item.name, 'Müllabfuhr </script><b>');
  const page = await (await stack.fetch(`/example/items/${created.item.id}`)).text();
  assert.ok(page.includes('Müllabfuhr &lt;/script&gt;&lt;b&gt;'));
  assert.ok(!page.includes('<b>'));
});

test('validation errors name the field', async () => {
  const res = await stack.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: '' }),
  });
  await expectError(res, 422, 'validation', 'name');
  const long = await stack.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'ä'.repeat(101) }),
  });
  await expectError(long, 422, 'validation', 'name');
});

test('malformed input gets 400, 413 or 415 in the error shape', async () => {
  const post = (body, type) => stack.fetch('/api/v1/example/items', {
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
  const res = await stack.fetch('/api/v1/example/items', {
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
  const res = await stack.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
    body: JSON.stringify({ name: 'x' }),
  });
  await expectError(res, 403, 'csrf');
  const same = await stack.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: stack.base },
    body: JSON.stringify({ name: 'x' }),
  });
  assert.equal(same.status, 201);
});

test('one log line per request, and no secret in the log', async () => {
  const secret = 'Zq8xY2secretTokenValue0123456789abcdef';
  await stack.fetch(`/api/v1/example?token=${secret}`, { headers: { Cookie: `session=${secret}` } });
  await stack.fetch(`/api/v1/unknown/${secret}`);
  await stack.fetch('/api/v1/example/items', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: secret }),
  });
  await new Promise((r) => setTimeout(r, 200));
  const log = stack.log();
  assert.match(log, /GET \/api\/v1\/example 200 \d+ms worker=\d+/);
  assert.match(log, /POST \/api\/v1\/example\/items 201 \d+ms worker=\d+/);
  assert.ok(!log.includes(secret), 'a secret reached the log');
});

test('migrations are recorded once each', async () => {
  const out = stack.sql('SELECT name FROM schema_migrations ORDER BY name');
  assert.match(out, /core\/001_core\.sql/);
  assert.match(out, /example\/001_example\.sql/);
  const again = stack.portalctl('migrate');
  assert.equal(again.status, 0);
  assert.equal(again.stdout.trim(), '');
});
