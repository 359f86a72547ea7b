// Addresses are confirmed before they get mail (API.md, "Residents and
// invitations"; core/features/routes_confirm.c, plugins/invites/join.c):
// a sign-up works at once in its browser, but its address gets one mail, the
// link /confirm/{token}, and nothing else until the owner confirms it with a
// POST (a GET changes nothing: mail scanners open links) or resets the
// password; until then the owner takes the address over by signing up again;
// managers see unconfirmed residents marked on the contacts page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, waitFor, mailParts } from './stack.mjs';
import { Client, newManager, newProperty, newResident } from './client.mjs';

const PASSWORD = 'Ein langer Satz als Passwort';
let stack, m, other;
let counter = 0;

const unique = (prefix) => {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}@example.org`;
};

before(async () => {
  stack = await startStack({ plugins: 'example invites content', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  stack.setConf({ 'invites.join_max_per_address': 100000, 'invites.join_max_per_email': 100000 });
  await stack.reload();
  m = await newManager(stack);
  other = await newManager(stack);
});
after(async () => {
  await stack?.stop();
});

// The property's invite link token, from link.c's API.
async function linkToken(manager, propertyId) {
  const res = await manager.json(`/api/v1/properties/${propertyId}/invite`);
  assert.equal(res.status, 200);
  return /\/join\/([^/?#]+)$/.exec(res.body.url)[1];
}

// Signs up through the link: { res, client } (the client holds the new session).
async function join(token, body) {
  const client = new Client(stack);
  const res = await client.json(`/api/v1/join/${token}`, { method: 'POST', body: { password: PASSWORD, ...body } });
  if (res.body?.csrf_token) client.csrf = res.body.csrf_token;
  return { res, client };
}

// The kinds of mail queued for an address, oldest first. Mail is queued in
// the transaction of the change that causes it, so this is exact at once.
const kinds = (addr) => stack.sql(`SELECT kind FROM outbox WHERE to_addr = '${addr}' ORDER BY id`)
  .split('\n').map((s) => s.trim()).filter(Boolean);

// The decoded text of every mail the sink got for addr.
const mailTexts = (addr) => stack.mails()
  .filter((mail) => (mail.headers.to || '').includes(addr))
  .map((mail) => mailParts(mail).map((p) => p.text).join('\n'));

// The token of the n-th confirmation mail (1: the first) the sink got for addr.
async function confirmToken(addr, n = 1) {
  const links = await waitFor(`confirmation mail ${n} for ${addr}`, () => {
    const found = mailTexts(addr).map((t) => /\/confirm\/([A-Za-z0-9_-]{43})\b/.exec(t)).filter(Boolean);
    return found.length >= n && found;
  });
  return links[n - 1][1];
}

const confirm = (token) => stack.fetch('/api/v1/confirm', {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }),
});

const confirmedAt = (email) => stack.sql(`SELECT IFNULL(email_confirmed_at, 'NULL') FROM users WHERE email = '${email}'`).trim();

test('a sign-up works at once; its address is unconfirmed and gets one mail: the link /confirm/{token}', async () => {
  const p = await newProperty(m, 'Bestätigungsweg 1');
  const email = unique('neu');
  const { res, client } = await join(await linkToken(m, p.id), { display_name: 'Nele Neu', email });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.user.email_confirmed, false);
  const me = await client.json('/api/v1/me');
  assert.equal(me.body.user.email_confirmed, false);
  assert.equal((await client.json(`/api/v1/properties/${p.id}`)).status, 200, 'works at once');
  assert.equal((await client.fetch('/portal')).status, 200);

  assert.deepEqual(kinds(email), ['confirm'], 'one mail, of kind confirm');
  const token = await confirmToken(email);
  const [text] = mailTexts(email);
  assert.ok(text.includes(`${stack.base}/confirm/${token}`), 'an absolute link');
  assert.match(text, /Bitte bestätigen Sie/);
  assert.equal(confirmedAt(email), 'NULL');
  // Only the hash of the token is stored, as for every link token.
  assert.equal(stack.sql(`SELECT COUNT(*) FROM account_tokens WHERE kind = 'confirm' AND token_hash = UNHEX(SHA2('${token}', 256))`).trim(), '1');
});

test('no mail but the confirmation until confirmed: announcements, appointments, plugins, rejections', async () => {
  const p = await newProperty(m, 'Stillweg 2');
  const email = unique('still');
  const { res } = await join(await linkToken(m, p.id), { display_name: 'Stella Still', email });
  assert.equal(res.status, 201);
  const confirmed = await newResident(stack, m, [p.id]);

  const ann = await m.json('/api/v1/announcements', { method: 'POST', body: { title: 'Wasser', body: 'Am Montag', property_ids: [p.id] } });
  assert.equal(ann.status, 201, JSON.stringify(ann.body));
  const app = await m.json('/api/v1/appointments', {
    method: 'POST', body: { title: 'Begehung', starts_at: '2030-05-04T10:00:00Z', property_ids: [p.id], notify: true },
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const item = await m.json('/api/v1/example/items', { method: 'POST', body: { name: 'Fenster', property_ids: [p.id], notify: true } });
  assert.equal(item.status, 201, JSON.stringify(item.body));

  assert.deepEqual(kinds(email), ['confirm'], 'nothing but the confirmation');
  assert.deepEqual(kinds(confirmed.email), ['announcements', 'appointments', 'example'], 'a confirmed resident gets them all');

  // A rejection mails only a confirmed address.
  const q = await newProperty(m, 'Warteweg 3');
  assert.equal((await m.json(`/api/v1/properties/${q.id}/invite`, { method: 'PATCH', body: { approval_required: true } })).status, 200);
  const qToken = await linkToken(m, q.id);
  const waiting = unique('wartend');
  const w = await join(qToken, { display_name: 'Wim Wartend', email: waiting });
  assert.equal(w.res.body.membership.state, 'pending');
  assert.equal((await m.json(`/api/v1/properties/${q.id}/residents/${w.res.body.user.id}/reject`, { method: 'POST', body: {} })).status, 204);
  assert.deepEqual(kinds(waiting), ['confirm'], 'no rejection mail to an unconfirmed address');
  const sure = unique('sicher');
  const s = await join(qToken, { display_name: 'Sina Sicher', email: sure });
  assert.equal((await confirm(await confirmToken(sure))).status, 200);
  assert.equal((await m.json(`/api/v1/properties/${q.id}/residents/${s.res.body.user.id}/reject`, { method: 'POST', body: {} })).status, 204);
  assert.deepEqual(kinds(sure), ['confirm', 'membership'], 'a confirmed one is told');

  // Once confirmed, the mail comes.
  assert.equal((await confirm(await confirmToken(email))).status, 200);
  const again = await m.json('/api/v1/announcements', { method: 'POST', body: { title: 'Strom', body: 'Am Dienstag', property_ids: [p.id] } });
  assert.equal(again.status, 201);
  assert.deepEqual(kinds(email), ['confirm', 'announcements']);
});

test('the link: opening it changes nothing; the button confirms once; dead links are 404', async () => {
  const p = await newProperty(m, 'Knopfgasse 4');
  const token = await linkToken(m, p.id);
  const email = unique('knopf');
  const { client } = await join(token, { display_name: 'Karl <b>Knopf</b>', email });
  const link = await confirmToken(email);

  // A mail scanner fetches the link, twice: nothing happens.
  for (let i = 0; i < 2; i++) {
    const page = await stack.fetch(`/confirm/${link}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, new RegExp(`<form method="post" action="/confirm/${link}">`));
    assert.match(html, /<button type="submit">Ja, das ist meine Adresse<\/button>/);
    assert.ok(html.includes(email) && html.includes('Karl &lt;b&gt;Knopf&lt;/b&gt;'), 'whose sign-up it is, as text');
    assert.ok(html.includes(m.org), 'and where');
  }
  assert.equal(confirmedAt(email), 'NULL', 'GET confirms nothing');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM account_tokens WHERE kind = 'confirm' AND used_at IS NULL AND token_hash = UNHEX(SHA2('${link}', 256))`).trim(), '1', 'nor uses the token');

  const res = await confirm(link);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { email_confirmed: true });
  assert.equal(res.headers.get('set-cookie'), null, 'nobody is signed in by it');
  assert.notEqual(confirmedAt(email), 'NULL');
  assert.equal((await client.json('/api/v1/me')).body.user.email_confirmed, true, 'the open session sees it');

  // Single-use: the second POST, and the page, say the link is dead.
  const second = await confirm(link);
  assert.equal(second.status, 404);
  assert.equal((await second.json()).error.code, 'not_found');
  const dead = await stack.fetch(`/confirm/${link}`);
  assert.equal(dead.status, 404);
  assert.match(await dead.text(), /Bestätigungslink ist ungültig, abgelaufen oder wurde bereits benutzt/);
  for (const t of ['kurz', 'x'.repeat(43), 'A'.repeat(128)]) assert.equal((await confirm(t)).status, 404, t);
  // Missing, or longer than any token: malformed, not unknown.
  for (const body of ['{}', JSON.stringify({ token: 'A'.repeat(129) })]) {
    const malformed = await stack.fetch('/api/v1/confirm', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(malformed.status, 422, body);
  }

  // Seven days: an expired link confirms nothing.
  const late = unique('spaet');
  await join(token, { display_name: 'Lea Spät', email: late });
  const lateLink = await confirmToken(late);
  stack.sql(`UPDATE account_tokens SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE token_hash = UNHEX(SHA2('${lateLink}', 256))`);
  assert.equal((await confirm(lateLink)).status, 404);
  assert.equal(confirmedAt(late), 'NULL');
  const issued = stack.sql(`SELECT TIMESTAMPDIFF(DAY, t.created_at, t.expires_at) FROM account_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = '${email}' AND t.kind = 'confirm'`).trim();
  assert.equal(issued, '7', 'a link works for 7 days');

  // The page's button, without script or session.
  const page = unique('seite');
  await join(token, { display_name: 'Paula Seite', email: page });
  const pageLink = await confirmToken(page);
  const posted = await stack.fetch(`/confirm/${pageLink}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' });
  assert.equal(posted.status, 200);
  assert.match(await posted.text(), /Ihre E-Mail-Adresse ist bestätigt/);
  assert.notEqual(confirmedAt(page), 'NULL');

  // The token of a link is not in nginx's access log.
  for (const t of [link, lateLink, pageLink]) assert.ok(!stack.accessLog().includes(t), 'a confirmation token in the access log');
});

test('twenty parallel confirmations of one link: one succeeds', async () => {
  const p = await newProperty(m, 'Parallelweg 5');
  const email = unique('parallel');
  await join(await linkToken(m, p.id), { display_name: 'Pia', email });
  const link = await confirmToken(email);
  const statuses = (await Promise.all(Array.from({ length: 20 }, () => confirm(link)))).map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(' '));
  assert.equal(statuses.filter((s) => s === 404).length, 19, statuses.join(' '));
});

test('a password reset through the address confirms it', async () => {
  const p = await newProperty(m, 'Resetweg 6');
  const email = unique('reset');
  await join(await linkToken(m, p.id), { display_name: 'Rita Reset', email });
  const link = await confirmToken(email);
  const forgot = await stack.fetch('/api/v1/password/forgot', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }),
  });
  assert.equal(forgot.status, 202);
  assert.deepEqual(kinds(email), ['confirm', 'password_reset'], 'the reset mail goes to an unconfirmed address: it is how its owner takes it');
  const resetToken = await waitFor('the reset mail', () => {
    const found = mailTexts(email).map((t) => /\/password\/reset\/([A-Za-z0-9_-]{43})\b/.exec(t)).find(Boolean);
    return found && found[1];
  });
  const res = await stack.fetch('/api/v1/password/reset', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: resetToken, password: 'Das neue Passwort 123' }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).user.email_confirmed, true);
  assert.notEqual(confirmedAt(email), 'NULL');
  assert.equal((await confirm(link)).status, 404, 'the confirmation link is spent with the others');
});

test('the owner takes an unconfirmed address over by signing up again; a confirmed one stays', async () => {
  const p = await newProperty(m, 'Flurweg 7');
  const q = await newProperty(m, 'Heimweg 8');
  const victim = unique('opfer');
  // A stranger with the hallway link of p signs the address up ...
  const stranger = await join(await linkToken(m, p.id), { display_name: 'Mallory', email: victim, password: 'Passwort des Fremden' });
  assert.equal(stranger.res.status, 201);
  const squatter = stranger.client;
  assert.equal((await squatter.json('/api/v1/me/notifications', { method: 'PATCH', body: { announcements: false } })).status, 200);
  const feed = (await squatter.json('/api/v1/me/calendar')).body.url;
  assert.equal((await stack.fetch(new URL(feed).pathname)).status, 200, 'the stranger\'s calendar feed works for now');
  const firstLink = await confirmToken(victim);

  // ... and its owner signs up with it through the link of their own house.
  const owner = await join(await linkToken(m, q.id), { display_name: 'Vera Victim', email: victim, password: 'Passwort der Besitzerin' });
  assert.equal(owner.res.status, 201, JSON.stringify(owner.res.body));
  assert.equal(owner.res.body.user.name, 'Vera Victim');
  assert.equal(owner.res.body.user.email_confirmed, false);
  assert.deepEqual(owner.res.body.membership.property, { id: q.id, name: 'Heimweg 8' });

  // Nothing the stranger set survives: session, password, memberships,
  // mail settings, calendar feed, confirmation link.
  assert.equal((await squatter.json('/api/v1/me')).status, 401, 'the stranger\'s session is dead');
  const signIn = (password) => stack.fetch('/api/v1/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: victim, password }),
  });
  assert.equal((await signIn('Passwort des Fremden')).status, 401);
  assert.equal((await signIn('Passwort der Besitzerin')).status, 200);
  const me = await owner.client.json('/api/v1/me');
  assert.deepEqual(me.body.memberships.map((x) => x.property.id), [q.id]);
  assert.equal((await owner.client.json('/api/v1/me/notifications')).body.announcements, true);
  assert.equal((await stack.fetch(new URL(feed).pathname)).status, 404, 'the stranger\'s feed is dead');
  assert.equal(stack.sql(`SELECT COUNT(*) FROM users WHERE email = '${victim}'`).trim(), '1');
  assert.equal((await confirm(firstLink)).status, 404, 'the first link is dead');
  const secondLink = await confirmToken(victim, 2);
  assert.deepEqual(kinds(victim), ['confirm', 'confirm']);

  // The sign-in form for existing accounts never takes over.
  const existing = await join(await linkToken(m, p.id), { existing: true, email: victim, password: 'Noch ein Passwort 1' });
  assert.equal(existing.res.status, 401);

  // Confirmed, the address is the owner's for good: another password is 401.
  assert.equal((await confirm(secondLink)).status, 200);
  const late = await join(await linkToken(m, p.id), { display_name: 'Mallory', email: victim, password: 'Passwort des Fremden' });
  assert.equal(late.res.status, 401);
  assert.equal((await signIn('Passwort der Besitzerin')).status, 200);

  // Across organisations too: the address is the owner's wherever they live.
  const op = await newProperty(other, 'Fremdhaus 9');
  const far = unique('weit');
  assert.equal((await join(await linkToken(other, op.id), { display_name: 'Mallory', email: far, password: 'Passwort des Fremden' })).res.status, 201);
  const home = await join(await linkToken(m, q.id), { display_name: 'Wera Weit', email: far, password: 'Passwort der Besitzerin' });
  assert.equal(home.res.status, 201);
  assert.equal(home.res.body.user.org_id, m.user.org_id);

  // A manager's address, even one not activated yet, is never taken over.
  const invited = unique('kollegin');
  assert.equal((await m.json('/api/v1/employees', { method: 'POST', body: { email: invited, name: 'Kollegin' } })).status, 201);
  const grab = await join(await linkToken(m, p.id), { display_name: 'Mallory', email: invited, password: 'Passwort des Fremden' });
  assert.equal(grab.res.status, 401);
  assert.equal(stack.sql(`SELECT role FROM users WHERE email = '${invited}'`).trim(), 'manager');
});

test('managers see unconfirmed residents marked on the contacts page', async () => {
  const p = await newProperty(m, 'Kontaktweg 10');
  const email = unique('offen');
  assert.equal((await join(await linkToken(m, p.id), { display_name: 'Olga Offen', email })).res.status, 201);
  await newResident(stack, m, [p.id]);

  const row = (html, name) => html.split('<tr>').find((r) => r.includes(`<th scope="row">${name}`));
  let html = await (await m.fetch(`/app/properties/${p.id}/residents`)).text();
  assert.match(row(html, 'Olga Offen'), /<span class="badge badge--muted">E-Mail nicht bestätigt<\/span>/);
  assert.doesNotMatch(row(html, 'Rita Resident'), /nicht bestätigt/);
  assert.match(html, /erhalten sie keine E-Mails aus dem Portal/, 'the mark is explained');
  assert.ok(!html.includes(email), 'still never an address');

  assert.equal((await confirm(await confirmToken(email))).status, 200);
  html = await (await m.fetch(`/app/properties/${p.id}/residents`)).text();
  assert.doesNotMatch(html, /E-Mail nicht bestätigt/);
});

test('no request of this file failed inside the pool, nor any template', () => {
  const log = stack.log();
  assert.doesNotMatch(log, / 5\d\d \d+ms worker=/, 'a 5xx answer');
  assert.doesNotMatch(log, /template/i, 'a template failed');
});
