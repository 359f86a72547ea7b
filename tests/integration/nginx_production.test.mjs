// The production nginx site (nginx/portal-production.conf.in with the two
// files it shares with the development configuration), rendered as
// nginx/README.md shows, with a self-signed certificate made here, inside a
// main configuration like Debian's (which still allows TLS 1.0 and 1.1 at the
// http level), in front of a test stack's portald: nginx -t accepts it, and
// over https on loopback it speaks HTTP/2, sends HSTS, refuses TLS 1.1 and
// ciphers without forward secrecy, keeps the error JSON, redirects http to
// https, and believes X-Forwarded-For only from a configured trusted proxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack, freePorts, waitFor, isAlive, repo } from './stack.mjs';

const HOST = 'portal.test';
let stack, work, httpsPort, httpPort, nginxPid;

function run(command, args, opts = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...opts });
}

// The three files rendered into work/sites with render.sh: the values an
// operator would give, pointed at this test's folders and ports.
function render(values = {}) {
  const sites = path.join(work, 'sites');
  fs.mkdirSync(sites, { recursive: true });
  const all = {
    SERVER_NAME: HOST,
    HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
    HTTP_LISTEN: `127.0.0.1:${httpPort}`,
    CERT: path.join(work, 'cert.pem'),
    CERT_KEY: path.join(work, 'key.pem'),
    ACME_DIR: path.join(work, 'acme'),
    CONF_DIR: sites,
    SOCKET: path.join(stack.var, 'run/portald.sock'),
    STATIC_DIR: path.join(stack.var, 'static'),
    FILES_DIR: path.join(stack.var, 'files'),
    ACCESS_LOG: path.join(work, 'portal-access.log'),
    ERROR_LOG: path.join(work, 'portal-error.log'),
    FCGI_READ_TIMEOUT: '35',
    SESSION_RATE: '10r/s',
    SESSION_BURST: '20',
    METRICS_ALLOW: '',
    TRUSTED_PROXIES: '',
    ...values,
  };
  const pairs = Object.entries(all).map(([k, v]) => `${k}=${v}`);
  for (const [name, out] of [['portal-http', 'portal-http.conf'], ['portal-server', 'portal-server.conf'], ['portal-production', 'portal']]) {
    const r = run('sh', [path.join(repo, 'nginx/render.sh'), path.join(repo, `nginx/${name}.conf.in`), ...pairs]);
    assert.equal(r.status, 0, `render ${name}: ${r.stderr}`);
    fs.writeFileSync(path.join(sites, out), r.stdout);
  }
}

// Debian 12's nginx.conf, trimmed to what matters here, with the site included
// as sites-enabled/ would.
function writeMainConf() {
  const root = process.getuid() === 0;
  fs.writeFileSync(path.join(work, 'nginx.conf'), `${root ? 'user www-data;\n' : ''}worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/error.log warn;
events { worker_connections 64; }
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
	ssl_prefer_server_ciphers on;
	access_log ${work}/access.log;
	client_body_temp_path ${work}/tmp/body;
	fastcgi_temp_path ${work}/tmp/fastcgi;
	proxy_temp_path ${work}/tmp/proxy;
	uwsgi_temp_path ${work}/tmp/uwsgi;
	scgi_temp_path ${work}/tmp/scgi;
	gzip on;
	include ${work}/sites/portal;
}
`);
}

const nginxArgs = () => ['-p', `${work}/`, '-c', path.join(work, 'nginx.conf'), '-e', path.join(work, 'error.log')];

async function startNginx() {
  const r = run('nginx', nginxArgs());
  assert.equal(r.status, 0, `nginx: ${r.stderr}`);
  nginxPid = Number(fs.readFileSync(path.join(work, 'nginx.pid'), 'utf8'));
  await waitFor('nginx on https', () => curl(['-o', '/dev/null', `https://${HOST}:${httpsPort}/static/.ready`]).status === 0);
}

async function stopNginx() {
  if (!nginxPid) return;
  try {
    process.kill(nginxPid, 'SIGTERM');
  } catch { /* gone */ }
  await waitFor('nginx to stop', () => !isAlive(nginxPid));
  nginxPid = null;
}

// curl with the test's certificate as the only trusted one and HOST resolved to loopback.
function curl(args) {
  return run('curl', ['-sS', '--max-time', '10', '--cacert', path.join(work, 'cert.pem'),
    '--resolve', `${HOST}:${httpsPort}:127.0.0.1`, '--resolve', `${HOST}:${httpPort}:127.0.0.1`, ...args]);
}

// The status line and headers (lower-case names) of a request.
function head(url, extra = []) {
  const r = curl(['-D', '-', '-o', '/dev/null', ...extra, url]);
  assert.equal(r.status, 0, r.stderr);
  const [status, ...lines] = r.stdout.trim().split(/\r?\n/);
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status.split(' ')[1]), version: status.split(' ')[0], headers };
}

// Does a TLS handshake with these openssl s_client options succeed? The client
// allows everything (security level 0), so only the server can refuse.
function handshake(...options) {
  const r = run('openssl', ['s_client', '-connect', `127.0.0.1:${httpsPort}`, '-servername', HOST, ...options], { input: '' });
  return r.status === 0 && /Cipher is [A-Z0-9]/.test(r.stdout) && !/Cipher is \(NONE\)/.test(r.stdout);
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-nginx-prod-'));
  fs.chmodSync(work, 0o711);
  fs.mkdirSync(path.join(work, 'tmp'));
  fs.mkdirSync(path.join(work, 'acme'));
  const cert = run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${HOST}`,
    '-addext', `subjectAltName=DNS:${HOST}`, '-keyout', path.join(work, 'key.pem'), '-out', path.join(work, 'cert.pem')]);
  assert.equal(cert.status, 0, cert.stderr);
  [httpsPort, httpPort] = await freePorts(2);
  stack = await startStack();
  render();
  writeMainConf();
});
after(async () => {
  await stopNginx().catch(() => {});
  await stack?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('nginx -t accepts the rendered site inside a Debian-like nginx.conf', () => {
  const r = run('nginx', ['-t', ...nginxArgs()]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /test is successful/);
  const site = fs.readFileSync(path.join(work, 'sites/portal'), 'utf8');
  assert.doesNotMatch(site, /@[A-Z_]+@|\{\}/);
  assert.doesNotMatch(site, /set_real_ip_from|real_ip_header/, 'no trusted proxy unless configured');
});

test('render.sh refuses a template whose placeholder has no value', () => {
  const r = run('sh', [path.join(repo, 'nginx/render.sh'), path.join(repo, 'nginx/portal-production.conf.in'), `SERVER_NAME=${HOST}`]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no value for/);
});

test('https with HTTP/2 and HSTS on the portal, static files and nginx\'s own errors', async () => {
  await startNginx();
  const page = head(`https://${HOST}:${httpsPort}/login`, ['--http2']);
  assert.equal(page.version, 'HTTP/2');
  assert.equal(page.status, 200);
  assert.equal(page.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
  assert.match(page.headers['x-request-id'], /^[0-9a-f]{32}$/);
  const css = fs.readdirSync(path.join(repo, 'templates/static')).find((n) => n.endsWith('.css'));
  const file = head(`https://${HOST}:${httpsPort}/static/${css}`);
  assert.equal(file.status, 200);
  assert.ok(file.headers['strict-transport-security']);
  const missing = head(`https://${HOST}:${httpsPort}/static/.hidden`);
  assert.equal(missing.status, 404);
  assert.ok(missing.headers['strict-transport-security']);
  // The development stack, plain http, sends no HSTS.
  const plain = await stack.fetch('/login');
  assert.equal(plain.headers.get('strict-transport-security'), null);
});

test('TLS 1.2 and 1.3 only, and TLS 1.2 only with forward-secret ciphers', () => {
  const any = ['-cipher', 'ALL:@SECLEVEL=0'];
  assert.equal(handshake('-tls1_3'), true, 'TLS 1.3');
  assert.equal(handshake('-tls1_2', ...any), true, 'TLS 1.2');
  assert.equal(handshake('-tls1_1', ...any), false, 'TLS 1.1 refused');
  assert.equal(handshake('-tls1', ...any), false, 'TLS 1.0 refused');
  assert.equal(handshake('-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'), true, 'ECDHE');
  assert.equal(handshake('-tls1_2', '-cipher', 'AES128-GCM-SHA256:@SECLEVEL=0'), false, 'RSA key exchange refused');
  assert.equal(handshake('-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0'), false, 'CBC refused');
});

test('errors nginx answers itself keep the API\'s JSON over https', () => {
  const r = curl(['-X', 'TRACE', '-D', '-', `https://${HOST}:${httpsPort}/api/v1/session`]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^HTTP\/\S+ 405/);
  assert.match(r.stdout, /content-type: application\/json/i);
  assert.match(r.stdout, /strict-transport-security: max-age=/i);
  assert.match(r.stdout, /"code":"method_not_allowed"/);
});

test('plain http redirects to https (and serves certbot\'s challenges)', () => {
  const r = head(`http://${HOST}:${httpPort}/login?next=%2Fapp`);
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, `https://${HOST}/login?next=%2Fapp`);
  fs.mkdirSync(path.join(work, 'acme/.well-known/acme-challenge'), { recursive: true });
  fs.writeFileSync(path.join(work, 'acme/.well-known/acme-challenge/t0ken'), 'proof');
  fs.chmodSync(path.join(work, 'acme/.well-known/acme-challenge/t0ken'), 0o644);
  const c = curl([`http://${HOST}:${httpPort}/.well-known/acme-challenge/t0ken`]);
  assert.equal(c.stdout, 'proof');
});

// The client address nginx logs (and hands portald as REMOTE_ADDR) for a
// request that claims to come from 203.0.113.7.
function loggedAddress(probe) {
  const r = curl(['-o', '/dev/null', '-H', 'X-Forwarded-For: 203.0.113.7', `https://${HOST}:${httpsPort}/${probe}`]);
  assert.equal(r.status, 0, r.stderr);
  const line = fs.readFileSync(path.join(work, 'portal-access.log'), 'utf8').split('\n').find((l) => l.includes(probe));
  assert.ok(line, `access line of ${probe}`);
  return line.split(' ')[0];
}

test('X-Forwarded-For counts only from a configured trusted proxy', async () => {
  assert.equal(loggedAddress('probe-untrusted'), '127.0.0.1');
  await stopNginx();
  render({ TRUSTED_PROXIES: '10.9.8.0/24 127.0.0.1' });
  const site = fs.readFileSync(path.join(work, 'sites/portal'), 'utf8');
  assert.match(site, /set_real_ip_from 10\.9\.8\.0\/24;\n\s*set_real_ip_from 127\.0\.0\.1;/);
  await startNginx();
  assert.equal(loggedAddress('probe-trusted'), '203.0.113.7');
});

// The status of GET /metrics over https for a client a trusted proxy names
// (none: the connection's own loopback address), and whether portald saw it.
function metricsFrom(client) {
  const before = stack.log().split('\n').filter((l) => l.includes('GET /metrics ')).length;
  const header = client ? ['-H', `X-Forwarded-For: ${client}`] : [];
  const r = curl(['-o', '/dev/null', '-w', '%{http_code}', ...header, `https://${HOST}:${httpsPort}/metrics`]);
  assert.equal(r.status, 0, r.stderr);
  const seen = stack.log().split('\n').filter((l) => l.includes('GET /metrics ')).length > before;
  return { status: Number(r.stdout), reachedPortald: seen };
}

test('/metrics only for loopback and the configured addresses: nginx refuses first, portald again', async () => {
  await stopNginx();
  render({ TRUSTED_PROXIES: '127.0.0.1' });
  await startNginx();
  assert.deepEqual(metricsFrom(null), { status: 200, reachedPortald: true });
  assert.deepEqual(metricsFrom('203.0.113.7'), { status: 404, reachedPortald: false }, 'nginx refuses');
  // nginx lets the address through, portald (metrics_allow empty) does not.
  await stopNginx();
  render({ TRUSTED_PROXIES: '127.0.0.1', METRICS_ALLOW: '203.0.113.0/24' });
  await startNginx();
  assert.deepEqual(metricsFrom('203.0.113.7'), { status: 404, reachedPortald: true }, 'portald refuses');
  assert.match(stack.log(), /GET \/metrics 404 /);
  assert.deepEqual(metricsFrom('198.51.100.1'), { status: 404, reachedPortald: false });
  // Both name it: served.
  stack.setConf({ metrics_allow: '192.0.2.1 203.0.113.0/24' });
  await stack.reload();
  assert.deepEqual(metricsFrom('203.0.113.7'), { status: 200, reachedPortald: true });
  assert.deepEqual(metricsFrom('203.0.114.7'), { status: 404, reachedPortald: false });
  const body = curl(['-H', 'X-Forwarded-For: 203.0.113.9', `https://${HOST}:${httpsPort}/metrics`]).stdout;
  assert.match(body, /^# HELP portal_requests_total /m);
  // /healthz is for anyone.
  const health = curl(['-H', 'X-Forwarded-For: 198.51.100.1', `https://${HOST}:${httpsPort}/healthz`]);
  assert.equal(health.stdout, '{"status":"ok"}\n');
});
