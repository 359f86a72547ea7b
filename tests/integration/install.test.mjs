// make install and a plugin built outside the repository: what lands under
// PREFIX (and under DESTDIR when staging), portal.pc, the SDK headers as C and
// as C++, plugins that export exactly portal_plugin_v1, a copy of
// plugins/example built against the installed SDK alone and served by a stack
// that runs from the installed folders, and the loader's refusal of a plugin
// without its sql/ folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack, repo } from './stack.mjs';
import { newManager } from './client.mjs';

const BIN = process.env.PORTAL_BIN || path.join(repo, 'bin');
let stack, work, prefix, pcEnv;

// The folders make install fills, below PREFIX.
const layout = {
  bin: 'bin',
  plugins: 'lib/portal/plugins',
  include: 'include/portal',
  pkgconfig: 'lib/pkgconfig',
  data: 'share/portal',
  pluginShare: 'share/portal/plugins',
};

const listing = (dir) => fs.readdirSync(dir).sort();
const sourcePlugins = () => listing(path.join(repo, 'plugins')).filter((n) => fs.statSync(path.join(repo, 'plugins', n)).isDirectory());
const subfolders = (dir) => listing(dir).filter((n) => fs.statSync(path.join(dir, n)).isDirectory());

// make in the repository, for the build under test (SAN=1 when PORTAL_BIN is
// the sanitized one). The make running `make test` leaves its jobserver in
// MAKEFLAGS, which a grandchild cannot use: this one starts afresh.
function make(...args) {
  const env = { ...process.env };
  for (const key of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete env[key];
  const san = /\/build\/san\/bin\/?$/.test(BIN) ? ['SAN=1'] : [];
  const r = spawnSync('make', ['-s', ...san, ...args], { cwd: repo, env, encoding: 'utf8' });
  assert.equal(r.status, 0, `make ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
}

// A shell command with the installed portal.pc found by pkg-config.
function sh(command, opts = {}) {
  const r = spawnSync('sh', ['-c', command], { env: pcEnv, encoding: 'utf8', ...opts });
  assert.equal(r.status, 0, `${command}:\n${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

// The symbols a shared object defines for others to use. A sanitized build
// adds ASan's one-definition-rule marker for each exported global.
function exports(file) {
  return sh(`nm -D --defined-only ${file}`)
    .split('\n')
    .map((line) => line.trim().split(/\s+/).pop())
    .filter((name) => name && !name.startsWith('__odr_asan.'));
}

// KEY = value lines of a configuration file.
function readConf(file) {
  const conf = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([a-z_.]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) conf[m[1]] = m[2];
  }
  return conf;
}

// portald -t of the installed portal.conf.example with `changes` appended (a
// later line wins), e.g. a tmp_dir that exists here.
function checkConf(name, changes) {
  const file = path.join(work, `${name}.conf`);
  const extra = Object.entries(changes).map(([k, v]) => `${k} = ${v}\n`).join('');
  fs.writeFileSync(file, fs.readFileSync(path.join(prefix, layout.data, 'portal.conf.example'), 'utf8') + extra);
  return spawnSync(path.join(prefix, layout.bin, 'portald'), ['-t', '-c', file], { encoding: 'utf8' });
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-install-'));
  // portald, run as root, becomes the user portal: it must pass through to the
  // installed plugins (as through /usr/local on a real machine)
  fs.chmodSync(work, 0o711);
  prefix = path.join(work, 'prefix');
  pcEnv = { ...process.env, PKG_CONFIG_PATH: path.join(prefix, layout.pkgconfig) };
  fs.mkdirSync(path.join(work, 'tmp'));
  make('install', `PREFIX=${prefix}`);
  stack = await startStack({ plugins: 'example' });
});
after(async () => {
  await stack?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('make install puts the programs, plugins, their folders, templates, SQL and headers under PREFIX', () => {
  for (const program of ['portald', 'portalctl', 'portal-photo']) fs.accessSync(path.join(prefix, layout.bin, program), fs.constants.X_OK);
  const plugins = sourcePlugins();
  assert.deepEqual(listing(path.join(prefix, layout.plugins)), plugins.map((n) => `${n}.so`));
  for (const name of plugins) {
    const folders = subfolders(path.join(repo, 'plugins', name));
    assert.ok(folders.includes('sql'), `plugins/${name} has a sql/ folder`);
    for (const folder of folders)
      assert.deepEqual(listing(path.join(prefix, layout.pluginShare, name, folder)), listing(path.join(repo, 'plugins', name, folder)), `${name}/${folder}`);
  }
  for (const folder of ['templates', 'sql'])
    assert.deepEqual(listing(path.join(prefix, layout.data, folder)), listing(path.join(repo, folder)), folder);
  assert.deepEqual(listing(path.join(prefix, layout.include)), listing(path.join(repo, 'core/include/portal')).filter((n) => n.endsWith('.h')));
});

test('every plugin, built or installed, exports exactly portal_plugin_v1', () => {
  for (const dir of [path.join(BIN, 'plugins'), path.join(prefix, layout.plugins)])
    for (const file of listing(dir).filter((n) => n.endsWith('.so')))
      assert.deepEqual(exports(path.join(dir, file)), ['portal_plugin_v1'], path.join(dir, file));
});

test('portal.pc: the installed headers, a shared object with hidden visibility, and where plugins go', () => {
  const cflags = sh('pkg-config --cflags portal');
  assert.match(cflags, new RegExp(`-I${prefix}/include(\\s|$)`));
  assert.match(cflags, /-fPIC/);
  assert.match(cflags, /-fvisibility=hidden/);
  assert.doesNotMatch(cflags, /core/);
  assert.equal(sh('pkg-config --libs portal'), '-shared');
  const abi = /#define PORTAL_ABI_VERSION (\d+)u/.exec(fs.readFileSync(path.join(repo, 'core/include/portal/portal.h'), 'utf8'))[1];
  assert.equal(sh('pkg-config --modversion portal'), abi);
  assert.equal(sh('pkg-config --variable=plugindir portal'), path.join(prefix, layout.plugins));
  assert.equal(sh('pkg-config --variable=sharedir portal'), path.join(prefix, layout.pluginShare));
  assert.equal(sh('pkg-config --variable=datadir portal'), path.join(prefix, layout.data));
});

test('the installed SDK headers compile as C11 and as C++17, each alone and all together', () => {
  const headers = listing(path.join(prefix, layout.include));
  const compilers = [
    ['cc', '-x c -std=c11'],
    ['c++', '-x c++ -std=c++17'],
  ];
  const compile = (names, [compiler, lang]) => {
    const source = names.map((h) => `#include <portal/${h}>\n`).join('');
    const r = spawnSync('sh', ['-c', `${compiler} ${lang} -Wall -Wextra -pedantic -Werror $(pkg-config --cflags portal) -fsyntax-only -`], { env: pcEnv, input: source, encoding: 'utf8' });
    assert.equal(r.status, 0, `${compiler} with ${names.join(', ')}:\n${r.stderr}`);
  };
  for (const compiler of compilers) {
    for (const header of headers) compile([header], compiler);
    compile(headers, compiler);
  }
});

test('make install DESTDIR= stages the files for PREFIX under DESTDIR', () => {
  const stage = path.join(work, 'stage');
  make('install', 'PREFIX=/usr/local', `DESTDIR=${stage}`);
  const staged = path.join(stage, 'usr/local');
  fs.accessSync(path.join(staged, layout.bin, 'portald'), fs.constants.X_OK);
  fs.accessSync(path.join(staged, layout.plugins, 'example.so'));
  fs.accessSync(path.join(staged, layout.include, 'portal.h'));
  fs.accessSync(path.join(staged, layout.pluginShare, 'example/sql'));
  assert.deepEqual(listing(stage), ['usr']);
  const pc = fs.readFileSync(path.join(staged, layout.pkgconfig, 'portal.pc'), 'utf8');
  assert.match(pc, /^prefix=\/usr\/local$/m);
  assert.match(pc, /^plugindir=\/usr\/local\/lib\/portal\/plugins$/m);
  const example = readConf(path.join(staged, layout.data, 'portal.conf.example'));
  assert.equal(example.plugin_dir, '/usr/local/lib/portal/plugins');
  assert.ok(!pc.includes(stage) && !Object.values(example).some((v) => v.includes(stage)), 'DESTDIR leaks into the files');
});

test('the example configuration names the installed folders, and portald -t accepts it', () => {
  const conf = readConf(path.join(prefix, layout.data, 'portal.conf.example'));
  assert.equal(conf.plugin_dir, path.join(prefix, layout.plugins));
  assert.equal(conf.plugin_share, path.join(prefix, layout.pluginShare));
  assert.equal(conf.template_dir, path.join(prefix, layout.data, 'templates'));
  assert.equal(conf.sql_dir, path.join(prefix, layout.data, 'sql'));
  const r = checkConf('example', { tmp_dir: path.join(work, 'tmp') });
  assert.equal(r.status, 0, r.stderr);
});

test('a copy of plugins/example built outside the repository against the installed SDK is served', async () => {
  const src = path.join(work, 'example');
  assert.ok(path.relative(repo, src).startsWith('..'), `${src} must be outside ${repo}`);
  fs.cpSync(path.join(repo, 'plugins/example'), src, { recursive: true });
  // another version, to tell this build from the one make built
  const main = path.join(src, 'example.c');
  const text = fs.readFileSync(main, 'utf8');
  assert.match(text, /\.version = "[^"]*"/);
  fs.writeFileSync(main, text.replace(/\.version = "[^"]*"/, '.version = "0.0.1-out-of-tree"'));
  sh('cc $(pkg-config --cflags --libs portal) -o example.so *.c', { cwd: src });
  assert.deepEqual(exports(path.join(src, 'example.so')), ['portal_plugin_v1']);

  // installed where portal.pc says, as an integrator would
  const plugindir = sh('pkg-config --variable=plugindir portal');
  const share = path.join(sh('pkg-config --variable=sharedir portal'), 'example');
  fs.copyFileSync(path.join(src, 'example.so'), path.join(plugindir, 'example.so'));
  fs.rmSync(share, { recursive: true, force: true });
  for (const folder of subfolders(src)) fs.cpSync(path.join(src, folder), path.join(share, folder), { recursive: true });

  // the stack runs from the installed folders the example configuration names
  const conf = readConf(path.join(prefix, layout.data, 'portal.conf.example'));
  stack.setConf({ plugins: 'example', plugin_dir: conf.plugin_dir, plugin_share: conf.plugin_share, template_dir: conf.template_dir, sql_dir: conf.sql_dir });
  await stack.reload();
  const res = await stack.fetch('/api/v1/example');
  assert.equal(res.status, 200);
  assert.equal((await res.json()).plugin, 'example');
  const manager = await newManager(stack);
  const plugins = await manager.json('/api/v1/plugins');
  assert.equal(plugins.status, 200);
  assert.equal(plugins.body.items.find((p) => p.name === 'example')?.version, '0.0.1-out-of-tree');
});

test('a plugin without its sql/ folder is refused by portald -t with one line naming it and the folder', () => {
  const share = path.join(work, 'share-without-sql');
  fs.mkdirSync(path.join(share, 'example'), { recursive: true });
  for (const folder of subfolders(path.join(repo, 'plugins/example')).filter((f) => f !== 'sql'))
    fs.cpSync(path.join(repo, 'plugins/example', folder), path.join(share, 'example', folder), { recursive: true });
  const r = checkConf('without-sql', { tmp_dir: path.join(work, 'tmp'), plugins: 'example', plugin_share: share });
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /plugin example/);
  assert.ok(lines[0].includes(path.join(share, 'example/sql')), lines[0]);
});
