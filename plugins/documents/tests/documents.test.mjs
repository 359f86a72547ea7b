// The documents plugin against the whole stack: the upload of a batch (all
// files or none), who sees what (every audience against every group, a unit's
// papers bound to the tenancy), downloads with their headers, the audience
// check, changes and deletion with the stored files, file names that are only
// display text, versions behind a stable link and acknowledgements.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startStack } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, manager, other, home, neighbour;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  // Small files are enough to test the limit.
  stack.setConf({ 'documents.max_file_mib': 1 });
  await stack.reload();
  manager = await newManager(stack);
  other = await newManager(stack); // another organisation
  home = (await newProperty(manager, 'Dokumentenhaus')).id;
  neighbour = (await newProperty(manager, 'Nachbarhaus')).id;
});
after(async () => { await stack?.stop(); });

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const HTML = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>\n');
const SVG = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n');
// A PNG's signature and a minimal header: libmagic names it image/png.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const unique = (label) => Buffer.from(`${label} ${crypto.randomUUID()}\n`);
const sha = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// A multipart body of parts [{name, value}] and [{name, filename, content, type}].
function multipart(parts) {
  const boundary = `----docs${crypto.randomUUID()}`;
  const chunks = [];
  for (const p of parts) {
    const disposition = p.filename === undefined
      ? `form-data; name="${p.name}"`
      : `form-data; name="${p.name}"; filename="${p.filename}"`;
    const type = p.filename === undefined ? '' : `Content-Type: ${p.type || 'application/octet-stream'}\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.value ?? ''));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

// The parts of a batch: the files, then each per-file field once per file in
// their order (a field whose value is undefined for every file is left out).
function batchParts(files) {
  const parts = files.map((f) => ({ name: 'files', filename: f.filename ?? 'Datei.pdf', content: f.content ?? unique('x'), type: f.type }));
  for (const field of ['title', 'category', 'audience', 'unit_id', 'requires_ack']) {
    if (files.every((f) => f[field] === undefined)) continue;
    for (const f of files) parts.push({ name: field, value: String(f[field] ?? '') });
  }
  return parts;
}

async function post(client, propertyId, parts) {
  const { body, type } = multipart(parts);
  return client.json(`/api/v1/properties/${propertyId}/documents`, { method: 'POST', headers: { 'Content-Type': type }, body });
}

const upload = (client, propertyId, files) => post(client, propertyId, batchParts(files));

// One document shared so, as the manager uploads it: its id.
async function share(propertyId, fields, content = unique('Dokument')) {
  const res = await upload(manager, propertyId, [{ category: 'Sonstiges', content, ...fields }]);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.items[0].id;
}

const listIds = async (client, propertyId) => {
  const res = await client.json(`/api/v1/properties/${propertyId}/documents`);
  return res.status === 200 ? res.body.items.map((d) => d.id) : res.status;
};
const downloadStatus = async (client, id) => (await client.fetch(`/api/v1/documents/${id}/download`)).status;
const filesDir = () => path.join(stack.var, 'files');
const storedFiles = () => fs.readdirSync(filesDir()).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
const count = (query) => Number(stack.sql(query).trim());
const unitOf = async (propertyId, name) => (await manager.json(`/api/v1/properties/${propertyId}/units`, { method: 'POST', body: { name } })).body.id;
const setUnit = async (userId, body, propertyId = home) => {
  const res = await manager.json(`/api/v1/properties/${propertyId}/residents/${userId}`, { method: 'PATCH', body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
};

test('a batch: every file with its own fields, stored under its SHA-256, in the files\' order', async () => {
  const pdf = unique('%PDF-1.4 Hausordnung');
  const res = await upload(manager, home, [
    { filename: 'Hausordnung 2026.pdf', content: Buffer.concat([PDF, pdf]), category: 'Hausordnung', audience: 'residents', requires_ack: 'true' },
    { filename: 'Protokoll.txt', content: unique('Protokoll'), title: 'Protokoll der Versammlung', category: 'Protokoll', audience: 'owners', requires_ack: '' },
    { filename: 'intern.txt', content: unique('intern'), title: '', category: 'Sonstiges', audience: 'internal', requires_ack: 'false' },
  ]);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const [a, b, c] = res.body.items;
  assert.equal(res.body.items.length, 3);
  assert.deepEqual(Object.keys(a).sort(), ['acks', 'audience', 'category', 'content_type', 'id', 'requires_ack', 'size', 'title', 'unit', 'updated_at', 'uploaded_at', 'url', 'version']);
  assert.deepEqual([a.title, a.category, a.audience, a.requires_ack, a.unit, a.version, a.content_type],
    ['Hausordnung 2026', 'Hausordnung', 'residents', true, null, 1, 'application/pdf'], 'the title comes from the file name');
  assert.deepEqual([b.title, b.audience, b.requires_ack, b.content_type], ['Protokoll der Versammlung', 'owners', false, 'text/plain']);
  assert.deepEqual([c.title, c.audience, c.requires_ack], ['intern', 'internal', false]);
  assert.ok(a.id < b.id && b.id < c.id);
  assert.equal(a.url, `/api/v1/documents/${a.id}/download`);
  assert.equal(a.size, PDF.length + pdf.length);
  assert.match(a.uploaded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(a.acks, { count: 0, of: 0 });
  const file = stack.sql(`SELECT file FROM document_files WHERE document_id = ${a.id}`).trim();
  assert.equal(file, sha(Buffer.concat([PDF, pdf])));
  assert.ok(storedFiles().includes(file));
  assert.equal(count(`SELECT COUNT(*) FROM documents WHERE id IN (${a.id}, ${b.id}, ${c.id}) AND org_id = ${manager.user.org_id} AND property_id = ${home} AND uploaded_by = ${manager.user.id}`), 3);

  const list = await manager.json(`/api/v1/properties/${home}/documents`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.items.slice(0, 3).map((d) => d.id), [c.id, b.id, a.id], 'newest first');
  const page = await manager.json(`/api/v1/properties/${home}/documents?limit=2`);
  assert.equal(page.body.items.length, 2);
  const rest = await manager.json(`/api/v1/properties/${home}/documents?limit=2&after=${encodeURIComponent(page.body.next)}`);
  assert.equal(rest.body.items[0].id, a.id, 'the next page goes on where the first ended');
  assert.deepEqual((await manager.json(`/api/v1/properties/${home}/documents?category=Protokoll`)).body.items.map((d) => d.id), [b.id]);
  assert.equal((await manager.json(`/api/v1/properties/${home}/documents?category=Unsinn`)).status, 422);
});

test('what is wrong with a batch is a 422 on its field, and nothing of it is stored', async () => {
  const unit = await unitOf(home, 'WE Prüfung');
  const foreignUnit = await unitOf(neighbour, 'WE Nachbar');
  const good = { category: 'Sonstiges', audience: 'residents' };
  const before = { rows: count('SELECT COUNT(*) FROM documents'), versions: count('SELECT COUNT(*) FROM document_files'), files: storedFiles() };
  const cases = [
    ['an empty batch', [{ name: 'category', value: 'Sonstiges' }, { name: 'audience', value: 'residents' }], 'files'],
    ['no body at all', [], 'files'],
    ['a missing audience', batchParts([{ category: 'Sonstiges' }, { category: 'Sonstiges' }]), 'audience'],
    ['an audience for one file of two', batchParts([{ ...good }, { category: 'Sonstiges' }]), 'audience'],
    ['an unknown audience', batchParts([{ ...good }, { category: 'Sonstiges', audience: 'everyone' }]), 'audience'],
    ['an unknown category', batchParts([{ ...good }, { ...good, category: 'Geheim' }]), 'category'],
    ['a title for some files only', [...batchParts([{ ...good }, { ...good }]), { name: 'title', value: 'nur einer' }], 'title'],
    ['a field more often than files', [...batchParts([{ ...good, requires_ack: 'true' }]), { name: 'requires_ack', value: 'true' }], 'requires_ack'],
    ['a unit of another property', batchParts([{ ...good, unit_id: unit }, { ...good, unit_id: foreignUnit }]), 'unit_id'],
    ['a unit that is none', batchParts([{ ...good, unit_id: 'abc' }]), 'unit_id'],
    ['a title with a control character', batchParts([{ ...good, title: 'a\u0001b' }]), 'title'],
    ['a title of 201 characters', batchParts([{ ...good, title: 'x'.repeat(201) }]), 'title'],
    ['an empty file', batchParts([{ ...good }, { ...good, content: Buffer.alloc(0) }]), 'files'],
  ];
  for (const [what, parts, field] of cases) {
    const res = await post(manager, home, parts);
    assert.equal(res.status, 422, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'validation', what);
    assert.equal(res.body.error.field, field, what);
  }
  // over documents.max_file_mib (1 here): 413, and the files before it are not kept either
  const big = await upload(manager, home, [{ ...good, content: unique('klein') }, { ...good, content: Buffer.alloc(1.5 * 1024 * 1024, 7) }]);
  assert.equal(big.status, 413);
  assert.equal(big.body.error.code, 'too_large');
  // a corrupt multipart body
  const corrupt = await manager.fetch(`/api/v1/properties/${home}/documents`, {
    method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=abc' }, body: '--abc\r\nContent-Disposition: form-data; name="files"; filename="a"\r\n\r\nno end',
  });
  assert.equal(corrupt.status, 400);

  assert.equal(count('SELECT COUNT(*) FROM documents'), before.rows, 'no document row');
  assert.equal(count('SELECT COUNT(*) FROM document_files'), before.versions, 'no file row');
  assert.deepEqual(storedFiles(), before.files, 'no new file under the files folder');
  assert.deepEqual(fs.readdirSync(filesDir()).filter((n) => n.startsWith('.upload')), [], 'no temporary file either');
});

test('only managers upload, change and delete; another organisation\'s manager finds nothing', async () => {
  const id = await share(home, { audience: 'residents' });
  const resident = await newResident(stack, manager, [home]);
  assert.equal((await upload(resident, home, [{ category: 'Sonstiges', audience: 'residents' }])).status, 404);
  assert.equal((await resident.json(`/api/v1/documents/${id}`, { method: 'PATCH', body: { title: 'x' } })).status, 404);
  assert.equal((await resident.fetch(`/api/v1/documents/${id}`, { method: 'DELETE' })).status, 404);
  assert.equal((await resident.fetch(`/api/v1/properties/${home}/documents/audience?audience=residents`)).status, 404);
  assert.equal((await upload(other, home, [{ category: 'Sonstiges', audience: 'residents' }])).status, 404);
  for (const [method, p, body] of [
    ['GET', `/api/v1/properties/${home}/documents`], ['GET', `/api/v1/properties/${home}/documents/audience?audience=residents`],
    ['GET', `/api/v1/documents/${id}/download`], ['PATCH', `/api/v1/documents/${id}`, { title: 'gekapert' }], ['DELETE', `/api/v1/documents/${id}`],
  ]) {
    assert.equal((await other.json(p, { method, body })).status, 404, `${method} ${p}`);
  }
  assert.equal(stack.sql(`SELECT title FROM documents WHERE id = ${id}`).trim() !== 'gekapert', true);
  assert.equal((await stack.fetch(`/api/v1/properties/${home}/documents`)).status, 401);
  assert.equal((await stack.fetch(`/api/v1/documents/${id}/download`)).status, 401);
  // unsafe methods need the CSRF token
  const noToken = await stack.fetch(`/api/v1/documents/${id}`, { method: 'DELETE', headers: { Cookie: manager.cookie } });
  assert.equal(noToken.status, 403);
});

test('every audience against every group: residents, tenants, owners, pending members, managers', async () => {
  const p = (await newProperty(manager, 'Gruppenhaus')).id;
  const people = {
    resident: await newResident(stack, manager, [p], { group: 'resident' }),
    tenant: await newResident(stack, manager, [p], { group: 'tenant' }),
    owner: await newResident(stack, manager, [p], { group: 'owner' }),
    pending: await newResident(stack, manager, [p], { group: 'owner', state: 'pending' }),
    elsewhere: await newResident(stack, manager, [neighbour], { group: 'owner' }),
  };
  const docs = {};
  for (const audience of ['internal', 'residents', 'owners', 'tenants']) docs[audience] = await share(p, { audience, title: audience });
  const sees = {
    resident: ['residents'], tenant: ['residents', 'tenants'], owner: ['residents', 'owners'], pending: [], elsewhere: [],
  };
  for (const [who, client] of Object.entries(people)) {
    const expected = sees[who].map((a) => docs[a]).sort((x, y) => y - x);
    const listed = await listIds(client, p);
    if (who === 'pending' || who === 'elsewhere') assert.equal(listed, 404, `${who}: the property is not theirs`);
    else assert.deepEqual(listed, expected, who);
    for (const [audience, id] of Object.entries(docs)) {
      assert.equal(await downloadStatus(client, id), sees[who].includes(audience) ? 200 : 404, `${who} downloads ${audience}`);
    }
  }
  assert.deepEqual(await listIds(manager, p), Object.values(docs).sort((x, y) => y - x), 'the manager sees everything');
  for (const id of Object.values(docs)) assert.equal(await downloadStatus(manager, id), 200);
  for (const id of Object.values(docs)) assert.equal(await downloadStatus(other, id), 404, 'another organisation\'s manager');

  // a resident's item: acknowledged_at instead of acks
  const item = (await people.owner.json(`/api/v1/properties/${p}/documents`)).body.items[0];
  assert.equal(item.acknowledged_at, null);
  assert.equal(item.acks, undefined);
  // the group is read on every request
  await setUnit(people.resident.id, { group: 'owner' }, p);
  assert.deepEqual(await listIds(people.resident, p), [docs.owners, docs.residents]);
  // the audience check counts the active members a document would reach now
  const reach = async (q) => (await manager.json(`/api/v1/properties/${p}/documents/audience?${q}`)).body;
  assert.equal((await reach('audience=residents')).count, 3);
  assert.equal((await reach('audience=owners')).count, 2);
  assert.equal((await reach('audience=tenants')).count, 1);
  assert.deepEqual(await reach('audience=internal'), { count: 0, people: [] });
  const list = await reach('audience=tenants');
  assert.deepEqual(list.people, [{ display_name: 'Rita Resident', group: 'tenant', unit: null }]);
  assert.equal((await manager.json(`/api/v1/properties/${p}/documents/audience`)).status, 422);
  assert.equal((await manager.json(`/api/v1/properties/${p}/documents/audience?audience=alle`)).status, 422);
});

test('a unit\'s documents: only its members whose tenancy began before the document was shared', async () => {
  const p = (await newProperty(manager, 'Mietshaus')).id;
  const unit = await unitOf(p, 'WE 3 links');
  const otherUnit = await unitOf(p, 'WE 4 rechts');
  const early = await newResident(stack, manager, [p], { group: 'tenant' });
  const stays = await newResident(stack, manager, [p], { group: 'tenant' });
  const leaving = await newResident(stack, manager, [p], { group: 'tenant' });
  const removed = await newResident(stack, manager, [p], { group: 'tenant' });
  const neighbourOfUnit = await newResident(stack, manager, [p], { group: 'tenant' });
  const owner = await newResident(stack, manager, [p], { group: 'owner' });
  for (const r of [early, stays, leaving, removed, owner]) await setUnit(r.id, { unit_id: unit }, p);
  await setUnit(neighbourOfUnit.id, { unit_id: otherUnit }, p);

  const forUnit = await share(p, { audience: 'residents', unit_id: unit });
  const forTenants = await share(p, { audience: 'tenants', unit_id: unit });
  // a new tenant of the unit after the share
  const late = await newResident(stack, manager, [p], { group: 'tenant' });
  await setUnit(late.id, { unit_id: unit }, p);

  assert.deepEqual(await listIds(early, p), [forTenants, forUnit]);
  assert.deepEqual(await listIds(owner, p), [forUnit], 'the unit\'s owner, but not a tenant');
  assert.deepEqual(await listIds(neighbourOfUnit, p), [], 'another unit');
  assert.deepEqual(await listIds(late, p), [], 'a tenancy that began after the share');
  assert.equal(await downloadStatus(late, forUnit), 404);
  assert.equal(await downloadStatus(early, forUnit), 200);
  // the audience check of the unit counts its members now
  const reach = (await manager.json(`/api/v1/properties/${p}/documents/audience?audience=tenants&unit_id=${unit}`)).body;
  assert.equal(reach.count, 5);
  assert.ok(reach.people.every((x) => x.unit && x.unit.id === unit && x.unit.name === 'WE 3 links'));
  const foreignUnit = await unitOf(neighbour, 'WE fremd');
  assert.equal((await manager.json(`/api/v1/properties/${p}/documents/audience?audience=tenants&unit_id=${foreignUnit}`)).status, 422);

  // moved to another unit, or removed: gone at the next request
  assert.equal(await downloadStatus(leaving, forUnit), 200);
  await setUnit(leaving.id, { unit_id: otherUnit }, p);
  assert.deepEqual(await listIds(leaving, p), []);
  assert.equal(await downloadStatus(leaving, forUnit), 404);
  // ... and back again is a new tenancy, after the share
  await setUnit(leaving.id, { unit_id: unit }, p);
  assert.deepEqual(await listIds(leaving, p), []);
  // a tenancy dated back to before the share (unit_since) sees it
  await setUnit(late.id, { unit_since: '2020-01-01' }, p);
  assert.deepEqual(await listIds(late, p), [forTenants, forUnit]);
  assert.equal((await manager.fetch(`/api/v1/properties/${p}/residents/${removed.id}`, { method: 'DELETE' })).status, 204);
  assert.equal(await listIds(removed, p), 404);
  assert.equal(await downloadStatus(removed, forUnit), 404);
  await setUnit(stays.id, { unit_id: null }, p);
  assert.deepEqual(await listIds(stays, p), [], 'without a unit');

  // the manager gives the document to another unit: shared with it now
  const moved = await manager.json(`/api/v1/documents/${forUnit}`, { method: 'PATCH', body: { unit_id: otherUnit } });
  assert.equal(moved.status, 200);
  assert.deepEqual(moved.body.unit, { id: otherUnit, name: 'WE 4 rechts' });
  assert.deepEqual(await listIds(neighbourOfUnit, p), [forUnit]);
  assert.deepEqual(await listIds(early, p), [forTenants]);
  // a deleted unit's documents stay bound to it: nobody but managers sees them
  assert.equal((await manager.fetch(`/api/v1/units/${otherUnit}`, { method: 'DELETE' })).status, 204);
  assert.deepEqual(await listIds(neighbourOfUnit, p), []);
  assert.deepEqual(await listIds(early, p), [forTenants]);
  const kept = (await manager.json(`/api/v1/properties/${p}/documents`)).body.items.find((d) => d.id === forUnit);
  assert.deepEqual(kept.unit, { id: otherUnit, name: null });
});

test('downloads: attachment under the display name, never cached, nosniff and a sandbox from nginx; PDFs inline on request, HTML and SVG never', async () => {
  const resident = await newResident(stack, manager, [home]);
  const pdf = await share(home, { audience: 'residents', filename: 'Abrechnung März.pdf' }, Buffer.concat([PDF, unique('pdf')]));
  const html = await share(home, { audience: 'residents', filename: 'seite.html' }, Buffer.concat([HTML, unique('html')]));
  const svg = await share(home, { audience: 'residents', filename: 'bild.svg' }, Buffer.concat([SVG, unique('svg')]));
  for (const client of [manager, resident]) {
    let res = await client.fetch(`/api/v1/documents/${pdf}/download`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), "attachment; filename*=UTF-8''Abrechnung%20M%C3%A4rz.pdf");
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy'), /\bsandbox\b/);
    assert.ok((await res.text()).startsWith('%PDF-1.4'));
    res = await client.fetch(`/api/v1/documents/${pdf}/download?inline=true`);
    assert.equal(res.headers.get('content-disposition'), 'inline');
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    for (const id of [html, svg]) {
      res = await client.fetch(`/api/v1/documents/${id}/download?inline=true`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-disposition'), /^attachment; /, 'never inline');
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(res.headers.get('content-security-policy'), /\bsandbox\b/);
      await res.arrayBuffer();
    }
  }
  // images open inline too; plain text, like everything else, never
  const png = await share(home, { audience: 'residents', filename: 'Plan.png' }, Buffer.concat([PNG, unique('png')]));
  const txt = await share(home, { audience: 'residents', filename: 'Notiz.txt' }, unique('Notiz'));
  let res = await resident.fetch(`/api/v1/documents/${png}/download?inline=true`);
  assert.deepEqual([res.status, res.headers.get('content-disposition'), res.headers.get('content-type')], [200, 'inline', 'image/png']);
  assert.match(res.headers.get('content-security-policy'), /\bsandbox\b/);
  await res.arrayBuffer();
  res = await resident.fetch(`/api/v1/documents/${png}/download`);
  assert.equal(res.headers.get('content-disposition'), "attachment; filename*=UTF-8''Plan.png", 'inline only on request');
  await res.arrayBuffer();
  res = await resident.fetch(`/api/v1/documents/${txt}/download?inline=true`);
  assert.deepEqual([res.headers.get('content-disposition'), res.headers.get('content-type')], ["attachment; filename*=UTF-8''Notiz.txt", 'application/octet-stream']);
  await res.arrayBuffer();
  const listed = (await manager.json(`/api/v1/properties/${home}/documents`)).body.items;
  assert.equal(listed.find((d) => d.id === html).content_type, 'text/html', 'the list says what it is');
  assert.equal((await resident.fetch(`/api/v1/documents/${pdf}/download?version=1`)).status, 404, 'versions are the managers\'');
  assert.equal((await manager.fetch(`/api/v1/documents/${pdf}/download?version=1`)).status, 200);
  assert.equal((await manager.fetch(`/api/v1/documents/${pdf}/download?version=2`)).status, 404);
  assert.equal((await manager.fetch('/api/v1/documents/999999999/download')).status, 404);
});

test('file names with ../, control characters or 500 characters are only display text', async () => {
  // A tab is the one control character the core lets into a part header;
  // the others make the part header malformed: 400, nothing stored.
  const names = ['../../../etc/passwd', '..%2F..%2Fboot.ini', 'a\tb\tc.txt', `${'ä'.repeat(496)}.pdf`];
  const contents = names.map((n) => unique(n));
  const res = await upload(manager, home, names.map((filename, i) => ({ filename, content: contents[i], category: 'Sonstiges', audience: 'residents' })));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const rows = res.body.items;
  const stored = (id) => stack.sql(`SELECT name, file FROM document_files WHERE document_id = ${id}`).trim().split('\t');
  assert.deepEqual(stored(rows[0].id), ['../../../etc/passwd', sha(contents[0])]);
  assert.deepEqual(stored(rows[1].id), ['..%2F..%2Fboot.ini', sha(contents[1])], 'never decoded');
  assert.equal(stored(rows[2].id)[0], 'a b c.txt', 'control characters are spaces');
  assert.equal([...stored(rows[3].id)[0]].length, 255, 'cut to 255 characters');
  assert.equal([...rows[3].title].length, 200, 'a title from it, cut to 200');
  assert.equal(rows[0].title, '../../../etc/passwd');
  for (const [i, c] of contents.entries()) assert.ok(fs.existsSync(path.join(filesDir(), sha(c))), names[i]);
  assert.ok(!fs.existsSync(path.join(stack.var, 'etc')), 'nothing outside the files folder');

  const res0 = await manager.fetch(`/api/v1/documents/${rows[0].id}/download`);
  assert.equal(res0.headers.get('content-disposition'), "attachment; filename*=UTF-8''..%2F..%2F..%2Fetc%2Fpasswd");
  assert.equal(await res0.text(), contents[0].toString());
  const res2 = await manager.fetch(`/api/v1/documents/${rows[2].id}/download`);
  assert.equal(res2.headers.get('content-disposition'), "attachment; filename*=UTF-8''a%20b%20c.txt");
  await res2.arrayBuffer();

  const before = { rows: count('SELECT COUNT(*) FROM documents'), files: storedFiles() };
  const refused = await upload(manager, home, [{ filename: 'a\u0001b\r\nX-Evil: 1.txt', category: 'Sonstiges', audience: 'residents' }]);
  assert.equal(refused.status, 400);
  assert.equal(count('SELECT COUNT(*) FROM documents'), before.rows);
  assert.deepEqual(storedFiles(), before.files);
});

test('PATCH changes what is sent; DELETE removes the document and the file nothing else names', async () => {
  const unit = await unitOf(home, 'WE Patch');
  const foreignUnit = await unitOf(neighbour, 'WE Patch fremd');
  const id = await share(home, { audience: 'residents', title: 'Alt' });
  let res = await manager.json(`/api/v1/documents/${id}`, { method: 'PATCH', body: { title: 'Neu', category: 'Aushang', audience: 'owners', requires_ack: true, unit_id: unit } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual([res.body.title, res.body.category, res.body.audience, res.body.requires_ack, res.body.unit], ['Neu', 'Aushang', 'owners', true, { id: unit, name: 'WE Patch' }]);
  res = await manager.json(`/api/v1/documents/${id}`, { method: 'PATCH', body: { unit_id: null, org_id: other.user.org_id } });
  assert.deepEqual([res.body.title, res.body.unit, res.body.audience], ['Neu', null, 'owners'], 'only what is sent changes');
  for (const [body, field] of [[{ unit_id: foreignUnit }, 'unit_id'], [{ audience: 'all' }, 'audience'], [{ category: 'x' }, 'category'], [{ title: '' }, 'title'], [{ requires_ack: 'vielleicht' }, 'requires_ack']]) {
    res = await manager.json(`/api/v1/documents/${id}`, { method: 'PATCH', body });
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal(res.body.error.field, field);
  }
  assert.equal((await manager.json('/api/v1/documents/999999999', { method: 'PATCH', body: { title: 'x' } })).status, 404);

  // the same content twice is one file, removed with its last document
  const content = unique('geteilt');
  const filesBefore = storedFiles().length;
  const first = await share(home, { audience: 'residents' }, content);
  const second = await share(neighbour, { audience: 'owners' }, content);
  const file = path.join(filesDir(), sha(content));
  assert.ok(fs.existsSync(file));
  assert.equal(storedFiles().length, filesBefore + 1, 'stored once');
  assert.equal(stack.sql(`SELECT COUNT(DISTINCT file) FROM document_files WHERE document_id IN (${first}, ${second})`).trim(), '1');
  assert.equal((await manager.fetch(`/api/v1/documents/${first}`, { method: 'DELETE' })).status, 204);
  assert.ok(fs.existsSync(file), 'another document still names it');
  assert.equal(await downloadStatus(manager, first), 404);
  assert.equal(await downloadStatus(manager, second), 200);
  assert.equal((await manager.fetch(`/api/v1/documents/${second}`, { method: 'DELETE' })).status, 204);
  assert.ok(!fs.existsSync(file), 'the last reference took the file with it');
  assert.equal(count(`SELECT COUNT(*) FROM document_files WHERE document_id IN (${first}, ${second})`), 0);
  assert.equal((await manager.fetch(`/api/v1/documents/${second}`, { method: 'DELETE' })).status, 404);

  // a file that a property's image names too stays
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), unique('png')]);
  const doc = await share(home, { audience: 'residents' }, png);
  stack.sql(`UPDATE properties SET image_file = '${sha(png)}' WHERE id = ${neighbour}`);
  assert.equal((await manager.fetch(`/api/v1/documents/${doc}`, { method: 'DELETE' })).status, 204);
  assert.ok(fs.existsSync(path.join(filesDir(), sha(png))), 'the image still needs it');
});

// An announcement of the content plugin with one attachment: its id.
async function announce(propertyId, content) {
  const form = new FormData();
  for (const [k, v] of [['title', 'Mit Anhang'], ['body', 'Siehe Anhang'], ['property_ids', String(propertyId)], ['notify', 'false']]) form.append(k, v);
  form.append('files', new Blob([content]), 'Anhang.pdf');
  const res = await manager.json('/api/v1/announcements', { method: 'POST', body: form, headers: { Origin: stack.base } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}
const sweep = () => {
  const r = stack.portalctl('jobs', 'run', 'files-sweep');
  assert.equal(r.status, 0, r.stderr);
};

test('one content in a document and an announcement\'s attachment: the file goes with the last row of either plugin', async () => {
  const content = unique('%PDF-1.4 beides');
  const file = path.join(filesDir(), sha(content));
  let doc = await share(home, { audience: 'residents' }, content);
  let announcement = await announce(home, content);
  assert.equal((await manager.fetch(`/api/v1/documents/${doc}`, { method: 'DELETE' })).status, 204);
  sweep();
  assert.ok(fs.existsSync(file), 'the attachment still names it, also for the sweep');
  assert.equal((await manager.fetch(`/api/v1/announcements/${announcement}`, { method: 'DELETE' })).status, 204);
  assert.ok(!fs.existsSync(file), 'deleting the announcement released its last reference');

  // the other order: the announcement first, then the document
  doc = await share(home, { audience: 'residents' }, content);
  announcement = await announce(home, content);
  assert.equal((await manager.fetch(`/api/v1/announcements/${announcement}`, { method: 'DELETE' })).status, 204);
  assert.ok(fs.existsSync(file), 'the document still names it');
  assert.equal(await downloadStatus(manager, doc), 200);
  assert.equal((await manager.fetch(`/api/v1/documents/${doc}`, { method: 'DELETE' })).status, 204);
  assert.ok(!fs.existsSync(file));
});

// A database session of its own that runs what it is given, one statement
// at a time (the mariadb client reading its input); printed() is what its
// SELECTs printed so far. kill() ends it without committing.
function session() {
  const p = spawn('mariadb', [`--defaults-file=${path.join(stack.var, 'mariadb.cnf')}`, '-u', os.userInfo().username, '-N', '-B', '--unbuffered', 'portal'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  return {
    run: (sql) => p.stdin.write(`${sql};\n`),
    printed: () => out,
    end: () => new Promise((resolve) => { p.on('exit', resolve); p.stdin.end(); }),
    kill: () => p.kill(),
  };
}
const until = async (what, check) => {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
};

// The file's name set aside by a removal that is deciding (core/http/files.c).
const asideOf = (name) => fs.readdirSync(filesDir()).filter((n) => n.startsWith(`.release-${name}-`));

test('removing a file waits for an upload of the same content in its transaction, and keeps what it named', async () => {
  const content = unique('umkämpft');
  const name = sha(content);
  const file = path.join(filesDir(), name);
  const doc = await share(home, { audience: 'residents' }, content);
  // as an upload of the same content does inside its transaction, between
  // writing the file's guard and committing its row (another pool's
  // connection: on a Galera cluster, another node's)
  const upload = session();
  try {
    await heldWhileDeleting(upload, name, file, doc);
  } finally {
    upload.kill();
  }
});

async function heldWhileDeleting(upload, name, file, doc) {
  upload.run('START TRANSACTION');
  upload.run(`INSERT INTO stored_file_guards (name, version) VALUES ('${name}', 1) ON DUPLICATE KEY UPDATE version = version + 1`);
  upload.run("SELECT 'held'");
  await until('the upload holds the guard', () => upload.printed().includes('held')).catch((e) => {
    // what the session waits for, if it does
    throw new Error(`${e.message}: ${stack.sql('SELECT trx_id, trx_state, trx_started, trx_query FROM information_schema.innodb_trx')}`);
  });
  const deleting = manager.fetch(`/api/v1/documents/${doc}`, { method: 'DELETE' });
  await until('the removal waits for the guard', () => Number(stack.sql(
    "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'INSERT INTO stored_file_guards (name, version, released_at)%'").trim()) > 0);
  assert.equal(asideOf(name).length, 1, 'the file is set aside while the removal decides');
  // the upload's row is committed with its guard
  upload.run(`UPDATE properties SET image_file = '${name}' WHERE id = ${neighbour}`);
  upload.run('COMMIT');
  assert.equal((await deleting).status, 204);
  await upload.end();
  assert.ok(fs.existsSync(file), 'counted after the upload\'s row: the file is back');
  assert.deepEqual(asideOf(name), []);
  stack.sql(`UPDATE properties SET image_file = NULL WHERE id = ${neighbour}`);
  sweep();
  assert.ok(!fs.existsSync(file), 'once nothing names it, the sweep takes it');
}

test('an upload in flight outside a transaction keeps its file from a removal until its request ended', async () => {
  const content = unique('unterwegs');
  const name = sha(content);
  const file = path.join(filesDir(), name);
  const doc = await share(home, { audience: 'residents' }, content);
  // as an upload outside a transaction does before it names the file (on
  // another host): it counts itself in flight, its row comes later
  stack.sql(`INSERT INTO stored_file_guards (name, uploading, upload_at, version) VALUES ('${name}', 1, UTC_TIMESTAMP(6), 1)
    ON DUPLICATE KEY UPDATE uploading = uploading + 1, upload_at = UTC_TIMESTAMP(6), version = version + 1`);
  assert.equal((await manager.fetch(`/api/v1/documents/${doc}`, { method: 'DELETE' })).status, 204);
  assert.ok(fs.existsSync(file), 'an upload in flight keeps the file');
  sweep();
  assert.ok(fs.existsSync(file), 'the sweep too');
  // its row, then its request's end
  stack.sql(`UPDATE properties SET image_file = '${name}' WHERE id = ${neighbour}`);
  stack.sql(`UPDATE stored_file_guards SET uploading = uploading - 1 WHERE name = '${name}'`);
  sweep();
  assert.ok(fs.existsSync(file), 'the upload\'s row names it');
  stack.sql(`UPDATE properties SET image_file = NULL WHERE id = ${neighbour}`);
  // a count left by a host that died mid-upload holds for an hour only
  stack.sql(`UPDATE stored_file_guards SET uploading = 1, upload_at = UTC_TIMESTAMP(6) - INTERVAL 61 MINUTE WHERE name = '${name}'`);
  sweep();
  assert.ok(!fs.existsSync(file), 'once nothing names it and no upload is in flight, the sweep takes it');
  assert.deepEqual(asideOf(name), []);
});

test('a file a removal left aside when its process died goes back under its name', async () => {
  const content = unique('liegengeblieben');
  const name = sha(content);
  const file = path.join(filesDir(), name);
  await share(home, { audience: 'residents' }, content);
  // set aside by a process of this host that is gone (core/http/files.c's name)
  const host = os.hostname().slice(0, 63).replace(/[^A-Za-z0-9.]/g, '_');
  const gone = spawnSync('true').pid;
  const running = path.join(filesDir(), `.release-${name}-${host}-${process.pid}`);
  fs.renameSync(file, running);
  sweep();
  assert.ok(fs.existsSync(running), 'a removal that still runs may still be deciding');
  fs.renameSync(running, path.join(filesDir(), `.release-${name}-${host}-${gone}`));
  sweep();
  assert.ok(fs.existsSync(file), 'put back: a document names it');
  assert.deepEqual(asideOf(name), []);
});

test('a plugin disabled for now keeps its files: its declared columns still count', async () => {
  const content = unique('%PDF-1.4 ruhend');
  const file = path.join(filesDir(), sha(content));
  const doc = await share(home, { audience: 'residents' }, content);
  await announce(home, content);
  stack.setConf({ plugins: 'invites documents' });
  await stack.reload();
  try {
    assert.equal((await manager.fetch(`/api/v1/documents/${doc}`, { method: 'DELETE' })).status, 204);
    sweep();
    assert.ok(fs.existsSync(file), 'the disabled content plugin\'s attachment still names it');
  } finally {
    stack.setConf({ plugins: 'invites content documents' });
    await stack.reload();
  }
});

test('deleting a property takes the files of its documents and its picture that nothing else names', async () => {
  const doomed = (await newProperty(manager, 'Abrisshaus')).id;
  const own = unique('nur hier');
  const kept = unique('auch anderswo');
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), unique('bild')]);
  await share(doomed, { audience: 'residents' }, own);
  const old = await share(doomed, { audience: 'owners' }, unique('alte Fassung'));
  await replace(manager, old, unique('neue Fassung'));
  await share(doomed, { audience: 'internal' }, kept);
  const elsewhere = await share(neighbour, { audience: 'residents' }, kept);
  const attached = unique('%PDF-1.4 angehängt');
  await share(doomed, { audience: 'residents' }, attached);
  await announce(neighbour, attached);
  const form = new FormData();
  form.append('file', new Blob([png]), 'haus.png');
  assert.equal((await manager.fetch(`/api/v1/properties/${doomed}/image`, { method: 'POST', body: form, headers: { Origin: stack.base } })).status, 200);
  const gone = [own, png, ...stack.sql(`SELECT f.file FROM document_files f JOIN documents d ON d.id = f.document_id WHERE d.id = ${old}`).trim().split('\n')];
  const goneFiles = gone.map((c) => path.join(filesDir(), typeof c === 'string' ? c : sha(c)));
  assert.ok(goneFiles.every((f) => fs.existsSync(f)));

  assert.equal((await manager.fetch(`/api/v1/properties/${doomed}`, { method: 'DELETE' })).status, 204);
  sweep();
  for (const f of goneFiles) assert.ok(!fs.existsSync(f), `${f} goes with the property`);
  assert.ok(fs.existsSync(path.join(filesDir(), sha(kept))), 'a document of another property still names it');
  assert.ok(fs.existsSync(path.join(filesDir(), sha(attached))), 'an announcement\'s attachment still names it');
  assert.equal(await downloadStatus(manager, elsewhere), 200);
});

test('the sweep removes a temporary file a killed worker left in the files folder, not one being written', async () => {
  const stale = path.join(filesDir(), '.upload-stale1');
  const fresh = path.join(filesDir(), '.upload-fresh1');
  fs.writeFileSync(stale, 'halb');
  fs.writeFileSync(fresh, 'halb');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
  fs.utimesSync(stale, twoHoursAgo, twoHoursAgo);
  sweep();
  assert.ok(!fs.existsSync(stale));
  assert.ok(fs.existsSync(fresh), 'a request may still be writing it');
  fs.unlinkSync(fresh);
});

async function replace(client, id, content, { filename = 'neu.pdf', notify } = {}) {
  const parts = [{ name: 'file', filename, content }];
  if (notify !== undefined) parts.push({ name: 'notify', value: notify });
  const { body, type } = multipart(parts);
  return client.json(`/api/v1/documents/${id}/file`, { method: 'PUT', headers: { 'Content-Type': type }, body });
}

test('versions: a new file behind the same id and link; the old ones for managers', async () => {
  const resident = await newResident(stack, manager, [home], { group: 'owner' });
  const v1 = unique('Version 1');
  const id = await share(home, { audience: 'residents', requires_ack: 'true', filename: 'Plan.txt' }, v1);
  assert.equal((await resident.json(`/api/v1/documents/${id}/ack`, { method: 'POST' })).status, 200);
  const v2 = unique('Version 2');
  let res = await replace(manager, id, v2, { filename: 'Plan neu.txt' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual([res.body.id, res.body.version, res.body.url, res.body.size], [id, 2, `/api/v1/documents/${id}/download`, v2.length]);
  assert.deepEqual(res.body.acks, { count: 1, of: count(`SELECT COUNT(*) FROM memberships WHERE property_id = ${home} AND state = 'active'`) }, 'the acknowledgements stay');
  res = await replace(manager, id, unique('Version 3'), { notify: 'false' });
  assert.equal(res.body.version, 3);
  assert.equal(stack.sql(`SELECT GROUP_CONCAT(notify ORDER BY version) FROM document_files WHERE document_id = ${id}`).trim(), '1,1,0', 'unticked: no digest of the change');

  const download = await resident.fetch(`/api/v1/documents/${id}/download`);
  assert.match(await download.text(), /^Version 3 /, 'the link gives the newest');
  const old = await manager.fetch(`/api/v1/documents/${id}/download?version=1`);
  assert.equal(await old.text(), v1.toString());
  assert.equal(old.headers.get('content-disposition'), "attachment; filename*=UTF-8''Plan.txt");
  assert.equal((await resident.fetch(`/api/v1/documents/${id}/download?version=1`)).status, 404);

  const versions = await manager.json(`/api/v1/documents/${id}/versions`);
  assert.equal(versions.status, 200);
  assert.deepEqual(versions.body.items.map((v) => v.version), [3, 2, 1]);
  assert.deepEqual(Object.keys(versions.body.items[0]).sort(), ['by', 'size', 'uploaded_at', 'version']);
  assert.equal(versions.body.items[2].size, v1.length);
  assert.equal(typeof versions.body.items[0].by.name, 'string');
  assert.equal((await resident.json(`/api/v1/documents/${id}/versions`)).status, 404);
  assert.equal((await other.json(`/api/v1/documents/${id}/versions`)).status, 404);
  assert.equal((await replace(other, id, unique('fremd'))).status, 404);
  assert.equal((await replace(resident, id, unique('fremd'))).status, 404);
  const none = multipart([{ name: 'notify', value: 'true' }]);
  res = await manager.json(`/api/v1/documents/${id}/file`, { method: 'PUT', headers: { 'Content-Type': none.type }, body: none.body });
  assert.equal(res.status, 422);
  assert.equal(res.body.error.field, 'file');
  res = await replace(manager, id, Buffer.alloc(1.5 * 1024 * 1024, 1));
  assert.equal(res.status, 413);
  assert.equal(count(`SELECT version FROM documents WHERE id = ${id}`), 3, 'refused replacements change nothing');

  // deleting the document takes every version's file
  const files = [v1, v2].map((c) => path.join(filesDir(), sha(c)));
  assert.ok(files.every((f) => fs.existsSync(f)));
  assert.equal((await manager.fetch(`/api/v1/documents/${id}`, { method: 'DELETE' })).status, 204);
  assert.ok(files.every((f) => !fs.existsSync(f)));
});

test('acknowledgements: once per resident who may see it; managers see who did and who did not', async () => {
  const p = (await newProperty(manager, 'Kenntnishaus')).id;
  const unit = await unitOf(p, 'WE 7');
  const anna = await newResident(stack, manager, [p], { group: 'tenant' });
  const bert = await newResident(stack, manager, [p], { group: 'owner' });
  const pending = await newResident(stack, manager, [p], { group: 'tenant', state: 'pending' });
  stack.sql(`UPDATE users SET name = 'Anna Acker' WHERE id = ${anna.id}`);
  stack.sql(`UPDATE users SET name = 'Bert Berg' WHERE id = ${bert.id}`);
  await setUnit(anna.id, { unit_id: unit }, p);
  const asks = await share(p, { audience: 'residents', requires_ack: 'on' });
  const quiet = await share(p, { audience: 'residents' });
  const forOwners = await share(p, { audience: 'owners', requires_ack: '1' });

  let res = await anna.json(`/api/v1/documents/${asks}/ack`, { method: 'POST' });
  assert.equal(res.status, 200);
  assert.match(res.body.acknowledged_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const first = res.body.acknowledged_at;
  await stack.advanceClock(3600);
  res = await anna.json(`/api/v1/documents/${asks}/ack`, { method: 'POST', body: {} });
  assert.equal(res.status, 200);
  assert.equal(res.body.acknowledged_at, first, 'an hour later: the first time, once');
  assert.equal(count(`SELECT COUNT(*) FROM document_acks WHERE document_id = ${asks}`), 1);
  assert.equal((await anna.json(`/api/v1/documents/${quiet}/ack`, { method: 'POST' })).status, 409);
  assert.equal((await anna.json(`/api/v1/documents/${forOwners}/ack`, { method: 'POST' })).status, 404, 'not hers to see');
  assert.equal((await pending.json(`/api/v1/documents/${asks}/ack`, { method: 'POST' })).status, 404);
  assert.equal((await manager.json(`/api/v1/documents/${asks}/ack`, { method: 'POST' })).status, 404, 'a resident\'s');
  const noToken = await stack.fetch(`/api/v1/documents/${asks}/ack`, { method: 'POST', headers: { Cookie: bert.cookie } });
  assert.equal(noToken.status, 403);

  const mine = (await anna.json(`/api/v1/properties/${p}/documents`)).body.items.find((d) => d.id === asks);
  assert.equal(mine.acknowledged_at, (await anna.json(`/api/v1/documents/${asks}/ack`, { method: 'POST' })).body.acknowledged_at);
  const theirs = (await manager.json(`/api/v1/properties/${p}/documents`)).body.items.find((d) => d.id === asks);
  assert.deepEqual(theirs.acks, { count: 1, of: 2 }, 'the pending member is nobody yet');

  const acks = await manager.json(`/api/v1/documents/${asks}/acks`);
  assert.equal(acks.status, 200);
  assert.deepEqual(acks.body.items.map((x) => [x.display_name, x.group, x.unit, x.acknowledged_at !== null]), [
    ['Bert Berg', 'owner', null, false],
    ['Anna Acker', 'tenant', { id: unit, name: 'WE 7' }, true],
  ], 'who did not yet comes first');
  assert.deepEqual((await manager.json(`/api/v1/documents/${forOwners}/acks`)).body.items.map((x) => x.display_name), ['Bert Berg']);
  const internal = await share(p, { audience: 'internal' });
  assert.deepEqual((await manager.json(`/api/v1/documents/${internal}/acks`)).body.items, []);

  // by unit: within those open, and within those done, a unit's people
  // together in the units' order, whatever their names
  const late = await unitOf(p, 'WE 9');
  const early = await unitOf(p, 'WE 1');
  const carl = await newResident(stack, manager, [p], { group: 'tenant' });
  const zora = await newResident(stack, manager, [p], { group: 'tenant' });
  stack.sql(`UPDATE users SET name = 'Carl Clausen' WHERE id = ${carl.id}`);
  stack.sql(`UPDATE users SET name = 'Zora Zander' WHERE id = ${zora.id}`);
  await setUnit(carl.id, { unit_id: late }, p);
  await setUnit(zora.id, { unit_id: early }, p);
  const everyone = await share(p, { audience: 'residents', requires_ack: 'true' });
  assert.equal((await bert.json(`/api/v1/documents/${everyone}/ack`, { method: 'POST' })).status, 200);
  assert.deepEqual((await manager.json(`/api/v1/documents/${everyone}/acks`)).body.items.map((x) => [x.display_name, x.unit?.name ?? null, x.acknowledged_at !== null]), [
    ['Zora Zander', 'WE 1', false], ['Anna Acker', 'WE 7', false], ['Carl Clausen', 'WE 9', false], ['Bert Berg', null, true],
  ]);
  assert.equal((await anna.json(`/api/v1/documents/${asks}/acks`)).status, 404);
  assert.equal((await other.json(`/api/v1/documents/${asks}/acks`)).status, 404);
});

test('a resident\'s list is one query besides the caller\'s', async () => {
  const resident = await newResident(stack, manager, [home], { group: 'owner' });
  // The log line of each request; a worker's first run of a statement also
  // prepares it (one more round trip), so the count is a worker's steady one:
  // the fewest of several requests.
  const trips = [];
  for (let i = 0; i < 8; i++) {
    const res = await resident.fetch(`/api/v1/properties/${home}/documents`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const id = res.headers.get('x-request-id');
    let line;
    for (let n = 0; n < 200 && !line; n++) {
      line = stack.log().split('\n').find((l) => l.endsWith(` id=${id}`));
      if (!line) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(line, 'the request\'s log line');
    assert.match(line, /route=\/api\/v1\/properties\/\{id\}\/documents db=\d+ /);
    trips.push(Number(/ db=(\d+) /.exec(line)[1]));
  }
  assert.equal(Math.min(...trips), 2, `round trips: ${trips}`);
});
