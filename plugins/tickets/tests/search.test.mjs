// The tickets' search (q) through their words index (sql/002, portal/search.h):
// the prefix of any word of the title, description, number and reporter's
// name, umlauts and case folded, every word of q; the list's filters, counts
// and keyset pages kept; another organisation's tickets never; the index
// follows a changed title in the same request, is filled again by portalctl
// search rebuild, and loses an erased resident's name; a neighbour never
// finds a ticket by its reporter's name; several words through the key bits
// of sql/004. And the manager's page /app/tickets in two round trips (who is
// asking, then the list with its counts and the employees for the assignee
// filter).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../../../tests/integration/stack.mjs';
import { newManager, newProperty, newResident } from '../../../tests/integration/client.mjs';

let stack, boss, other, house, annex, rita;
before(async () => {
  stack = await startStack({ plugins: 'invites content documents tickets', env: { SESSION_BURST: '1000', SESSION_RATE: '1000r/s' } });
  boss = await newManager(stack);
  other = await newManager(stack); // another organisation
  house = (await newProperty(boss, 'Lindenhof')).id;
  annex = (await newProperty(boss, 'Gartenhaus')).id;
  rita = await newResident(stack, boss, [house]);
  stack.setConf({ 'tickets.max_reports_per_day': 1000 });
  await stack.reload();
});
after(async () => { await stack?.stop(); });

const report = async (client, body) => {
  const res = await client.json('/api/v1/tickets', { method: 'POST', body: { property_id: house, description: 'd', category: 'Sonstiges', ...body } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
};
const onCall = (body) => report(boss, { reporter_name: 'Anrufer', ...body });
const list = async (client, query) => {
  const res = await client.json(`/api/v1/tickets${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};
const ids = async (client, query) => (await list(client, query)).items.map((t) => t.id);
const q = (text, rest = '') => `?q=${encodeURIComponent(text)}${rest}`;
const trips = (route) => {
  const line = stack.log().split('\n').filter((l) => l.includes(`route=${route} `) && / db=\d+/.test(l)).at(-1);
  return [Number(/ db=(\d+)/.exec(line)[1]), line];
};

test('prefixes of any word, umlauts and case folded, every word of q, the number and the reporter', async () => {
  const heat = await onCall({ title: 'Heizkörper im Flur bleibt kalt', description: 'Seit Montag kein warmes Wasser.', property_id: annex });
  const lift = await onCall({ title: 'Aufzug steckt', description: 'Zwischen dem 2. und 3. Stock', reporter_name: 'Frau Özdemir' });
  const hers = await report(rita, { title: 'Wasserfleck an der Decke', description: 'Über dem Bad.' });
  const foreign = await report(other, { property_id: (await newProperty(other, 'Fremdhaus')).id, title: 'Heizkörper kalt', description: 'd', reporter_name: 'Anrufer' });

  assert.deepEqual(await ids(boss, q('heizk')), [heat.id], 'a prefix of a word of the title');
  assert.deepEqual(await ids(boss, q('HEIZKORPER')), [heat.id], 'umlaut and case folded');
  assert.deepEqual(await ids(boss, q('heizkörper')), [heat.id], 'the umlaut as typed');
  assert.deepEqual(await ids(boss, q('wass')), [hers.id, heat.id], 'the description too, newest first');
  assert.deepEqual(await ids(boss, q('wasser mont')), [heat.id], 'every word of q');
  assert.deepEqual(await ids(boss, q('mont, wasser!')), [heat.id], 'in any order, punctuation aside');
  assert.deepEqual(await ids(boss, q('wasser aufzug')), [], 'two words of different tickets: none');
  assert.deepEqual(await ids(boss, q('ozdem')), [lift.id], 'the caller a manager noted');
  assert.deepEqual(await ids(boss, q('rita resid')), [hers.id], 'the resident who reported it');
  assert.deepEqual(await ids(boss, q(String(lift.number))), [lift.id], 'its number');
  assert.deepEqual(await ids(boss, q(`#${lift.number}`)), [lift.id], 'its number as the list shows it');
  assert.deepEqual(await ids(boss, q('eizk')), [], 'the inside of a word is not a prefix');
  assert.deepEqual(await ids(boss, q('Dachrinne')), [], 'no match');
  assert.deepEqual(await ids(boss, q('!!!')), [], 'no words at all: nothing');
  const none = await list(boss, q('Dachrinne'));
  assert.deepEqual(none.counts, { open: 0, in_progress: 0, waiting: 0, resolved: 0, closed: 0 });
  assert.equal(none.next, null);
  assert.deepEqual(await ids(other, q('heizk')), [foreign.id], 'the other organisation finds its own only');
  assert.ok(!(await ids(boss, q('heizkorper kalt'))).includes(foreign.id), 'and never the other\'s');
  assert.deepEqual(await ids(rita, q('wasser')), [hers.id], 'a resident searches only what she may see');
  const tooMany = await boss.json(`/api/v1/tickets${q('a b c d e f g h i')}`);
  assert.equal(tooMany.status, 422);
  assert.equal(tooMany.body.error.field, 'q');
});

test('a neighbour who follows a shared ticket finds it by what it says, never by its reporter\'s name', async () => {
  const reporter = await newResident(stack, boss, [house]);
  stack.sql(`UPDATE users SET name = 'Xaver Quendelmann' WHERE id = ${reporter.id}`);
  const neighbour = await newResident(stack, boss, [house]);
  const t = await report(reporter, { title: 'Sprechanlage rauscht', description: 'Seit gestern.' });
  assert.equal((await boss.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { shared: true } })).status, 200);
  assert.equal((await neighbour.json(`/api/v1/tickets/${t.id}/affected`, { method: 'POST', body: {} })).status, 200);
  assert.deepEqual(await ids(neighbour, ''), [t.id], 'she follows it');
  assert.deepEqual(await ids(neighbour, q('sprechanl')), [t.id], 'by its title');
  assert.deepEqual(await ids(neighbour, q('xaver')), [], 'not by the reporter\'s name, which she may not see');
  assert.deepEqual(await ids(neighbour, q('quendelm sprechanl')), [], 'nor with a word of it');
  assert.deepEqual((await list(neighbour, q('quendelm'))).counts, { open: 0, in_progress: 0, waiting: 0, resolved: 0, closed: 0 }, 'the counts tell nothing either');
  const page = await neighbour.fetch(`/portal/tickets${q('xaver')}`);
  assert.equal(page.status, 200);
  assert.ok(!(await page.text()).includes('Sprechanlage rauscht'), 'the page neither');
  assert.deepEqual(await ids(reporter, q('xaver')), [t.id], 'the reporter finds hers by her own name');
  assert.deepEqual(await ids(boss, q('quendelm')), [t.id], 'and the managers by the reporter\'s');
  // a caller whose name a manager noted, the same
  const noted = await onCall({ title: 'Kellerlicht flackert', description: 'Im Gang.', reporter_name: 'Frau Yildirimova-Weißgerber' });
  assert.equal((await boss.json(`/api/v1/tickets/${noted.id}`, { method: 'PATCH', body: { shared: true } })).status, 200);
  assert.equal((await neighbour.json(`/api/v1/tickets/${noted.id}/affected`, { method: 'POST', body: {} })).status, 200);
  assert.deepEqual(await ids(neighbour, q('kellerl')), [noted.id], 'by its title');
  assert.deepEqual(await ids(neighbour, q('yildir')), [], 'not by the name the manager noted');
  assert.deepEqual(await ids(neighbour, q('frau kellerl')), [], 'nor with a word of it');
  assert.deepEqual(await ids(neighbour, q('weissg')), [], 'nor with one whose ß is folded');
  assert.deepEqual(await ids(boss, q('yildir')), [noted.id], 'the managers by that name');
});

test('with the filters, counts per status and keyset pages, newest and by activity', async () => {
  const made = [];
  for (let i = 0; i < 7; i++) made.push(await onCall({ title: `Treppenhaus Licht ${i}`, property_id: i % 2 ? annex : house }));
  await onCall({ title: 'Licht im Keller' });
  const status = await boss.json(`/api/v1/tickets/${made[1].id}`, { method: 'PATCH', body: { status: 'in_progress' } });
  assert.equal(status.status, 200);
  const newest = [...made].reverse().map((t) => t.id);
  const all = await list(boss, q('treppenh lich'));
  assert.deepEqual(all.items.map((t) => t.id), newest);
  assert.deepEqual(all.counts, { open: 6, in_progress: 1, waiting: 0, resolved: 0, closed: 0 });
  const open = await list(boss, q('treppenh lich', '&status=open'));
  assert.deepEqual(open.items.map((t) => t.id), newest.filter((id) => id !== made[1].id));
  assert.deepEqual(open.counts, all.counts, 'counts ignore the status filter');
  assert.deepEqual(await ids(boss, q('treppenh', `&property_id=${annex}`)), newest.filter((id) => made.find((t) => t.id === id).property.id === annex));
  // pages of 3 with q: the same tickets, each once, in order
  const seen = [];
  let next = null;
  do {
    const page = await list(boss, q('licht treppen', `&limit=3${next ? `&after=${encodeURIComponent(next)}` : ''}`));
    assert.ok(page.items.length <= 3);
    seen.push(...page.items.map((t) => t.id));
    next = page.next;
  } while (next);
  assert.deepEqual(seen, newest);
  // one word alone reads its page newest first from the index and stops
  // there: a ticket with two words of the prefix (Treppenhaus, Treppenlicht)
  // is still one, and the pages are those of the whole list
  const twice = await onCall({ title: 'Treppenhaus Treppenlicht', property_id: house });
  const single = [];
  next = null;
  do {
    const page = await list(boss, q('trepp', `&limit=3${next ? `&after=${encodeURIComponent(next)}` : ''}`));
    single.push(...page.items.map((t) => t.id));
    next = page.next;
  } while (next);
  assert.deepEqual(single, [twice.id, ...newest]);
  assert.equal((await list(boss, q('trepp'))).counts.open, 7);
  stack.sql(`DELETE FROM tickets WHERE id = ${twice.id}`);
  // by last activity
  made.forEach((t, i) => stack.sql(`UPDATE tickets SET updated_at = UTC_TIMESTAMP() - INTERVAL ${(i * 5) % 7} MINUTE WHERE id = ${t.id}`));
  const byActivity = [...made].sort((a, b) => ((made.indexOf(a) * 5) % 7) - ((made.indexOf(b) * 5) % 7)).map((t) => t.id);
  const act = [];
  next = null;
  do {
    const page = await list(boss, q('treppenhaus', `&sort=activity&limit=2${next ? `&after=${encodeURIComponent(next)}` : ''}`));
    act.push(...page.items.map((t) => t.id));
    next = page.next;
  } while (next);
  assert.deepEqual(act, byActivity);
  // the page and its counts in one statement: two round trips with who is asking
  await list(boss, q('treppenhaus'));
  const [n, line] = trips('/api/v1/tickets');
  assert.ok(n <= 2, line);
});

// A search of several words reads the rows of its rarest term and skips the
// tickets whose key bits (sql/004) lack another term's key; what the bits
// let pass is looked up, so a word that only shares its first three letters
// with a term does not match, and rows written before the bits (every bit
// set) or keys in other scripts (every bit) find what they found before.
test('several words: key bits skip, look-ups decide, the description, other scripts, the counts', async () => {
  const t1 = await onCall({ title: 'Heimatverein Zentrum', description: 'Die Heizung im Saal bleibt kalt.', reporter_name: 'Herr Schmidtke' });
  const t2 = await onCall({ title: 'Heizung kaputt', description: 'd', reporter_name: 'Frau Schmidt' });
  const t3 = await onCall({ title: 'Heimweg dunkel', description: 'Lampe', reporter_name: 'Frau Schmidt' });
  const t4 = await onCall({ title: 'Heizung laut', description: 'd', reporter_name: 'Иван Петров' });
  const search = async () => {
    assert.deepEqual(await ids(boss, q('schmidt heizung')), [t2.id, t1.id], 'a prefix of the name, the word only in the description');
    assert.deepEqual(await ids(boss, q('HEIZUNG Schmídt')), [t2.id, t1.id], 'case and accents folded, any order');
    assert.deepEqual(await ids(boss, q('schmidt heiz kap')), [t2.id], 'three words');
    assert.deepEqual(await ids(boss, q('heim schmidt')), [t3.id, t1.id], 'heim: not heizung, which shares its first three letters');
    assert.deepEqual(await ids(boss, q('schmidt heimw')), [t3.id]);
    assert.deepEqual(await ids(boss, q('schmidt he')), [t3.id, t2.id, t1.id], 'a term of two letters');
    assert.deepEqual(await ids(boss, q('schmidtke heizung kaputt')), [], 'every word, not any');
    assert.deepEqual(await ids(boss, q('иван heizung')), [t4.id], 'a name in another script');
    assert.deepEqual(await ids(boss, q('ПЕТРОВ heiz')), [t4.id], 'its case folded by the collation');
    assert.deepEqual(await ids(boss, q('петров laut heiz')), [t4.id]);
    assert.deepEqual(await ids(boss, q('петров kaputt')), []);
  };
  await search();
  // rows written before the bits: every bit set, the same answers
  stack.sql(`UPDATE ticket_words SET key_bits = DEFAULT WHERE ticket_id IN (${t1.id}, ${t3.id}, ${t4.id})`);
  await search();
  assert.equal(stack.portalctl('search', 'rebuild').status, 0);
  await search();

  // the counts of a search: its tickets per status, without the status filter
  const counts = async (query) => (await list(boss, q('schmidt heizung', query))).counts;
  assert.deepEqual(await counts(''), { open: 2, in_progress: 0, waiting: 0, resolved: 0, closed: 0 });
  const res = await boss.json(`/api/v1/tickets/${t1.id}`, { method: 'PATCH', body: { status: 'resolved' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const resolved = await list(boss, q('schmidt heizung', '&status=resolved'));
  assert.deepEqual(resolved.items.map((t) => t.id), [t1.id]);
  assert.deepEqual(resolved.counts, { open: 1, in_progress: 0, waiting: 0, resolved: 1, closed: 0 });
  assert.deepEqual(await counts(`&property_id=${annex}`), { open: 0, in_progress: 0, waiting: 0, resolved: 0, closed: 0 });
  assert.deepEqual(await counts(`&property_id=${house}`), { open: 1, in_progress: 0, waiting: 0, resolved: 1, closed: 0 });
  assert.deepEqual((await list(boss, q('heim schmidt'))).counts, { open: 1, in_progress: 0, waiting: 0, resolved: 1, closed: 0 });
  // pages of one: each ticket once, newest first
  const seen = [];
  let next = null;
  do {
    const page = await list(boss, q('schmidt he', `&limit=1${next ? `&after=${encodeURIComponent(next)}` : ''}`));
    seen.push(...page.items.map((t) => t.id));
    next = page.next;
  } while (next);
  assert.deepEqual(seen, [t3.id, t2.id, t1.id]);
});

test('a changed title: the new words match in the same request, the old ones no more', async () => {
  const t = await onCall({ title: 'Briefkasten klemmt', description: 'Der Schlüssel dreht nicht.' });
  assert.deepEqual(await ids(boss, q('briefkast')), [t.id]);
  const res = await boss.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { title: 'Haustür schließt nicht' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(await ids(boss, q('briefkast')), [], 'the old title is gone');
  assert.deepEqual(await ids(boss, q('haustur schliesst')), [t.id], 'the new one is found, ü and ß folded');
  assert.deepEqual(await ids(boss, q('schlussel')), [t.id], 'the description stays');
  // a refused change changes nothing, in the index neither
  const refused = await boss.json(`/api/v1/tickets/${t.id}`, { method: 'PATCH', body: { title: 'Fenster', status: 'kaputt' } });
  assert.equal(refused.status, 422);
  assert.deepEqual(await ids(boss, q('fenster')), []);
  assert.deepEqual(await ids(boss, q('haustur')), [t.id]);
});

test('portalctl search rebuild fills the index again; an erased resident\'s name leaves it', async () => {
  const t = await onCall({ title: 'Mülltonnen überfüllt', description: 'Seit Wochen' });
  stack.sql(`DELETE FROM ticket_words WHERE ticket_id = ${t.id}`);
  assert.deepEqual(await ids(boss, q('mulltonnen')), [], 'rows written by other means than the portal');
  const r = stack.portalctl('search', 'rebuild');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^indexed \d+ objects$/m);
  assert.deepEqual(await ids(boss, q('mulltonnen')), [t.id]);

  const leaving = await newResident(stack, boss, [house]);
  stack.sql(`UPDATE users SET name = 'Gudrun Zwiebelmeier' WHERE id = ${leaving.id}`);
  const hers = await report(leaving, { title: 'Zwiebelgeruch im Keller', description: 'Riecht nach Zwiebeln.' });
  stack.sql(`DELETE FROM ticket_words WHERE ticket_id = ${hers.id}`);
  assert.equal(stack.portalctl('search', 'rebuild').status, 0);
  assert.deepEqual(await ids(boss, q('gudrun')), [hers.id], 'her name, indexed by the rebuild');
  assert.deepEqual(await ids(boss, q('zwiebelm')), [hers.id]);
  const erased = stack.portalctl('resident', 'erase', leaving.email);
  assert.equal(erased.status, 0, erased.stderr);
  assert.deepEqual(await ids(boss, q('gudrun')), [], 'her name is gone with her');
  assert.deepEqual(await ids(boss, q('zwiebelm')), [], 'all of it');
  assert.deepEqual(await ids(boss, q('zwiebel')), [hers.id], 'what the ticket says stays');
  assert.equal(Number(stack.sql(`SELECT COUNT(*) FROM ticket_words WHERE person_id = ${leaving.id}`).trim()), 0);
});

test('the manager\'s page: two round trips, the search and the employees for the assignee filter', async () => {
  await onCall({ title: 'Garagentor quietscht' });
  const page = async (path) => {
    const res = await boss.fetch(path);
    assert.equal(res.status, 200);
    return res.text();
  };
  // the values of the assignee filter's options
  const assignees = (html) => [...(/<select id="tickets-assignee"[^>]*>([\s\S]*?)<\/select>/.exec(html)[1]
    .matchAll(/<option value="(\d*)"/g))].map((m) => m[1]);
  const colleague = await boss.json('/api/v1/employees', { method: 'POST', body: { email: `kollegin-${Date.now()}@example.org`, name: 'Kollegin' } });
  assert.equal(colleague.status, 201, JSON.stringify(colleague.body));
  for (const path of ['/app/tickets', '/app/tickets?q=garagen', '/app/tickets?q=garagen&sort=activity&status=open']) {
    // a worker reads the categories once (then keeps them): the fewest of four
    const seen = [];
    for (let i = 0; i < 4; i++) {
      const html = await page(path);
      assert.match(html, /Garagentor quietscht/);
      // the assignee filter offers the organisation's managers, no one else
      assert.deepEqual(assignees(html).sort(), ['', String(boss.user.id), String(colleague.body.id)].sort());
      seen.push(trips('/app/tickets'));
    }
    assert.equal(Math.min(...seen.map(([n]) => n)), 2, seen.map(([, l]) => l).join('\n'));
  }
  const selected = await page(`/app/tickets?assignee_id=${boss.user.id}`);
  assert.match(selected, new RegExp(`<option value="${boss.user.id}" selected`));
  assert.doesNotMatch(await page('/app/tickets?q=dachrinne'), /Garagentor quietscht/);
  assert.ok(!assignees(await page('/app/tickets')).includes(String(other.user.id)), 'never another organisation\'s managers');
});
