// Photos of tickets against the whole stack: sent with a report or a comment
// (multipart field "files", at most 10), each cleaned by the SDK (upright, no
// metadata: the fixtures carry GPS, a camera and an address) and stored under
// its SHA-256; served through nginx only to managers and the reporter; a file
// that is no photo, a broken one or an eleventh refuse the whole request and
// leave nothing stored. A photo of an internal note stays the managers'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startStack, repo } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

const FIXTURES = path.join(repo, 'tests', 'fixtures', 'images');
const fixture = (name) => readFileSync(path.join(FIXTURES, name));
// What no served photo may contain: the fixtures' metadata.
const LEAKS = ['Exif', 'GPS', 'PortalCam', 'Leak 3000', 'Mustermann', 'Musterstrasse', 'ns.adobe.com', 'xmpmeta'];

let stack, manager, other, house, rita, sam;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents tickets', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  manager = await newManager(stack);
  other = await newManager(stack);
  house = (await newProperty(manager, 'Lindenhof')).id;
  rita = await newResident(stack, manager, [house]);
  sam = await newResident(stack, manager, [house]);
});
after(async () => { await stack?.stop(); });

// A report (or, with path, a comment) with photos [{name, bytes, type}].
function form(fields, photos) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, String(v));
  for (const p of photos) f.append('files', new Blob([p.bytes], { type: p.type || 'image/jpeg' }), p.name);
  return f;
}
const send = (client, p, fields, photos) => client.json(p, { method: 'POST', body: form(fields, photos), headers: { Origin: stack.base } });
const report = (client, photos, fields = {}) => send(client, '/api/v1/tickets', { property_id: house, title: 'Wasserfleck', description: 'An der Decke im Bad', ...fields }, photos);
const storedFiles = () => readdirSync(path.join(stack.var, 'files')).sort();
const count = (q) => Number(stack.sql(q).trim());
const jpeg = { name: 'IMG_0001.jpg', bytes: fixture('photo-gps-o6.jpg') };

test('a report with photos: each upright, without metadata, with a thumbnail, served only to managers and the reporter', async () => {
  const res = await report(rita, [jpeg, { name: 'IMG_0002.HEIC', bytes: fixture('photo.heic'), type: 'image/heic' }]);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const t = res.body;
  assert.equal(t.attachments.length, 2);
  const [a, b] = t.attachments;
  assert.deepEqual(Object.keys(a).sort(), ['content_type', 'event_id', 'id', 'name', 'size', 'thumbnail_url', 'url']);
  assert.deepEqual([a.name, a.content_type, a.event_id], ['IMG_0001.jpg', 'image/jpeg', null]);
  assert.equal(b.name, 'IMG_0002.HEIC');
  assert.equal(a.url, `/api/v1/tickets/${t.id}/attachments/${a.id}`);
  for (const client of [rita, manager]) {
    for (const url of [a.url, a.thumbnail_url, b.url, b.thumbnail_url]) {
      const got = await client.fetch(url);
      assert.equal(got.status, 200, url);
      assert.match(got.headers.get('content-type'), /^image\/(jpeg|png)$/);
      assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
      const bytes = Buffer.from(await got.arrayBuffer());
      const text = bytes.toString('latin1');
      for (const leak of LEAKS) assert.ok(!text.includes(leak), `${url} carries ${leak}`);
      if (url === a.url) {
        assert.equal(bytes.length, a.size);
        const file = stack.sql(`SELECT file FROM ticket_attachments WHERE id = ${a.id}`).trim();
        assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), file, 'stored under its SHA-256');
      }
    }
  }
  // the photo was 600 x 400 with orientation 6: upright it is taller than wide
  const full = Buffer.from(await (await manager.fetch(a.url)).arrayBuffer());
  const sof = full.indexOf(Buffer.from([0xff, 0xc0])) >= 0 ? full.indexOf(Buffer.from([0xff, 0xc0])) : full.indexOf(Buffer.from([0xff, 0xc2]));
  assert.deepEqual([full.readUInt16BE(sof + 5), full.readUInt16BE(sof + 7)], [600, 400], 'height 600, width 400');
  // nginx sends the stored file (X-Accel-Redirect to its internal /_files/),
  // which no one reaches directly, and the header stays between the two
  const file = stack.sql(`SELECT file FROM ticket_attachments WHERE id = ${a.id}`).trim();
  const served = await manager.fetch(a.url);
  assert.equal(served.headers.get('x-accel-redirect'), null);
  assert.equal((await manager.fetch(`/_files/${file}`)).status, 404);
  // not for a neighbour, even of a shared ticket, nor another organisation
  await manager.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { shared: true } });
  assert.deepEqual((await sam.json(`/api/v1/tickets/${t.id}`)).body.attachments, []);
  assert.equal((await sam.fetch(a.url)).status, 404);
  assert.equal((await other.fetch(a.url)).status, 404);
  assert.equal((await rita.fetch(`/api/v1/tickets/${t.id}/attachments/999999`)).status, 404);
});

test('11 photos, a file that is no photo, a broken one: refused, and nothing stored', async () => {
  const before = { tickets: count('SELECT COUNT(*) FROM tickets'), rows: count('SELECT COUNT(*) FROM ticket_attachments'), files: storedFiles() };
  const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.jpg`, bytes: fixture('photo-gps-o6.jpg') }));
  const cases = [
    [eleven, 422],
    [[jpeg, { name: 'bild.svg', bytes: fixture('image.svg'), type: 'image/svg+xml' }], 415],
    [[jpeg, { name: 'text.jpg', bytes: fixture('text.jpg') }], 415],
    [[jpeg, { name: 'kaputt.jpg', bytes: fixture('truncated.jpg') }], 422],
    [[{ name: 'bomb.png', bytes: fixture('bomb.png'), type: 'image/png' }], 422],
  ];
  for (const [photos, status] of cases) {
    const res = await report(rita, photos, { title: `Fall ${photos.at(-1).name}` });
    assert.equal(res.status, status, `${photos.at(-1).name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.field, 'files');
    assert.equal(res.body.error.code, status === 415 ? 'unsupported_media_type' : 'validation');
  }
  assert.equal(count('SELECT COUNT(*) FROM tickets'), before.tickets);
  assert.equal(count('SELECT COUNT(*) FROM ticket_attachments'), before.rows);
  assert.deepEqual(storedFiles(), before.files, 'the good photo of a refused report is not kept');
  const ten = await report(rita, eleven.slice(0, 10).map((p, i) => ({ ...p, bytes: i % 2 ? fixture('photo-gps-o6.jpg') : fixture('alpha.png'), type: i % 2 ? 'image/jpeg' : 'image/png' })));
  assert.equal(ten.status, 201, JSON.stringify(ten.body));
  assert.equal(ten.body.attachments.length, 10);
});

test('comments with photos; a note\'s photo is never the reporter\'s', async () => {
  const t = (await report(rita, [])).body;
  assert.deepEqual(t.attachments, []);
  const c = await send(rita, `/api/v1/tickets/${t.id}/comments`, { body: 'Jetzt größer' }, [jpeg]);
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const note = await send(manager, `/api/v1/tickets/${t.id}/comments`, { body: 'Vom Handwerker', internal: 'true' }, [{ name: 'intern.webp', bytes: fixture('photo.webp'), type: 'image/webp' }]);
  assert.equal(note.status, 201, JSON.stringify(note.body));
  const theirs = (await manager.json(`/api/v1/tickets/${t.id}`)).body;
  assert.deepEqual(theirs.attachments.map((x) => [x.name, x.event_id]), [['IMG_0001.jpg', c.body.id], ['intern.webp', note.body.id]]);
  const hers = (await rita.json(`/api/v1/tickets/${t.id}`)).body;
  assert.deepEqual(hers.attachments.map((x) => x.name), ['IMG_0001.jpg']);
  assert.equal((await rita.fetch(theirs.attachments[1].url)).status, 404);
  assert.equal((await manager.fetch(theirs.attachments[1].url)).status, 200);
  const refused = await send(rita, `/api/v1/tickets/${t.id}/comments`, { body: 'svg' }, [{ name: 'x.svg', bytes: fixture('image.svg'), type: 'image/svg+xml' }]);
  assert.equal(refused.status, 415);
  assert.equal((await rita.json(`/api/v1/tickets/${t.id}`)).body.events.filter((e) => e.type === 'comment').length, 1, 'no comment without its photos');
});

test('the hourly files sweep keeps the photos and thumbnails tickets name', async () => {
  const res = await report(rita, [jpeg]);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const [a] = res.body.attachments;
  const r = stack.portalctl('jobs', 'run', 'files-sweep');
  assert.equal(r.status, 0, r.stderr);
  for (const url of [a.url, a.thumbnail_url]) assert.equal((await manager.fetch(url)).status, 200, url);
});
