// Hostile input against every route of the portal, core and all plugins: the
// routes come from the code (the route tables of core/features and plugins/*,
// read by a small parser below), so a new route is swept without a change here.
// Each route gets its path parameters filled with a real object of the
// caller's organisation, another organisation's, and malformed ids; unsafe
// routes get malformed bodies and every declared field with wrong types and
// hostile values, GET routes hostile query strings; as an admin manager, a
// resident and signed out. Expected: never a 5xx, no crash or 5xx in the pool's
// log, no hang, and a request that was refused (4xx) wrote nothing.
//
// The value combinations are sampled (HOSTILE_SEED= repeats a run): the
// file keeps under about 90 seconds on two cores.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, repo } from './stack.mjs';
import { Client, newManager, newResident, newProperty } from './client.mjs';

const PLUGINS = 'example invites content tickets documents community';

// ---------------------------------------------------------------------------
// The route tables, read from the C sources.

// C text without comments, with macros' line continuations joined, strings kept.
function stripC(text) {
  let out = '';
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else {
      out += c;
      i++;
    }
  }
  return out.replace(/\\\r?\n/g, ' ');
}

function sourceFiles() {
  const files = [];
  const add = (dir) => {
    for (const name of fs.readdirSync(dir)) {
      if (/\.[ch]$/.test(name)) files.push(path.join(dir, name));
    }
  };
  add(path.join(repo, 'core/features'));
  for (const plugin of fs.readdirSync(path.join(repo, 'plugins'))) {
    const dir = path.join(repo, 'plugins', plugin);
    if (fs.statSync(dir).isDirectory()) add(dir);
  }
  return files;
}

const STR = '"(?:[^"\\\\]|\\\\.)*"';
const ROUTE_RE = new RegExp(
  `\\{\\s*"(GET|POST|PUT|PATCH|DELETE)"\\s*,\\s*(${STR}|NULL)\\s*,\\s*(${STR}|NULL)\\s*,\\s*(\\w+)\\s*,`
  + `\\s*([^,{}]*?)\\s*,\\s*(\\w+)\\s*,\\s*(${STR}|NULL)\\s*,\\s*(${STR}|NULL)\\s*(?:,\\s*(\\w+))?`,
  'g',
);

// Every route entry ({"GET", api_path, page_path, access, flags, handler,
// template, title, inputs, form}) of core and the plugins, with the fields
// its inputs declare: [{ method, api, page, access, fields: [{name, type, query}] }].
function routesFromCode() {
  const texts = sourceFiles().map((f) => [f, stripC(fs.readFileSync(f, 'utf8'))]);
  // A file's own macros, then those of the headers beside it (a table of
  // routes joined from its parts' headers); two files may use one name.
  const definesOf = (text) => new Map([...text.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?[ \t]*(.*)$/gm)].map((m) => [m[1], m[3]]));
  const headers = new Map();
  for (const [file, text] of texts) {
    if (file.endsWith('.h')) for (const [name, body] of definesOf(text)) headers.set(`${path.dirname(file)}:${name}`, body);
  }
  const expander = (file, text) => {
    const own = definesOf(text);
    const lookup = (name) => own.get(name) ?? headers.get(`${path.dirname(file)}:${name}`);
    const expand = (body, depth = 0) => (depth > 4 ? body : body.replace(/\b([A-Z_][A-Z0-9_]*)\b(\([^)]*\))?/g, (all, name) => {
      const found = name.startsWith('PORTAL_') ? undefined : lookup(name);
      return found === undefined ? all : expand(found, depth + 1);
    }));
    return expand;
  };
  const inputs = new Map();
  for (const [file, text] of texts) {
    const expand = expander(file, text);
    for (const m of text.matchAll(/struct\s+portal_input\s+(\w+)\s*\[\s*\]\s*=\s*\{([\s\S]*?)\}\s*;/g)) {
      const body = expand(m[2]);
      const fields = [];
      for (const f of body.matchAll(/\{\s*"(\w+)"\s*,\s*(PORTAL_IN_\w+)\s*(?:,\s*([^,}]*))?/g)) {
        fields.push({ name: f[1], type: f[2].replace('PORTAL_IN_', ''), query: /PORTAL_IN_QUERY/.test(f[3] || '') });
      }
      inputs.set(`${file}:${m[1]}`, fields);
      inputs.set(`${path.dirname(file)}:${m[1]}`, fields);
    }
  }
  // PORTAL_IN_NOTIFICATIONS: one boolean member per kind of mail a plugin declares
  const kinds = [];
  for (const [, text] of texts) {
    for (const m of text.matchAll(/struct\s+portal_notification\s+\w+\s*\[\s*\]\s*=\s*\{([\s\S]*?)\}\s*;/g)) {
      for (const k of m[1].matchAll(/\{\s*"(\w+)"\s*,/g)) kinds.push({ name: k[1], type: 'BOOL', query: false });
    }
  }
  for (const [key, fields] of inputs) inputs.set(key, fields.flatMap((f) => (f.type === 'NOTIFICATIONS' ? kinds : [f])));
  const unquote = (s) => (s === 'NULL' ? null : JSON.parse(s));
  const routes = [];
  const seen = new Set();
  for (const [file, text] of texts) {
    for (const m of expander(file, text)(text).matchAll(ROUTE_RE)) {
      const route = {
        file: path.relative(repo, file),
        method: m[1],
        api: unquote(m[2]),
        page: unquote(m[3]),
        access: m[4].replace(/^PORTAL_ACCESS_/, ''),
        // a static table of the route's file, else an extern one of its folder
        fields: m[9] && m[9] !== 'NULL' ? inputs.get(`${file}:${m[9]}`) || inputs.get(`${path.dirname(file)}:${m[9]}`) || [] : [],
      };
      const key = `${route.method} ${route.api} ${route.page}`;
      if (!seen.has(key)) {
        seen.add(key);
        routes.push(route);
      }
    }
  }
  return routes;
}

// ---------------------------------------------------------------------------
// Sampling, reproducible from a seed.

const seed = Number(process.env.HOSTILE_SEED) || (Date.now() % 100000);
let rngState = seed;
function random() {
  rngState = (rngState * 1103515245 + 12345) % 2147483648;
  return rngState / 2147483648;
}
function sample(list, count) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}

// ---------------------------------------------------------------------------
// Hostile values.

const MB = 'x'.repeat(1 << 20);
const DEEP = `${'['.repeat(10000)}${']'.repeat(10000)}`;
// A JSON member's value as raw JSON text (or bytes, for invalid UTF-8).
const JSON_VALUES = {
  object: '{}',
  array: '[]',
  number: '12345',
  bool: 'true',
  null: 'null',
  megabyte: `"${MB}"`,
  nul: '"a\\u0000b"',
  invalid_utf8: Buffer.from([0x22, 0x61, 0xff, 0xfe, 0xc3, 0x22]),
  lone_surrogate: '"\\ud800"',
  huge_float: '1e309',
  minus_zero: '-0',
  two_pow_63: '9223372036854775808',
  deep: DEEP,
  list_of_objects: '[{}, {"a": 1}]',
};
// Values of the right JSON type that sit at the edges of what a declared
// type accepts, by type (portal/input.h): they pass the parser and reach
// the handler and the database.
const EDGE_STRINGS = ['"\ud83d\ude00 Emoji"', '"\udbff\udfff"', '"\u2028\ufeff"', '"a\tb"', `"${'ä'.repeat(5000)}"`];
const EDGE_VALUES = {
  ID: ['9223372036854775807', '"9223372036854775807"', '"0001"', '1.0', '"1e3"'],
  IDS: ['[9223372036854775807]', '[1e309]', '[-0]', '[null]', '[[]]', '[{}]', '["all"]', `[${Array.from({ length: 1001 }, (_, i) => i + 1).join(',')}]`],
  INT: ['9223372036854775807', '-9223372036854775808', '"-0"', '1.5', '"1e3"'],
  STRING: EDGE_STRINGS,
  STRINGS: ['["\ud83d\ude00"]', '[null]', '[1]', '[[]]', `[${Array.from({ length: 1001 }, () => '"x"').join(',')}]`],
  DATE: ['"0000-00-00"', '"9999-12-31"', '"2026-02-30"', '"1000-01-01"', '"20261224"', '"2026-12-24T00:00:00Z"'],
  DATETIME: ['"9999-12-31T23:59:59-23:59"', '"0000-01-01T00:00:00+23:59"', '"1969-12-31T23:59:59Z"', '"2026-02-30T10:00:00Z"',
    '"2026-12-01T24:00:00Z"', '"2026-12-01T18:00:60Z"', '"2026-12-01T18:00:00.9999999999999Z"', '"2026-12-01T18:00"', '"275760-09-13T00:00:00Z"'],
  EMAIL: [`"${'a'.repeat(250)}@example.org"`, '"\ud83d\ude00@example.org"', '"a@b@c"', '"a@example.org\r\nBcc: x@example.org"'],
  BOOL: ['"on"', '"yes"', '1', '0'],
  ENUM: EDGE_STRINGS,
  CATEGORY: EDGE_STRINGS,
};
EDGE_VALUES.PROPERTIES = [...EDGE_VALUES.IDS, '"ALL"', '"all "'];

// Broken multipart bodies: [label, content-type, body].
const part = (b, name, filename, data) => `--${b}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${data}\r\n`;
const MULTIPART_BODIES = [
  ['multipart: boundary never ends', 'multipart/form-data; boundary=b1', part('b1', 'file', 'a.png', '\x89PNG')],
  ['multipart: boundary over 70', `multipart/form-data; boundary=${'b'.repeat(71)}`, `${part('b'.repeat(71), 'file', 'a.png', 'x')}--${'b'.repeat(71)}--\r\n`],
  ['multipart: quoted boundary unterminated', 'multipart/form-data; boundary="b2', `${part('b2', 'file', 'a.png', 'x')}--b2--\r\n`],
  ['multipart: empty boundary', 'multipart/form-data; boundary=', '--\r\n\r\n----\r\n'],
  ['multipart: boundary twice', 'multipart/form-data; boundary=b3; boundary=b4', `${part('b3', 'file', 'a.png', 'x')}--b3--\r\n`],
  ['multipart: filename*', 'multipart/form-data; boundary=b5', `--b5\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''%2e%2e%2fa.png\r\n\r\nx\r\n--b5--\r\n`],
  ['multipart: path in filename', 'multipart/form-data; boundary=b6', `${part('b6', 'file', '../../../etc/passwd', 'x')}${part('b6', 'files', '..\\..\\a.png', 'x')}--b6--\r\n`],
  ['multipart: no headers end', 'multipart/form-data; boundary=b7', '--b7\r\nContent-Disposition: form-data; name="file"\r\n--b7--\r\n'],
  ['multipart: no name', 'multipart/form-data; boundary=b8', '--b8\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b8--\r\n'],
  ['multipart: endless header', 'multipart/form-data; boundary=b9', `--b9\r\nContent-Disposition: form-data; name="${'n'.repeat(100000)}"\r\n\r\nx\r\n--b9--\r\n`],
  ['multipart: many tiny parts', 'multipart/form-data; boundary=c1', `${Array.from({ length: 5000 }, (_, i) => part('c1', `f${i}`, null, 'x')).join('')}--c1--\r\n`],
  ['multipart: NUL in name', 'multipart/form-data; boundary=c2', `${part('c2', 'fi\u0000le', 'a\u0000.png', 'x')}--c2--\r\n`],
  ['multipart: empty file', 'multipart/form-data; boundary=c3', `${part('c3', 'file', 'a.png', '')}${part('c3', 'files', 'b.pdf', '')}--c3--\r\n`],
];

// Files of hostile content for the routes that take uploads: [name, bytes].
const fixture = (name) => fs.readFileSync(path.join(repo, 'tests/fixtures', name));
const HOSTILE_FILES = [
  ['bomb.png', fixture('images/bomb.png')],
  ['truncated.jpg', fixture('images/truncated.jpg')],
  ['image.svg', fixture('images/image.svg')],
  ['photo.heic', fixture('images/photo.heic')],
  ['png-header.png', Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(4096, 0xff)])],
  ['not-a-zip.xlsx', fixture('import/not-a-zip.xlsx')],
  ['bomb.xlsx', fixture('import/bomb.xlsx')],
  ['nesting-bomb.xlsx', fixture('import/nesting-bomb.xlsx')],
  ['truncated.xlsx', fixture('import/truncated.xlsx')],
  ['nul.csv', Buffer.from('Name;Ort\r\nA\u0000B;K\xf6ln\xff\xfe\r\n"unterminated;x\r\n', 'latin1')],
  ['long-line.csv', Buffer.from(`Name,Notes\n${'x'.repeat(300000)},${'"'.repeat(1001)}\n`)],
  ['empty.pdf', Buffer.alloc(0)],
  ['\u0000../../etc/passwd', Buffer.from('%PDF-1.4\n')],
];

// A well-formed multipart body: fields ([name, value] with value text or
// bytes) and one file part named fileField.
function multipart(fields, fileField, [fileName, bytes]) {
  const b = 'HostileBoundary7MA4YWxkTrZu0gW';
  const chunks = [];
  for (const [name, value] of fields) {
    chunks.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`), Buffer.isBuffer(value) ? value : Buffer.from(String(value)), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`), bytes, Buffer.from(`\r\n--${b}--\r\n`));
  return [`multipart/form-data; boundary=${b}`, Buffer.concat(chunks)];
}

// Uploads of hostile files, with the route's plausible fields (and the
// CSRF token in the body for pages); routes whose path speaks of files get
// every file, others a sample.
const FILE_PATH = /image|logo|import|documents|file|tickets|comments|announcements|items/;
function fileBodies(route, pattern, client, kind) {
  const fields = [];
  if (kind === 'page' && client.csrf) fields.push(['csrf_token', client.csrf]);
  for (const f of route.fields.filter((x) => !x.query)) {
    const v = plausible(f, ctx);
    if (v !== undefined) fields.push([f.name, Array.isArray(v) ? String(v[0]) : String(v)]);
  }
  const out = [];
  const files = FILE_PATH.test(pattern) ? HOSTILE_FILES : sample(HOSTILE_FILES, 1);
  for (const file of files) {
    for (const name of ['file', 'files']) out.push([`upload ${name}: ${file[0].slice(0, 30)}`, ...multipart(fields, name, file)]);
  }
  // a field's raw bytes that are no UTF-8, in a multipart body
  const first = fields.find(([n]) => n !== 'csrf_token');
  if (first) {
    const bad = fields.map(([n, v]) => [n, n === first[0] ? Buffer.from([0x61, 0xff, 0xfe, 0xc3]) : v]);
    out.push([`multipart ${first[0]}: invalid utf-8`, ...multipart(bad, 'file', ['a.pdf', Buffer.from('%PDF-1.4\n')])]);
  }
  return out;
}

// Request headers a hostile client sends: [label, headers].
const HOSTILE_HEADERS = [
  ['session garbage', { Cookie: 'session=AAAA%00%ff; lang=en' }],
  ['session of 4 KB', { Cookie: `session=${'A'.repeat(4000)}` }],
  ['session twice', { Cookie: 'session=a; session=b; session=' }],
  ['many cookies', { Cookie: Array.from({ length: 300 }, (_, i) => `c${i}=${i}`).join('; ') }],
  ['cookie without value', { Cookie: 'session; =; ;;; lang' }],
  ['lang garbage', { Cookie: `lang=${'x'.repeat(2000)}`, 'Accept-Language': `${'de-DE;q=0.9,'.repeat(300)}*;q=-1` }],
  ['accept-language odd', { 'Accept-Language': 'en;q=1e309, de;q=NaN, ;q=, ,,,' }],
  ['csrf garbage', { 'X-CSRF-Token': `${'z'.repeat(3000)}` }],
  ['origin null', { Origin: 'null' }],
  ['origin foreign', { Origin: 'https://evil.example' }],
  ['forwarded garbage', { 'X-Forwarded-For': '::1, 300.1.1.1, garbage', 'X-Request-Id': '\u00ff'.repeat(10) }],
];

// A form field's value, already urlencoded.
const FORM_VALUES = {
  nul: '%00',
  invalid_utf8: '%FF%FE',
  megabyte: MB,
  lone_surrogate: '%ED%A0%80',
  huge_float: '1e309',
  minus_zero: '-0',
  two_pow_63: '9223372036854775808',
  bracket: 'x&FIELD[]=1',
  repeated: 'a&FIELD=b',
};
// A query parameter's value, already urlencoded.
const QUERY_VALUES = ['9223372036854775808', '2026-02-30', '%F0%9F%98%80', '-1', '0', '1e9', '99999999999999999999', 'abc', '%00', '%FF%FE', 'x'.repeat(10240), '-0', '1e309'];

// A plausible valid value of a declared field, so that a hostile one beside it
// reaches as far as it can.
function plausible(field, ctx) {
  switch (field.type) {
    case 'ID': return field.name === 'unit_id' ? ctx.own.unit : ctx.own.property;
    case 'IDS': return [ctx.own.property];
    case 'PROPERTIES': return [ctx.own.property];
    case 'STRING': return 'Hostile test';
    case 'BOOL': return false;
    case 'DATE': return '2099-01-02';
    case 'DATETIME': return '2099-01-02T10:00:00Z';
    case 'EMAIL': return 'someone@example.org';
    case 'INT': return 1;
    case 'STRINGS': return ['eins'];
    default: return undefined;
  }
}

// ---------------------------------------------------------------------------
// The stack and its objects.

let stack;
let manager; // admin of organisation A
let resident; // resident of A's property
let other; // admin of organisation B
const ctx = { own: {}, foreign: {} };
const findings = [];

async function created(res, what) {
  if (res.status >= 300) throw new Error(`creating ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function idOf(body) {
  if (!body || typeof body !== 'object') return null;
  if (Number.isInteger(body.id)) return body.id;
  for (const v of Object.values(body)) {
    if (v && typeof v === 'object' && Number.isInteger(v.id)) return v.id;
  }
  if (Array.isArray(body.items) && body.items[0]) return body.items[0].id;
  return null;
}

async function tokenOf(client, propertyId) {
  const invite = await client.json(`/api/v1/properties/${propertyId}/invite`);
  return /\/join\/([^/?#]+)/.exec(invite.body.url)[1];
}

// A property of m's organisation with a unit, its invite token, an example
// item, content, an invited employee and a document, their ids in into.
async function makeObjects(m, into) {
  const property = await newProperty(m, `Hostile ${Math.random().toString(36).slice(2, 8)}`);
  into.property = property.id;
  into.org = m.user.org_id;
  into.unit = idOf(await created(await m.json(`/api/v1/properties/${property.id}/units`, { method: 'POST', body: { name: 'EG links' } }), 'unit'));
  into.token = await tokenOf(m, property.id);
  const all = { property_ids: [property.id] };
  into.item = idOf(await created(await m.json('/api/v1/example/items', { method: 'POST', body: { name: 'Item', ...all } }), 'item'));
  into.announcement = idOf(await created(await m.json('/api/v1/announcements', { method: 'POST', body: { title: 'A', body: 'B', notify: false, ...all } }), 'announcement'));
  into.appointment = idOf(await created(await m.json('/api/v1/appointments', { method: 'POST', body: { title: 'T', starts_at: '2099-01-01T10:00:00Z', ...all } }), 'appointment'));
  into.faq = idOf(await created(await m.json('/api/v1/faq', { method: 'POST', body: { question: 'Q?', answer: 'A.', ...all } }), 'faq'));
  into.contact = idOf(await created(await m.json('/api/v1/contacts', { method: 'POST', body: { name: 'Hausmeister', role: 'Hausmeister', ...all } }), 'contact'));
  into.employee = idOf(await created(await m.json('/api/v1/employees', { method: 'POST', body: { name: 'Emma', email: `emma-${Math.random().toString(36).slice(2, 8)}@example.org` } }), 'employee'));
  const form = new FormData();
  form.append('files', new Blob(['%PDF-1.4\n%hostile\n']), 'hausordnung.pdf');
  form.append('title', 'Hausordnung');
  form.append('category', 'Hausordnung');
  form.append('audience', 'residents');
  const docs = await m.json(`/api/v1/properties/${property.id}/documents`, { method: 'POST', body: form });
  into.document = docs.status === 201 ? docs.body.items[0].id : null;
}

before(async () => {
  // nginx's limit on sign-ins would stop the sweep's own sign-ins again
  stack = await startStack({ plugins: PLUGINS, workers: 2, env: { SESSION_RATE: '10000r/s', SESSION_BURST: '10000' } });
  // nor should the plugins' limits per person answer 429 before the input is read
  stack.setConf({
    'tickets.max_reports_per_day': 1000, 'community.posts_per_day': 1000, 'community.comments_per_hour': 10000,
    'invites.join_max_per_address': 1000000, 'invites.join_max_per_email': 1000000,
  });
  await stack.reload();
  manager = await newManager(stack);
  const first = await newProperty(manager, 'Lindenhof');
  resident = await newResident(stack, manager, [first.id]);
  // The objects of organisation A; the resident joins the new property too.
  await makeObjects(manager, ctx.own);
  stack.sql(`INSERT INTO memberships (property_id, user_id, org_id, resident_group, state, joined_at) VALUES (${ctx.own.property}, ${resident.id}, ${manager.user.org_id}, 'resident', 'active', UTC_TIMESTAMP())`);
  Object.assign(ctx.own, { user: resident.id });
  ctx.own.ticket = idOf(await created(await resident.json('/api/v1/tickets', { method: 'POST', body: { property_id: ctx.own.property, title: 'Heizung', description: 'Kalt.' } }), 'ticket'));
  ctx.own.post = idOf(await created(await resident.json(`/api/v1/properties/${ctx.own.property}/board`, { method: 'POST', body: { kind: 'info', title: 'Hallo', body: 'Nachbarn' } }), 'post'));
  ctx.own.comment = idOf(await created(await resident.json(`/api/v1/board/${ctx.own.post}/comments`, { method: 'POST', body: { body: 'Ein Kommentar' } }), 'comment'));
  // Organisation B's, with a resident of its own.
  other = await newManager(stack);
  const otherFirst = await newProperty(other, 'Fremdhof');
  const otherResident = await newResident(stack, other, [otherFirst.id]);
  await makeObjects(other, ctx.foreign);
  stack.sql(`INSERT INTO memberships (property_id, user_id, org_id, resident_group, state, joined_at) VALUES (${ctx.foreign.property}, ${otherResident.id}, ${other.user.org_id}, 'resident', 'active', UTC_TIMESTAMP())`);
  ctx.foreign.user = otherResident.id;
  ctx.foreign.ticket = idOf(await created(await otherResident.json('/api/v1/tickets', { method: 'POST', body: { property_id: ctx.foreign.property, title: 'Fremd', description: 'Fremd.' } }), 'ticket'));
  ctx.foreign.post = idOf(await created(await otherResident.json(`/api/v1/properties/${ctx.foreign.property}/board`, { method: 'POST', body: { kind: 'info', title: 'Fremd', body: 'Fremd' } }), 'post'));
  ctx.foreign.comment = idOf(await created(await otherResident.json(`/api/v1/board/${ctx.foreign.post}/comments`, { method: 'POST', body: { body: 'Fremd' } }), 'comment'));
});

after(async () => { await stack?.stop(); });

// ---------------------------------------------------------------------------
// Path parameters.

// Which object an {id} names, by the path segment before it.
const OBJECT_OF_SEGMENT = {
  properties: 'property', units: 'unit', tickets: 'ticket', board: 'post', comments: 'comment',
  documents: 'document', items: 'item', announcements: 'announcement', announcement: 'announcement',
  appointments: 'appointment', appointment: 'appointment', faq: 'faq', contacts: 'contact',
  contact: 'contact', employees: 'employee', orgs: 'org', residents: 'user',
};
const MALFORMED_IDS = ['0', '-1', '99999999999999999999', 'abc', '%00'];

function objectOf(segments, i, name) {
  if (name === 'token') return 'token';
  if (name === 'user_id') return 'user';
  if (name === 'post_id') return 'post';
  const before = segments[i - 1] || '';
  return OBJECT_OF_SEGMENT[before] || 'property';
}

// The path with its parameters filled: 'own', 'foreign' or a malformed value.
function fill(pattern, which) {
  const segments = pattern.split('/');
  return segments.map((seg, i) => seg.replace(/\{(\w+)\}/g, (all, name) => {
    if (which === 'own' || which === 'foreign') {
      const value = ctx[which][objectOf(segments, i, name)];
      return String(value ?? 1);
    }
    return which;
  })).join('/');
}

// ---------------------------------------------------------------------------
// Sending, and what an answer must be.

const TIMEOUT = 20000;
const AT_ONCE_ROUNDS = Number(process.env.HOSTILE_AT_ONCE) || 3;
let sent = 0;

async function send(client, url, { method = 'GET', headers = {}, body } = {}) {
  const h = { ...headers };
  if (client?.cookie) h.Cookie = client.cookie;
  sent += 1;
  try {
    const res = await stack.fetch(url, { method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') || '', text };
  } catch (err) {
    return { status: err.name === 'TimeoutError' ? 'hang' : `error ${err.message}`, type: '', text: '' };
  }
}

// nginx's own answers to a request line it refuses before any location
// (414 over large_client_header_buffers): it has no URI then to tell the
// API from a page by.
const NGINX_OWN = [405, 414];

function check(route, role, label, res, url, method) {
  const what = `${role} ${method} ${url.slice(0, 120)} [${label}]`;
  if (typeof res.status !== 'number' || res.status >= 500) {
    findings.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
    return;
  }
  // API errors in the contract's shape
  if (url.startsWith('/api/') && res.status >= 400 && !NGINX_OWN.includes(res.status)) {
    let ok = false;
    try {
      const body = JSON.parse(res.text);
      ok = typeof body.error?.code === 'string' && typeof body.error?.message === 'string';
    } catch { /* not JSON */ }
    if (!ok) findings.push(`${what}: ${res.status} not in the error shape: ${res.text.slice(0, 200)}`);
  }
}

// Runs jobs (functions returning promises) a few at a time.
async function pool(jobs, width = 3) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      await job();
    }
  }));
}

// A JSON body of the route's plausible fields with one member's value replaced
// by raw JSON text (or bytes).
function jsonWith(route, name, raw) {
  const parts = [];
  for (const f of route.fields.filter((x) => !x.query)) {
    if (f.name === name) continue;
    const v = plausible(f, ctx);
    if (v !== undefined) parts.push(`${JSON.stringify(f.name)}:${JSON.stringify(v)}`);
  }
  const head = Buffer.from(`{${parts.join(',')}${parts.length ? ',' : ''}${JSON.stringify(name)}:`);
  return Buffer.concat([head, Buffer.isBuffer(raw) ? raw : Buffer.from(raw), Buffer.from('}')]);
}

// The body-level hostile variants of an unsafe API route: [label, content-type, body].
function apiBodies(route) {
  const bodies = [
    ['invalid json', 'application/json', '{"a": '],
    ['array', 'application/json', '[]'],
    ['string', 'application/json', '"text"'],
    ['number', 'application/json', '42'],
    ['null', 'application/json', 'null'],
    ['empty', 'application/json', ''],
    ['duplicate keys', 'application/json', '{"x":1,"x":2}'],
    ['deep arrays', 'application/json', DEEP],
    ['broken multipart', 'multipart/form-data; boundary=abc', '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--ab'],
    ['multipart without boundary', 'multipart/form-data', '--abc\r\n\r\n'],
    ...MULTIPART_BODIES,
    ['json with a charset', 'application/json; charset=latin1', '{}'],
    ['no content type', undefined, '{"x": 1}'],
    ['content type twice', 'application/json, multipart/form-data', '{}'],
  ];
  const bodyFields = route.fields.filter((f) => !f.query);
  for (const f of bodyFields) {
    bodies.push([`${f.name}: duplicate`, 'application/json', jsonWith(route, f.name, `"a","${f.name}":"b"`)]);
  }
  return bodies;
}

function fieldBodies(route, perField) {
  const out = [];
  for (const f of route.fields.filter((x) => !x.query)) {
    const names = perField ? sample(Object.keys(JSON_VALUES), perField) : Object.keys(JSON_VALUES);
    for (const kind of names) out.push([`${f.name}: ${kind}`, 'application/json', jsonWith(route, f.name, JSON_VALUES[kind])]);
    for (const value of EDGE_VALUES[f.type] || []) out.push([`${f.name}: ${value.slice(0, 40)}`, 'application/json', jsonWith(route, f.name, value)]);
    // ids of another organisation's objects
    if (['ID', 'IDS', 'PROPERTIES'].includes(f.type)) {
      for (const what of ['property', ...sample(['unit', 'ticket', 'user', 'employee', 'document'], 1)]) {
        const id = ctx.foreign[what];
        if (id) out.push([`${f.name}: foreign ${what}`, 'application/json', jsonWith(route, f.name, f.type === 'ID' ? String(id) : `[${id}]`)]);
      }
    }
  }
  return out;
}

function formBodies(route, client, perField) {
  const csrf = client?.csrf ? `csrf_token=${encodeURIComponent(client.csrf)}` : '';
  const base = route.fields.filter((f) => !f.query).map((f) => {
    const v = plausible(f, ctx);
    if (v === undefined) return null;
    return [f.name, Array.isArray(v) ? String(v[0]) : String(v)];
  }).filter(Boolean);
  const out = [
    ['form: invalid escape', 'application/x-www-form-urlencoded', `${csrf}&x=%G1`],
    ['form: no csrf', 'application/x-www-form-urlencoded', 'x=1'],
    ['form: broken multipart', 'multipart/form-data; boundary=zz', `--zz\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n${client?.csrf || ''}\r\n--zz\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nabc`],
  ];
  for (const f of route.fields.filter((x) => !x.query)) {
    const kinds = sample(Object.keys(FORM_VALUES), perField);
    for (const kind of kinds) {
      const others = base.filter(([n]) => n !== f.name).map(([n, v]) => `${n}=${encodeURIComponent(v)}`);
      const value = FORM_VALUES[kind].replaceAll('FIELD', f.name);
      out.push([`form ${f.name}: ${kind}`, 'application/x-www-form-urlencoded', [csrf, ...others, `${f.name}=${value}`].filter(Boolean).join('&')]);
    }
  }
  return out;
}

function queries(route, count) {
  const names = ['limit', 'after', 'q', ...route.fields.filter((f) => f.query).map((f) => f.name)];
  // q of 10 KB is over nginx's limit of a request line (414 from nginx);
  // 6 KB reaches the pool
  const out = ['?limit=-1', '?limit=1e9', '?after=garbage', `?q=${'q'.repeat(10240)}`, `?q=${'q'.repeat(6000)}`,
    `?q=${'%C3%BC'.repeat(1000)}`, '?limit=1&limit=2&after=a&after=b'];
  for (const name of [...new Set(names)]) {
    for (const v of sample(QUERY_VALUES, count)) out.push(`?${name}=${v}`);
    out.push(`?${name}=1&${name}=2`);
  }
  return out;
}

// Tables that any request may touch (sessions seen, throttles, jobs), left
// out of the check that a refused request wrote nothing.
const VOLATILE = new Set(['sessions', 'throttle_events', 'jobs', 'mail_quota_events', 'mail_quota_locks',
  'search_rebuilds', 'content_generations', 'portal_info', 'outbox']);
let tables;
function fingerprint() {
  tables ??= stack.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'portal' AND table_type = 'BASE TABLE'")
    .trim().split('\n').filter((t) => t && !VOLATILE.has(t));
  const rows = stack.sql(`CHECKSUM TABLE ${tables.map((t) => `\`${t}\``).join(', ')}`).trim().split('\n');
  return new Map(rows.map((line) => line.split('\t')));
}

const ROLE_OK = {
  PUBLIC: ['manager', 'resident', 'anonymous'],
  SIGNED_IN: ['manager', 'resident'],
  MANAGER: ['manager'],
  ADMIN: ['manager'],
  RESIDENT: ['resident'],
};

// Whether the client's session still works; signs it in again if not (a
// swept DELETE /session ends it; swept sign-ins may throttle).
async function keepSignedIn(client) {
  const res = await send(client, '/api/v1/session');
  if (res.status === 200) return;
  client.cookie = '';
  let signed = await client.json('/api/v1/session', { method: 'POST', body: { email: client.email, password: client.password } });
  if (signed.status === 429) {
    stack.portalctl('throttle', 'reset');
    signed = await client.json('/api/v1/session', { method: 'POST', body: { email: client.email, password: client.password } });
  }
  assert.equal(signed.status, 200, `signing ${client.email} in again`);
  client.csrf = signed.body.csrf_token;
}

// Routes that take objects away go last, the property's own deletion at the very end.
function order(route) {
  const p = route.api || route.page;
  if (/^(\/app)?\/properties\/\{id\}(\/delete)?$/.test(p) && (route.method === 'DELETE' || /delete$/.test(p))) return 3;
  if (route.method === 'DELETE' || /\/(delete|remove|reject)$/.test(p)) return 2;
  if (/session|login|logout/.test(p)) return 1;
  return 0;
}

// Found by the sweep's requests at once: two rotations of a resident's
// calendar feed at one instant could both lock the feed's row, and the one
// the database ended as a deadlock was answered 503.
test('rotating the calendar feed several times at once: every answer 200, one feed left', async () => {
  const property = await newProperty(manager, 'Rotationshof');
  const r = await newResident(stack, manager, [property.id]);
  const statuses = {};
  for (let round = 0; round < 20; round++) {
    const answers = await Promise.all(Array.from({ length: 4 }, () => r.fetch('/api/v1/me/calendar/rotate', { method: 'POST' })));
    for (const res of answers) {
      statuses[res.status] = (statuses[res.status] || 0) + 1;
      await res.arrayBuffer();
    }
  }
  assert.deepEqual(statuses, { 200: 80 });
  assert.equal(stack.sql(`SELECT generation FROM calendar_feeds WHERE user_id = ${r.id}`).trim(), '81');
  const feed = (await r.json('/api/v1/me/calendar')).body.url;
  const res = await stack.fetch(new URL(feed).pathname);
  assert.equal(res.status, 200);
});

test('the route tables are read from the code', () => {
  const routes = routesFromCode();
  // HOSTILE_LIST=1 shows what the sweep sees
  if (process.env.HOSTILE_LIST) {
    for (const r of routes) console.log(r.method, r.api, r.page, r.access, r.fields.map((f) => `${f.name}:${f.type}${f.query ? '?' : ''}`).join(' '));
  }
  const has = (method, api) => routes.some((r) => r.method === method && r.api === api);
  assert.ok(routes.length > 120, `only ${routes.length} routes found`);
  for (const [method, api] of [['POST', '/session'], ['POST', '/tickets'], ['PATCH', '/board/{post_id}'],
    ['PUT', '/documents/{id}/file'], ['POST', '/appointments'], ['POST', '/join/{token}'], ['GET', '/example/items']]) {
    assert.ok(has(method, api), `${method} ${api}`);
  }
  const tickets = routes.find((r) => r.method === 'POST' && r.api === '/tickets');
  assert.ok(tickets.fields.some((f) => f.name === 'description'), 'inputs expanded from a macro');
});

test('every route survives hostile input: no 5xx, no crash, no hang, nothing half written', { timeout: 600000 }, async () => {
  const started = Date.now();
  for (const [what, id] of Object.entries(ctx.own)) assert.ok(id, `no ${what} of the caller's organisation to sweep with`);
  // HOSTILE_ONLY=REGEX sweeps only the routes whose paths match (to look into a finding)
  const only = process.env.HOSTILE_ONLY ? new RegExp(process.env.HOSTILE_ONLY) : null;
  const routes = routesFromCode().sort((a, b) => order(a) - order(b))
    .filter((r) => !only || only.test(`${r.method} ${r.api} ${r.page}`));
  const anonymous = new Client(stack);
  const clients = { manager, resident, anonymous };
  const uploadsBefore = new Set(fs.readdirSync(path.join(stack.var, 'tmp')));
  let before;
  const halfWritten = [];

  for (const route of routes) {
    const endpoints = [];
    if (route.api) endpoints.push([`/api/v1${route.api}`, 'api']);
    if (route.page) endpoints.push([route.page, 'page']);
    const unsafe = route.method !== 'GET';
    for (const [pattern, kind] of endpoints) {
      for (const role of ['manager', 'resident', 'anonymous']) {
        const client = clients[role];
        const allowed = ROLE_OK[route.access]?.includes(role) ?? true;
        const jobs = [];
        const statuses = [];
        const go = (label, url, init) => jobs.push(async () => {
          const res = await send(client, url, init);
          statuses.push(res.status);
          check(route, role, label, res, url, init?.method || 'GET');
        });
        const headers = (type) => {
          const h = {};
          if (type) h['Content-Type'] = type;
          if (kind === 'api' && client.csrf) h['X-CSRF-Token'] = client.csrf;
          if (kind === 'page') h.Origin = stack.base;
          return h;
        };
        const hasParams = /\{\w+\}/.test(pattern);
        const own = fill(pattern, 'own');
        // the path's parameters: another organisation's object and malformed ids,
        // with an ordinary request
        if (hasParams) {
          for (const which of sample(['foreign', ...MALFORMED_IDS], allowed ? 6 : 3)) {
            const url = fill(pattern, which);
            if (unsafe) go(`path ${which}`, url, { method: route.method, headers: headers(kind === 'api' ? 'application/json' : 'application/x-www-form-urlencoded'), body: kind === 'api' ? '{}' : `csrf_token=${encodeURIComponent(client.csrf || '')}` });
            else go(`path ${which}`, url);
          }
        }
        if (!unsafe) {
          for (const q of sample(queries(route, allowed ? 5 : 1), allowed ? 60 : 4)) go(`query ${q.slice(0, 40)}`, own + q);
        } else if (kind === 'api') {
          const bodies = [...apiBodies(route), ...fieldBodies(route, 0)];
          for (const [label, type, body] of allowed ? bodies : sample(bodies, 4)) go(label, own, { method: route.method, headers: headers(type), body });
          if (allowed) for (const [label, type, body] of fileBodies(route, pattern, client, kind)) go(label, own, { method: route.method, headers: headers(type), body });
        } else {
          const bodies = [...formBodies(route, client, role === 'manager' ? 9 : 4), ...MULTIPART_BODIES];
          if (allowed) bodies.push(...fileBodies(route, pattern, client, kind));
          for (const [label, type, body] of allowed ? bodies : sample(bodies, 3)) go(label, own, { method: route.method, headers: headers(type), body });
        }
        if (unsafe && role === 'manager') before = fingerprint();
        // hostile headers, signed out: the session cookie, the language, the
        // CSRF token and the origin are read before any route's check
        if (role === 'anonymous') {
          for (const [label, h] of sample(HOSTILE_HEADERS, 3)) {
            go(`header ${label}`, own, unsafe ? { method: route.method, headers: { ...h, 'Content-Type': 'application/json' }, body: '{}' } : { headers: h });
          }
        }
        await pool(jobs);
        // the same ordinary request several times at once, as a double click
        // or a retrying client sends it: one may win, none may fail
        if (unsafe && allowed) {
          const body = kind === 'api' ? jsonWith(route, '_', 'null') : `csrf_token=${encodeURIComponent(client.csrf || '')}`;
          const type = kind === 'api' ? 'application/json' : 'application/x-www-form-urlencoded';
          for (let round = 0; round < AT_ONCE_ROUNDS; round++) {
            await Promise.all(Array.from({ length: 4 }, async () => {
              const res = await send(client, own, { method: route.method, headers: headers(type), body });
              statuses.push(res.status);
              check(route, role, 'at once', res, own, route.method);
            }));
          }
        }
        if (role !== 'anonymous') await keepSignedIn(client);
        // a request that was refused wrote nothing: checked where every
        // answer of the batch was a refusal
        if (unsafe && role === 'manager') {
          const now = fingerprint();
          if (statuses.every((s) => typeof s === 'number' && s >= 400 && s !== 429)) {
            for (const [table, sum] of now) {
              if (before.get(table) !== sum) halfWritten.push(`${route.method} ${pattern}: ${table} changed although every answer was 4xx`);
            }
          }
        }
      }
    }
    // a signed-out client may have been given a session by a swept sign-in
    anonymous.cookie = '';
    anonymous.csrf = '';
  }

  const leftovers = fs.readdirSync(path.join(stack.var, 'tmp')).filter((f) => !uploadsBefore.has(f) && f.startsWith('upload-'));
  const log = stack.log();
  const badLines = log.split('\n').filter((l) => / 5\d\d \d+ms worker=/.test(l)
    || /killed by signal|exited with status|exceeded request_timeout|AddressSanitizer|LeakSanitizer|runtime error:/.test(l));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`hostile sweep: ${routes.length} routes, ${sent} requests in ${seconds} s (HOSTILE_SEED=${seed})`);
  for (const line of [...findings, ...badLines, ...halfWritten, ...leftovers]) console.log(line);
  // the pool's own lines (not those of requests) tell why, when something failed
  if (findings.length || badLines.length) {
    console.log(log.split('\n').filter((l) => !/ (GET|HEAD|POST|PUT|PATCH|DELETE) \//.test(l) && !/outbox: mail/.test(l)).slice(-40).join('\n'));
  }
  assert.deepEqual(findings, [], 'answers of 5xx, hangs or errors out of shape');
  assert.deepEqual(badLines, [], 'the pool logged a 5xx or a crash');
  assert.deepEqual(halfWritten, [], 'a refused request wrote something');
  assert.deepEqual(leftovers, [], 'temporary upload files remain');
});
