/**
 * `rpmfetch get --json` prints exactly one line per target, and each names the destination that target
 * asked for (`--dest` joined with its `file`), for successes and failures alike, when several targets
 * share a path, for errors no event reported, and in repository mode.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DownloadError } from '../src/errors.js';
import { ResultLines } from '../src/cli/result-lines.js';
import type { DownloadResult } from '../src/client/result.js';
import { cli } from './helpers/cli.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { HELLO, TOOLS_SRC } from './helpers/fixture-files.js';
import { fixturePackages, mirrorTree } from './helpers/fixture-repo.js';

const A = HELLO.name;
const B = TOOLS_SRC.name;
const fast = ['--retries', '0', '--stall-timeout', '0.5', '--response-timeout', '2', '--min-rate', '0'];

interface Line {
  file: string | null;
  ok: boolean;
  path: string;
  query?: string;
  error?: { code: string };
}
const parse = (out: string[]) => out.map((l) => JSON.parse(l) as Line);

describe('--json names the destination each target asked for', () => {
  let m: FaultMirror;

  before(async () => {
    m = await new FaultMirror().start();
    m.files.set(`p/${A}`, HELLO.bytes);
    m.files.set(`p/${B}`, TOOLS_SRC.bytes);
  });
  after(() => m.close());

  async function getManifest(lines: object[]) {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-json-'));
    const manifest = `${dest}.jsonl`;
    await writeFile(manifest, lines.map((l) => JSON.stringify(l)).join('\n'));
    return { dest, r: await cli('get', '--json', '--mirror', m.url, '--dest', dest, '--manifest', manifest, ...fast) };
  }

  test('a failed target with a `file` is reported under that file, not its path\'s last segment', async () => {
    const { dest, r } = await getManifest([{ path: `p/${A}`, file: 'b.rpm', sha256: TOOLS_SRC.sha256 }]);
    assert.equal(r.code, 1);
    const [line] = parse(r.out);
    assert.deepEqual([line?.ok, line?.file, line?.error?.code], [false, join(dest, 'b.rpm'), 'ERR_ALL_MIRRORS_FAILED']);
    assert.deepEqual(await readdir(dest), []);
  });

  test('targets sharing a path, one good and one bad, each get one line under their own file', async () => {
    const { dest, r } = await getManifest([
      { path: `p/${A}`, file: 'bad-copy', sha256: TOOLS_SRC.sha256 },
      { path: `p/${A}`, file: 'good-copy' },
      { path: `p/${B}`, file: 'too-small', size: 5 },
      { path: `p/${B}` },
    ]);
    assert.equal(r.code, 1);
    const lines = parse(r.out);
    assert.equal(lines.length, 4, r.out.join('\n'));
    const byFile = Object.fromEntries(lines.map((l) => [l.file, l.ok]));
    assert.deepEqual(byFile, { [join(dest, 'bad-copy')]: false, [join(dest, 'good-copy')]: true, [join(dest, 'too-small')]: false, [join(dest, B)]: true });
    assert.deepEqual((await readdir(dest)).sort(), [B, 'good-copy'].sort());
  });

  test('repository mode: every line names the package file in --dest, with its query', async () => {
    const packages = await fixturePackages();
    const repo = await new FaultMirror().start();
    try {
      for (const [path, bytes] of mirrorTree(packages)) repo.files.set(path, bytes);
      const data = packages.find((p) => p.name === 'rpmfetch-data');
      const hello = packages.find((p) => p.name === 'rpmfetch-hello' && p.arch === 'noarch');
      assert.ok(data && hello);
      repo.always(data.repoPath, faults.otherBytes(HELLO.bytes));
      const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-json-'));
      const r = await cli('get', '--repo', '--json', '--mirror', repo.url, '--dest', dest, ...fast, 'rpmfetch-data', 'rpmfetch-hello');
      assert.equal(r.code, 1);
      const byQuery = Object.fromEntries(parse(r.out).map((l) => [l.query, [l.ok, l.file]]));
      assert.deepEqual(byQuery, {
        'rpmfetch-data': [false, join(dest, basename(data.repoPath))],
        'rpmfetch-hello': [true, join(dest, basename(hello.repoPath))],
      });
    } finally {
      await repo.close();
    }
  });
});

describe('ResultLines', () => {
  const dest = '/d';
  const result = (file: string) => ({ file, rpm: { nevra: 'x-1-1.noarch' }, attempts: [], digests: {} }) as unknown as DownloadResult;
  const error = (path: string) => new DownloadError('ERR_ALL_MIRRORS_FAILED', path, 'every mirror failed', []);

  test('an error no event reported (raised by the API before any request) still gets its line, under its file', () => {
    const out: string[] = [];
    const lines = new ResultLines(dest, (l) => out.push(l));
    lines.expect([{ path: 'p/a.rpm', file: 'b.rpm' }]);
    lines.finish([{ target: 'p/a.rpm', ok: false, error: error('p/a.rpm') }]);
    assert.deepEqual(parse(out).map((l) => [l.file, l.ok, l.error?.code]), [['/d/b.rpm', false, 'ERR_ALL_MIRRORS_FAILED']]);
  });

  test('a failure on a shared path waits for the items, which say which target it was; nothing is printed twice', () => {
    const out: string[] = [];
    const lines = new ResultLines(dest, (l) => out.push(l));
    const targets = [
      { path: 'p/a.rpm', file: 'one' },
      { path: 'p/a.rpm', file: 'two' },
      { path: 'p/c.rpm' },
    ];
    lines.expect(targets);
    lines.onEvent({ type: 'failed', target: 'p/a.rpm', error: error('p/a.rpm') });
    assert.equal(out.length, 0, 'ambiguous: deferred');
    lines.onEvent({ type: 'done', target: 'p/a.rpm', result: result('/d/two') });
    lines.onEvent({ type: 'failed', target: 'p/c.rpm', error: error('p/c.rpm') });
    lines.onEvent({ type: 'failed', target: 'repodata/repomd.xml', error: error('repodata/repomd.xml') });
    assert.deepEqual(parse(out).map((l) => l.file), ['/d/two', '/d/c.rpm']);
    lines.finish([
      { target: 'p/a.rpm', ok: false, error: error('p/a.rpm') },
      { target: 'p/a.rpm', ok: true, result: result('/d/two') },
      { target: 'p/c.rpm', ok: false, error: error('p/c.rpm') },
    ]);
    assert.deepEqual(parse(out).map((l) => [l.file, l.ok]), [['/d/two', true], ['/d/c.rpm', false], ['/d/one', false]]);
  });
});
