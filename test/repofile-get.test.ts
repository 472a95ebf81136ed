/**
 * `rpmfetch get --repofile` and `openRepos`: .repo files shaped like Fedora's, served by the test's own
 * mirrors; names resolved across repositories with dnf's rule (priority, then EVR, then cost), one
 * test per tie-break; skip_if_unavailable; variables from each source; a gpgkey read over http.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openRepos, parseRepoFile } from '../src/index.js';
import { cli } from './helpers/cli.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { primaryXml, type PrimaryPackage } from './helpers/primary-xml.js';
import { primaryRecordXml } from './helpers/repo.js';
import { writePackage } from './helpers/rpm-writer.js';

interface Pkg {
  name: string;
  version: string;
  release: string;
}

/** A yum repository holding `packages` (written by the test), as a FaultMirror serves it. */
async function repository(packages: readonly Pkg[]): Promise<FaultMirror> {
  const m = await new FaultMirror().start();
  const entries: PrimaryPackage[] = [];
  for (const p of packages) {
    const bytes = writePackage({ ...p, arch: 'noarch' }).bytes;
    const href = `Packages/${p.name}-${p.version}-${p.release}.noarch.rpm`;
    m.files.set(href, bytes);
    entries.push({ ...p, arch: 'noarch', checksum: { type: 'sha256', hex: createHash('sha256').update(bytes).digest('hex') }, size: bytes.length, href });
  }
  const xml = Buffer.from(primaryXml(entries));
  const packed = gzipSync(xml);
  const href = `repodata/${createHash('sha256').update(packed).digest('hex')}-primary.xml.gz`;
  m.files.set(href, packed);
  m.files.set('repodata/repomd.xml', Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">\n  ${primaryRecordXml(href, packed, xml)}\n</repomd>\n`));
  started.push(m);
  return m;
}

const started: FaultMirror[] = [];
after(async () => Promise.all(started.map((m) => m.close())));

async function work(): Promise<{ dir: string; dest: string; repoFile: (text: string) => Promise<string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-repofile-'));
  const dest = join(dir, 'dest');
  let n = 0;
  return {
    dir,
    dest,
    repoFile: async (text) => {
      const path = join(dir, `r${n++}.repo`);
      await writeFile(path, text);
      return path;
    },
  };
}

const section = (id: string, url: string, extra = '') => `[${id}]\nname=${id}\nbaseurl=${url}\nenabled=1\ngpgcheck=0\n${extra}\n`;
const FAST = ['--retries', '0', '--connect-timeout', '1', '--response-timeout', '1'];

async function getJson(...argv: string[]): Promise<{ code: number; lines: Array<Record<string, unknown>>; err: string[] }> {
  const r = await cli('get', '--json', ...FAST, ...argv);
  return { code: r.code, lines: r.out.map((l) => JSON.parse(l) as Record<string, unknown>), err: r.err };
}

describe('rpmfetch get --repofile', () => {
  test('a Fedora-shaped file: variables in baseurl, disabled sections left out, a JSON line per name with its repository', async () => {
    const fedora = await repository([{ name: 'bash', version: '5.2.26', release: '3.fc41' }]);
    const updates = await repository([{ name: 'bash', version: '5.2.32', release: '1.fc41' }]);
    const w = await work();
    const file = await w.repoFile(
      [
        section('fedora', `${fedora.url}releases/$releasever/Everything/$basearch/os/`),
        section('updates', `${updates.url}`),
        '[fedora-debuginfo]\nname=debug\nbaseurl=http://127.0.0.1:1/$releasever/\nenabled=0\n',
      ].join('\n'),
    );
    // The fedora section's URL holds variables: the mirror serves its tree at that path.
    for (const [path, bytes] of [...fedora.files]) fedora.files.set(`releases/41/Everything/x86_64/os/${path}`, bytes);
    const r = await getJson('--repofile', file, '--releasever', '41', '--setvar', 'basearch=x86_64', '--dest', w.dest, 'bash');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(r.lines.length, 1);
    assert.equal(r.lines[0]?.['repo'], 'updates', 'the higher version wins at equal priority');
    assert.equal(r.lines[0]?.['query'], 'bash');
    assert.equal(r.lines[0]?.['nevra'], 'bash-5.2.32-1.fc41.noarch');
    assert.deepEqual(await readdir(w.dest), ['bash-5.2.32-1.fc41.noarch.rpm']);
    assert.equal(fedora.requestsFor('releases/41/Everything/x86_64/os/repodata/repomd.xml').length, 1, 'the variables were substituted');
  });

  test('priority first: a better-priority repository wins over a higher version elsewhere', async () => {
    const older = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    const newer = await repository([{ name: 'tool', version: '2.0', release: '1' }]);
    const w = await work();
    const file = await w.repoFile(section('pinned', older.url, 'priority=10') + section('newer', newer.url));
    const r = await getJson('--repofile', file, '--dest', w.dest, 'tool');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(r.lines[0]?.['repo'], 'pinned');
    assert.equal(r.lines[0]?.['nevra'], 'tool-1.0-1.noarch');
  });

  test('at equal priority the higher EVR wins whatever the cost', async () => {
    const cheap = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    const dear = await repository([{ name: 'tool', version: '1.0', release: '2' }]);
    const w = await work();
    const file = await w.repoFile(section('cheap', cheap.url, 'cost=10') + section('dear', dear.url, 'cost=5000'));
    const r = await getJson('--repofile', file, '--dest', w.dest, 'tool');
    assert.equal(r.lines[0]?.['repo'], 'dear');
  });

  test('at equal priority and EVR the lower cost wins', async () => {
    const a = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    const b = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    const w = await work();
    const file = await w.repoFile(section('first', a.url, 'cost=2000') + section('second', b.url, 'cost=100'));
    const r = await getJson('--repofile', file, '--dest', w.dest, 'tool');
    assert.equal(r.lines[0]?.['repo'], 'second');
    assert.equal(b.requestsFor('Packages/tool-1.0-1.noarch.rpm').length, 1);
    assert.equal(a.requestsFor('Packages/tool-1.0-1.noarch.rpm').length, 0);
  });

  test('excludepkgs keeps a repository from offering a name; --repoid picks sections', async () => {
    const a = await repository([{ name: 'tool', version: '3.0', release: '1' }]);
    const b = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    const w = await work();
    const file = await w.repoFile(section('a', a.url, 'excludepkgs=tool*') + section('b', b.url));
    const r = await getJson('--repofile', file, '--dest', w.dest, 'tool');
    assert.equal(r.lines[0]?.['repo'], 'b');
    const only = await getJson('--repofile', file, '--repoid', 'a', '--dest', w.dest, 'tool');
    assert.equal(only.code, 1);
    assert.equal((only.lines[0]?.['error'] as { code: string }).code, 'ERR_NOT_IN_REPO');
  });

  test('skip_if_unavailable=1 skips a dead repository with a warning; without it the command fails naming it', async () => {
    const good = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    const dead = await new FaultMirror().start();
    started.push(dead);
    dead.always('repodata/repomd.xml', faults.status(500));
    const w = await work();
    const skipping = await w.repoFile(section('good', good.url) + section('copr-dead', dead.url, 'skip_if_unavailable=True'));
    const r = await cli('get', ...FAST, '--repofile', skipping, '--dest', w.dest, 'tool');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.ok(r.err.some((l) => l.includes('warning: repository copr-dead skipped')), r.err.join('\n'));
    const strict = await w.repoFile(section('good', good.url) + section('copr-dead', dead.url));
    const failed = await getJson('--repofile', strict, '--dest', join(w.dir, 'other'), 'tool');
    assert.equal(failed.code, 1);
    assert.match((failed.lines[0]?.['error'] as { message: string }).message, /^\[copr-dead\]/);
    await assert.rejects(readdir(join(w.dir, 'other')), 'nothing was downloaded');
  });

  test('an unresolved variable is an error naming it, before any request', async () => {
    const m = await repository([]);
    const w = await work();
    const file = await w.repoFile(section('fedora', `${m.url}$releasever/`));
    const r = await cli('get', '--repofile', file, '--dest', w.dest, 'bash');
    assert.equal(r.code, 2);
    assert.match(r.err.join('\n'), /\$releasever/);
    assert.equal(m.requestsFor('repodata/repomd.xml').length, 0);
  });

  test('variables from a vars directory and from DNF_VAR_ in the environment', async () => {
    const m = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    for (const [path, bytes] of [...m.files]) m.files.set(`stream-9/${path}`, bytes);
    const w = await work();
    const vars = join(w.dir, 'vars');
    await mkdir(vars);
    await writeFile(join(vars, 'stream'), 'stream\n');
    const file = await w.repoFile(section('s', `${m.url}$stream-$major/`));
    process.env['DNF_VAR_major'] = '9';
    try {
      const r = await getJson('--repofile', file, '--varsdir', vars, '--dest', w.dest, 'tool');
      assert.equal(r.code, 0, r.err.join('\n'));
      assert.equal(r.lines[0]?.['path'], 'Packages/tool-1.0-1.noarch.rpm');
    } finally {
      delete process.env['DNF_VAR_major'];
    }
  });

  test('flags that belong to --repofile are refused without it, and --mirror with it', async () => {
    const w = await work();
    assert.equal((await cli('get', '--releasever', '41', '--mirror', 'http://127.0.0.1:1/', 'a.rpm')).code, 2);
    const file = await w.repoFile(section('a', 'http://127.0.0.1:1/'));
    assert.equal((await cli('get', '--repofile', file, '--mirror', 'http://127.0.0.1:1/', 'bash')).code, 2);
  });

  test('sslverify=0 is refused, naming the file and line', async () => {
    const w = await work();
    const file = await w.repoFile(section('insecure', 'https://127.0.0.1:1/', 'sslverify=0'));
    const r = await cli('get', '--repofile', file, '--dest', w.dest, 'bash');
    assert.equal(r.code, 2);
    assert.match(r.err.join('\n'), /r\d\.repo:\d+: \[insecure\] sslverify=0/);
  });
});

describe('openRepos', () => {
  test('gpgcheck=1 with a gpgkey served over http: the key is read through the repository Downloader and unsigned packages are refused', async () => {
    const m = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    // Any OpenPGP public key will do to show it is read: unsigned packages then fail ERR_UNSIGNED.
    const { generateKey } = await import('openpgp');
    const { publicKey } = await generateKey({ userIDs: [{ name: 'test' }], format: 'armored' });
    m.files.set('keys/RPM-GPG-KEY-test', Buffer.from(publicKey));
    const [config] = parseRepoFile(section('signed', m.url, `gpgcheck=1\ngpgkey=${m.url}keys/RPM-GPG-KEY-test`).replace('gpgcheck=0\n', ''));
    assert.ok(config);
    const dest = (await work()).dest;
    const set = await openRepos([config], { dest, retries: 0 });
    try {
      const resolved = await set.resolve(['tool']);
      assert.equal(resolved.items[0]?.ok, true);
      const batch = await set.downloadAll(resolved.targets);
      assert.equal(batch.failed, 1);
      const item = batch.items[0];
      assert.ok(item && !item.ok);
      assert.match(JSON.stringify(item.error), /ERR_UNSIGNED/);
      assert.equal(m.requestsFor('keys/RPM-GPG-KEY-test').length, 1);
    } finally {
      set.close();
    }
  });

  test('gpgcheck=1 without gpgkey is refused with the file and line', async () => {
    const [config] = parseRepoFile('[k]\nbaseurl=http://127.0.0.1:1/\ngpgcheck=1\n', { file: 'k.repo' });
    assert.ok(config);
    await assert.rejects(openRepos([config], {}), /k\.repo:3: \[k\] gpgcheck=1 but the repository has no gpgkey/);
  });

  test('the chosen package is read from its own repository file', async () => {
    const m = await repository([{ name: 'tool', version: '1.0', release: '1' }]);
    const w = await work();
    const [config] = parseRepoFile(section('one', m.url));
    assert.ok(config);
    const set = await openRepos([config], { dest: w.dest });
    try {
      const resolved = await set.resolve(['tool']);
      const batch = await set.downloadAll(resolved.targets);
      assert.equal(batch.succeeded, 1);
      const item = batch.items[0];
      assert.ok(item?.ok);
      assert.ok((await readFile(item.result.file)).equals(m.files.get('Packages/tool-1.0-1.noarch.rpm') as Buffer));
    } finally {
      set.close();
    }
  });
});
