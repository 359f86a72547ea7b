// The sign-up through a property's invite link (plugins/invites/join.c), and
// what it leads to in the core: GET /api/v1/me with memberships, the residents'
// portal with several properties, and the waiting notice of a pending sign-up.
//
// The stack runs the plugins example, invites and the test plugin "joined"
// (tests/plugins/joined.c), which logs every "resident.joined" event, through a
// plugin folder of this stack's and a rewritten portal.conf (as pool.test.mjs).
// Links come from GET /api/v1/properties/{id}/invite when link.c answers it;
// otherwise a row with a known token is written into invite_links.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startStack } from './stack.mjs';
import { Client, newManager, newProperty } from './client.mjs';

const PASSWORD = 'Ein langer Satz als Passwort';
let stack, m, other;
let counter = 0;

function unique(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${crypto.randomBytes(3).toString('hex')}@example.org`;
}

// One request over node:http, so that a test can choose the client's address
// (127.0.0.2 reaches nginx on 127.0.0.1 as another client). A plain object
// body is sent as JSON, a URLSearchParams as a form.
function request(method, path, { body, headers = {}, localAddress, cookie } = {}) {
  let data;
  const h = { ...headers };
  if (body instanceof URLSearchParams) {
    data = body.toString();
    h['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (body !== undefined) {
    data = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  if (data !== undefined) h['Content-Length'] = Buffer.byteLength(data);
  if (cookie) h.Cookie = cookie;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: stack.port, method, path, headers: h, localAddress },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const type = res.headers['content-type'] || '';
          const set = res.headers['set-cookie'];
          resolve({
            status: res.status ?? res.statusCode,
            headers: res.headers,
            text,
            body: type.startsWith('application/json') && text ? JSON.parse(text) : null,
            cookie: set ? set[0].split(';')[0] : null,
          });
        });
      },
    );
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

const join = (token, body, opts = {}) => request('POST', `/api/v1/join/${token}`, { body, ...opts });

// A signed-in client from a sign-up's answer.
function clientOf(res) {
  assert.ok(res.cookie, 'a session cookie');
  return new Client(stack, res.cookie, res.body?.csrf_token || '');
}

const tokenHash = (token) => crypto.createHash('sha256').update(token).digest('hex');

// The property's live link token: from link.c's API when it answers, else a
// row with a token of our own (the derived one needs the secret key).
const linkSources = new Set();
async function linkToken(manager, propertyId) {
  const res = await manager.json(`/api/v1/properties/${propertyId}/invite`);
  if (res.status === 200 && res.body?.url) {
    linkSources.add('link.c');
    return /\/join\/([^/?#]+)$/.exec(res.body.url)[1];
  }
  linkSources.add('SQL');
  const token = crypto.randomBytes(32).toString('base64url');
  stack.sql(
    `INSERT INTO invite_links (property_id, org_id, generation, token_hash, approval_required, created_at)
     VALUES (${propertyId}, ${manager.user.org_id}, 1, UNHEX('${tokenHash(token)}'), 0, UTC_TIMESTAMP())
     ON DUPLICATE KEY UPDATE generation = generation + 1, token_hash = VALUES(token_hash)`,
  );
  return token;
}

// "Link erneuern": link.c's route when it answers, else a new hash in SQL.
async function rotate(manager, propertyId) {
  const res = await manager.json(`/api/v1/properties/${propertyId}/invite/rotate`, { method: 'POST', body: {} });
  if (res.status === 200 && res.body?.url) return /\/join\/([^/?#]+)$/.exec(res.body.url)[1];
  const token = crypto.randomBytes(32).toString('base64url');
  stack.sql(`UPDATE invite_links SET generation = generation + 1, token_hash = UNHEX('${tokenHash(token)}') WHERE property_id = ${propertyId}`);
  return token;
}

async function setApproval(manager, propertyId, on) {
  const res = await manager.json(`/api/v1/properties/${propertyId}/invite`, { method: 'PATCH', body: { approval_required: on } });
  if (res.status !== 200) stack.sql(`UPDATE invite_links SET approval_required = ${on ? 1 : 0} WHERE property_id = ${propertyId}`);
  assert.equal(stack.sql(`SELECT approval_required FROM invite_links WHERE property_id = ${propertyId}`).trim(), on ? '1' : '0');
}

// Accepting is residents.c's; SQL stands in while that route is not there.
async function accept(manager, propertyId, userId) {
  const res = await manager.json(`/api/v1/properties/${propertyId}/residents/${userId}/accept`, { method: 'POST', body: {} });
  if (res.status !== 200) stack.sql(`UPDATE memberships SET state = 'active' WHERE property_id = ${propertyId} AND user_id = ${userId}`);
}

// Marks the account's address confirmed, as its owner following the mailed
// link would (confirm.test.mjs tests that link).
const confirmBySql = (userId) => stack.sql(`UPDATE users SET email_confirmed_at = UTC_TIMESTAMP() WHERE id = ${userId}`);

const joinedLines = () => stack.log().split('\n').filter((l) => / joined user \d+ property \d+/.test(l));

function expectError(res, status, code, field) {
  assert.equal(res.status, status, `${res.status} ${res.text}`);
  assert.equal(res.body.error.code, code);
  if (field !== undefined) assert.equal(res.body.error.field, field);
}

before(async () => {
  stack = await startStack({ plugins: 'example invites', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  const { pluginDir, shareDir } = stack.testPlugins(['joined'], ['example', 'invites']);
  // Generous limits for every test but the one about them, which sets its own.
  stack.setConf({ plugin_dir: pluginDir, plugin_share: shareDir, plugins: 'example invites joined', 'invites.join_max_per_address': 100000, 'invites.join_max_per_email': 100000 });
  await stack.reload();
  m = await newManager(stack);
  other = await newManager(stack);
});
after(async () => {
  await stack?.stop();
});

test('GET /join/{token}: the property and the organisation, nothing more; the page is branded', async () => {
  const p = await newProperty(m, 'Lindenhof <b>3</b>');
  const token = await linkToken(m, p.id);
  const res = await request('GET', `/api/v1/join/${token}`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    property: { id: p.id, name: 'Lindenhof <b>3</b>' },
    org: { name: m.org, brand_color: '#1f5fa8', logo_url: null },
  });
  assert.equal(res.cookie, null, 'opening the link signs nobody in');

  const page = await request('GET', `/join/${token}`);
  assert.equal(page.status, 200);
  const html = page.text;
  assert.match(html, new RegExp(`href="/brand/${m.user.org_id}\\.css"`), 'in the organisation\'s colours');
  assert.ok(html.includes('Lindenhof &lt;b&gt;3&lt;/b&gt;'), 'the property named, as text');
  assert.ok(!html.includes('<b>3</b>'));
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(html, new RegExp(`<form method="post" action="/join/${token}">`));
  for (const name of ['display_name', 'email', 'password', 'group']) assert.match(html, new RegExp(`name="${name}"`));
  for (const label of ['Bewohner', 'Mieter', 'Eigentümer']) assert.match(html, new RegExp(`>${label}<`));
  assert.match(html, /value="resident" checked/);
  assert.match(html, /Datenschutz/);
  assert.match(html, /nie Ihre E-Mail-Adresse/);
  assert.match(html, /Sie haben schon ein Konto\?/);
  assert.match(html, /name="existing" value="1"/);
  assert.doesNotMatch(html, /action="\/logout"/);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE org_id = ${m.user.org_id}`).trim(), '1', 'GET creates nothing');
});

test('sign-up: 201, signed in as a resident of the organisation, the event in its transaction', async () => {
  const p = await newProperty(m, 'Gartenweg 1');
  const token = await linkToken(m, p.id);
  const email = unique('Neu');
  const before = joinedLines().length;
  const res = await join(token, {
    display_name: '  Nora Neumann  ', email, password: PASSWORD, group: 'tenant',
    role: 'manager', admin: true, org_id: other.user.org_id, state: 'active',
  });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(Object.keys(res.body).sort(), ['csrf_token', 'membership', 'user']);
  assert.equal(res.body.user.name, 'Nora Neumann', 'trimmed');
  assert.equal(res.body.user.role, 'resident');
  assert.equal(res.body.user.admin, false);
  assert.equal(res.body.user.org_id, m.user.org_id, 'org_id of the body ignored');
  assert.deepEqual(res.body.membership, { property: { id: p.id, name: 'Gartenweg 1' }, group: 'tenant', state: 'active' });
  assert.equal(stack.sql(`SELECT email FROM users WHERE id = ${res.body.user.id}`).trim(), email.toLowerCase());

  const r = clientOf(res);
  const me = await r.json('/api/v1/me');
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, {
    user: res.body.user,
    memberships: [{ property: { id: p.id, name: 'Gartenweg 1' }, group: 'tenant', state: 'active' }],
  });
  assert.equal((await r.json(`/api/v1/properties/${p.id}`)).status, 200);
  const portal = await r.fetch('/portal');
  assert.equal(portal.status, 200);
  assert.match(await portal.text(), /Gartenweg 1/);
  // The manager's /me lists no memberships.
  assert.deepEqual((await m.json('/api/v1/me')).body.memberships, []);

  const lines = joinedLines().slice(before);
  assert.equal(lines.length, 1, 'one event');
  assert.match(lines[0], new RegExp(`joined user ${res.body.user.id} property ${p.id} state active group tenant`));

  // No group: resident.
  const plain = await join(token, { display_name: 'Paul', email: unique('paul'), password: PASSWORD });
  assert.equal(plain.status, 201);
  assert.equal(plain.body.membership.group, 'resident');
});

test('an existing account joins another property with its password; a wrong one is 401', async () => {
  const a = await newProperty(m, 'Haus A');
  const b = await newProperty(m, 'Haus B');
  const [ta, tb] = [await linkToken(m, a.id), await linkToken(m, b.id)];
  const email = unique('zwei');
  const first = await join(ta, { display_name: 'Zora Zwei', email, password: PASSWORD, group: 'owner' });
  assert.equal(first.status, 201);
  const userId = first.body.user.id;
  // A confirmed address: an unconfirmed one is taken over by a sign-up with
  // another password (confirm.test.mjs).
  confirmBySql(userId);

  const wrong = await join(tb, { display_name: 'Zora Zwei', email, password: 'Falsches Passwort 1' });
  expectError(wrong, 401, 'unauthenticated');
  assert.equal(wrong.cookie, null);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM memberships WHERE user_id = ${userId}`).trim(), '1', 'nothing added');

  const events = joinedLines().length;
  // Any case of the email; the display name sent does not rename the account.
  const second = await join(tb, { display_name: 'Anders', email: email.toUpperCase(), password: PASSWORD, group: 'tenant' });
  assert.equal(second.status, 201, second.text);
  assert.equal(second.body.user.id, userId, 'the same account');
  assert.equal(second.body.user.name, 'Zora Zwei');
  assert.deepEqual(second.body.membership, { property: { id: b.id, name: 'Haus B' }, group: 'tenant', state: 'active' });
  assert.equal(joinedLines().length, events + 1);
  const me = await clientOf(second).json('/api/v1/me');
  assert.deepEqual(me.body.memberships, [
    { property: { id: a.id, name: 'Haus A' }, group: 'owner', state: 'active' },
    { property: { id: b.id, name: 'Haus B' }, group: 'tenant', state: 'active' },
  ]);

  // A member already: 201 with the membership as it is, and no second event.
  const again = await join(ta, { display_name: 'x', email, password: PASSWORD, group: 'resident' });
  assert.equal(again.status, 201);
  assert.deepEqual(again.body.membership, { property: { id: a.id, name: 'Haus A' }, group: 'owner', state: 'active' });
  assert.equal(joinedLines().length, events + 1);

  // The form for existing accounts asks no name, and never makes an account.
  const c = await newProperty(m, 'Haus C');
  const tc = await linkToken(m, c.id);
  const existing = await join(tc, { existing: true, email, password: PASSWORD });
  assert.equal(existing.status, 201, existing.text);
  assert.equal(existing.body.user.id, userId);
  const nobody = unique('niemand');
  expectError(await join(tc, { existing: true, email: nobody, password: PASSWORD }), 401, 'unauthenticated');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${nobody}'`).trim(), '0');
});

test('managers and other organisations\' residents cannot join; strangers see 401 for every known email', async () => {
  const p = await newProperty(m, 'Fremdenweg 2');
  const token = await linkToken(m, p.id);
  const op = await newProperty(other, 'Andere Verwaltung 1');
  const otherResident = await join(await linkToken(other, op.id), { display_name: 'Olga', email: unique('olga'), password: PASSWORD });
  assert.equal(otherResident.status, 201);
  const olga = otherResident.body.user;
  const olgaEmail = stack.sql(`SELECT email FROM users WHERE id = ${olga.id}`).trim();
  confirmBySql(olga.id); // an unconfirmed address would be taken over instead

  for (const email of [m.email, other.email, olgaEmail]) {
    expectError(await join(token, { display_name: 'X', email, password: 'Geraten und falsch' }), 401, 'unauthenticated');
  }
  for (const [email, password] of [[m.email, m.password], [other.email, other.password], [olgaEmail, PASSWORD]]) {
    for (const body of [{ display_name: 'X', email, password }, { existing: true, email, password }]) {
      const res = await join(token, body);
      expectError(res, 409, 'conflict');
      assert.match(res.body.error.message, /Verwaltung|Mitarbeiter/, JSON.stringify(body));
      assert.equal(res.cookie, null, 'not signed in');
    }
    const page = await request('POST', `/join/${token}`, { body: new URLSearchParams({ existing: '1', email, password }) });
    assert.equal(page.status, 409);
    assert.match(page.text, /anderen Verwaltung/);
  }
  assert.equal(stack.sql(`SELECT COUNT(*) FROM memberships WHERE property_id = ${p.id}`).trim(), '0');
  assert.equal(stack.sql(`SELECT org_id FROM users WHERE id = ${olga.id}`).trim(), String(other.user.org_id));
});

test('a display name with markup is text everywhere', async (t) => {
  const p = await newProperty(m, 'Markupstraße 5');
  const token = await linkToken(m, p.id);
  const name = '<img src=x onerror=alert(1)>Anna & "Bob" <script>x</script>';
  const res = await join(token, { display_name: name, email: unique('markup'), password: PASSWORD });
  assert.equal(res.status, 201);
  assert.equal(res.body.user.name, name);
  const r = clientOf(res);
  assert.equal((await r.json('/api/v1/me')).body.user.name, name);
  const html = await (await r.fetch('/portal')).text();
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;Anna &amp; &quot;Bob&quot; &lt;script&gt;x&lt;/script&gt;'));
  assert.ok(!html.includes('<img src=x'));
  assert.ok(!html.includes('<script>x'));

  // The manager's views of the contacts are residents.c's: checked once they answer.
  const list = await m.json(`/api/v1/properties/${p.id}/residents`);
  t.diagnostic(`the contacts (residents.c) answered ${list.status}`);
  if (list.status === 200) {
    const item = list.body.items.find((i) => i.id === res.body.user.id);
    assert.equal(item.display_name, name);
    assert.ok(!JSON.stringify(list.body).includes('@example.org'), 'never an email');
    const page = await (await m.fetch(`/app/properties/${p.id}/residents`)).text();
    assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt;Anna &amp;'));
    assert.ok(!page.includes('<img src=x'));
  }
});

test('approval on: the sign-up waits, the property is 404 for it and /portal says only that it waits', async () => {
  const p = await newProperty(m, 'Wartehaus 7');
  const token = await linkToken(m, p.id);
  await setApproval(m, p.id, true);
  const before = joinedLines().length;
  const res = await join(token, { display_name: 'Wanda Wartend', email: unique('wartend'), password: PASSWORD, group: 'owner' });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(res.body.membership, { property: { id: p.id, name: 'Wartehaus 7' }, group: 'owner', state: 'pending' });
  assert.match(joinedLines().slice(before)[0], new RegExp(`joined user ${res.body.user.id} property ${p.id} state pending group owner`));
  const r = clientOf(res);
  assert.equal((await r.json(`/api/v1/properties/${p.id}`)).status, 404);
  assert.deepEqual((await r.json('/api/v1/properties')).body.items, []);
  assert.deepEqual((await r.json('/api/v1/me')).body.memberships, [
    { property: { id: p.id, name: 'Wartehaus 7' }, group: 'owner', state: 'pending' },
  ]);
  let html = await (await r.fetch('/portal')).text();
  assert.match(html, /wartet auf Bestätigung/);
  assert.doesNotMatch(html, /id="property-\d+"/, 'no property card');
  assert.doesNotMatch(html, /Noch ist es ruhig hier/, 'nothing else');

  await accept(m, p.id, res.body.user.id);
  assert.equal((await r.json(`/api/v1/properties/${p.id}`)).status, 200);
  html = await (await r.fetch('/portal')).text();
  assert.match(html, new RegExp(`id="property-${p.id}"`));
  assert.doesNotMatch(html, /wartet auf Bestätigung/);
  await setApproval(m, p.id, false);
});

test('several properties: all in the portal, ?property= chooses the first, pending ones named', async () => {
  const names = ['Allee 1', 'Bergstraße 2', 'Chaussee 3'];
  const ps = [];
  for (const n of names) ps.push(await newProperty(m, n));
  const email = unique('viele');
  const first = await join(await linkToken(m, ps[0].id), { display_name: 'Vera Viele', email, password: PASSWORD });
  assert.equal(first.status, 201);
  const r = clientOf(first);
  let html = await (await r.fetch('/portal')).text();
  assert.doesNotMatch(html, /class="property-switcher"/, 'nothing to switch with one property');
  assert.equal((await join(await linkToken(m, ps[1].id), { display_name: 'x', email, password: PASSWORD })).status, 201);
  await setApproval(m, ps[2].id, true);
  const third = await join(await linkToken(m, ps[2].id), { display_name: 'x', email, password: PASSWORD });
  assert.equal(third.body.membership.state, 'pending');

  const home = new Client(stack, third.cookie);
  html = await (await home.fetch('/portal')).text();
  const cards = [...html.matchAll(/id="property-(\d+)"/g)].map((x) => Number(x[1]));
  assert.deepEqual(cards, [ps[0].id, ps[1].id], 'both active ones, by name; not the pending one');
  assert.match(html, new RegExp(`<a class="property-switcher__link" href="/portal\\?property=${ps[0].id}" aria-current="page">Allee 1</a>`));
  assert.match(html, new RegExp(`<a class="property-switcher__link" href="/portal\\?property=${ps[1].id}">Bergstraße 2</a>`));
  assert.match(html, /Chaussee 3: wartet auf Bestätigung/);

  html = await (await home.fetch(`/portal?property=${ps[1].id}`)).text();
  assert.deepEqual([...html.matchAll(/id="property-(\d+)"/g)].map((x) => Number(x[1])), [ps[1].id, ps[0].id]);
  assert.match(html, new RegExp(`href="/portal\\?property=${ps[1].id}" aria-current="page"`));
  // Someone else's or a pending property, or garbage: the usual order, no error.
  for (const q of [ps[2].id, 999999999, 'abc', '-1']) {
    const res = await home.fetch(`/portal?property=${q}`);
    assert.equal(res.status, 200);
    assert.deepEqual([...(await res.text()).matchAll(/id="property-(\d+)"/g)].map((x) => Number(x[1])), [ps[0].id, ps[1].id]);
  }
  await setApproval(m, ps[2].id, false);
});

test('dead links: unknown, rotated, of a deleted property: 404 on GET and POST, a friendly page', async () => {
  const p = await newProperty(m, 'Rotationsweg 9');
  const old = await linkToken(m, p.id);
  const body = { display_name: 'Tot', email: unique('tot'), password: PASSWORD };
  for (const t of ['kurz', crypto.randomBytes(32).toString('base64url'), 'x'.repeat(43)]) {
    expectError(await request('GET', `/api/v1/join/${t}`), 404, 'not_found');
    expectError(await join(t, body), 404, 'not_found');
  }
  const fresh = await rotate(m, p.id);
  assert.notEqual(fresh, old);
  expectError(await request('GET', `/api/v1/join/${old}`), 404, 'not_found');
  expectError(await join(old, body), 404, 'not_found');
  const page = await request('GET', `/join/${old}`);
  assert.equal(page.status, 404);
  assert.match(page.headers['content-type'], /text\/html/);
  assert.match(page.text, /Einladungslink ist nicht mehr gültig/);
  assert.match(page.text, /Hausverwaltung nach einem neuen Link/);
  const posted = await request('POST', `/join/${old}`, { body: new URLSearchParams(body) });
  assert.equal(posted.status, 404);
  assert.match(posted.text, /nicht mehr gültig/);
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${body.email}'`).trim(), '0');

  assert.equal((await request('GET', `/api/v1/join/${fresh}`)).status, 200);
  assert.equal((await m.json(`/api/v1/properties/${p.id}`, { method: 'DELETE' })).status, 204);
  expectError(await request('GET', `/api/v1/join/${fresh}`), 404, 'not_found');
  expectError(await join(fresh, body), 404, 'not_found');
});

test('422 for each field, with the field; the page shows the form again without the password', async () => {
  const p = await newProperty(m, 'Prüfweg 4');
  const token = await linkToken(m, p.id);
  const ok = { display_name: 'Vali Dierung', email: unique('valid'), password: PASSWORD, group: 'owner' };
  const cases = [
    [{ display_name: '' }, 'display_name'],
    [{ display_name: '   ' }, 'display_name'],
    [{ display_name: 'x'.repeat(101) }, 'display_name'],
    [{ display_name: 'Zeile\nzwei' }, 'display_name'],
    [{ display_name: 42 }, 'display_name'],
    [{ display_name: undefined }, 'display_name'],
    [{ email: 'kein-at.example.org' }, 'email'],
    [{ email: 'a@b' }, 'email'],
    [{ email: 'x@example.org, y@example.org' }, 'email'],
    [{ email: 'a@exämple.org' }, 'email'],
    [{ email: '' }, 'email'],
    [{ password: 'kurz' }, 'password'],
    [{ password: '123456789' }, 'password'],
    [{ password: 'x'.repeat(1025) }, 'password'],
    [{ password: undefined }, 'password'],
    [{ group: 'manager' }, 'group'],
    [{ group: 'Mieter' }, 'group'],
    [{ group: 1 }, 'group'],
  ];
  for (const [change, field] of cases) {
    const res = await join(token, { ...ok, ...change });
    expectError(res, 422, 'validation', field);
    assert.ok(res.body.error.message.length > 0);
  }
  // The boundaries pass: 100 characters (umlauts count once), 10-character password.
  const edge = await join(token, { ...ok, display_name: 'ä'.repeat(100), password: '0123456789' });
  assert.equal(edge.status, 201, edge.text);
  const long = await join(token, { ...ok, email: unique('lang'), password: 'p'.repeat(1024) });
  assert.equal(long.status, 201, 'a long password is not truncated ...');
  const truncated = await join(token, { existing: true, email: stack.sql(`SELECT email FROM users WHERE id = ${long.body.user.id}`).trim(), password: 'p'.repeat(1023) });
  assert.equal(truncated.status, 401, '... so a prefix of it is wrong');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${ok.email}'`).trim(), '1');

  const page = await request('POST', `/join/${token}`, {
    body: new URLSearchParams({ display_name: 'Seite <i>', email: 'falsch', password: 'Geheimnis-123456', group: 'tenant' }),
  });
  assert.equal(page.status, 422);
  assert.match(page.text, /role="alert"/);
  assert.match(page.text, /gültige E-Mail-Adresse/);
  assert.match(page.text, /name="email"[^>]*value="falsch" aria-invalid="true"/);
  assert.ok(page.text.includes('value="Seite &lt;i&gt;"'), 'the name typed, as text');
  assert.match(page.text, /value="tenant" checked/);
  assert.ok(!page.text.includes('Geheimnis-123456'), 'never the password');
  assert.match(page.text, new RegExp(`href="/brand/${m.user.org_id}\\.css"`), 'still branded');
});

test('the page: a sign-up lands in the portal; a wrong password shows the form again; pending waits', async () => {
  const p = await newProperty(m, 'Seitenweg 8');
  const token = await linkToken(m, p.id);
  const email = unique('seite');
  const res = await request('POST', `/join/${token}`, {
    body: new URLSearchParams({ display_name: 'Sina Seite', email, password: PASSWORD, group: 'owner' }),
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.location, `/portal?property=${p.id}`);
  assert.ok(res.cookie);
  const portal = await request('GET', res.headers.location, { cookie: res.cookie });
  assert.equal(portal.status, 200);
  assert.match(portal.text, /Willkommen, Sina Seite/);
  assert.match(portal.text, /Seitenweg 8/);

  const wrong = await request('POST', `/join/${token}`, {
    body: new URLSearchParams({ existing: '1', email, password: 'Nicht mein Passwort' }),
  });
  assert.equal(wrong.status, 422, 'the form again, as on /login');
  assert.equal(wrong.cookie, null);
  assert.match(wrong.text, /<details open>/);
  assert.match(wrong.text, /id="join-existing-error" role="alert"/);
  assert.match(wrong.text, /E-Mail-Adresse oder Passwort ist falsch/);
  assert.ok(wrong.text.includes(`value="${email}"`));
  assert.ok(!wrong.text.includes('Nicht mein Passwort'));

  await setApproval(m, p.id, true);
  const q = await newProperty(m, 'Seitenweg 10');
  await setApproval(m, q.id, true);
  const waiting = await request('POST', `/join/${await linkToken(m, q.id)}`, {
    body: new URLSearchParams({ display_name: 'Wim', email: unique('wim'), password: PASSWORD }),
  });
  assert.equal(waiting.status, 303);
  assert.equal(waiting.headers.location, '/portal');
  const home = await request('GET', '/portal', { cookie: waiting.cookie });
  assert.match(home.text, /Ihre Anmeldung wartet auf Bestätigung/);
  assert.match(home.text, /Seitenweg 10: <span[^>]*>wartet auf Bestätigung/);
  await setApproval(m, p.id, false);
  await setApproval(m, q.id, false);
});

test('a foreign Origin is refused; twenty parallel sign-ups of one email make one account', async () => {
  const p = await newProperty(m, 'Parallelweg 20');
  const token = await linkToken(m, p.id);
  const email = unique('parallel');
  const body = { display_name: 'Pia', email, password: PASSWORD };
  expectError(await join(token, body, { headers: { Origin: 'https://evil.example' } }), 403, 'csrf');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${email}'`).trim(), '0');

  const before = joinedLines().length;
  const results = await Promise.all(Array.from({ length: 20 }, () => join(token, body)));
  assert.deepEqual([...new Set(results.map((r) => r.status))], [201], results.map((r) => r.status).join(' '));
  assert.equal(new Set(results.map((r) => r.body.user.id)).size, 1, 'one account');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${email}'`).trim(), '1');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM memberships WHERE property_id = ${p.id}`).trim(), '1');
  assert.equal(joinedLines().length, before + 1, 'one event');
});

// Each sign-up holds the link's property until it commits, and its
// membership counts the resident on the property's row: held shared, two
// sign-ups at one instant each waited for the other, and one was refused
// (503, a deadlock).
test('twenty people signing up through one link at the same instant all join, each counted', async () => {
  const p = await newProperty(m, 'Andrangweg 20');
  const token = await linkToken(m, p.id);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    join(token, { display_name: `Person ${i}`, email: unique('andrang'), password: PASSWORD })));
  assert.deepEqual(results.map((r) => r.status), results.map(() => 201), results.map((r) => r.text).join(' '));
  assert.equal(Number((await m.json(`/api/v1/properties/${p.id}`)).body.residents_count), 20);
});

test('a wrong pair answers the same, in body and about in time, whether or not the account exists', async () => {
  // Not a benchmark: every path runs argon2id once (a new account hashes, a
  // known one verifies, an unknown one verifies against the dummy hash).
  const p = await newProperty(m, 'Zeitweg 1');
  const token = await linkToken(m, p.id);
  const known = unique('zeit');
  assert.equal((await join(token, { display_name: 'Zeno', email: known, password: PASSWORD })).status, 201);
  const time = async (body, status) => {
    const start = process.hrtime.bigint();
    const res = await join(token, body);
    assert.equal(res.status, status, res.text);
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, text: res.text };
  };
  const median = (xs) => xs.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const k = [];
  const u = [];
  const fresh = [];
  for (let i = 0; i < 5; i++) {
    k.push(await time({ existing: true, email: known, password: `nicht das Passwort ${i}` }, 401));
    u.push(await time({ existing: true, email: unique('nobody'), password: `nicht das Passwort ${i}` }, 401));
    fresh.push(await time({ display_name: 'Neu', email: unique('frisch'), password: PASSWORD }, 201));
  }
  assert.equal(new Set([...k, ...u].map((x) => x.text)).size, 1, 'one body for all wrong pairs');
  const [mk, mu, mf] = [median(k), median(u), median(fresh)];
  assert.ok(mu > mk * 0.5 && mk > mu * 0.5, `known ${mk} ms, unknown ${mu} ms`);
  assert.ok(mf > mk * 0.5 && mk > mf * 0.5, `known ${mk} ms, new account ${mf} ms`);
});

test('wrong passwords here count as failed sign-ins, and the sign-in lock holds here too', async () => {
  const p = await newProperty(m, 'Schlossallee 5');
  const token = await linkToken(m, p.id);
  const email = unique('schloss');
  assert.equal((await join(token, { display_name: 'Sam', email, password: PASSWORD })).status, 201);
  for (let i = 0; i < 5; i++) {
    expectError(await join(token, { existing: true, email, password: `geraten ${i} ${i}` }), 401, 'unauthenticated');
  }
  const signIn = await request('POST', '/api/v1/session', { body: { email, password: PASSWORD } });
  expectError(signIn, 429, 'rate_limited');
  expectError(await join(token, { existing: true, email, password: PASSWORD }), 429, 'rate_limited');
  assert.equal(stack.portalctl('throttle', 'reset', '--email', email).status, 0);
  assert.equal((await join(token, { existing: true, email, password: PASSWORD })).status, 201);
});

test('accented spellings (verwälter@, verwàlter@) are refused at the sign-up and count nothing; verwalter@ signs up', async () => {
  const p = await newProperty(m, 'Akzentweg 1');
  const token = await linkToken(m, p.id);
  const tag = `${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const counts = () => stack.sql('SELECT COUNT(*) FROM throttle_events').trim();
  const before = counts();
  for (const email of [`verwälter-${tag}@example.org`, `verwàlter-${tag}@example.org`]) {
    expectError(await join(token, { display_name: 'Vera', email, password: PASSWORD }), 422, 'validation', 'email');
    expectError(await join(token, { existing: true, email, password: PASSWORD }), 422, 'validation', 'email');
    const page = await request('POST', `/join/${token}`, {
      body: new URLSearchParams({ display_name: 'Vera', email, password: PASSWORD }),
      headers: { Origin: stack.base },
    });
    assert.equal(page.status, 422);
    assert.match(page.text, /aria-invalid="true"/);
  }
  assert.equal(counts(), before, 'a refused address counts nothing');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email LIKE 'verw%lter-${tag}@example.org'`).trim(), '0');
  assert.equal((await join(token, { display_name: 'Vera', email: `verwalter-${tag}@example.org`, password: PASSWORD })).status, 201);
});

test('an account stored with an accent: wrong passwords by any spelling count for it, and its reset clears them', async () => {
  const p = await newProperty(m, 'Altbau 2');
  const token = await linkToken(m, p.id);
  const email = unique('alt');
  const res = await join(token, { display_name: 'Alma', email, password: PASSWORD });
  assert.equal(res.status, 201);
  // An address kept from before the one address rule: the database's collation
  // finds the account by its plain spelling, too.
  stack.sql(`UPDATE users SET email = '${email.toLowerCase().replace(/^a/, 'ä')}' WHERE id = ${res.body.user.id}`);
  for (let i = 0; i < 5; i++) {
    expectError(await join(token, { existing: true, email, password: `geraten ${i} ${i}` }), 401, 'unauthenticated');
  }
  expectError(await join(token, { existing: true, email, password: PASSWORD }), 429, 'rate_limited');
  expectError(await request('POST', '/api/v1/session', { body: { email, password: PASSWORD } }), 429, 'rate_limited');
  const r = stack.portalctl('user', 'reset-password', email);
  assert.equal(r.status, 0, r.stderr);
  const reset = /\/password\/reset\/(\S+)/.exec(r.stdout)[1];
  const fresh = `${PASSWORD} neu`;
  assert.equal((await request('POST', '/api/v1/password/reset', { body: { token: reset, password: fresh } })).status, 200);
  assert.equal((await join(token, { existing: true, email, password: fresh })).status, 201);
});

test('throttling per address and per email: 429 with Retry-After, cleared by portalctl throttle reset', async () => {
  stack.setConf({ 'invites.join_max_per_address': 4, 'invites.join_max_per_email': 2, 'invites.join_window_seconds': 600 });
  await stack.reload();
  try {
    assert.equal(stack.portalctl('throttle', 'reset').status, 0);
    const p = await newProperty(m, 'Drosselgasse 1');
    const token = await linkToken(m, p.id);
    const email = unique('drossel');
    const attempt = (mail, localAddress) =>
      join(token, { display_name: 'Dora', email: mail, password: PASSWORD }, { localAddress });

    // Per email: the account's second attempt passes, the third waits, from any address.
    assert.equal((await attempt(email)).status, 201);
    assert.equal((await attempt(email)).status, 201);
    const limited = await attempt(email);
    expectError(limited, 429, 'rate_limited');
    const wait = Number(limited.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 600, `Retry-After ${limited.headers['retry-after']}`);
    expectError(await attempt(email.toUpperCase(), '127.0.0.2'), 429, 'rate_limited');
    // A wrong password while throttled: 429 too, the password is not even looked at.
    expectError(await join(token, { existing: true, email, password: 'Falsch falsch falsch' }), 429, 'rate_limited');

    // Per address: 127.0.0.1 has made 2 counted attempts (429s count nothing),
    // so two more pass and the fifth waits, while 127.0.0.2 is not limited.
    assert.equal((await attempt(unique('drei'))).status, 201);
    assert.equal((await attempt(unique('vier'))).status, 201);
    const byAddress = await attempt(unique('fuenf'));
    expectError(byAddress, 429, 'rate_limited');
    assert.ok(Number(byAddress.headers['retry-after']) >= 1);
    assert.equal((await attempt(unique('andere'), '127.0.0.2')).status, 201, 'another address');
    // Malformed input is refused before the limits and counts nothing.
    expectError(await join(token, { display_name: '', email: unique('x'), password: PASSWORD }), 422, 'validation');

    // portalctl clears by key, whatever the scope: the email ...
    const byEmail = stack.portalctl('throttle', 'reset', '--email', email);
    assert.equal(byEmail.status, 0, byEmail.stderr);
    assert.equal((await attempt(email, '127.0.0.2')).status, 201, 'the email may try again');
    expectError(await attempt(unique('sechs')), 429, 'rate_limited', undefined);
    // ... and the address.
    const byIp = stack.portalctl('throttle', 'reset', '--ip', '127.0.0.1');
    assert.equal(byIp.status, 0, byIp.stderr);
    assert.equal((await attempt(unique('sieben'))).status, 201, 'the address may try again');
    // Everything at once.
    for (let i = 0; i < 3; i++) await attempt(unique('acht'));
    expectError(await attempt(unique('neun')), 429, 'rate_limited');
    assert.equal(stack.portalctl('throttle', 'reset').status, 0);
    assert.equal((await attempt(unique('zehn'))).status, 201);
  } finally {
    stack.setConf({ 'invites.join_max_per_address': 100000, 'invites.join_max_per_email': 100000 });
    await stack.reload();
  }
});

test('tries of dead links count against the address: 404 until its limit, then 429, and a live link waits too', async () => {
  stack.setConf({ 'invites.join_max_per_address': 3, 'invites.join_window_seconds': 600 });
  await stack.reload();
  try {
    assert.equal(stack.portalctl('throttle', 'reset').status, 0);
    const p = await newProperty(m, 'Ratestraße 1');
    const token = await linkToken(m, p.id);
    const body = () => ({ display_name: 'Rita', email: unique('rate'), password: PASSWORD });
    const guesses = [crypto.randomBytes(32).toString('base64url'), 'kurz', crypto.randomBytes(32).toString('base64url')];
    for (const guess of guesses) expectError(await join(guess, body()), 404, 'not_found');
    const limited = await join(crypto.randomBytes(32).toString('base64url'), body());
    expectError(limited, 429, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1, `Retry-After ${limited.headers['retry-after']}`);
    // The page's form is the same route.
    assert.equal((await request('POST', `/join/${guesses[0]}`, { body: new URLSearchParams(body()) })).status, 429);
    expectError(await join(token, body()), 429, 'rate_limited', undefined);
    // Another address is not limited: its dead link is a 404, its live one a sign-up.
    expectError(await join(guesses[0], body(), { localAddress: '127.0.0.2' }), 404, 'not_found');
    assert.equal((await join(token, body(), { localAddress: '127.0.0.2' })).status, 201);
    // Reading a link (GET) counts nothing.
    assert.equal(stack.portalctl('throttle', 'reset', '--ip', '127.0.0.1').status, 0);
    for (let i = 0; i < 5; i++) expectError(await request('GET', `/api/v1/join/${guesses[0]}`), 404, 'not_found');
    assert.equal((await join(token, body())).status, 201);
  } finally {
    stack.setConf({ 'invites.join_max_per_address': 100000, 'invites.join_max_per_email': 100000 });
    await stack.reload();
  }
});

test('no request of this file failed inside the pool, nor any template', (t) => {
  t.diagnostic(`invite links came from: ${[...linkSources].join(', ')}`);
  const log = stack.log();
  assert.doesNotMatch(log, / 5\d\d \d+ms worker=/, 'a 5xx answer');
  assert.doesNotMatch(log, /template/i, 'a template failed');
});
