/**
 * No secret reaches any output: mirror and proxy passwords, tokens in the user part of a URL or in its
 * query. Every channel is read — stdout (--json), stderr (human lines, progress, errors), the debug log,
 * and in the API results, events, errors and their JSON — for a run that succeeds and one that fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { download, type DownloadEvent } from '../src/index.js';
import { ROOT } from './helpers/cli.js';
import { FaultMirror, faults, refusedUrl } from './helpers/fault-mirror.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const NAME = 'rpmfetch-hello-1.0-1.noarch.rpm';
const PATH = `Packages/${NAME}`;
const original = readFileSync(join(FIXTURES, NAME));

const SECRETS = ['MirrorPW-1', 'RedirPW-2', 'ProxyPW-3', 'TokenPW-4', 'UserTOKEN-5'];

function withCredentials(url: string, userinfo: string): string {
  return url.replace('http://', `http://${userinfo}@`);
}

function assertClean(what: string, text: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${what} shows ${secret}:\n${text.slice(Math.max(0, text.indexOf(secret) - 300), text.indexOf(secret) + 100)}`);
}

async function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBUG: 'rpmfetch:*', DEBUG_COLORS: '0', FORCE_COLOR: '0' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = await once(child, 'close');
  return { code: code as number | null, out, err };
}

let good: FaultMirror;
let broken: FaultMirror;
let redirecting: FaultMirror;
let refused: string;
before(async () => {
  good = await new FaultMirror().start();
  good.files.set(PATH, original);
  broken = await new FaultMirror().start();
  broken.always(PATH, faults.status(503));
  redirecting = await new FaultMirror().start();
  redirecting.always(PATH, (ctx) => faults.redirect(`${withCredentials(good.url, 'rd:RedirPW-2')}${PATH}?sig=TokenPW-4`)(ctx));
  refused = await refusedUrl();
});
after(async () => {
  await Promise.all([good.close(), broken.close(), redirecting.close()]);
});

describe('no secret in any output of the command line', () => {
  test('a run that succeeds: --json, human output and the debug log', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-secrets-'));
    const mirror = withCredentials(good.url, 'user:MirrorPW-1');
    const token = `${withCredentials(good.url, 'UserTOKEN-5')}${PATH}?token=TokenPW-4&arch=x86_64`;
    for (const json of [true, false]) {
      const r = await run(['get', '--no-reuse', '--mirror', mirror, '--mirror', withCredentials(redirecting.url, 'r:RedirPW-2'), '--dest', dest, ...(json ? ['--json'] : []), PATH, token]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out + r.err, /\*\*\*@127\.0\.0\.1/, 'the mirror is still named, masked');
      assertClean(json ? 'stdout (--json)' : 'stdout', r.out);
      assertClean('stderr with DEBUG=rpmfetch:*', r.err);
    }
  });

  test('a run that fails: every attempt listed, through a proxy with a password', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-secrets-'));
    for (const json of [true, false]) {
      const r = await run([
        'get', '--retries', '0', '--mirror', withCredentials(broken.url, 'user:MirrorPW-1'), '--mirror', withCredentials(refused, 'user:RedirPW-2'),
        '--dest', dest, ...(json ? ['--json'] : []), PATH,
      ]);
      assert.equal(r.code, 1, r.err);
      assertClean('stdout', r.out);
      assertClean('stderr with DEBUG=rpmfetch:*', r.err);
      const viaProxy = await run(['get', '--retries', '0', '--proxy', withCredentials(refused, 'proxy:ProxyPW-3'), '--mirror', withCredentials(good.url, 'u:MirrorPW-1'), '--dest', dest, ...(json ? ['--json'] : []), PATH]);
      assert.equal(viaProxy.code, 1, viaProxy.err);
      assertClean('stdout through the proxy', viaProxy.out);
      assertClean('stderr through the proxy', viaProxy.err);
    }
  });

  test('usage errors that quote a mirror or a proxy', async () => {
    for (const args of [
      ['get', '--mirror', 'ftp://user:MirrorPW-1@host/', 'x.rpm'],
      ['get', '--mirror', 'http://user:MirrorPW-1@host/?q=1', 'x.rpm'],
      ['get', '--proxy', 'socks5://user:ProxyPW-3@host:1080', '--mirror', 'http://host/', 'x.rpm'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 2, r.err);
      assertClean(`usage error for ${args.join(' ')}`, r.out + r.err);
    }
  });
});

describe('no secret in results, events or errors of the API', () => {
  test('success', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-secrets-'));
    const events: DownloadEvent[] = [];
    const r = await download(PATH, { mirrors: [withCredentials(redirecting.url, 'u:RedirPW-2'), withCredentials(good.url, 'u:MirrorPW-1')], dest, reuse: false, onEvent: (e) => events.push(e) });
    assertClean('the result', JSON.stringify(r));
    assertClean('the events', JSON.stringify(events));
    const t = await download(`${withCredentials(good.url, 'UserTOKEN-5')}${PATH}?token=TokenPW-4`, { mirrors: [], dest, reuse: false, onEvent: (e) => events.push(e) });
    assertClean('the result of a token URL', JSON.stringify(t));
    assertClean('the events of a token URL', JSON.stringify(events));
  });

  test('failure', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-secrets-'));
    const events: DownloadEvent[] = [];
    const err = await download(PATH, {
      mirrors: [withCredentials(broken.url, 'u:MirrorPW-1')],
      proxy: { http: withCredentials(refused, 'p:ProxyPW-3') },
      dest,
      retries: 1,
      backoff: { min: 1, max: 2 },
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e as Error);
    assert.ok(err instanceof Error);
    assertClean('the message', err.message);
    assertClean('the error as JSON', JSON.stringify(err));
    assertClean('the stack', String(err.stack));
    assertClean('the events', JSON.stringify(events));
  });
});
