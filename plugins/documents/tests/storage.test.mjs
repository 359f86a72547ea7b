// The documents' storage when things go wrong: a files folder that fills up
// in the middle of a batch (a real filesystem of 1 MiB, a tmpfs mounted over
// the stack's files folder: the tests run as root), and clients that go away
// in the middle of their upload, once at nginx and once at the pool itself.
// Each time: no document row, no stored file, no temporary file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startStack } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty } from '../../../tests/integration/client.mjs';

let stack, manager, mounted = null;

// The small filesystem goes whatever happens: also when the process ends
// without after() (an uncaught failure).
function unmount() {
  if (!mounted) return;
  const r = spawnSync('umount', [mounted], { encoding: 'utf8' });
  if (r.status === 0) mounted = null;
  else spawnSync('umount', ['-l', mounted]);
}
process.on('exit', unmount);

before(async () => {
  stack = await startStack({ plugins: 'invites content documents', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  const dir = path.join(stack.var, 'files');
  const st = fs.statSync(dir);
  const options = `size=1m,uid=${st.uid},gid=${st.gid},mode=${(st.mode & 0o7777).toString(8)}`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount: ${r.stderr}`);
  mounted = dir;
});
after(async () => {
  try {
    unmount();
  } finally {
    await stack?.stop();
  }
});

const unique = (label, size) => {
  const head = Buffer.from(`${label} ${crypto.randomUUID()}\n`);
  return size ? Buffer.concat([head, crypto.randomBytes(size - head.length)]) : head;
};
const count = (query) => Number(stack.sql(query).trim());
const filesDir = () => path.join(stack.var, 'files');
const listOr = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

function multipart(files, fields, fileField = 'files') {
  const boundary = `----docs${crypto.randomUUID()}`;
  const chunks = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${f.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`), f.content, Buffer.from('\r\n'));
  }
  for (const [name, value] of fields) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

// A batch of contents, each for all residents: the request's parts.
function batch(contents) {
  const fields = [];
  for (const field of ['category', 'audience']) for (const _ of contents) fields.push([field, field === 'category' ? 'Sonstiges' : 'residents']);
  return multipart(contents.map((content, i) => ({ filename: `Teil ${i + 1}.bin`, content })), fields);
}

// What must be as it was: document rows, versions, stored and temporary files.
function snapshot() {
  return {
    documents: count('SELECT COUNT(*) FROM documents'),
    versions: count('SELECT COUNT(*) FROM document_files'),
    files: listOr(filesDir()).sort(),
    uploads: listOr(path.join(stack.var, 'tmp')).filter((n) => n.startsWith('upload-')),
  };
}

const waitUntil = async (what, check) => {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
};

test('a batch that does not fit on the disk: 503, and nothing of it stays', async () => {
  const p = (await newProperty(manager, 'Vollhaus')).id;
  const was = snapshot();
  assert.deepEqual(was.files, [], 'the small filesystem starts empty');
  // three files of 400 KiB: two fit into 1 MiB, the third does not
  const { body, type } = batch([unique('eins', 400 << 10), unique('zwei', 400 << 10), unique('drei', 400 << 10)]);
  const res = await manager.json(`/api/v1/properties/${p}/documents`, { method: 'POST', headers: { 'Content-Type': type }, body });
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'unavailable');
  assert.deepEqual(snapshot(), was, 'no row, and neither the two stored files nor a temporary file');
  assert.match(stack.log(), /files: cannot store a file: No space left on device/);

  // the disk is usable again at once: a batch that fits is stored
  const small = batch([unique('klein')]);
  const ok = await manager.json(`/api/v1/properties/${p}/documents`, { method: 'POST', headers: { 'Content-Type': small.type }, body: small.body });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  const id = ok.body.items[0].id;

  // a new version that does not fit: the document stays as it was
  const before = snapshot();
  const big = multipart([{ filename: 'gross.bin', content: unique('gross', 1100 << 10) }], [], 'file');
  const replaced = await manager.fetch(`/api/v1/documents/${id}/file`, { method: 'PUT', headers: { 'Content-Type': big.type }, body: big.body });
  assert.equal(replaced.status, 503);
  assert.deepEqual(snapshot(), before);
  assert.equal(count(`SELECT version FROM documents WHERE id = ${id}`), 1);
});

// Headers and the first half of a batch's body; resolves once the kernel has
// taken all of it.
function halfRequest(socket, head, body) {
  socket.write(head);
  return new Promise((resolve) => socket.write(body.subarray(0, body.length >> 1), resolve));
}

test('a client that goes away in the middle of its upload leaves nothing behind nginx', async () => {
  const p = (await newProperty(manager, 'Abbruchhaus')).id;
  const was = snapshot();
  const { body, type } = batch([unique('eins', 300 << 10), unique('zwei', 300 << 10)]);
  const socket = net.connect(stack.port, '127.0.0.1');
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  await halfRequest(socket, [
    `POST /api/v1/properties/${p}/documents HTTP/1.1`, `Host: 127.0.0.1:${stack.port}`, `Cookie: ${manager.cookie}`,
    `X-CSRF-Token: ${manager.csrf}`, `Content-Type: ${type}`, `Content-Length: ${body.length}`, '', '',
  ].join('\r\n'), body);
  // nginx's own temporary file of the body is unlinked from its start: it
  // goes with the connection
  socket.destroy();
  const line = new RegExp(`"POST /api/v1/properties/${p}/documents" (\\d+) `);
  await waitUntil('nginx logs the request', () => line.test(stack.accessLog()));
  assert.notEqual(stack.accessLog().match(line)[1], '201');
  assert.ok(!new RegExp(`/api/v1/properties/${p}/documents`).test(stack.log()), 'the pool never saw it');
  assert.deepEqual(snapshot(), was);
});

// A FastCGI record (version 1) of type for request 1.
function record(type, content = Buffer.alloc(0)) {
  const head = Buffer.from([1, type, 0, 1, content.length >> 8, content.length & 0xff, 0, 0]);
  return Buffer.concat([head, content]);
}
const pairLength = (n) => (n < 128 ? Buffer.from([n]) : Buffer.from([(n >>> 24) | 0x80, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]));
function params(pairs) {
  return Buffer.concat(Object.entries(pairs).map(([k, v]) => Buffer.concat([pairLength(Buffer.byteLength(k)), pairLength(Buffer.byteLength(v)), Buffer.from(k), Buffer.from(v)])));
}

test('a client that goes away in the middle of its upload leaves nothing in the pool either', async () => {
  // nginx hands on only whole bodies; the pool must not rely on it
  const p = (await newProperty(manager, 'Halbhaus')).id;
  const was = snapshot();
  const { body, type } = batch([unique('eins', 300 << 10), unique('zwei', 300 << 10)]);
  const id = crypto.randomBytes(16).toString('hex');
  const uri = `/api/v1/properties/${p}/documents`;
  const socket = net.connect(path.join(stack.var, 'run', 'portald.sock'));
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const stdin = [];
  const half = body.subarray(0, body.length >> 1);
  for (let at = 0; at < half.length; at += 60000) stdin.push(record(5, half.subarray(at, at + 60000)));
  socket.write(Buffer.concat([
    record(1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])),
    record(4, params({
      REQUEST_METHOD: 'POST', REQUEST_URI: uri, DOCUMENT_URI: uri, QUERY_STRING: '', CONTENT_TYPE: type,
      CONTENT_LENGTH: String(body.length), REMOTE_ADDR: '127.0.0.1', REMOTE_PORT: '40000', SERVER_NAME: '127.0.0.1',
      SERVER_PORT: String(stack.port), SERVER_PROTOCOL: 'HTTP/1.1', REQUEST_ID: id, HTTP_HOST: `127.0.0.1:${stack.port}`,
      HTTP_COOKIE: manager.cookie, HTTP_X_CSRF_TOKEN: manager.csrf,
    })),
    record(4),
    ...stdin,
  ]));
  // the worker has read what there is once its temporary upload file holds it
  await waitUntil('the worker reads the body', () => snapshot().uploads.length > 0);
  socket.destroy();
  const line = new RegExp(`POST ${uri} (\\d+) .* id=${id}`);
  await waitUntil('the worker logs the request', () => line.test(stack.log()));
  assert.equal(stack.log().match(line)[1], '400', 'a body shorter than its length');
  assert.deepEqual(snapshot(), was);
});
