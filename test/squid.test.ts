/**
 * Across hosts, a caching forward proxy is the shared cache: through Debian's squid, a second
 * Downloader (another host, no rpmfetch cache) is served from squid's cache and still verifies; a
 * squid cache holding a truncated object (the origin once sent a short body with a matching
 * Content-Length, as in the kojipkgs story) is caught, and the package is fetched around it: the retry
 * asks squid to go back to the origin (Cache-Control: no-cache), or goes to the next mirror.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { download, type DownloadOptions } from '../src/index.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { squidMissing, startSquid, type Squid } from './helpers/squid.js';

const NAME = 'rpmfetch-tools-2.1-3.fc40.x86_64.rpm';
const PATH = `Packages/${NAME}`;
const bytes = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages', NAME));
const skip = squidMissing();
const FAST: Partial<DownloadOptions> = { retries: 1, timeouts: { connect: 2000, response: 5000, stall: 2000 }, backoff: { min: 10, max: 40 }, hedge: false, reuse: false };

describe('through squid, a caching forward proxy', { skip }, () => {
  let squid: Squid;
  const mirrors: FaultMirror[] = [];
  before(async () => void (squid = await startSquid()));
  after(async () => {
    await Promise.all(mirrors.map((m) => m.close()));
    await squid?.stop();
  });
  const mirror = async (): Promise<FaultMirror> => {
    const m = await new FaultMirror().start();
    m.files.set(PATH, bytes);
    mirrors.push(m);
    return m;
  };
  const dest = () => mkdtemp(join(tmpdir(), 'rpmfetch-squid-dest-'));

  test('a second host is served from squid\'s cache, and the package still verifies', async () => {
    const m = await mirror();
    const first = await download(PATH, { ...FAST, mirrors: [m.url], dest: await dest(), proxy: squid.url });
    const second = await download(PATH, { ...FAST, mirrors: [m.url], dest: await dest(), proxy: squid.url });
    assert.equal(first.rpm.nevra, 'rpmfetch-tools-1:2.1-3.fc40.x86_64');
    assert.equal(second.verdict.ok, true);
    assert.ok((await readFile(second.file)).equals(bytes));
    assert.equal(m.requestsFor(PATH).length, 1, 'the origin served it once');
    assert.match(await squid.log(), new RegExp(`TCP_(MEM_)?HIT/200 .*${m.url}${PATH}`));
  });

  test('a truncated object in squid\'s cache is caught, and the retry makes squid go back to the origin', async () => {
    const m = await mirror();
    m.fault(PATH, faults.lyingLength(3000));
    // Some earlier client put the short copy in squid's cache.
    const cut = await squid.get(`${m.url}${PATH}`);
    assert.equal(cut.length, bytes.length - 3000);
    assert.ok((await squid.get(`${m.url}${PATH}`)).equals(cut), 'squid serves the short copy from its cache');
    assert.equal(m.requestsFor(PATH).length, 1);
    const r = await download(PATH, { ...FAST, mirrors: [m.url], dest: await dest(), proxy: squid.url });
    assert.ok((await readFile(r.file)).equals(bytes));
    assert.notEqual(r.attempts[0]?.code, 'OK', 'the cached copy failed');
    const origin = m.requestsFor(PATH);
    assert.equal(origin.length, 2, 'squid went back to the origin once');
    assert.equal(origin[1]?.headers['cache-control'], 'no-cache');
  });

  test('or the next mirror serves the rest', async () => {
    const [a, b] = [await mirror(), await mirror()];
    a.fault(PATH, faults.lyingLength(3000));
    await squid.get(`${a.url}${PATH}`);
    const r = await download(PATH, { ...FAST, mirrors: [a.url, b.url], dest: await dest(), proxy: squid.url });
    assert.ok((await readFile(r.file)).equals(bytes));
    assert.equal(r.mirror, b.url);
    assert.equal(a.requestsFor(PATH).length, 1, 'a\'s copy in squid was not asked again');
    assert.equal(b.requestsFor(PATH)[0]?.headers['cache-control'], 'no-cache');
  });
});
