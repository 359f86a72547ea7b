// Photos (portal/photo.h) through the test plugin tests/plugins/photo.c on the
// real stack: each upload is cleaned by bin/portal-photo, which the worker
// starts, and stored with portal_file_store_bytes. The fixtures carry GPS
// positions, a camera and an address (tests/fixtures/images/make.py).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { startStack, repo } from './stack.mjs';

const FIXTURES = path.join(repo, 'tests', 'fixtures', 'images');
const fixture = (name) => readFileSync(path.join(FIXTURES, name));
// What no cleaned file may contain: the fixtures' metadata.
const LEAKS = ['Exif', 'GPS', 'PortalCam', 'Leak 3000', 'Mustermann', 'Musterstrasse', 'ns.adobe.com', 'xmpmeta'];

let stack;

before(async () => {
  // One request worker: the same process answers every request, so it must
  // outlive every bad file.
  stack = await startStack({ workers: 1 });
  const { pluginDir, shareDir } = stack.testPlugins(['photo'], ['example']);
  stack.setConf({ plugin_dir: pluginDir, plugin_share: shareDir, plugins: 'example photo' });
  await stack.reload();
});
after(async () => { await stack?.stop(); });

async function upload(bytes, name = 'photo.jpg', type = 'image/jpeg') {
  const form = new FormData();
  form.append('photo', new Blob([bytes], { type }), name);
  const res = await stack.fetch('/api/v1/photo/clean', { method: 'POST', body: form });
  return { status: res.status, body: await res.json() };
}

const stored = (image) => readFileSync(path.join(stack.var, 'files', image.file));
const storedNames = () => readdirSync(path.join(stack.var, 'files')).sort();

// The JPEG's segments before its image data: [{ marker, id }], id the
// segment's first bytes (an APP1's "Exif" or XMP namespace).
function jpegSegments(bytes) {
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8], 'a JPEG starts with SOI');
  const segments = [];
  let at = 2;
  while (at + 4 <= bytes.length) {
    assert.equal(bytes[at], 0xff, `a marker at ${at}`);
    const marker = bytes[at + 1];
    const length = bytes.readUInt16BE(at + 2);
    segments.push({ marker, id: bytes.subarray(at + 4, at + 4 + Math.min(length - 2, 29)).toString('latin1') });
    if (marker === 0xda) break; // start of scan: pixels follow
    at += 2 + length;
  }
  return segments;
}

function pngChunks(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at);
    chunks.push(bytes.subarray(at + 4, at + 8).toString('latin1'));
    at += 12 + length;
  }
  return chunks;
}

function assertCleanJpeg(bytes) {
  const segments = jpegSegments(bytes);
  const markers = segments.map((s) => s.marker);
  // APP1 (Exif, XMP), APP2 (ICC), APP13 (IPTC), APP14+, COM: none. An APP0
  // (JFIF) says nothing about the photo.
  for (const m of markers) assert.ok(m < 0xe1 || m > 0xef, `no APP${m - 0xe0} segment`);
  assert.ok(!markers.includes(0xfe), 'no comment segment');
  assertNoLeaks(bytes);
}

function assertNoLeaks(bytes) {
  const text = bytes.toString('latin1');
  for (const leak of LEAKS) assert.ok(!text.includes(leak), `no "${leak}" in the cleaned file`);
}

test('a JPEG with GPS is turned upright by its orientation and keeps no metadata', async () => {
  const original = fixture('photo-gps-o6.jpg');
  // The fixture does carry what must go.
  const kept = original.toString('latin1');
  for (const leak of ['Exif', 'PortalCam', 'Musterstrasse', 'ns.adobe.com']) assert.ok(kept.includes(leak));
  const { status, body } = await upload(original);
  assert.equal(status, 200, JSON.stringify(body));
  // 600 x 400 stored with orientation 6: 400 x 600 upright.
  assert.deepEqual([body.photo.content_type, body.photo.width, body.photo.height], ['image/jpeg', 400, 600]);
  assert.deepEqual([body.thumb.content_type, body.thumb.width, body.thumb.height], ['image/jpeg', 213, 320]);
  for (const image of [body.photo, body.thumb]) {
    const bytes = stored(image);
    assert.equal(bytes.length, image.bytes);
    assertCleanJpeg(bytes);
    // Stored under its SHA-256, like every upload.
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(bytes).digest('hex'), image.file);
  }
});

test('a large PNG with text chunks becomes a JPEG of at most 2560 pixels, with a thumbnail of 320', async () => {
  assert.ok(fixture('text-chunk.png').toString('latin1').includes('Musterstrasse'));
  const { status, body } = await upload(fixture('text-chunk.png'), 'plan.png', 'image/png');
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual([body.photo.content_type, body.photo.width, body.photo.height], ['image/jpeg', 2560, 853]);
  assert.deepEqual([body.thumb.width, body.thumb.height], [320, 107]);
  assertCleanJpeg(stored(body.photo));
  assertCleanJpeg(stored(body.thumb));
});

test('a PNG with transparency stays a PNG, without ancillary chunks, and is never enlarged', async () => {
  const { status, body } = await upload(fixture('alpha.png'), 'logo.png', 'image/png');
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual([body.photo.content_type, body.photo.width, body.photo.height], ['image/png', 200, 100]);
  assert.deepEqual([body.thumb.content_type, body.thumb.width, body.thumb.height], ['image/png', 200, 100]);
  const chunks = pngChunks(stored(body.photo));
  assert.equal(chunks[0], 'IHDR');
  assert.equal(chunks.at(-1), 'IEND');
  for (const c of ['tEXt', 'iTXt', 'zTXt', 'eXIf', 'iCCP', 'tIME']) assert.ok(!chunks.includes(c), `no ${c}`);
});

test('WebP and HEIC (an iPhone\'s) photos with EXIF become clean JPEGs', async () => {
  for (const [name, width, height] of [['photo.webp', 300, 200], ['photo.heic', 400, 300]]) {
    assert.ok(fixture(name).toString('latin1').includes('PortalCam'), `${name} carries EXIF`);
    // The client's name and type say nothing: both are sent as something else.
    const { status, body } = await upload(fixture(name), 'IMG_0001.png', 'application/octet-stream');
    assert.equal(status, 200, `${name}: ${JSON.stringify(body)}`);
    assert.deepEqual([body.photo.content_type, body.photo.width, body.photo.height], ['image/jpeg', width, height], name);
    assertCleanJpeg(stored(body.photo));
    assertCleanJpeg(stored(body.thumb));
  }
});

test('other kinds of content are 415, corrupt files and pixel bombs 422, and nothing is stored', async () => {
  const before = storedNames();
  for (const [name, status] of [['image.svg', 415], ['text.jpg', 415], ['truncated.jpg', 422], ['bomb.png', 422]]) {
    const res = await upload(fixture(name), name);
    assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.field, 'photo', name);
    assert.equal(res.body.error.code, status === 415 ? 'unsupported_media_type' : 'validation', name);
  }
  assert.deepEqual(storedNames(), before);
});

// A PNG of width x height pixels of noise (RGB), as a camera's photo is
// noise to a compressor: decoding it takes width * height * 3 bytes at least.
function noisePng(width, height, next) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(next(), Math.min(i, raw.length - 4));
  for (let y = 0; y < height; y++) raw[y * (width * 3 + 1)] = 0; // filter: none
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])));
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// A sanitized build (make test SAN=1) runs larger workers of its own.
const SANITIZED = /\/build\/san\/bin\/?$/.test(process.env.PORTAL_BIN || '');

test('a photo of 6 megapixels is decoded outside the worker, which stays under 8 MiB', async () => {
  const { pid } = await (await stack.fetch('/api/v1/photo/pid')).json();
  const before = rssKiB(pid);
  const png = noisePng(3000, 2000, random(0xc0ffee));
  const { status, body } = await upload(png, 'noise.png', 'image/png');
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.pid, pid);
  assert.deepEqual([body.photo.content_type, body.photo.width, body.photo.height], ['image/jpeg', 2560, 1707]);
  // Its pixels alone are 18 MB: had the worker decoded them, they would show.
  const rss = rssKiB(pid);
  const budget = SANITIZED ? before + 16 * 1024 : 8 * 1024;
  assert.ok(rss < budget, `the worker's RSS is ${rss} KiB (${before} KiB before)`);
});

// A small generator of the same numbers each run (xorshift32).
function random(seed) {
  let x = seed;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
}

test('random bytes and damaged photos never harm the worker: each is 200, 415 or 422', async () => {
  const next = random(0x5eed);
  const { pid } = await (await stack.fetch('/api/v1/photo/pid')).json();
  const heads = [Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1')];
  const sources = ['photo-gps-o6.jpg', 'text-chunk.png', 'photo.webp', 'photo.heic', 'alpha.png'].map(fixture);
  const cases = [];
  for (let i = 0; i < 12; i++) {
    // A known head and then noise.
    const noise = Buffer.alloc(64 + (next() % 4000), 0).map(() => next() & 0xff);
    cases.push(Buffer.concat([heads[i % heads.length], noise]));
  }
  for (let i = 0; i < 20; i++) {
    // A real photo with some bytes changed past its first ones.
    const bytes = Buffer.from(sources[i % sources.length]);
    for (let n = 0; n < 1 + (next() % 8); n++) bytes[16 + (next() % (bytes.length - 16))] = next() & 0xff;
    cases.push(bytes);
  }
  for (const bytes of cases) {
    const { status } = await upload(bytes);
    assert.ok([200, 415, 422].includes(status), `status ${status}`);
  }
  const after = await (await stack.fetch('/api/v1/photo/pid')).json();
  assert.equal(after.pid, pid, 'the same worker still serves');
  assert.doesNotMatch(stack.log(), /photo: .*(exit code|malformed)/);
});

test('photo_max_side in portal.conf bounds the photo\'s longest side', async () => {
  stack.setConf({ photo_max_side: 1000 });
  await stack.reload();
  const { status, body } = await upload(fixture('text-chunk.png'), 'plan.png', 'image/png');
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual([body.photo.width, body.photo.height], [1000, 333]);
  assert.deepEqual([body.thumb.width, body.thumb.height], [320, 107]);
});
