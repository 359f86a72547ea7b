// Signing in and out, activation, forgotten passwords, and what SECURITY.md
// promises about them ("Accounts and sessions"), over HTTP against the whole
// stack: the API under /api/v1 and the pages /login, /activate/{token},
// /password/forgot, /password/reset/{token} and /logout.
//
// Every request here comes from 127.0.0.1, so failures of one test count
// against the address for the next: each test starts with the throttling
// cleared (portalctl throttle reset), and nginx's own limit on /api/v1/session
// is raised for this stack so it never answers in our place.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startStack } from './stack.mjs';

let stack;
before(async () => {
  stack = await startStack({ env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
});
after(async () => { await stack?.stop(); });
beforeEach(() => { throttleReset(); });

const PASSWORD = 'korrekt Pferd Batterie Heftklammer';
let serial = 0;

function unique(prefix) {
  serial += 1;
  return `${prefix}-${process.pid}-${serial}-${crypto.randomBytes(3).toString('hex')}@example.org`;
}

function throttleReset() {
  const r = stack.portalctl('throttle', 'reset');
  assert.equal(r.status, 0, r.stderr);
}

// POST /api/v1/password/forgot from another client address (127.0.0.2 reaches
// nginx on 127.0.0.1 as another client): the status.
function forgotFrom(localAddress, email) {
  const body = JSON.stringify({ email });
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: stack.port, method: 'POST', path: '/api/v1/password/forgot', localAddress,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
}

// The throttling rows by scope, e.g. "login_email 2, login_ip 2" ("" for none).
function throttleCounts() {
  return stack.sql('SELECT scope, COUNT(*) FROM throttle_events GROUP BY scope ORDER BY scope')
    .trim().split('\n').filter(Boolean).map((l) => l.replace('\t', ' ')).join(', ');
}

// A quoted string for SQL built from values this file made itself.
function sqlQuote(s) {
  return `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

// The session cookie a response set: { value, attrs (lower-case), raw }.
function sessionCookie(res) {
  const all = res.headers.getSetCookie().filter((c) => /^session=/.test(c));
  const live = all.filter((c) => !/max-age=0/i.test(c));
  const raw = live[live.length - 1];
  if (!raw) return null;
  const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
  return { value: pair.slice('session='.length), attrs: attrs.map((a) => a.toLowerCase()), raw };
}

async function api(path, { method = 'GET', body, cookie, csrf, headers = {} } = {}) {
  const h = { ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (cookie) h.Cookie = `session=${cookie}`;
  if (csrf) h['X-CSRF-Token'] = csrf;
  return stack.fetch(`/api/v1${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
}

// A page's form as a browser sends it: urlencoded, with the stack's Origin.
async function postForm(path, fields, { cookie, headers = {} } = {}) {
  const h = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Origin: stack.base,
    ...headers,
  };
  if (cookie) h.Cookie = `session=${cookie}`;
  return stack.fetch(path, {
    method: 'POST',
    headers: h,
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

async function page(path, { cookie, headers = {} } = {}) {
  const h = { ...headers };
  if (cookie) h.Cookie = `session=${cookie}`;
  return stack.fetch(path, { headers: h, redirect: 'manual' });
}

async function expectError(res, status, code, field) {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  const body = await res.json();
  assert.equal(body.error.code, code);
  assert.ok(typeof body.error.message === 'string' && body.error.message.length > 0);
  if (field) assert.equal(body.error.field, field);
  return body;
}

// A new organisation through portalctl; its admin's activation token.
function createOrg(email = unique('admin')) {
  const r = stack.portalctl('org', 'create', '--name', `Verwaltung ${serial}`,
    '--admin-email', email);
  assert.equal(r.status, 0, r.stderr);
  const m = r.stdout.match(/^activation: (\S+)\/activate\/([A-Za-z0-9_-]+)$/m);
  assert.ok(m, `no activation URL in: ${r.stdout}`);
  assert.equal(m[1], stack.base);
  return { email, token: m[2] };
}

function tokenRow(token) {
  const hash = crypto.createHash('sha256').update(token).digest('hex');
  return stack.sql(`SELECT kind, used_at IS NULL, TIMESTAMPDIFF(SECOND, created_at, expires_at)
    FROM account_tokens WHERE token_hash = UNHEX('${hash}')`).trim().split('\t');
}

async function activate(token, password = PASSWORD, extra = {}) {
  return api('/activate', { method: 'POST', body: { token, password, ...extra } });
}

// An activated manager, signed in: { email, password, cookie, csrf, user }.
async function newManager(password = PASSWORD) {
  const { email, token } = createOrg();
  const res = await activate(token, password);
  assert.equal(res.status, 200);
  const body = await res.json();
  const cookie = sessionCookie(res).value;
  return { email, password, cookie, csrf: body.csrf_token, user: body.user };
}

async function signIn(email, password, opts = {}) {
  return api('/session', { method: 'POST', body: { email, password }, ...opts });
}

// The text of a mail's parts, quoted-printable undone.
function mailText(mail) {
  return mail.raw
    .replace(/\r\n/g, '\n')
    .replace(/=\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

test('a signed-out caller gets 401 from the signed-in routes', async () => {
  await expectError(await api('/session'), 401, 'unauthenticated');
  await expectError(await api('/me'), 401, 'unauthenticated');
  await expectError(await api('/session', { method: 'DELETE' }), 401, 'unauthenticated');
  // A cookie that names no session is no session.
  await expectError(await api('/me', { cookie: crypto.randomBytes(32).toString('base64url') }), 401,
    'unauthenticated');
});

test('activation: opening the link consumes nothing; weak passwords refused; one sign-in',
  async () => {
  const { email, token } = createOrg();
  // A mail scanner opening the link, twice.
  for (let i = 0; i < 2; i++) {
    const res = await page(`/activate/${token}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, new RegExp(`<form method="post" action="/activate/${token}">`));
    assert.match(html, /autocomplete="new-password"/);
    assert.ok(html.includes(email), 'the page names the account');
  }
  assert.deepEqual(tokenRow(token), ['activation', '1', String(7 * 86400)]);

  await expectError(await activate(token, 'kurz'), 422, 'validation', 'password');
  // Nine characters in eighteen bytes: characters count, not bytes.
  await expectError(await activate(token, 'äöüäöüäöü'), 422, 'validation', 'password');
  await expectError(await activate(token, 'x'.repeat(1025)), 422, 'validation', 'password');
  await expectError(await activate(token, null), 422, 'validation', 'password');
  await expectError(await api('/activate', { method: 'POST', body: { token } }), 422, 'validation',
    'password');
  await expectError(await activate(token, 12345678901), 422, 'validation', 'password');
  assert.equal(tokenRow(token)[1], '1', 'refused attempts leave the token usable');

  // role, org_id and admin are not the caller's to choose.
  const res = await activate(token, 'äöüäöüäöüä',
    { role: 'resident', org_id: 999999, admin: false });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.user.role, 'manager');
  assert.equal(body.user.admin, true);
  assert.notEqual(body.user.org_id, 999999);
  assert.equal(typeof body.user.id, 'number');
  assert.equal(typeof body.user.name, 'string');
  assert.match(body.csrf_token, /^[A-Za-z0-9_-]{43}$/);
  const cookie = sessionCookie(res);
  assert.ok(cookie, 'activation signs in');
  const me = await api('/session', { cookie: cookie.value });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).user.id, body.user.id);

  assert.equal(tokenRow(token)[1], '0');
  await expectError(await activate(token, PASSWORD), 404, 'not_found');
  assert.equal((await page(`/activate/${token}`)).status, 404);
  // The umlaut password is the password.
  assert.equal((await signIn(email, 'äöüäöüäöüä')).status, 200);
});

test('activation: unknown, malformed and expired tokens', async () => {
  await expectError(await activate(crypto.randomBytes(32).toString('base64url')), 404, 'not_found');
  await expectError(await activate('nonsense'), 404, 'not_found');
  await expectError(await api('/activate', { method: 'POST', body: { password: PASSWORD } }), 422,
    'validation', 'token');
  await expectError(await activate(null), 422, 'validation', 'token');
  await expectError(await activate(''), 422, 'validation', 'token');
  await expectError(await activate(42), 422, 'validation', 'token');
  await expectError(await activate('a'.repeat(500)), 422, 'validation', 'token');
  const unknown = crypto.randomBytes(32).toString('base64url');
  assert.equal((await page(`/activate/${unknown}`)).status, 404);

  const { email, token } = createOrg();
  stack.sql(`UPDATE account_tokens SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND
    WHERE user_id = (SELECT id FROM users WHERE email = ${sqlQuote(email)})`);
  assert.equal((await page(`/activate/${token}`)).status, 404);
  await expectError(await activate(token), 404, 'not_found');
  await expectError(await signIn(email, PASSWORD), 401, 'unauthenticated');
});

test('activation: twenty parallel redemptions make exactly one success', async () => {
  const { email, token } = createOrg();
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => activate(token, `${PASSWORD} ${i}`)),
  );
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, ...Array(19).fill(404)]);
  const winner = answers.findIndex((r) => r.status === 200);
  const sessions = stack.sql(`SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE u.email = ${sqlQuote(email)}`).trim();
  assert.equal(sessions, '1');
  // The password is the winner's, and nobody else's.
  assert.equal((await signIn(email, `${PASSWORD} ${winner}`)).status, 200);
  assert.equal((await signIn(email, `${PASSWORD} ${(winner + 1) % 20}`)).status, 401);
});

test('a non-admin employee cannot make themself admin while activating', async () => {
  const admin = await newManager();
  const email = unique('employee');
  const token = crypto.randomBytes(32).toString('base64url');
  stack.sql(`INSERT INTO users (org_id, role, email, name, admin, created_at)
    VALUES (${admin.user.org_id}, 'manager', ${sqlQuote(email)}, 'Erika', 0, UTC_TIMESTAMP());
    INSERT INTO account_tokens (token_hash, user_id, kind, expires_at, created_at)
    VALUES (UNHEX(SHA2(${sqlQuote(token)}, 256)), LAST_INSERT_ID(), 'activation',
    UTC_TIMESTAMP() + INTERVAL 1 DAY, UTC_TIMESTAMP())`);
  const res = await activate(token, PASSWORD, { admin: true, role: 'manager', org_id: 1 });
  assert.equal(res.status, 200);
  const { user } = await res.json();
  assert.equal(user.admin, false);
  assert.equal(user.org_id, admin.user.org_id);
  assert.equal(user.name, 'Erika');
});

test('sign in, GET /session and /me', async () => {
  const m = await newManager();
  const res = await signIn(m.email.toUpperCase(), m.password);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(Object.keys(body.user).sort(), ['admin', 'email_confirmed', 'id', 'name', 'org_id', 'role']);
  assert.equal(body.user.email_confirmed, true, 'the activation link came by mail');
  assert.deepEqual(body.user, m.user);
  const cookie = sessionCookie(res).value;

  const session = await api('/session', { cookie });
  assert.equal(session.status, 200);
  const s = await session.json();
  assert.deepEqual(s.user, m.user);
  assert.equal(s.csrf_token, body.csrf_token);

  const me = await api('/me', { cookie });
  assert.equal(me.status, 200);
  assert.deepEqual(await me.json(), { user: m.user, memberships: [] });

  // Fields a caller may not set change nothing at sign-in either.
  const again = await api('/session', {
    method: 'POST',
    body: { email: m.email, password: m.password, role: 'resident', admin: false, org_id: 1 },
  });
  assert.equal(again.status, 200);
  assert.deepEqual((await again.json()).user, m.user);
});

test('sign-in input: missing or malformed fields are 422 with their name', async () => {
  await expectError(await api('/session', { method: 'POST', body: { password: PASSWORD } }), 422,
    'validation', 'email');
  await expectError(await signIn('no-at-sign', PASSWORD), 422, 'validation', 'email');
  await expectError(await signIn(['a@example.org'], PASSWORD), 422, 'validation', 'email');
  await expectError(await api('/session', { method: 'POST', body: { email: 'a@example.org' } }),
    422, 'validation', 'password');
  await expectError(await signIn('a@example.org', ''), 422, 'validation', 'password');
  await expectError(await signIn('a@example.org', 'x'.repeat(1025)), 422, 'validation', 'password');
});

test('cookies: HttpOnly, SameSite=Lax, Path=/, no Secure under http', async () => {
  const m = await newManager();
  const res = await signIn(m.email, m.password);
  const c = sessionCookie(res);
  assert.match(c.value, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(c.attrs.includes('httponly'), c.raw);
  assert.ok(c.attrs.includes('samesite=lax'), c.raw);
  assert.ok(c.attrs.includes('path=/'), c.raw);
  assert.ok(!c.attrs.includes('secure'), c.raw);
  // The database keeps only the cookie's SHA-256.
  const stored = stack.sql(`SELECT COUNT(*) FROM sessions
    WHERE token_hash = UNHEX(SHA2(${sqlQuote(c.value)}, 256))`).trim();
  assert.equal(stored, '1');
});

test('session fixation: every sign-in issues a new id and ends the one it came with', async () => {
  const m = await newManager();
  const first = sessionCookie(await signIn(m.email, m.password)).value;
  const second = sessionCookie(await signIn(m.email, m.password)).value;
  assert.notEqual(first, m.cookie);
  assert.notEqual(second, first);
  // Signing in while presenting a session replaces that session.
  const res = await signIn(m.email, m.password, { cookie: first });
  assert.equal(res.status, 200);
  const third = sessionCookie(res).value;
  assert.notEqual(third, first);
  assert.equal((await api('/session', { cookie: first })).status, 401);
  assert.equal((await api('/session', { cookie: third })).status, 200);
  // A planted cookie value is never adopted.
  const planted = crypto.randomBytes(32).toString('base64url');
  const fourth = sessionCookie(await signIn(m.email, m.password, { cookie: planted })).value;
  assert.notEqual(fourth, planted);
  assert.equal((await api('/session', { cookie: planted })).status, 401);
});

test('CSRF: DELETE /session needs X-CSRF-Token; logout kills the session on the server',
  async () => {
  const m = await newManager();
  await expectError(await api('/session', { method: 'DELETE', cookie: m.cookie }), 403, 'csrf');
  await expectError(
    await api('/session', { method: 'DELETE', cookie: m.cookie, csrf: 'x'.repeat(43) }),
    403, 'csrf');
  assert.equal((await api('/session', { cookie: m.cookie })).status, 200,
    'refused logouts changed nothing');
  // A foreign Origin is refused even with the right token.
  await expectError(await api('/session', {
    method: 'DELETE', cookie: m.cookie, csrf: m.csrf, headers: { Origin: 'https://evil.example' },
  }), 403, 'csrf');

  const res = await api('/session', { method: 'DELETE', cookie: m.cookie, csrf: m.csrf });
  assert.equal(res.status, 204);
  assert.ok(res.headers.getSetCookie().some((c) => /^session=;.*max-age=0/i.test(c)));
  // The browser was told to forget the cookie; a kept copy is worthless too.
  await expectError(await api('/session', { cookie: m.cookie }), 401, 'unauthenticated');
  await expectError(await api('/me', { cookie: m.cookie }), 401, 'unauthenticated');
});

test('POST /logout: the page route ends the session and goes to /login', async () => {
  const m = await newManager();
  const refused = await postForm('/logout', {}, { cookie: m.cookie });
  assert.equal(refused.status, 403, 'a form without csrf_token is refused');
  assert.equal((await api('/session', { cookie: m.cookie })).status, 200);

  const res = await postForm('/logout', { csrf_token: m.csrf }, { cookie: m.cookie });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/login');
  assert.equal((await api('/session', { cookie: m.cookie })).status, 401);
  // Signed out already: still just back to the sign-in page.
  const again = await postForm('/logout', {});
  assert.equal(again.status, 303);
  assert.equal(again.headers.get('location'), '/login');
});

test('wrong pairs: an unknown email and a wrong password answer alike', async () => {
  const m = await newManager();
  const unknown = await signIn(unique('nobody'), m.password);
  const wrong = await signIn(m.email, `${m.password}!`);
  const inactive = createOrg(); // an account without a password yet
  const pending = await signIn(inactive.email, m.password);
  assert.equal(unknown.status, 401);
  assert.equal(wrong.status, 401);
  assert.equal(pending.status, 401);
  const body = await unknown.text();
  assert.equal(await wrong.text(), body);
  assert.equal(await pending.text(), body);
  assert.equal(JSON.parse(body).error.code, 'unauthenticated');
  assert.equal(sessionCookie(wrong), null);
});

test('wrong pairs take about as long whether or not the email exists', async () => {
  // Not a benchmark: both sides run argon2id, so a missing account that skipped
  // it would answer in a fraction of the time. Medians of five against a
  // generous factor keep a busy machine from failing it.
  const m = await newManager();
  const time = async (email) => {
    const start = process.hrtime.bigint();
    const res = await signIn(email, 'nicht das Passwort');
    assert.equal(res.status, 401);
    await res.arrayBuffer();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const known = [];
  const unknown = [];
  for (let i = 0; i < 5; i++) {
    known.push(await time(m.email));
    unknown.push(await time(unique('nobody')));
  }
  const k = median(known);
  const u = median(unknown);
  assert.ok(u > k * 0.5 && k > u * 0.5, `known ${k} ms, unknown ${u} ms`);
});

test('throttling per account: 5 failures, then 429 + Retry-After, the right password too',
  async () => {
  const m = await newManager();
  for (let i = 0; i < 5; i++) {
    await expectError(await signIn(m.email, `falsch ${i}`), 401, 'unauthenticated');
  }
  for (const password of ['falsch', m.password]) {
    const res = await signIn(m.email, password);
    await expectError(res, 429, 'rate_limited');
    const wait = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(wait) && wait > 0 && wait <= 900, `Retry-After ${wait}`);
  }
  // The email's case changes nothing.
  await expectError(await signIn(m.email.toUpperCase(), m.password), 429, 'rate_limited');
  // The session it already had lives on: throttling is about signing in.
  assert.equal((await api('/session', { cookie: m.cookie })).status, 200);

  const r = stack.portalctl('throttle', 'reset', '--email', m.email);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await signIn(m.email, m.password)).status, 200);
});

test('a successful sign-in clears the account\'s count', async () => {
  const m = await newManager();
  for (let i = 0; i < 4; i++) assert.equal((await signIn(m.email, 'falsch')).status, 401);
  assert.equal((await signIn(m.email, m.password)).status, 200);
  // Without the clearing these would be failures 5 to 8: the fifth a 429.
  for (let i = 0; i < 4; i++) assert.equal((await signIn(m.email, 'falsch')).status, 401);
  assert.equal((await signIn(m.email, m.password)).status, 200);
});

test('throttling per address: 20 failures across different emails, then 429', async () => {
  const m = await newManager();
  for (let i = 0; i < 20; i++) {
    assert.equal((await signIn(unique('guess'), 'falsch')).status, 401, `attempt ${i + 1}`);
  }
  const res = await signIn(unique('guess'), 'falsch');
  await expectError(res, 429, 'rate_limited');
  assert.ok(Number(res.headers.get('retry-after')) > 0);
  // An account nobody guessed at is refused from this address too.
  await expectError(await signIn(m.email, m.password), 429, 'rate_limited');
  const r = stack.portalctl('throttle', 'reset', '--ip', '127.0.0.1');
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await signIn(m.email, m.password)).status, 200);
});

test('passwords are not truncated: 200 characters work, their first 72 do not', async () => {
  const long = Array.from({ length: 200 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'[i % 26]).join('');
  const m = await newManager(long);
  assert.equal((await signIn(m.email, long)).status, 200);
  assert.equal((await signIn(m.email, long.slice(0, 72))).status, 401);
  assert.equal((await signIn(m.email, long.slice(0, 199))).status, 401);
  assert.equal((await signIn(m.email, `${long}x`)).status, 401);
});

test('password reset: single use, ends every session, signs in anew', async () => {
  const m = await newManager();
  const other = sessionCookie(await signIn(m.email, m.password)).value;
  const r = stack.portalctl('user', 'reset-password', m.email);
  assert.equal(r.status, 0, r.stderr);
  const token = r.stdout.match(/^reset: \S+\/password\/reset\/([A-Za-z0-9_-]+)$/m)[1];
  assert.deepEqual(tokenRow(token), ['reset', '1', '3600']);

  const page1 = await page(`/password/reset/${token}`);
  assert.equal(page1.status, 200);
  assert.match(await page1.text(), /autocomplete="new-password"/);
  assert.equal(tokenRow(token)[1], '1', 'opening the link consumes nothing');

  const reset = (password) => api('/password/reset', { method: 'POST', body: { token, password } });
  await expectError(await reset('zu kurz'), 422, 'validation', 'password');
  await expectError(await api('/password/reset', { method: 'POST', body: { password: PASSWORD } }),
    422, 'validation', 'token');
  const fresh = `${PASSWORD} neu`;
  const res = await reset(fresh);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.user, m.user);
  const cookie = sessionCookie(res).value;
  assert.equal((await api('/session', { cookie })).status, 200);
  // Both earlier sessions ended on the server.
  assert.equal((await api('/session', { cookie: m.cookie })).status, 401);
  assert.equal((await api('/session', { cookie: other })).status, 401);

  await expectError(await reset(`${PASSWORD} nochmal`), 404, 'not_found');
  assert.equal((await page(`/password/reset/${token}`)).status, 404);
  assert.equal((await signIn(m.email, m.password)).status, 401);
  assert.equal((await signIn(m.email, fresh)).status, 200);
});

test('password reset: an expired or unknown token is 404; a new password kills older links',
  async () => {
  const m = await newManager();
  const issue = () => stack.portalctl('user', 'reset-password', m.email)
    .stdout.match(/\/password\/reset\/([A-Za-z0-9_-]+)$/m)[1];
  const old = issue();
  const expired = issue();
  const used = issue();
  stack.sql(`UPDATE account_tokens SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND
    WHERE token_hash = UNHEX(SHA2(${sqlQuote(expired)}, 256))`);
  const reset = (token, password = PASSWORD) =>
    api('/password/reset', { method: 'POST', body: { token, password } });
  await expectError(await reset(expired), 404, 'not_found');
  await expectError(await reset(crypto.randomBytes(32).toString('base64url')), 404, 'not_found');
  // An activation token is no reset token.
  const other = createOrg();
  await expectError(await reset(other.token), 404, 'not_found');
  assert.equal((await reset(used, `${PASSWORD} 2`)).status, 200);
  await expectError(await reset(old, `${PASSWORD} 3`), 404, 'not_found');
  assert.equal((await signIn(m.email, `${PASSWORD} 2`)).status, 200);
});

test('forgot password: 202 alike for known and unknown emails; the known one gets a link',
  async () => {
  const m = await newManager();
  const nobody = unique('nobody');
  const forgot = (email) => api('/password/forgot', { method: 'POST', body: { email } });
  const a = await forgot(nobody);
  const b = await forgot(m.email);
  assert.equal(a.status, 202);
  assert.equal(b.status, 202);
  assert.equal(await a.text(), await b.text());
  await expectError(await forgot('kein-at'), 422, 'validation', 'email');
  await expectError(await api('/password/forgot', { method: 'POST', body: {} }), 422, 'validation',
    'email');

  assert.equal(
    stack.sql(`SELECT COUNT(*) FROM outbox WHERE to_addr = ${sqlQuote(nobody)}`).trim(), '0');
  assert.equal(stack.sql(`SELECT kind FROM outbox WHERE to_addr = ${sqlQuote(m.email)}
    AND kind = 'password_reset'`).trim(), 'password_reset');
  // The link works for an hour.
  assert.equal(stack.sql(`SELECT TIMESTAMPDIFF(SECOND, t.created_at, t.expires_at)
    FROM account_tokens t JOIN users u ON u.id = t.user_id
    WHERE u.email = ${sqlQuote(m.email)} AND t.kind = 'reset'`).trim(), '3600');

  // Through the real sink (this part needs the outbox's sender).
  // (the manager's first mail is the invitation of portalctl org create)
  const [mail] = await stack.waitForMail((x) => (x.headers.to || '').includes(m.email)
    && mailText(x).includes('/password/reset/'));
  const text = mailText(mail);
  const link = text.match(/(http:\/\/[^\s"<]+)\/password\/reset\/([A-Za-z0-9_-]{43})/);
  assert.ok(link, 'the mail holds a reset link');
  assert.equal(link[1], stack.base);
  const token = link[2];
  assert.ok(!stack.mails().some((x) => (x.headers.to || '').includes(nobody)));

  const other = sessionCookie(await signIn(m.email, m.password)).value;
  const res = await api('/password/reset',
    { method: 'POST', body: { token, password: `${PASSWORD} B` } });
  assert.equal(res.status, 200);
  assert.equal((await api('/session', { cookie: other })).status, 401);
  assert.equal((await api('/password/reset', {
    method: 'POST', body: { token, password: `${PASSWORD} C` },
  })).status, 404);
  assert.equal((await signIn(m.email, `${PASSWORD} B`)).status, 200);
});

test('forgot password: at most five mails an hour to one account, still 202, and nothing written past them',
  async () => {
  const m = await newManager();
  for (let i = 0; i < 7; i++) {
    const res = await api('/password/forgot', { method: 'POST', body: { email: m.email } });
    assert.equal(res.status, 202);
  }
  assert.equal(stack.sql(`SELECT COUNT(*) FROM outbox WHERE to_addr = ${sqlQuote(m.email)}
    AND kind = 'password_reset'`).trim(), '5');
  // Five requests counted for the account and the address, the two throttled ones not at all.
  assert.equal(throttleCounts(), 'reset_email 5, reset_ip 5');
  // The case of the address makes no other account of it.
  assert.equal((await api('/password/forgot', { method: 'POST', body: { email: m.email.toUpperCase() } })).status, 202);
  assert.equal(throttleCounts(), 'reset_email 5, reset_ip 5');
});

test('forgot password: twenty requests an hour per client address, then 429 with Retry-After, nothing written',
  async () => {
  for (let i = 0; i < 20; i++) {
    const res = await api('/password/forgot', { method: 'POST', body: { email: unique('vergessen') } });
    assert.equal(res.status, 202, `request ${i + 1}`);
  }
  const counts = throttleCounts();
  assert.equal(counts, 'reset_email 20, reset_ip 20');
  const m = await newManager();
  const outbox = () => stack.sql('SELECT COUNT(*) FROM outbox').trim();
  const mails = outbox();
  const res = await api('/password/forgot', { method: 'POST', body: { email: m.email } });
  await expectError(res, 429, 'rate_limited');
  const wait = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(wait) && wait > 0 && wait <= 3600, `Retry-After ${wait}`);
  // The page shows its form again with the reason.
  const form = await postForm('/password/forgot', { email: m.email });
  assert.equal(form.status, 429);
  assert.ok(Number(form.headers.get('retry-after')) > 0);
  const html = await form.text();
  assert.match(html, /role="alert"/);
  assert.match(html, /zu viele Links angefordert/);
  assert.match(html, /<form method="post" action="\/password\/forgot">/);
  assert.equal(throttleCounts(), counts, 'a throttled request writes nothing');
  assert.equal(outbox(), mails, 'and sends nothing');
  // Another client address is not limited.
  assert.equal(await forgotFrom('127.0.0.2', m.email), 202);
});

test('accented spellings of an address (verwälter@, verwàlter@) are refused at sign-in and reset and count nothing',
  async () => {
  const tag = `${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const email = `verwalter-${tag}@example.org`;
  const { token } = createOrg(email);
  assert.equal((await activate(token)).status, 200);
  const variants = [`verwälter-${tag}@example.org`, `verwàlter-${tag}@example.org`];
  const before = throttleCounts();
  for (const variant of variants) {
    await expectError(await signIn(variant, PASSWORD), 422, 'validation', 'email');
    await expectError(await signIn(variant, 'falsch'), 422, 'validation', 'email');
    await expectError(await api('/password/forgot', { method: 'POST', body: { email: variant } }), 422,
      'validation', 'email');
    assert.equal((await postForm('/login', { email: variant, password: PASSWORD })).status, 422);
    assert.equal((await postForm('/password/forgot', { email: variant })).status, 422);
  }
  assert.equal(throttleCounts(), before, 'refused addresses count nothing');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset'
    AND to_addr = ${sqlQuote(email)}`).trim(), '0');
  // The one spelling that is an address has the account's limit, in any case.
  for (let i = 0; i < 5; i++) await expectError(await signIn(email, `falsch ${i}`), 401, 'unauthenticated');
  await expectError(await signIn(email.toUpperCase(), PASSWORD), 429, 'rate_limited');
});

test('an account stored with an accent: every spelling that finds it shares its count, and a reset clears it',
  async () => {
  // An address kept from before the one address rule; the database's collation
  // finds the account by its plain spelling, too.
  const m = await newManager();
  const stored = m.email.replace(/^a/, 'ä');
  stack.sql(`UPDATE users SET email = ${sqlQuote(stored)} WHERE id = ${m.user.id}`);
  for (let i = 0; i < 5; i++) await expectError(await signIn(m.email, `falsch ${i}`), 401, 'unauthenticated');
  await expectError(await signIn(m.email, m.password), 429, 'rate_limited');
  await expectError(await signIn(stored, m.password), 422, 'validation', 'email');
  // Its owner resets the password through the mailed link: the guessing ends for them.
  const r = stack.portalctl('user', 'reset-password', m.email);
  assert.equal(r.status, 0, r.stderr);
  const token = r.stdout.match(/\/password\/reset\/([A-Za-z0-9_-]+)$/m)[1];
  const fresh = `${PASSWORD} neu`;
  assert.equal((await api('/password/reset', { method: 'POST', body: { token, password: fresh } })).status, 200);
  assert.equal((await signIn(m.email, fresh)).status, 200);
  // portalctl clears the account's count by any spelling that finds it.
  for (let i = 0; i < 5; i++) await signIn(m.email, `falsch ${i}`);
  await expectError(await signIn(m.email, fresh), 429, 'rate_limited');
  const cleared = stack.portalctl('throttle', 'reset', '--email', m.email);
  assert.equal(cleared.status, 0, cleared.stderr);
  assert.equal((await signIn(m.email, fresh)).status, 200);
});

test('sessions end 30 days (managers) or 180 days (residents) after the sign-in, however active', async () => {
  const m = await newManager();
  // The session of cookie as if signed in days ago and used a moment ago.
  const age = (cookie, days) => stack.sql(`UPDATE sessions
    SET created_at = UTC_TIMESTAMP() - INTERVAL ${days} DAY, last_seen_at = UTC_TIMESTAMP()
    WHERE token_hash = UNHEX(SHA2(${sqlQuote(cookie)}, 256))`);
  age(m.cookie, 29);
  assert.equal((await api('/session', { cookie: m.cookie })).status, 200);
  age(m.cookie, 31);
  await expectError(await api('/session', { cookie: m.cookie }), 401, 'unauthenticated');

  const resident = unique('bewohner');
  stack.sql(`INSERT INTO users (org_id, role, email, name, created_at)
    VALUES (${m.user.org_id}, 'resident', ${sqlQuote(resident)}, 'Rita', UTC_TIMESTAMP())`);
  const residentSession = async () => {
    const token = stack.portalctl('user', 'reset-password', resident)
      .stdout.match(/\/password\/reset\/([A-Za-z0-9_-]+)$/m)[1];
    const res = await api('/password/reset', { method: 'POST', body: { token, password: PASSWORD } });
    assert.equal(res.status, 200);
    return sessionCookie(res).value;
  };
  const r = await residentSession();
  age(r, 179);
  assert.equal((await api('/session', { cookie: r })).status, 200);
  age(r, 181);
  await expectError(await api('/session', { cookie: r }), 401, 'unauthenticated');

  // Both are settings.
  stack.setConf({ session_max_days_resident: 7 });
  await stack.reload();
  try {
    const short = await residentSession();
    age(short, 6);
    assert.equal((await api('/session', { cookie: short })).status, 200);
    age(short, 8);
    await expectError(await api('/session', { cookie: short }), 401, 'unauthenticated');
  } finally {
    stack.withoutConf('session_max_days_resident');
    await stack.reload();
  }
});

test('page /login: a form that needs no CSRF token, labelled, with autocomplete', async () => {
  const res = await page('/login');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const html = await res.text();
  assert.match(html, /<form method="post" action="\/login">/);
  assert.doesNotMatch(html, /name="csrf_token"/);
  assert.match(html, /<label for="login-email">/);
  assert.match(html, /<input id="login-email" name="email" type="email" autocomplete="email"/);
  assert.match(html, /<label for="login-password">/);
  assert.match(html,
    /<input id="login-password" name="password" type="password" autocomplete="current-password"/);
  assert.match(html, /href="\/password\/forgot"/);
  assert.doesNotMatch(html, /<script>|style="|\son[a-z]+="/i, 'nothing inline (CSP)');
  assert.match(html, /<title>Anmelden/);
  const en = await (await page('/login', { headers: { 'Accept-Language': 'en' } })).text();
  assert.match(en, /<title>Sign in/);
  assert.match(en, /Forgot your password\?/);
});

test('page /login: a wrong password shows the form again; the right one redirects with a cookie',
  async () => {
  const m = await newManager();
  const wrong = await postForm('/login', { email: m.email, password: 'falsch falsch' });
  assert.ok([401, 422].includes(wrong.status), `status ${wrong.status}`);
  assert.match(wrong.headers.get('content-type'), /^text\/html/);
  const html = await wrong.text();
  assert.match(html, /role="alert"/);
  assert.match(html, /E-Mail-Adresse oder Passwort ist falsch/);
  assert.ok(html.includes(`value="${m.email}"`), 'the email is kept');
  assert.ok(!html.includes('falsch falsch'), 'the password is not');
  assert.equal(sessionCookie(wrong), null);

  const bad = await postForm('/login', { email: 'kein-at', password: 'x' });
  assert.equal(bad.status, 422);
  assert.match(await bad.text(), /aria-invalid="true"/);

  const right = await postForm('/login', { email: m.email, password: m.password });
  assert.equal(right.status, 303);
  assert.equal(right.headers.get('location'), '/app');
  const cookie = sessionCookie(right);
  assert.ok(cookie && cookie.attrs.includes('httponly'));
  // Signed in already: /login sends them home.
  const back = await page('/login', { cookie: cookie.value });
  assert.equal(back.status, 303);
  assert.equal(back.headers.get('location'), '/app');

  // Another site's form is refused before anything is checked.
  const foreign = await postForm('/login', { email: m.email, password: m.password },
    { headers: { Origin: 'https://evil.example' } });
  assert.equal(foreign.status, 403);
  assert.equal(sessionCookie(foreign), null);
});

test('page /login: throttled attempts show the form with the error and Retry-After', async () => {
  const m = await newManager();
  for (let i = 0; i < 5; i++) await postForm('/login', { email: m.email, password: 'falsch' });
  const res = await postForm('/login', { email: m.email, password: m.password });
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get('retry-after')) > 0);
  const html = await res.text();
  assert.match(html, /role="alert"/);
  assert.match(html, /<form method="post" action="\/login">/);
});

test('page /activate/{token}: GET shows the form, a weak password shows it again, POST signs in',
  async () => {
  const { email, token } = createOrg();
  const weak = await postForm(`/activate/${token}`, { password: 'kurz' });
  assert.equal(weak.status, 422);
  const html = await weak.text();
  assert.match(html, /role="alert"/);
  assert.match(html, new RegExp(`action="/activate/${token}"`));
  assert.match(html, /aria-invalid="true"/);
  assert.equal(tokenRow(token)[1], '1');

  const res = await postForm(`/activate/${token}`, { password: PASSWORD });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/app');
  const cookie = sessionCookie(res).value;
  assert.equal((await api('/session', { cookie })).status, 200);
  const dead = await postForm(`/activate/${token}`, { password: PASSWORD });
  assert.equal(dead.status, 404);
  assert.match(dead.headers.get('content-type'), /^text\/html/);
  assert.equal((await signIn(email, PASSWORD)).status, 200);
});

test('pages /password/forgot and /password/reset/{token}', async () => {
  const m = await newManager();
  const form = await page('/password/forgot');
  assert.equal(form.status, 200);
  const html = await form.text();
  assert.match(html, /<form method="post" action="\/password\/forgot">/);
  assert.match(html, /autocomplete="email"/);

  for (const email of [m.email, unique('nobody')]) {
    const sent = await postForm('/password/forgot', { email });
    assert.equal(sent.status, 303);
    assert.equal(sent.headers.get('location'), '/password/forgot?sent=1');
  }
  const note = await (await page('/password/forgot?sent=1')).text();
  assert.match(note, /role="status"/);
  assert.match(note, /Wenn es zu dieser Adresse einen Zugang gibt/);
  assert.equal((await postForm('/password/forgot', { email: 'kein-at' })).status, 422);

  const token = stack.portalctl('user', 'reset-password', m.email)
    .stdout.match(/\/password\/reset\/([A-Za-z0-9_-]+)$/m)[1];
  const resetPage = await (await page(`/password/reset/${token}`)).text();
  assert.match(resetPage, new RegExp(`<form method="post" action="/password/reset/${token}">`));
  assert.match(resetPage, /autocomplete="new-password"/);
  const weak = await postForm(`/password/reset/${token}`, { password: 'kurz' });
  assert.equal(weak.status, 422);
  assert.match(await weak.text(), /role="alert"/);
  const done = await postForm(`/password/reset/${token}`, { password: `${PASSWORD} P` });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), '/app');
  assert.equal((await api('/session', { cookie: m.cookie })).status, 401);
  assert.equal((await api('/session', { cookie: sessionCookie(done).value })).status, 200);
});

test('dead links count per client address: past 30 an hour even a live one waits, and stays unused', async () => {
  const { token } = createOrg();
  const dead = () => crypto.randomBytes(32).toString('base64url');
  const tries = [
    () => page(`/activate/${dead()}`),
    () => page(`/password/reset/${dead()}`),
    () => page(`/confirm/${dead()}`),
    () => activate(dead()),
    () => api('/password/reset', { method: 'POST', body: { token: dead(), password: PASSWORD } }),
    () => api('/confirm', { method: 'POST', body: { token: dead() } }),
  ];
  for (let i = 0; i < 30; i++) assert.equal((await tries[i % tries.length]()).status, 404, `try ${i}`);
  const shown = await page(`/activate/${token}`);
  assert.equal(shown.status, 429);
  assert.ok(Number(shown.headers.get('retry-after')) > 0);
  const refused = await expectError(await activate(token), 429, 'rate_limited');
  assert.match(refused.error.message, /ungültige Links/);
  await expectError(await api('/confirm', { method: 'POST', body: { token: dead() } }), 429, 'rate_limited');
  assert.equal(tokenRow(token)[1], '1', 'the live link is still unused');
  assert.equal(stack.sql("SELECT COUNT(*) FROM throttle_events WHERE scope = 'link_ip'").trim(), '30',
    'refused requests count nothing more');
  throttleReset();
  assert.equal((await activate(token)).status, 200);
});
