// The systemd unit of portald as make install writes it: systemd-analyze
// verify finds nothing to say about it, its sandbox rates "OK" or better in
// systemd-analyze security, and it keeps the settings production relies on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repo } from './stack.mjs';

const BIN = process.env.PORTAL_BIN || path.join(repo, 'bin');
let work, prefix, unitFile;

// make in the repository for the build under test, with a fresh jobserver
// (see install.test.mjs).
function make(...args) {
  const env = { ...process.env };
  for (const key of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete env[key];
  const san = /\/build\/san\/bin\/?$/.test(BIN) ? ['SAN=1'] : [];
  const r = spawnSync('make', ['-s', ...san, ...args], { cwd: repo, env, encoding: 'utf8' });
  assert.equal(r.status, 0, `make ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
}

// systemd-analyze VERB ... unitFile, run from the unit's folder.
function analyze(...args) {
  return spawnSync('systemd-analyze', [...args, unitFile], { cwd: path.dirname(unitFile), encoding: 'utf8' });
}

// The unit's [Service] settings: each key with its values in order.
function serviceSettings(text) {
  const settings = {};
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1];
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m && section === 'Service') (settings[m[1]] ||= []).push(m[2]);
  }
  return settings;
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-systemd-'));
  prefix = path.join(work, 'prefix');
  make('install', `PREFIX=${prefix}`, `DESTDIR=`, 'SYSCONFDIR=/etc');
  unitFile = path.join(prefix, 'lib/systemd/system/portald.service');
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('make install writes the unit with the installed portald and /etc/portal/portal.conf', () => {
  const s = serviceSettings(fs.readFileSync(unitFile, 'utf8'));
  assert.deepEqual(s.ExecStart, [`${prefix}/bin/portald -c /etc/portal/portal.conf`]);
  assert.deepEqual(s.ExecStartPre, [`${prefix}/bin/portald -t -c /etc/portal/portal.conf`]);
  assert.doesNotMatch(fs.readFileSync(unitFile, 'utf8'), /@[A-Z_]+@/);
});

test('make install honours DESTDIR: the unit lands in the staging folder but names the final paths', () => {
  const stage = path.join(work, 'stage');
  make('install', 'PREFIX=/opt/portal', `DESTDIR=${stage}`, 'SYSCONFDIR=/etc/opt');
  const staged = fs.readFileSync(path.join(stage, 'opt/portal/lib/systemd/system/portald.service'), 'utf8');
  assert.deepEqual(serviceSettings(staged).ExecStart, ['/opt/portal/bin/portald -c /etc/opt/portal/portal.conf']);
});

test('systemd-analyze verify finds nothing to report', () => {
  const r = analyze('verify', '--man=no');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
  // It would: a misspelt setting is reported, so silence above means something.
  const bad = path.join(work, 'bad.service');
  fs.writeFileSync(bad, fs.readFileSync(unitFile, 'utf8').replace('NoNewPrivileges=', 'NoNewPrivilegs='));
  const b = spawnSync('systemd-analyze', ['verify', '--man=no', bad], { cwd: work, encoding: 'utf8' });
  assert.match(`${b.stdout}${b.stderr}`, /Unknown key 'NoNewPrivilegs'/);
});

test('the sandbox: an unprivileged user, read-only system, one writable folder, restart and reload', () => {
  const s = serviceSettings(fs.readFileSync(unitFile, 'utf8'));
  const one = (key) => {
    assert.equal(s[key]?.length, 1, `${key} once`);
    return s[key][0];
  };
  assert.equal(one('User'), 'portal');
  assert.equal(one('Type'), 'simple');
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('PrivateTmp'), 'yes');
  assert.equal(one('ProtectHome'), 'yes');
  assert.equal(one('PrivateDevices'), 'yes');
  assert.equal(one('ReadWritePaths'), '/var/lib/portal');
  assert.equal(one('RuntimeDirectory'), 'portal');
  assert.equal(one('Restart'), 'on-failure');
  assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(one('RestrictAddressFamilies'), 'AF_UNIX AF_INET AF_INET6');
  assert.equal(one('CapabilityBoundingSet'), '');
  assert.ok(s.SystemCallFilter.includes('@system-service'));
  // The socket in /run/portal (RuntimeDirectory) and the example configuration agree.
  const example = fs.readFileSync(path.join(prefix, 'share/portal/portal.conf.example'), 'utf8');
  assert.match(example, /^listen = \/run\/portal\/portald\.sock$/m);
  assert.match(example, /^files_dir = \/var\/lib\/portal\/files$/m);
  assert.match(example, /^tmp_dir = \/var\/lib\/portal\/tmp$/m);
});

test('systemd-analyze security rates the sandbox OK or better (exposure below 2)', () => {
  const r = analyze('security', '--offline=yes', '--no-pager');
  assert.equal(r.status, 0, r.stderr);
  const m = /Overall exposure level for portald\.service: ([\d.]+)/.exec(r.stdout);
  assert.ok(m, r.stdout.slice(-500));
  assert.ok(Number(m[1]) < 2, `exposure ${m[1]}:\n${r.stdout}`);
});
