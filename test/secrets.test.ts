/**
 * No secret reaches any output: mirror and proxy passwords, tokens in the user part of a URL or in its
 * query. Every channel is read — stdout (--json), stderr (human lines, progress, errors), the debug log,
 * and in the API results, events, errors and their JSON — for a run that succeeds and one that fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { download, type DownloadEvent } from '../src/index.js';
import { ROOT } from './helpers/cli.js';
import { FaultMirror, faults, refusedUrl } from './helpers/fault-mirror.js';
import { redactText, redactUrl } from '../src/transport/redact.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const NAME = 'rpmfetch-hello-1.0-1.noarch.rpm';
const PATH = `Packages/${NAME}`;
const original = readFileSync(join(FIXTURES, NAME));

const SECRETS = ['MirrorPW-1', 'RedirPW-2', 'ProxyPW-3', 'TokenPW-4', 'UserTOKEN-5', 'HeaderPW-6', 'PassFilePW-7', 'PassArgPW-8', 'PassEnvPW-9'];

function withCredentials(url: string, userinfo: string): string {
  return url.replace('http://', `http://${userinfo}@`);
}

function assertClean(what: string, text: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${what} shows ${secret}:\n${text.slice(Math.max(0, text.indexOf(secret) - 300), text.indexOf(secret) + 100)}`);
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBUG: 'rpmfetch:*', DEBUG_COLORS: '0', FORCE_COLOR: '0', ...env },
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

  test('headers, --username with each way of giving the password, a token mirror, a mirror dropped for its failures', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-secrets-'));
    const passwordFile = join(dest, 'password');
    await writeFile(passwordFile, 'PassFilePW-7\n');
    const token = `${good.url}?token=TokenPW-4&expires=1`;
    const ways: Array<{ args: string[]; env?: NodeJS.ProcessEnv; password: string }> = [
      { args: ['--password-file', passwordFile], password: 'PassFilePW-7' },
      { args: ['--password', 'PassArgPW-8'], password: 'PassArgPW-8' },
      { args: [], env: { RPMFETCH_PASSWORD: 'PassEnvPW-9' }, password: 'PassEnvPW-9' },
    ];
    for (const json of [true, false]) {
      for (const way of ways) {
        const before = good.log.length;
        const r = await run(
          ['get', '--no-reuse', '--retries', '0', '--max-mirror-failures', '1', '--mirror', refused, '--mirror', token, '--header', 'X-Api-Key: HeaderPW-6', '--header', 'Cookie: s=HeaderPW-6', '--username', 'me', ...way.args, '--dest', dest, ...(json ? ['--json'] : []), PATH],
          way.env,
        );
        assert.equal(r.code, 0, r.err);
        const sent = good.log.slice(before).find((e) => e.path === PATH);
        assert.equal(sent?.search, '?token=TokenPW-4&expires=1', 'the token went after the path');
        assert.equal(sent?.headers['x-api-key'], 'HeaderPW-6');
        assert.equal(sent?.headers.authorization, `Basic ${Buffer.from(`me:${way.password}`).toString('base64')}`);
        assert.match(r.err, /dropped after 1 failed attempt/);
        assertClean(json ? 'stdout (--json)' : 'stdout', r.out);
        assertClean('stderr with DEBUG=rpmfetch:*', r.err);
      }
    }
  });

  test('--header-file: secret headers from a file, out of the process list; its errors name the line, never the text', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-secrets-'));
    const file = join(dest, 'headers');
    await writeFile(file, '# the CDN token\n\nX-Api-Key: HeaderPW-6\r\nX-Trace: visible\n');
    const before = good.log.length;
    const r = await run(['get', '--no-reuse', '--mirror', good.url, '--header', 'X-Other: 1', '--header-file', file, '--dest', dest, PATH]);
    assert.equal(r.code, 0, r.err);
    const sent = good.log.slice(before).find((e) => e.path === PATH);
    assert.equal(sent?.headers['x-api-key'], 'HeaderPW-6');
    assert.equal(sent?.headers['x-trace'], 'visible');
    assert.equal(sent?.headers['x-other'], '1');
    assertClean('stdout', r.out);
    assertClean('stderr with DEBUG=rpmfetch:*', r.err);
    await writeFile(file, 'X-Api-Key HeaderPW-6\n');
    const bad = await run(['get', '--mirror', good.url, '--header-file', file, '--dest', dest, PATH]);
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, /--header-file .*headers line 1 is not "Name: value"/);
    await writeFile(file, 'x-api-key: HeaderPW-6\n');
    const twice = await run(['get', '--mirror', good.url, '--header', 'X-Api-Key: HeaderPW-6', '--header-file', file, '--dest', dest, PATH]);
    assert.equal(twice.code, 2, twice.err);
    assert.match(twice.err, /line 1: "x-api-key" is given twice/);
    const missing = await run(['get', '--mirror', good.url, '--header-file', join(dest, 'nope'), '--dest', dest, PATH]);
    assert.equal(missing.code, 2, missing.err);
    assert.match(missing.err, /--header-file .*nope: ENOENT/);
    for (const o of [bad, twice, missing]) assertClean('usage error', o.out + o.err);
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
      ['get', '--mirror', 'file:///srv/repo/?token=TokenPW-4', 'x.rpm'],
      ['get', '--mirror', 'http://host/', '--header', 'X-Api-Key HeaderPW-6', 'x.rpm'],
      ['get', '--mirror', 'http://host/', '--header', 'Host: HeaderPW-6', 'x.rpm'],
      ['get', '--mirror', 'http://host/', '--header', 'X-A: HeaderPW-6', '--header', 'x-a: HeaderPW-6', 'x.rpm'],
      ['get', '--mirror', 'http://host/', '--header', 'Authorization: Bearer HeaderPW-6', '--username', 'u', 'x.rpm'],
      ['get', '--mirror', 'http://host/', '--password', 'PassArgPW-8', 'x.rpm'],
      ['get', '--mirror', 'http://host/', '--username', 'u', '--password', 'PassArgPW-8\r\nX: 1', 'x.rpm'],
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
      mirrors: [withCredentials(broken.url, 'u:MirrorPW-1'), `${refused}?sig=TokenPW-4`],
      proxy: { http: withCredentials(refused, 'p:ProxyPW-3') },
      headers: { 'X-Api-Key': 'HeaderPW-6' },
      username: 'u',
      password: 'PassArgPW-8',
      maxMirrorFailures: 1,
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

  test('option errors about headers and credentials', async () => {
    for (const bad of [
      { headers: { 'X-A': 'HeaderPW-6\r\nInjected: 1' } },
      { headers: { Host: 'HeaderPW-6' } },
      { headers: { 'X A': 'HeaderPW-6' } },
      { headers: { Authorization: 'Bearer HeaderPW-6' }, username: 'u' },
      { password: 'PassArgPW-8' },
      { username: 'u', password: 'PassArgPW-8\n' },
    ]) {
      const err = await download(PATH, { mirrors: [good.url], ...bad }).catch((e: unknown) => e as Error);
      assert.ok(err instanceof Error && (err as { code?: string }).code === 'ERR_INVALID_OPTION', JSON.stringify(Object.keys(bad)));
      assertClean('the message', err.message);
      assertClean('the error as JSON', JSON.stringify(err));
    }
  });
});

describe('signed URLs of object stores and CDNs', () => {
  const urls = [
    ['https://b.s3.amazonaws.com/p.rpm?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDPW-7&X-Amz-Security-Token=StsPW-7&X-Amz-Signature=SigPW-7', ['AKIDPW-7', 'StsPW-7', 'SigPW-7']],
    ['https://storage.googleapis.com/b/p.rpm?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=SigPW-8', ['SigPW-8']],
    ['https://a.blob.core.windows.net/c/p.rpm?sv=2022-11-02&se=2030-01-01&sp=r&sig=SasPW-9', ['SasPW-9']],
    ['https://d1.cloudfront.net/p.rpm?Expires=1&Signature=CfPW-10&Key-Pair-Id=KeyPW-10', ['CfPW-10', 'KeyPW-10']],
    ['https://cdn.example/p.rpm?hdnts=exp=1~acl=/*~hmac=AkPW-11', ['AkPW-11']],
    ['https://cdn.example/p.rpm?__hdnea__=st=1~exp=2~hmac=AkPW-12', ['AkPW-12']],
  ] as const;
  for (const [url, secrets] of urls) {
    test(new URL(url).host, () => {
      for (const shown of [redactUrl(url), redactText(`GET ${url} failed`)]) {
        for (const secret of secrets) assert.ok(!shown.includes(secret), `${secret} in ${shown}`);
        assert.ok(shown.includes(new URL(url).pathname), 'the path stays readable');
      }
    });
  }
});
