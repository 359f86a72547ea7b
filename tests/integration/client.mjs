// A signed-in API client for the tests: creates an organisation with
// portalctl, activates its first manager through the API, and then sends the
// session cookie and the CSRF token with every request.
//
//   const manager = await newManager(stack);
//   const property = await newProperty(manager, 'Lindenhof');   // { id, name, ... }
//   const resident = await newResident(stack, manager, [property.id]);
import assert from 'node:assert/strict';

export class Client {
  constructor(stack, cookie = '', csrf = '') {
    this.stack = stack;
    this.cookie = cookie;
    this.csrf = csrf;
  }

  // fetch with the session; a plain object body is sent as JSON.
  async fetch(path, init = {}) {
    const headers = { ...(init.headers || {}) };
    if (this.cookie) headers.Cookie = this.cookie;
    if (this.csrf && init.method && init.method !== 'GET') headers['X-CSRF-Token'] = this.csrf;
    let body = init.body;
    if (body && typeof body === 'object' && !(body instanceof FormData) && !Buffer.isBuffer(body)) {
      body = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await this.stack.fetch(path, { ...init, headers, body, redirect: 'manual' });
    const set = res.headers.get('set-cookie');
    if (set) {
      const [pair] = set.split(';');
      this.cookie = pair.endsWith('=') ? '' : pair;
    }
    return res;
  }

  // Signs in again with the address and password it was made with, e.g.
  // once the stack's clock moved past the end of its session.
  async signIn() {
    this.cookie = '';
    const res = await this.json('/api/v1/session', { method: 'POST', body: { email: this.email, password: this.password } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    this.csrf = res.body.csrf_token;
  }

  async json(path, init) {
    const res = await this.fetch(path, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  }
}

let counter = 0;

// A new organisation and its admin manager, signed in. Returns the client with
// org (name), email, password and user (from the activation answer).
export async function newManager(stack, { name } = {}) {
  counter += 1;
  const tag = `${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  const email = `admin-${tag}@example.org`;
  const org = name || `Hausverwaltung ${tag}`;
  const r = stack.portalctl('org', 'create', '--name', org, '--admin-email', email);
  if (r.status !== 0) throw new Error(`portalctl org create failed: ${r.stderr}`);
  const token = /activation: \S+\/activate\/(\S+)/.exec(r.stdout)[1];
  const client = new Client(stack);
  const password = `Sicheres Passwort ${tag}`;
  const res = await client.json('/api/v1/activate', { method: 'POST', body: { token, password } });
  if (res.status !== 200) throw new Error(`activation failed: ${res.status} ${JSON.stringify(res.body)}`);
  client.csrf = res.body.csrf_token;
  Object.assign(client, { org, email, password, user: res.body.user });
  return client;
}

// A resident of the manager's organisation, an active member of propertyIds,
// signed in. The account is made with SQL, its address confirmed (so that it
// gets the residents' mail), and given a password through a reset link.
export async function newResident(stack, manager, propertyIds, { state = 'active', group = 'resident' } = {}) {
  counter += 1;
  const email = `resident-${process.pid}-${counter}@example.org`;
  stack.sql(`INSERT INTO users (org_id, role, email, email_confirmed_at, name, created_at) VALUES (${manager.user.org_id}, 'resident', '${email}', UTC_TIMESTAMP(), 'Rita Resident', UTC_TIMESTAMP())`);
  const id = Number(stack.sql(`SELECT id FROM users WHERE email = '${email}'`).trim());
  for (const p of propertyIds) {
    stack.sql(`INSERT INTO memberships (property_id, user_id, org_id, resident_group, state, joined_at) VALUES (${p}, ${id}, ${manager.user.org_id}, '${group}', '${state}', UTC_TIMESTAMP())`);
  }
  const r = stack.portalctl('user', 'reset-password', email);
  const token = /\/password\/reset\/(\S+)/.exec(r.stdout)[1];
  const client = new Client(stack);
  const password = 'Bewohner Passwort 123';
  const res = await client.json('/api/v1/password/reset', { method: 'POST', body: { token, password } });
  if (res.status !== 200) throw new Error(`reset failed: ${res.status}`);
  const signed = await client.json('/api/v1/session', { method: 'POST', body: { email, password } });
  client.csrf = signed.body.csrf_token;
  Object.assign(client, { email, password, user: signed.body.user, id });
  return client;
}

// A new property of the manager's organisation: the answer's body (id, name, ...).
export async function newProperty(manager, name) {
  const res = await manager.json('/api/v1/properties', { method: 'POST', body: { name } });
  assert.equal(res.status, 201);
  return res.body;
}
