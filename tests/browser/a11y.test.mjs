// Accessibility of every page of the product: axe-core's WCAG 2.1 A and AA
// rules on each page at 1280x800 and 390x844, and at 320 px wide nothing
// scrolls sideways. Each page also has an <h1> that assistive technology
// reaches. The pages: the signed-out ones, the manager's, the resident's, with
// the states a form shows after a refused attempt, the notices after a
// change, and the error pages. The data comes through the API first, so that
// lists and details have something in them.
//
// One stack and one browser for the file; a browser context for each kind of
// visitor and size, reused from page to page; axe runs on a page right after
// it loaded. A failure names the page, the size and every violation. A new
// page (of core or a plugin) gets a line in pages() below.
//
// Then the three things found by hand that axe cannot see: the resident
// calendar at 320 and 360 px, the manager's preview of the residents' home,
// and the disclosure for existing accounts on the join page.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { mailParts, startStack } from '../integration/stack.mjs';
import { newManager, newResident, Client } from '../integration/client.mjs';
import { accessibilityProblems, launchBrowser, newPage, screenshot, sidewaysScroll } from './browser.mjs';

const SIZES = [
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
];
const NARROW = 320;
const PASSWORD = 'Ein Satz als Passwort, lang genug';
// A long German compound, as real appointment titles have them.
const LONG_TITLE = 'Eigentümerversammlung zur Treppenhausrenovierungsfinanzierungsplanung';

let stack, browser, manager, resident, waiting;
const ids = {};
const links = {};
const contexts = new Map(); // "who size" -> page

const random = () => crypto.randomBytes(32).toString('base64url');
const pathOf = (url) => url.replace(/^https?:\/\/[^/]+/, '');

// The path of the confirmation link mailed to email.
async function confirmLink(email) {
  const [mail] = await stack.waitForMail((m) => (m.headers.to || '').includes(email));
  return /\/confirm\/[A-Za-z0-9_-]{43}/.exec(mailParts(mail).map((p) => p.text).join('\n'))[0];
}

// A new sign-up's confirmation link: each visit of the confirmed page uses one.
let signUps = 0;
async function freshConfirmLink() {
  signUps += 1;
  const email = `bestaetigt-${process.pid}-${signUps}@example.org`;
  await ok(new Client(stack).json(`/api/v1${links.join}`, {
    method: 'POST', body: { display_name: 'Bea Bestätigt', email, password: PASSWORD },
  }), 'join');
  return confirmLink(email);
}

async function ok(pending, what) {
  const res = await pending;
  assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

// This month in the portal's time zone, as /portal/calendar?month= names it,
// and a time in it (UTC) that is the same day there.
const MONTH = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit' }).format(new Date());
const thisMonth = (day, hour) => `${MONTH}-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;

before(async () => {
  stack = await startStack({ plugins: 'example invites content documents tickets community', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  browser = await launchBrowser();
  manager = await newManager(stack, { name: 'Hausverwaltung Barrierefrei GmbH' });
  const property = (body) => ok(manager.json('/api/v1/properties', { method: 'POST', body }), 'property');
  const linden = await property({ name: 'Lindenstraße 12', street: 'Lindenstraße 12', zip: '10969', city: 'Berlin' });
  const park = await property({ name: 'Am Stadtpark 3', street: 'Am Stadtpark 3', zip: '14467', city: 'Potsdam' });
  ids.linden = linden.id;
  ids.park = park.id;

  // A resident of both (the home switches between them), and one whose
  // sign-up waits for approval (the manager's queue, the waiting home).
  resident = await newResident(stack, manager, [linden.id, park.id]);
  // a unit of the second: its contacts page offers the unit per resident
  const parkUnit = await ok(manager.json(`/api/v1/properties/${park.id}/units`, { method: 'POST', body: { name: 'WE 1' } }), 'unit');
  await ok(manager.json(`/api/v1/properties/${park.id}/residents/${resident.id}`, { method: 'PATCH', body: { unit_id: parkUnit.id } }), 'unit of the resident');
  links.join = pathOf((await ok(manager.json(`/api/v1/properties/${linden.id}/invite`), 'invite')).url);
  const parkJoin = pathOf((await ok(manager.json(`/api/v1/properties/${park.id}/invite`), 'invite')).url);
  await ok(manager.json(`/api/v1/properties/${park.id}/invite`, { method: 'PATCH', body: { approval_required: true } }), 'approval');
  waiting = new Client(stack);
  await ok(waiting.json(`/api/v1${parkJoin}`, {
    method: 'POST',
    body: { display_name: 'Paula Wartend', email: `paula-${process.pid}@example.org`, password: PASSWORD, group: 'tenant' },
  }), 'join');
  links.confirm = await confirmLink(`paula-${process.pid}@example.org`);

  const form = new FormData();
  form.append('title', 'Wasserabstellung am Montag');
  form.append('body', 'Am Montag ist von 8 bis 12 Uhr das Wasser abgestellt.\n\nMehr unter https://example.org/wasser.');
  form.append('property_ids', String(linden.id));
  form.append('property_ids', String(park.id));
  form.append('notify', 'false');
  form.append('files', new Blob(['%PDF-1.4 hallo']), 'Protokoll März.pdf');
  ids.announcement = (await ok(manager.json('/api/v1/announcements', { method: 'POST', body: form, headers: { Origin: stack.base } }), 'announcement')).id;
  ids.appointment = (await ok(manager.json('/api/v1/appointments', {
    method: 'POST',
    body: {
      title: LONG_TITLE, body: 'Bitte bringen Sie Ihre Unterlagen mit.', location: 'Gemeinschaftsraum, Erdgeschoss',
      starts_at: thisMonth(14, 16), ends_at: thisMonth(14, 18), property_ids: [linden.id, park.id], notify: false,
    },
  }), 'appointment')).id;
  await ok(manager.json('/api/v1/appointments', {
    method: 'POST',
    body: { title: 'Treppenhausreinigung', starts_at: thisMonth(3, 7), property_ids: 'all', notify: false },
  }), 'appointment');
  ids.faq = (await ok(manager.json('/api/v1/faq', {
    method: 'POST',
    body: { question: 'Wann wird der Müll abgeholt?', answer: 'Restmüll dienstags, Papier jeden zweiten Freitag.', property_ids: 'all' },
  }), 'faq')).id;
  ids.contact = (await ok(manager.json('/api/v1/contacts', {
    method: 'POST',
    body: { name: 'Hans Huber', role: 'Hausmeister', phone: '+49 30 1234567', email: 'hausmeister@example.org', note: 'Mo–Fr 8–16 Uhr', property_ids: 'all' },
  }), 'contact')).id;
  ids.item = (await ok(manager.json('/api/v1/example/items', {
    method: 'POST',
    body: { name: 'Rauchmelder prüfen', note: 'Jährliche Wartung', property_ids: 'all' },
  }), 'example item')).item.id;

  // Documents: one to acknowledge, one with a long name, in two categories.
  const docs = new FormData();
  for (const [name, title, category, ack] of [
    ['Hausordnung.pdf', 'Hausordnung 2026', 'Hausordnung', 'true'],
    ['Protokoll.pdf', 'Protokoll der Eigentümerversammlung zur Treppenhausrenovierungsfinanzierungsplanung', 'Protokoll', ''],
  ]) {
    docs.append('files', new Blob([`%PDF-1.4 ${title}`]), name);
    docs.append('title', title);
    docs.append('category', category);
    docs.append('audience', 'residents');
    docs.append('requires_ack', ack);
  }
  ids.documents = (await ok(manager.json(`/api/v1/properties/${linden.id}/documents`, { method: 'POST', body: docs, headers: { Origin: stack.base } }), 'documents')).items.map((d) => d.id);
  ids.document = ids.documents[0]; // the one to acknowledge

  // Tickets: the resident's own (with a reply and an internal note), a shared
  // one a manager recorded for a caller, and a resolved one to confirm.
  const ticket = (client, body) => ok(client.json('/api/v1/tickets', { method: 'POST', body: { property_id: linden.id, ...body } }), 'ticket');
  ids.ticket = (await ticket(resident, { title: 'Wasserhahn tropft', description: 'In der Küche tropft der Wasserhahn seit Tagen.\nBitte kommen Sie vormittags.', category: 'Heizung/Wasser', contact_consent: true, access_note: 'Schlüssel bei Familie Weber' })).id;
  await ok(manager.json(`/api/v1/tickets/${ids.ticket}/comments`, { method: 'POST', body: { body: 'Der Installateur kommt am Montag.' } }), 'comment');
  await ok(manager.json(`/api/v1/tickets/${ids.ticket}/comments`, { method: 'POST', body: { body: 'Rechnung an Eigentümer.', internal: true } }), 'note');
  await ok(manager.json(`/api/v1/tickets/${ids.ticket}`, { method: 'PATCH', body: { status: 'in_progress', assignee_id: manager.user.id, due_on: '2030-01-15' } }), 'ticket change');
  ids.sharedTicket = (await ticket(manager, { title: LONG_TITLE, description: 'Der Aufzug steht im 3. Stock.', category: 'Aufzug', reporter_name: 'Herr Schulz (Telefon)' })).id;
  await ok(manager.json(`/api/v1/tickets/${ids.sharedTicket}`, { method: 'PATCH', body: { shared: true } }), 'shared');
  ids.resolvedTicket = (await ticket(resident, { title: 'Licht im Keller', description: 'Die Lampe ist kaputt.', category: 'Schaden/Reparatur' })).id;
  await ok(manager.json(`/api/v1/tickets/${ids.resolvedTicket}`, { method: 'PATCH', body: { status: 'resolved' } }), 'resolved');
  // The board: a post with a link and a comment, an anonymous one, and a
  // report (the managers' queue).
  ids.post = (await ok(resident.json(`/api/v1/properties/${linden.id}/board`, {
    method: 'POST', body: { kind: 'offer', title: 'Ich gehe für Nachbarn einkaufen', body: 'Jeden Samstag. Liste unter https://example.org/einkauf bitte.' },
  }), 'post')).id;
  await ok(manager.json(`/api/v1/board/${ids.post}/comments`, { method: 'POST', body: { body: 'Danke für das Angebot!' } }), 'comment');
  ids.anonymousPost = (await ok(manager.json(`/api/v1/properties/${linden.id}/board`, {
    method: 'POST', body: { kind: 'lost_found', title: 'Schlüssel im Hof gefunden', body: 'Abzuholen bei der Verwaltung.', anonymous: true },
  }), 'post')).id;
  await ok(resident.json(`/api/v1/board/${ids.anonymousPost}/report`, { method: 'POST', body: { reason: 'other', note: 'Schon abgeholt' } }), 'report');

  const colleague = `kollegin-${process.pid}@example.org`;
  await ok(manager.json('/api/v1/employees', { method: 'POST', body: { email: colleague, name: 'Karla Kollegin' } }), 'employee');
  ids.employee = (await ok(manager.json('/api/v1/employees'), 'employees')).items.find((e) => e.email === colleague).id;
  // the property page's choice of the responsible employee, with one chosen
  await ok(manager.json(`/api/v1/properties/${linden.id}`, { method: 'PATCH', body: { responsible_id: ids.employee } }), 'responsible');

  // An unused activation (a second organisation's first manager) and a
  // password reset; opening their pages consumes nothing.
  const org = stack.portalctl('org', 'create', '--name', 'Zweite Verwaltung', '--admin-email', `zweite-${process.pid}@example.org`);
  assert.equal(org.status, 0, org.stderr);
  links.activate = pathOf(/activation: (\S+)/.exec(org.stdout)[1]);
  const reset = stack.portalctl('user', 'reset-password', resident.email);
  assert.equal(reset.status, 0, reset.stderr);
  links.reset = pathOf(/(\S+\/password\/reset\/\S+)/.exec(reset.stdout)[1]);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

// One page (tab) per visitor and size, signed in through the API client's cookie.
async function pageFor(who, size) {
  const key = `${who} ${size.width}`;
  if (!contexts.has(key)) {
    const page = await newPage(browser, size);
    const client = { manager, resident, waiting }[who];
    if (client) {
      const [name, value] = client.cookie.split('=');
      await page.context().addCookies([{ name, value, url: stack.base }]);
    }
    contexts.set(key, page);
  }
  return contexts.get(key);
}

// Sends a form as it is, without the browser's own checks, so that the
// server's refusal (its messages, aria-invalid) is what shows.
async function send(page, form) {
  const [res] = await Promise.all([
    page.waitForNavigation(),
    page.locator(form).evaluate((f) => {
      f.noValidate = true;
      f.requestSubmit();
    }),
  ]);
  return res;
}

async function open(page, path) {
  return page.goto(`${stack.base}${path}`);
}

// Every page: [name, who, path or an async function(page) that opens it and
// returns the response, the status expected (null: any below 500)].
function pages() {
  const { linden, park } = ids;
  const csv = 'Name;Straße;PLZ;Ort\nHaus am See;Seeweg 1;14469;Potsdam\n;Ohne Namen 2;10115;Berlin\n';
  return [
    // signed out
    ['start page', 'public', '/', 200],
    ['sign-in', 'public', '/login', 200],
    ['sign-in, wrong password', 'public', async (page) => {
      await open(page, '/login');
      await page.locator('#login-email').fill(manager.email);
      await page.locator('#login-password').fill('nicht das richtige');
      return send(page, 'form[action="/login"]');
    }, 422],
    ['forgot password', 'public', '/password/forgot', 200],
    ['forgot password, sent', 'public', async (page) => {
      await open(page, '/password/forgot');
      await page.locator('#forgot-email').fill(`niemand-${process.pid}@example.org`);
      return send(page, 'form[action="/password/forgot"]');
    }, null],
    ['forgot password, malformed address', 'public', async (page) => {
      await open(page, '/password/forgot');
      await page.locator('#forgot-email').fill('keine adresse');
      return send(page, 'form[action="/password/forgot"]');
    }, 422],
    ['reset password', 'public', links.reset, 200],
    ['reset password, too short', 'public', async (page) => {
      await open(page, links.reset);
      await page.locator('#reset-password').fill('kurz');
      return send(page, 'form[action^="/password/reset/"]');
    }, 422],
    ['reset password, dead link', 'public', `/password/reset/${random()}`, 404],
    ['activate', 'public', links.activate, 200],
    ['activate, too short', 'public', async (page) => {
      await open(page, links.activate);
      await page.locator('form[action^="/activate/"] input[type=password]').first().fill('kurz');
      return send(page, 'form[action^="/activate/"]');
    }, 422],
    ['join', 'public', links.join, 200],
    ['join, refused sign-up', 'public', async (page) => {
      await open(page, links.join);
      return send(page, 'form:not(:has(input[name=existing]))');
    }, 422],
    ['join, existing account with a wrong password', 'public', async (page) => {
      await open(page, links.join);
      await page.locator('.join__existing summary').click();
      await page.locator('#join-existing-email').fill(resident.email);
      await page.locator('#join-existing-password').fill('nicht das richtige');
      return send(page, 'form:has(input[name=existing])');
    }, 422],
    ['join, dead link', 'public', `/join/${random()}`, 404],
    ['confirm address', 'public', links.confirm, 200],
    ['confirm address, confirmed', 'public', async (page) => {
      await open(page, await freshConfirmLink());
      return send(page, 'form[action^="/confirm/"]');
    }, 200],
    ['confirm address, dead link', 'public', `/confirm/${random()}`, 404],
    ['not found', 'public', '/gibt-es-nicht', 404],
    ['example plugin', 'public', '/example', 200],

    // the manager
    ['overview', 'manager', '/app', 200],
    ['properties', 'manager', '/app/properties', 200],
    ['properties, searched', 'manager', '/app/properties?q=linden', 200],
    ['new property', 'manager', '/app/properties/new', 200],
    ['new property, refused', 'manager', async (page) => {
      await open(page, '/app/properties/new');
      return send(page, 'form[action="/app/properties/new"]');
    }, 422],
    ['new property, created', 'manager', `/app/properties/new?created=${linden}`, 200],
    ['property', 'manager', `/app/properties/${linden}`, 200],
    ['property residents', 'manager', `/app/properties/${park}/residents`, 200],
    ['property residents, pending', 'manager', `/app/properties/${park}/residents?state=pending`, 200],
    ['property invite', 'manager', `/app/properties/${linden}/invite`, 200],
    ['property invite, an invalid address', 'manager', async (page) => {
      await open(page, `/app/properties/${linden}/invite`);
      await page.locator('#invite-emails').fill('keine adresse');
      return send(page, `form[action="/app/properties/${linden}/invite/email"]`);
    }, null],
    ['property invite poster', 'manager', `/app/properties/${linden}/invite/poster`, 200],
    ['property preview', 'manager', `/app/properties/${linden}/preview`, 200],
    ['property documents', 'manager', `/app/properties/${linden}/documents`, 200],
    ['property documents, checked who sees it', 'manager', `/app/properties/${linden}/documents?check_audience=residents#who`, 200],
    ['property documents, uploaded', 'manager', `/app/properties/${linden}/documents?done=uploaded`, 200],
    ['property documents, refused upload', 'manager', async (page) => {
      await open(page, `/app/properties/${linden}/documents`);
      // sent as a browser without script sends it: no file chosen
      const [res] = await Promise.all([
        page.waitForNavigation(),
        page.locator('form[data-docs-upload]').evaluate((f) => f.submit()),
      ]);
      return res;
    }, 422],
    ['document acknowledgements', 'manager', `/app/documents/${ids.document}/acks`, 200],
    ['property board', 'manager', `/app/properties/${linden}/board`, 200],
    ['property board, saved', 'manager', `/app/properties/${linden}/board?done=saved`, 200],
    ['board reports', 'manager', '/app/board/reports', 200],
    ['board reports, dismissed', 'manager', '/app/board/reports?done=dismissed', 200],
    ['property board, a refused hide', 'manager', async (page) => {
      await open(page, `/app/properties/${linden}/board`);
      return send(page, `form[action="/app/board/${ids.post}/hide"]`);
    }, 422],
    ['import', 'manager', '/app/properties/import', 200],
    ['import preview', 'manager', async (page) => {
      await open(page, '/app/properties/import');
      await page.locator('#file').setInputFiles({ name: 'liste.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      // the page's script sends the file and writes the answer into the page
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/import/preview') && r.request().method() === 'POST'),
        page.locator('form[action="/app/properties/import/preview"] button[type=submit]').click(),
      ]);
      await page.locator('form[action="/app/properties/import"]').waitFor();
      return res;
    }, 200],
    ['import result with a rejected row', 'manager', async (page) => {
      await open(page, '/app/properties/import');
      await page.locator('#file').setInputFiles({ name: 'liste.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await send(page, 'form[action="/app/properties/import/preview"]');
      return send(page, 'form[action="/app/properties/import"]');
    }, 200],
    ['content', 'manager', '/app/content', 200],
    ['new announcement', 'manager', '/app/content/announcement/new', 200],
    ['new announcement, refused', 'manager', async (page) => {
      await open(page, '/app/content/announcement/new');
      return send(page, 'form[action="/app/content/announcement/new"]');
    }, 422],
    ['announcements', 'manager', '/app/content/announcements', 200],
    ['announcement', 'manager', `/app/content/announcements/${ids.announcement}`, 200],
    ['announcement, published', 'manager', `/app/content/announcements/${ids.announcement}?done=published`, 200],
    ['new appointment', 'manager', '/app/content/appointment/new', 200],
    ['new appointment, refused', 'manager', async (page) => {
      await open(page, '/app/content/appointment/new');
      return send(page, 'form[action="/app/content/appointment/new"]');
    }, 422],
    ['appointments', 'manager', '/app/content/appointments', 200],
    ['appointments, created', 'manager', '/app/content/appointments?created=1', 200],
    ['appointment', 'manager', `/app/content/appointments/${ids.appointment}`, 200],
    ['faq', 'manager', '/app/content/faq', 200],
    ['new question', 'manager', '/app/content/faq/new', 200],
    ['new question, refused', 'manager', async (page) => {
      await open(page, '/app/content/faq/new');
      return send(page, 'form[action="/app/content/faq"]');
    }, 422],
    ['question', 'manager', `/app/content/faq/${ids.faq}`, 200],
    ['contacts', 'manager', '/app/content/contacts', 200],
    ['new contact', 'manager', '/app/content/contacts/new', 200],
    ['contact', 'manager', `/app/content/contacts/${ids.contact}`, 200],
    ['settings', 'manager', '/app/settings', 200],
    ['settings, saved', 'manager', '/app/settings?saved=1', 200],
    ['settings, refused', 'manager', async (page) => {
      await open(page, '/app/settings');
      await page.locator('#settings-name').fill('');
      return send(page, 'form[action="/app/settings"]');
    }, 422],
    ['categories', 'manager', '/app/settings/categories', 200],
    ['categories, added', 'manager', '/app/settings/categories?done=added', 200],
    ['categories, refused', 'manager', async (page) => {
      await open(page, '/app/settings/categories');
      await page.locator('#categories-documents-name').fill('Aushang');
      return send(page, 'form[action="/app/settings/categories"]:has(#categories-documents-name)');
    }, 422],
    ['employees', 'manager', '/app/employees', 200],
    ['employees, invitation refused', 'manager', async (page) => {
      await open(page, '/app/employees');
      return send(page, 'form[action="/app/employees"]');
    }, 422],
    ['employee removal', 'manager', `/app/employees/${ids.employee}/remove`, 200],
    ['example items', 'manager', '/app/example', 200],
    ['example item', 'manager', `/app/example/items/${ids.item}`, 200],
    ['tickets', 'manager', '/app/tickets', 200],
    ['tickets, filtered', 'manager', '/app/tickets?status=in_progress&q=wasser', 200],
    ['ticket', 'manager', `/app/tickets/${ids.ticket}`, 200],
    ['ticket, print view with notes', 'manager', `/app/tickets/${ids.ticket}/print?internal=1`, 200],
    ['record a call as a ticket', 'manager', `/app/tickets/new?property_id=${ids.linden}`, 200],
    ['record a call: which property', 'manager', '/app/tickets/new', 200],
    ['record a call, refused', 'manager', async (page) => {
      await open(page, `/app/tickets/new?property_id=${ids.linden}`);
      return send(page, 'form[action^="/app/tickets/new"][method="post"]');
    }, 422],
    ['ticket, refused reply', 'manager', async (page) => {
      await open(page, `/app/tickets/${ids.ticket}`);
      return send(page, `form[action="/app/tickets/${ids.ticket}/comments"]`);
    }, 422],
    ['not found, signed in', 'manager', '/app/properties/999999999', 404],

    // the residents
    ['home', 'resident', '/portal', 200],
    ['home of the second property', 'resident', `/portal?property=${park}`, 200],
    ['calendar', 'resident', '/portal/calendar', 200],
    ['calendar as a list', 'resident', `/portal/calendar?month=${MONTH}&view=list`, 200],
    ['calendar as a month', 'resident', `/portal/calendar?month=${MONTH}&view=month`, 200],
    ['settings', 'resident', '/portal/settings', 200],
    ['documents', 'resident', '/portal/documents', 200],
    ['board', 'resident', '/portal/board', 200],
    ['board, one kind', 'resident', `/portal/board?property=${linden}&kind=offer`, 200],
    ['board, a refused post', 'resident', async (page) => {
      await open(page, `/portal/board?property=${linden}`);
      return send(page, `form[action="/portal/properties/${linden}/board"]`);
    }, 422],
    ['board post', 'resident', `/portal/board/${ids.post}`, 200],
    ['board post of a neighbour', 'resident', `/portal/board/${ids.anonymousPost}?done=reported`, 200],
    ['board post, a refused comment', 'resident', async (page) => {
      await open(page, `/portal/board/${ids.post}`);
      return send(page, `form[action="/portal/board/${ids.post}/comments"]`);
    }, 422],
    ['documents, a refused acknowledgement', 'resident', async (page) => {
      await open(page, '/portal/documents');
      // the form of a document that asks for none: the page shows why
      await page.locator('form.documents-ack').first().evaluate((f, id) => { f.action = `/portal/documents/${id}/ack`; }, ids.documents[1]);
      return send(page, 'form.documents-ack');
    }, 409],
    ['announcement', 'resident', `/portal/announcements/${ids.announcement}`, 200],
    ['my tickets', 'resident', '/portal/tickets', 200],
    ['report a ticket', 'resident', `/portal/tickets/new?property_id=${linden}&category=Aufzug`, 200],
    ['report a ticket, refused', 'resident', async (page) => {
      await open(page, `/portal/tickets/new?property_id=${linden}`);
      return send(page, 'form[action="/portal/tickets/new"][method="post"]');
    }, 422],
    ['my ticket', 'resident', `/portal/tickets/${ids.ticket}`, 200],
    ['a shared ticket', 'resident', `/portal/tickets/${ids.sharedTicket}`, 200],
    ['my ticket, print view', 'resident', `/portal/tickets/${ids.ticket}/print`, 200],
    ['is it solved?', 'resident', `/portal/tickets/${ids.resolvedTicket}/confirm?solved=0`, 200],
    ['a manager\'s page (not found for residents)', 'resident', '/app', 404],
    ['home while the sign-up waits', 'waiting', '/portal', 200],
  ];
}

// The <h1>s that assistive technology reaches: shown, and neither inert nor
// aria-hidden.
function headingsOne(page) {
  return page.evaluate(() => [...document.querySelectorAll('h1')]
    .filter((h) => h.checkVisibility() && !h.closest('[inert], [aria-hidden="true"]'))
    .map((h) => h.textContent.trim()));
}

describe('every page', () => {
  // pages() reads ids and links, which before() fills: here only its names
  // are read (to declare one test a page), each test reads its entry again.
  const names = pages().map(([name, who]) => `${who}: ${name}`);
  for (const [i, title] of names.entries()) {
    test(title, async () => {
      const [name, who, target, status] = pages()[i];
      const problems = [];
      for (const [label, size] of SIZES) {
        const page = await pageFor(who, size);
        const res = typeof target === 'function' ? await target(page) : await open(page, target);
        const at = `${label} ${size.width}x${size.height}, ${pathOf(page.url())}`;
        if (status !== null) assert.equal(res.status(), status, `${who}: ${name} (${at})`);
        else assert.ok(res.status() < 500, `${who}: ${name} (${at}): ${res.status()}`);
        for (const line of await accessibilityProblems(page)) problems.push(`${at}: ${line}`);
        if ((await headingsOne(page)).length === 0) problems.push(`${at}: no <h1> that assistive technology reaches`);
        const wide = await sidewaysScroll(page);
        if (wide > 0) problems.push(`${at}: scrolls sideways by ${wide}px`);
        if (label === 'phone') {
          await page.setViewportSize({ width: NARROW, height: size.height });
          try {
            const narrow = await sidewaysScroll(page);
            if (narrow > 0) problems.push(`${NARROW}x${size.height}, ${pathOf(page.url())}: scrolls sideways by ${narrow}px`);
          } finally {
            await page.setViewportSize(size);
          }
        }
      }
      if (problems.length) assert.fail(`${who}: ${name}:\n  ${problems.join('\n  ')}`);
    });
  }
});

describe('found by hand', () => {
  test('the calendar\'s month navigation wraps at 320 and 360 px; long titles hyphenate', async () => {
    const page = await pageFor('resident', SIZES[1][1]);
    try {
      for (const width of [320, 360]) {
        await page.setViewportSize({ width, height: 740 });
        for (const view of ['list', 'month']) {
          await open(page, `/portal/calendar?month=${MONTH}&view=${view}`);
          const at = `${width} px, ${view}`;
          const boxes = await page.locator('.calendar__nav > *').evaluateAll((els) => els.map((el) => {
            const r = el.getBoundingClientRect();
            return { text: el.textContent.trim(), left: r.left, right: r.right };
          }));
          assert.equal(boxes.length, 3, at);
          for (const box of boxes) {
            assert.ok(box.left >= 0 && box.right <= width, `${at}: "${box.text}" is off the screen: ${box.left}..${box.right}`);
          }
          assert.ok(await page.getByRole('link', { name: 'Voriger Monat' }).isVisible(), at);
          assert.ok(await page.getByRole('link', { name: 'Nächster Monat' }).isVisible(), at);
          assert.equal(await sidewaysScroll(page), 0, `${at}: the page scrolls sideways`);
          await screenshot(page, `calendar-${view}-${width}`);
        }
        // The long title, in the list: hyphenated by the page's language, and
        // inside its card.
        await open(page, `/portal/calendar?month=${MONTH}&view=list`);
        const title = await page.locator('.calendar-list__title', { hasText: LONG_TITLE.slice(0, 20) }).evaluate((el) => ({
          hyphens: getComputedStyle(el).hyphens,
          lang: el.closest('[lang]')?.lang,
          overflow: el.scrollWidth - el.clientWidth,
        }));
        assert.deepEqual(title, { hyphens: 'auto', lang: 'de', overflow: 0 }, `${width} px`);
      }
    } finally {
      await page.setViewportSize(SIZES[1][1]);
    }
  });

  test('the manager\'s preview: an <h1> of its own, the home readable, only the links inactive', async () => {
    const page = await pageFor('manager', SIZES[0][1]);
    await open(page, `/app/properties/${ids.linden}/preview`);
    assert.deepEqual(await headingsOne(page), ['Bewohneransicht: Lindenstraße 12']);
    assert.equal(await page.locator('[inert]').count(), 0, 'nothing inert');
    const preview = page.getByRole('region', { name: 'So sieht es für Bewohner aus' });
    assert.ok(await preview.isVisible());
    assert.ok(await preview.getByRole('heading', { level: 2, name: 'Willkommen, Erika Mustermann' }).isVisible(), 'the greeting names a sample');
    assert.ok(await preview.getByRole('heading', { name: 'Lindenstraße 12' }).isVisible());
    assert.ok(await preview.getByText('Wasserabstellung am Montag').isVisible(), 'the announcement reads');
    assert.equal(await preview.getByRole('link').count(), 0, 'no link in the preview');
    // (The FAQ's questions still open: reading them changes nothing.)
    const focusable = await page.locator('[data-preview]').evaluate((el) => el.querySelectorAll('a[href], button, input, select, textarea, [tabindex]').length);
    assert.equal(focusable, 0, 'no link or control the keyboard reaches');
    assert.ok(await page.getByRole('link', { name: 'Zurück zur Liegenschaft' }).isVisible(), 'the way back is a link');
    await screenshot(page, 'preview-desktop');

    // Without script the links stay, but a pointer passes through them.
    const bare = await newPage(browser, { ...SIZES[0][1], javaScriptEnabled: false });
    try {
      const [name, value] = manager.cookie.split('=');
      await bare.context().addCookies([{ name, value, url: stack.base }]);
      await open(bare, `/app/properties/${ids.linden}/preview`);
      const events = await bare.locator('[data-preview] a[href]').evaluateAll((as) => as.map((a) => getComputedStyle(a).pointerEvents));
      assert.ok(events.length > 0);
      assert.deepEqual([...new Set(events)], ['none']);
    } finally {
      await bare.context().close();
    }
  });

  test('the join page: "Sie haben schon ein Konto?" shows that it opens', async () => {
    const page = await pageFor('public', SIZES[1][1]);
    await page.emulateMedia({ reducedMotion: 'reduce' }); // the marker turns at once
    await open(page, links.join);
    const summary = page.locator('.join__existing summary');
    const marker = () => summary.evaluate((el) => {
      const style = getComputedStyle(el, '::before');
      return { content: style.content, width: parseFloat(style.width), border: style.borderRightStyle, transform: style.transform };
    });
    const closed = await marker();
    assert.notEqual(closed.content, 'none', 'a marker before the text');
    assert.ok(closed.width > 0 && closed.border === 'solid', `a visible marker: ${JSON.stringify(closed)}`);
    assert.equal(await page.locator('#join-existing-password').isVisible(), false, 'closed at first');
    await summary.click();
    assert.ok(await page.locator('#join-existing-password').isVisible(), 'open after a click');
    const opened = await marker();
    assert.notEqual(opened.transform, closed.transform, 'the marker turns when open');
    await screenshot(page, 'join-existing-open-phone');
    await summary.click();
    assert.equal(await page.locator('#join-existing-password').isVisible(), false, 'closed again');
    await page.emulateMedia({ reducedMotion: null });
  });
});
