// The property search (GET /api/v1/properties?q=) through its index
// (sql/019): the prefix of any word of the name, street, zip, city or
// reference ID, case and umlauts folded as the collation folds them, several
// words meaning all of them, in the list's order with keyset pages, kept up
// to date by every write, a resident's search within their own properties;
// and at 100,000 properties the right answer from about a page of rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startStack, repo } from './stack.mjs';
import { newManager, newResident } from './client.mjs';

let stack, a;
const made = {};

before(async () => {
  stack = await startStack({ env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newManager(stack);
  for (const [key, body] of Object.entries({
    elbe: { name: 'Haus am Elbufer', street: 'Müllerstraße 12', zip: '01067', city: 'Dresden', reference_id: 'REF-002' },
    garten: { name: 'Gartenhaus', street: 'Lindenallee 5', zip: '50667', city: 'Köln', reference_id: 'WE-17' },
    sued: { name: 'Wohnanlage Süd', street: 'Lindenallee 50', zip: '80331', city: 'München' },
    aero: { name: 'ÆRØ Ferienhaus', street: 'Große Straße 1', zip: '24937', city: 'Flensburg' },
  })) {
    const res = await a.json('/api/v1/properties', { method: 'POST', body });
    assert.equal(res.status, 201);
    made[key] = res.body;
  }
});
after(async () => { await stack?.stop(); });

// The names a search finds, all pages of it.
async function found(client, q, limit = 200) {
  const names = [];
  let after = '';
  do {
    const res = await client.json(`/api/v1/properties?q=${encodeURIComponent(q)}&limit=${limit}${after ? `&after=${after}` : ''}`);
    assert.equal(res.status, 200, `${q}: ${JSON.stringify(res.body)}`);
    names.push(...res.body.items.map((p) => p.name));
    after = res.body.next;
  } while (after);
  return names;
}

test('the prefix of a word of any field, case and umlauts folded', async () => {
  const cases = {
    'müller': ['Haus am Elbufer'],
    MULLER: ['Haus am Elbufer'],
    'Müllerstraße': ['Haus am Elbufer'],
    mullerstrasse: ['Haus am Elbufer'],
    strasse: ['ÆRØ Ferienhaus', 'Robert-Koch-Straße'],
    'große': ['ÆRØ Ferienhaus'],
    GROSSE: ['ÆRØ Ferienhaus'],
    aero: ['ÆRØ Ferienhaus'],
    'ærø': ['ÆRØ Ferienhaus'],
    KÖLN: ['Gartenhaus'],
    koln: ['Gartenhaus'],
    'münch': ['Wohnanlage Süd'],
    lind: ['Gartenhaus', 'Wohnanlage Süd'],
    koch: ['Robert-Koch-Straße'],
    allee: [],
    haus: ['Haus am Elbufer'],
    '010': ['Haus am Elbufer'],
    '01067': ['Haus am Elbufer'],
    '5066': ['Gartenhaus'],
    '5': ['Gartenhaus', 'Wohnanlage Süd'],
    'REF-002': ['Haus am Elbufer'],
    'ref-0': ['Haus am Elbufer'],
    'we-1': ['Gartenhaus'],
    [made.sued.reference_id]: ['Wohnanlage Süd'],
  };
  for (const [q, want] of Object.entries(cases)) {
    assert.deepEqual(await found(a, q), want, q);
  }
});

test('several words: all of them, each the prefix of some word, in any order', async () => {
  assert.deepEqual(await found(a, 'lind münchen'), ['Wohnanlage Süd']);
  assert.deepEqual(await found(a, 'München, Lind'), ['Wohnanlage Süd']);
  assert.deepEqual(await found(a, 'lind 5 köln'), ['Gartenhaus']);
  assert.deepEqual(await found(a, 'haus dresden'), ['Haus am Elbufer']);
  assert.deepEqual(await found(a, 'haus köln'), []);
  assert.deepEqual(await found(a, 'l lind linden'), ['Gartenhaus', 'Wohnanlage Süd'], 'a word that another starts with adds nothing');
  assert.deepEqual(await found(a, '% -- „“'), [], 'a search without words finds nothing');
  const many = await a.json(`/api/v1/properties?q=${encodeURIComponent('a b c d e f g h i')}`);
  assert.equal(many.status, 422);
  assert.equal(many.body.error.field, 'q');
});

test('several words in a script the words do not fold: each compared as the collation compares', async () => {
  const res = await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Σπίτι Αθήνα', city: 'Berlin' } });
  assert.equal(res.status, 201);
  // Whichever word is read first, the other is checked in the row's words.
  assert.deepEqual(await found(a, 'ΑΘΉΝΑ σπιτ'), ['Σπίτι Αθήνα']);
  assert.deepEqual(await found(a, 'σπιτι ΑΘΗ'), ['Σπίτι Αθήνα']);
  assert.deepEqual(await found(a, 'berlin ΑΘΉΝΑ'), ['Σπίτι Αθήνα']);
  assert.deepEqual(await found(a, 'σπίτι πίτ'), [], 'the prefix of a word, not its middle');
  assert.deepEqual(await found(a, 'berlin θήνα'), [], 'the prefix of a word, not its middle');
  assert.equal((await a.fetch(`/api/v1/properties/${res.body.id}`, { method: 'DELETE' })).status, 204);
});

test('pages of a search come in the list\'s order, names that repeat included', async () => {
  const c = await newManager(stack);
  for (let i = 0; i < 7; i++) {
    const city = i % 2 ? 'München' : 'Köln';
    assert.equal((await c.json('/api/v1/properties', { method: 'POST', body: { name: `Objekt ${i}`, city } })).status, 201);
  }
  for (let i = 0; i < 3; i++) {
    assert.equal((await c.json('/api/v1/properties', { method: 'POST', body: { name: 'Zwilling', city: 'Köln' } })).status, 201);
  }
  const all = await found(c, 'objekt', 3);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6].map((i) => `Objekt ${i}`));
  assert.deepEqual(await found(c, 'objekt münchen', 2), ['Objekt 1', 'Objekt 3', 'Objekt 5']);
  assert.deepEqual(await found(c, 'köln', 1), ['Objekt 0', 'Objekt 2', 'Objekt 4', 'Objekt 6', 'Zwilling', 'Zwilling', 'Zwilling']);
  const ids = [];
  let after = '';
  do {
    const res = await c.json(`/api/v1/properties?q=zwilling&limit=1${after ? `&after=${after}` : ''}`);
    ids.push(...res.body.items.map((p) => p.id));
    after = res.body.next;
  } while (after);
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'equal names by id');
  assert.equal(new Set(ids).size, 3);
  const page = await (await c.fetch('/app/properties?q=M%C3%BCnchen')).text();
  assert.ok(page.includes('Objekt 1') && !page.includes('Objekt 0'), 'the page searches alike');
});

test('every write keeps the index: create, change, delete', async () => {
  const p = (await a.json('/api/v1/properties', { method: 'POST', body: { name: 'Altbau', city: 'Potsdam' } })).body;
  assert.deepEqual(await found(a, 'potsdam'), ['Altbau']);
  assert.equal((await a.json(`/api/v1/properties/${p.id}`, { method: 'PATCH', body: { city: 'Bonn', name: 'Neubau' } })).status, 200);
  assert.deepEqual(await found(a, 'potsdam'), []);
  assert.deepEqual(await found(a, 'altbau'), []);
  assert.deepEqual(await found(a, 'bonn'), ['Neubau']);
  assert.deepEqual(await found(a, 'neu bonn'), ['Neubau']);
  // A further word is checked in the property's words as they are now,
  // whichever of the two the search reads first.
  assert.deepEqual(await found(a, 'altbau bonn'), []);
  assert.deepEqual(await found(a, 'neubau potsdam'), []);
  const form = await a.fetch(`/app/properties/${p.id}`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams({ csrf_token: a.csrf, name: 'Neubau', street: 'Rheinweg 3' }).toString(),
  });
  assert.equal(form.status, 303);
  assert.deepEqual(await found(a, 'rhein'), ['Neubau'], 'the page\'s form too');
  assert.equal((await a.fetch(`/api/v1/properties/${p.id}`, { method: 'DELETE' })).status, 204);
  assert.deepEqual(await found(a, 'bonn'), []);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM property_words WHERE property_id = ${p.id}`).trim(), '0');
});

test('a resident searches only their own properties', async () => {
  const r = await newResident(stack, a, [made.garten.id]);
  stack.sql(`INSERT INTO memberships (property_id, user_id, org_id, state, joined_at) VALUES (${made.sued.id}, ${r.id}, ${a.user.org_id}, 'pending', UTC_TIMESTAMP())`);
  assert.deepEqual(await found(r, 'lind'), ['Gartenhaus']);
  assert.deepEqual(await found(r, 'lind köln'), ['Gartenhaus']);
  assert.deepEqual(await found(r, 'münchen'), []);
  assert.deepEqual(await found(r, 'dresden'), []);
  const b = await newManager(stack);
  assert.deepEqual(await found(b, 'lind'), [], 'another organisation');
});

test('100,000 properties: the right answer from about a page of rows', async (t) => {
  const m = await newManager(stack);
  const org = m.user.org_id;
  stack.sql(`INSERT INTO properties (org_id, reference_id, name, street, zip, city, country, notes, created_at)
    SELECT ${org}, CONCAT('T-', s.seq), CONCAT('Objekt ', LPAD(s.seq, 6, '0')),
      CONCAT(ELT(1 + s.seq % 4, 'Bahnhofstraße ', 'Lindenallee ', 'Am Markt ', 'Hauptstraße '), s.seq % 300),
      LPAD(s.seq % 99999, 5, '0'), ELT(1 + s.seq % 5, 'Berlin', 'Köln', 'München', 'Hamburg', 'Dresden'),
      'Deutschland', '', UTC_TIMESTAMP()
    FROM seq_1_to_100000 s`);
  // Asynchronously: the event loop stays awake for the HTTP connections.
  const portalctl = path.join(process.env.PORTAL_BIN || path.join(repo, 'bin'), 'portalctl');
  const rebuilt = await promisify(execFile)(portalctl, ['-c', stack.conf, 'search', 'rebuild']);
  assert.match(rebuilt.stdout, /indexed \d+ objects/);

  // The same question asked of the rows themselves: Köln, and a word that
  // starts with 77 (all words here are ASCII letters and digits).
  const want = stack.sql(`SELECT id FROM properties WHERE org_id = ${org} AND city = 'Köln'
    AND CONCAT_WS(' ', name, street, zip, city, REPLACE(reference_id, '-', ' ')) REGEXP '(^| )77'
    ORDER BY name, id`).trim().split('\n').map(Number);
  assert.ok(want.length > 100, `${want.length} properties to find`);
  const got = [];
  let after = '';
  do {
    const res = await m.json(`/api/v1/properties?q=${encodeURIComponent('Köln 77')}&limit=200${after ? `&after=${after}` : ''}`);
    assert.equal(res.status, 200);
    got.push(...res.body.items.map((p) => p.id));
    after = res.body.next;
  } while (after);
  assert.deepEqual(got, want);

  // What a page costs: the rows read from the properties and their index
  // (MariaDB's table statistics), not the organisation's 100,000. (A search
  // whose matches gather far down the list, as Köln 77's do here, reads more
  // before its first page is full.)
  stack.sql('SET GLOBAL userstat = 1');
  const read = async (q) => {
    stack.sql('FLUSH TABLE_STATISTICS');
    const res = await m.json(`/api/v1/properties?q=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.items.length, 50, q);
    return Number(stack.sql(`SELECT COALESCE(SUM(ROWS_READ), 0) FROM information_schema.TABLE_STATISTICS
      WHERE TABLE_SCHEMA = 'portal' AND TABLE_NAME IN ('properties', 'property_words')`).trim());
  };
  try {
    for (const q of ['münchen', 'hamburg 5', 'objekt 0001', 'T-99', 'lind 12', 'b']) {
      const rows = await read(q);
      assert.ok(rows < 3000, `${q}: ${rows} rows read`);
      t.diagnostic(`${q}: ${rows} rows read`);
    }
  } finally {
    stack.sql('SET GLOBAL userstat = 0');
  }
});
