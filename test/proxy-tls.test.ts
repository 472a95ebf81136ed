/**
 * Proxies and TLS against real parts: tinyproxy as the forward proxy (plain http in absolute form,
 * https through CONNECT), the environment variables and NO_PROXY, and nginx speaking TLS with a CA and
 * certificates made in the test, including a mirror that requires a client certificate.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { download, DownloadError, type DownloaderOptions } from '../src/index.js';
import { proxyFor, resolveProxy } from '../src/transport/proxy.js';
import { cli } from './helpers/cli.js';
import { refusedUrl } from './helpers/fault-mirror.js';
import { nginxMissing, startNginx, type Nginx } from './helpers/nginx.js';
import { startTinyproxy, tinyproxyMissing, type Proxy } from './helpers/tinyproxy.js';
import { makeTestPki, opensslMissing, type TestPki } from './helpers/tls.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const FILE = 'rpmfetch-hello-1.0-1.noarch.rpm';
const fast: Partial<DownloaderOptions> = { timeouts: { stall: 3000, response: 3000, connect: 2000 }, backoff: { min: 5, max: 20 }, retries: 0, reuse: false, hedge: false };

describe('proxy configuration', () => {
  const env = { https_proxy: 'http://secure-proxy:3128', HTTP_PROXY: 'proxy.example:8080', NO_PROXY: 'localhost, .internal.example,10.0.0.1:8080, [::1]' };
  test('from the environment: per scheme, bare host:port, lower case first', () => {
    const c = resolveProxy(undefined, env);
    assert.equal(proxyFor(c, new URL('https://mirror.example/x'))?.href, 'http://secure-proxy:3128/');
    assert.equal(proxyFor(c, new URL('http://mirror.example/x'))?.href, 'http://proxy.example:8080/');
    assert.equal(resolveProxy(undefined, { http_proxy: 'http://low:1', HTTP_PROXY: 'http://UP:2' }).http?.host, 'low:1');
    assert.equal(proxyFor(resolveProxy(undefined, { ALL_PROXY: 'http://all:9' }), new URL('https://m/'))?.host, 'all:9');
  });
  test('NO_PROXY: hosts and their subdomains, .domains, ports, IPv6, and *', () => {
    const c = resolveProxy(undefined, env);
    for (const direct of ['http://localhost/', 'https://a.internal.example/', 'https://internal.example/', 'http://10.0.0.1:8080/', 'http://[::1]/']) {
      assert.equal(proxyFor(c, new URL(direct)), undefined, direct);
    }
    for (const proxied of ['http://notlocalhost/', 'http://10.0.0.1/', 'https://internal.example.com/']) assert.ok(proxyFor(c, new URL(proxied)), proxied);
    assert.equal(proxyFor(resolveProxy(undefined, { ...env, no_proxy: '*' }), new URL('https://x/')), undefined);
  });
  test('the option wins over the environment; false turns proxies off; bad URLs are usage errors', () => {
    assert.equal(proxyFor(resolveProxy('http://opt:1'), new URL('https://x/'))?.host, 'opt:1');
    assert.equal(proxyFor(resolveProxy(false, env), new URL('https://x/')), undefined);
    assert.deepEqual(resolveProxy({ https: 'http://s:1', noProxy: 'x' }).noProxy, [{ host: 'x' }]);
    assert.throws(() => resolveProxy('socks5://x:1'), /only http:\/\/ and https:\/\//);
  });
});

describe('through a real forward proxy (tinyproxy)', { skip: tinyproxyMissing() ?? nginxMissing() }, () => {
  let proxy: Proxy;
  let nginx: Nginx;
  const saved = { ...process.env };
  before(async () => {
    const root = await mkdtemp(join(tmpdir(), 'rpmfetch-www-'));
    await copyFile(join(FIXTURES, FILE), join(root, FILE));
    nginx = await startNginx(root);
    proxy = await startTinyproxy();
  });
  after(async () => {
    process.env = saved;
    await proxy?.stop();
    await nginx?.stop();
  });

  test('plain http goes through the proxy (absolute-form request) and verifies', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    const r = await download(FILE, { ...fast, mirrors: [nginx.url], dest, proxy: proxy.url });
    assert.ok((await readFile(r.file)).equals(await readFile(join(FIXTURES, FILE))));
    assert.match(await proxy.log(), new RegExp(`GET ${nginx.url}${FILE}`));
  });

  test('http_proxy from the environment is used; NO_PROXY and proxy: false bypass it', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    process.env.http_proxy = proxy.url;
    delete process.env.no_proxy;
    delete process.env.NO_PROXY;
    const before = (await proxy.log()).split('\n').length;
    await download(FILE, { ...fast, mirrors: [nginx.url], dest });
    const afterEnv = (await proxy.log()).split('\n').length;
    assert.ok(afterEnv > before, 'the environment proxy saw the request');
    process.env.no_proxy = '127.0.0.1';
    await download(FILE, { ...fast, mirrors: [nginx.url], dest });
    delete process.env.no_proxy;
    await download(FILE, { ...fast, mirrors: [nginx.url], dest, proxy: false });
    assert.equal((await proxy.log()).split('\n').length, afterEnv, 'neither NO_PROXY nor proxy: false went through it');
    delete process.env.http_proxy;
  });

  test('a proxy that is down fails the attempt as a connection failure naming the proxy', async () => {
    const dead = await refusedUrl();
    await assert.rejects(download(FILE, { ...fast, mirrors: [nginx.url], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-dest-')), proxy: dead }), (e: unknown) => {
      assert.ok(e instanceof DownloadError);
      assert.equal(e.attempts[0]?.code, 'ERR_CONNECT');
      assert.match(e.attempts[0]?.cause ?? '', /via proxy 127\.0\.0\.1:\d+/);
      return true;
    });
  });

  test('CLI: --proxy and --no-proxy', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    const before = (await proxy.log()).split('\n').length;
    assert.equal((await cli('get', '--quiet', '--no-reuse', '--proxy', proxy.url, '--mirror', nginx.url, '--dest', dest, FILE)).code, 0);
    assert.ok((await proxy.log()).split('\n').length > before);
    process.env.http_proxy = await refusedUrl();
    assert.equal((await cli('get', '--quiet', '--no-reuse', '--no-proxy', '--mirror', nginx.url, '--dest', dest, FILE)).code, 0, '--no-proxy ignores a dead environment proxy');
    delete process.env.http_proxy;
  });
});

describe('TLS: a private CA and client certificates (nginx)', { skip: opensslMissing() ?? nginxMissing() }, () => {
  let pki: TestPki;
  let open: Nginx;
  let mutual: Nginx;
  before(async () => {
    pki = await makeTestPki();
    const root = await mkdtemp(join(tmpdir(), 'rpmfetch-www-'));
    await mkdir(root, { recursive: true });
    await copyFile(join(FIXTURES, FILE), join(root, FILE));
    open = await startNginx(root, undefined, '', { cert: pki.serverCert, key: pki.serverKey });
    mutual = await startNginx(root, undefined, '', { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert });
  });
  after(async () => {
    await open?.stop();
    await mutual?.stop();
  });

  test('an unknown CA fails as ERR_TLS (the mirror is done); with `ca` it verifies', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    await assert.rejects(download(FILE, { ...fast, retries: 2, mirrors: [open.url], dest }), (e: unknown) => {
      assert.ok(e instanceof DownloadError);
      assert.deepEqual(e.attempts.map((a) => a.code), ['ERR_TLS'], 'not retried: a certificate does not fix itself');
      return true;
    });
    const r = await download(FILE, { ...fast, mirrors: [open.url], dest, tls: { ca: pki.ca } });
    assert.equal(r.attempts[0]?.status, 200);
  });

  test('a mirror requiring a client certificate: refused without, served with cert and key', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    await assert.rejects(download(FILE, { ...fast, mirrors: [mutual.url], dest, tls: { ca: pki.ca } }), (e: unknown) => {
      assert.ok(e instanceof DownloadError);
      assert.equal(e.attempts[0]?.status, 400, 'nginx: no required SSL certificate was sent');
      return true;
    });
    const r = await download(FILE, { ...fast, mirrors: [mutual.url], dest, tls: { ca: pki.ca, cert: pki.clientCertPem, key: pki.clientKeyPem } });
    assert.ok((await readFile(r.file)).equals(await readFile(join(FIXTURES, FILE))));
    await assert.rejects(download(FILE, { ...fast, mirrors: [mutual.url], dest, tls: { cert: pki.clientCertPem } }), /tls\.cert and tls\.key go together/);
  });

  test('https through the proxy: CONNECT, TLS end to end with the mirror', { skip: tinyproxyMissing() }, async () => {
    const proxy = await startTinyproxy();
    try {
      const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
      const r = await download(FILE, { ...fast, mirrors: [mutual.url], dest, proxy: proxy.url, tls: { ca: pki.ca, cert: pki.clientCertPem, key: pki.clientKeyPem } });
      assert.equal(r.attempts[0]?.status, 200);
      assert.match(await proxy.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${mutual.port}`));
    } finally {
      await proxy.stop();
    }
  });

  test('a proxy that refuses the tunnel (CONNECT to a port it does not allow) is ERR_PROXY, not retried', { skip: tinyproxyMissing() }, async () => {
    const strict = await startTinyproxy('ConnectPort 443');
    try {
      await assert.rejects(download(FILE, { ...fast, retries: 2, mirrors: [open.url], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-dest-')), proxy: strict.url, tls: { ca: pki.ca } }), (e: unknown) => {
        assert.ok(e instanceof DownloadError);
        assert.deepEqual(e.attempts.map((a) => a.code), ['ERR_PROXY']);
        assert.match(e.attempts[0]?.cause ?? '', /refused the tunnel.*HTTP 403.*via proxy/);
        return true;
      });
    } finally {
      await strict.stop();
    }
  });

  test('CLI: --ca, --client-cert, --client-key (and a missing file is a usage error)', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    const ok = await cli('get', '--quiet', '--no-reuse', '--ca', pki.caCert, '--client-cert', pki.clientCert, '--client-key', pki.clientKey, '--mirror', mutual.url, '--dest', dest, FILE);
    assert.equal(ok.code, 0, ok.err.join('\n'));
    assert.deepEqual(await readdir(dest), [FILE]);
    assert.equal((await cli('get', '--ca', join(pki.dir, 'nope.pem'), '--mirror', mutual.url, FILE)).code, 2);
    assert.equal((await cli('get', '--client-cert', pki.clientCert, '--mirror', mutual.url, FILE)).code, 2);
  });
});
