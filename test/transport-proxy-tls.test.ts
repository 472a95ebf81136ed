/**
 * The HTTP client of src/transport against real parts: tinyproxy as the forward proxy (plain http in
 * absolute form, https through CONNECT, credentials, a proxy refusing tunnels) and
 * nginx speaking TLS with a CA and certificates made in the test (unknown CA, extra CA, client
 * certificates, https → http redirects). Skips with the reason where nginx, tinyproxy or openssl are
 * missing; never under CI. Proxies that are dead, silent or not HTTP are in transport.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createTlsServer } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { resolveProxy } from '../src/transport/proxy.js';
import type { HttpResponse } from '../src/transport/index.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { client, failure, get, sha, TEST } from './helpers/http-client.js';
import { nginxMissing, startNginx, type Nginx } from './helpers/nginx.js';
import { startTinyproxy, tinyproxyMissing, type Proxy } from './helpers/tinyproxy.js';
import { makeTestPki, opensslMissing, type TestPki } from './helpers/tls.js';

const FILE = 'file.bin';
const content = Buffer.alloc(5 * 1024 * 1024 + 3);
for (let i = 0; i < content.length; i++) content[i] = (i * 13 + (i >> 9)) & 0xff;

/** The body's SHA-256, hashed straight from the read buffer's views. */
async function bodyHash(res: HttpResponse): Promise<string> {
  const hash = createHash('sha256');
  await res.read((chunk) => {
    hash.update(chunk);
  });
  return sha(hash);
}

async function webRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'rpmfetch-www-'));
  await writeFile(join(root, FILE), content);
  return root;
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

describe('through a real forward proxy (tinyproxy)', { skip: tinyproxyMissing() ?? nginxMissing() }, () => {
  let nginx: Nginx;
  let proxy: Proxy;
  let guarded: Proxy;
  before(async () => {
    nginx = await startNginx(await webRoot());
    proxy = await startTinyproxy();
    guarded = await startTinyproxy('BasicAuth builder secret');
  });
  after(async () => {
    await proxy?.stop();
    await guarded?.stop();
    await nginx?.stop();
  });

  test('plain http goes to the proxy in absolute form', TEST, async () => {
    const c = client({ proxy: resolveProxy(proxy.url) });
    // tinyproxy closes its client connections after each response; reuse of a proxy connection is
    // tested against a scripted proxy in transport.test.ts.
    for (let i = 0; i < 3; i++) assert.equal(await bodyHash(await get(c, `${nginx.url}${FILE}`)), sha(content));
    assert.equal(count(await proxy.log(), new RegExp(`GET ${nginx.url}${FILE}`)), 3);
  });

  test('NO_PROXY: the host is reached directly', TEST, async () => {
    const before = await proxy.log();
    const c = client({ proxy: resolveProxy({ http: proxy.url, noProxy: `127.0.0.1:${nginx.port}` }) });
    assert.equal(await bodyHash(await get(c, `${nginx.url}${FILE}`)), sha(content));
    assert.equal(await proxy.log(), before);
  });

  test('a redirect is routed afresh: across NO_PROXY, the second hop goes direct', TEST, async () => {
    const m = await new FaultMirror().start();
    try {
      m.fault('hop', faults.redirect(`${nginx.url}${FILE}`));
      const before = count(await proxy.log(), new RegExp(`GET ${nginx.url}${FILE}`));
      const c = client({ proxy: resolveProxy({ http: proxy.url, noProxy: `127.0.0.1:${nginx.port}` }) });
      const res = await get(c, `${m.url}hop`);
      assert.equal(await bodyHash(res), sha(content));
      const log = await proxy.log();
      assert.match(log, new RegExp(`GET ${m.url}hop`));
      assert.equal(count(log, new RegExp(`GET ${nginx.url}${FILE}`)), before);
    } finally {
      await m.close();
    }
  });

  test('proxy credentials: sent decoded as Proxy-Authorization; without them the proxy answers 407', TEST, async () => {
    const withCredentials = guarded.url.replace('//', '//builder:s%65cret@');
    const c = client({ proxy: resolveProxy(withCredentials) });
    assert.equal(await bodyHash(await get(c, `${nginx.url}${FILE}`)), sha(content));
    const res = await get(client({ proxy: resolveProxy(guarded.url) }), `${nginx.url}${FILE}`);
    assert.equal(res.status, 407);
    res.discard();
  });

});

describe('TLS: a private CA and client certificates (nginx)', { skip: opensslMissing() ?? nginxMissing() }, () => {
  let pki: TestPki;
  let open: Nginx;
  let mutual: Nginx;
  let plain: Nginx;
  before(async () => {
    pki = await makeTestPki();
    const root = await webRoot();
    plain = await startNginx(root);
    open = await startNginx(root, undefined, `location = /to-http { return 302 ${plain.url}${FILE}; }`, { cert: pki.serverCert, key: pki.serverKey });
    mutual = await startNginx(root, undefined, '', { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert });
  });
  after(async () => {
    await open?.stop();
    await mutual?.stop();
    await plain?.stop();
  });

  test('an unknown CA is ERR_TLS saying why; with `ca` added it verifies, and keeps its connection', TEST, async () => {
    const err = await failure(get(client(), `${open.url}${FILE}`));
    assert.deepEqual([err.code, err.phase], ['ERR_TLS', 'connect']);
    assert.match(err.message, /TLS with 127\.0\.0\.1:\d+ failed: .*(certificate|UNABLE_TO)/i);
    const c = client({ tls: { ca: pki.ca } });
    for (let i = 0; i < 3; i++) assert.equal(await bodyHash(await get(c, `${open.url}${FILE}`)), sha(content));
    assert.deepEqual(c.stats, { idle: 1, open: 1 });
  });

  test('a server requiring a client certificate: refused without (nginx answers 400), served with cert and key', TEST, async () => {
    const without = await get(client({ tls: { ca: pki.ca } }), `${mutual.url}${FILE}`);
    assert.equal(without.status, 400);
    without.discard();
    const c = client({ tls: { ca: [pki.ca], cert: pki.clientCertPem, key: pki.clientKeyPem } });
    assert.equal(await bodyHash(await get(c, `${mutual.url}${FILE}`)), sha(content));
  });

  test('https → http redirects are refused unless allowed', TEST, async () => {
    const c = client({ tls: { ca: pki.ca } });
    const err = await failure(get(c, `${open.url}to-http`));
    assert.deepEqual([err.code, err.status], ['ERR_REDIRECT_REFUSED', 302]);
    assert.match(err.message, /from https to http refused/);
    const res = await get(c, `${open.url}to-http`, { allowInsecureRedirects: true });
    assert.equal(res.url.href, `${plain.url}${FILE}`);
    assert.equal(await bodyHash(res), sha(content));
  });

  test('a TLS server sending many records at once to a consumer that is busy after each chunk: every byte in order', TEST, async () => {
    // A TLS socket keeps handing over what it has decrypted while paused: what is held must survive it.
    const chunks: Buffer[] = [];
    for (let at = 0; at < 3_000_000; at += 1000) chunks.push(Buffer.from(`3e8\r\n`), content.subarray(at, at + 1000), Buffer.from('\r\n'));
    const wire = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), ...chunks, Buffer.from('0\r\n\r\n')]);
    const server = createTlsServer({ cert: await readFile(pki.serverCert), key: await readFile(pki.serverKey) }, (socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.write(wire));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const c = client({ tls: { ca: pki.ca } });
      const res = await get(c, `https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await sleep(20);
      const hash = createHash('sha256');
      await res.read(async (chunk) => {
        hash.update(chunk);
        await new Promise((resolve) => setImmediate(resolve));
      });
      assert.equal(sha(hash), sha(content.subarray(0, 3_000_000)));
    } finally {
      server.close();
    }
  });

  describe('https through the proxy', { skip: tinyproxyMissing() }, () => {
    let proxy: Proxy;
    let strict: Proxy;
    let guarded: Proxy;
    before(async () => {
      proxy = await startTinyproxy();
      // Tunnels to port 443 only: the test servers are elsewhere.
      strict = await startTinyproxy('ConnectPort 443');
      guarded = await startTinyproxy('BasicAuth builder secret');
    });
    after(async () => {
      await Promise.all([proxy, strict, guarded].map((p) => p?.stop()));
    });

    test('CONNECT, then TLS end to end with the server; the tunnel is kept for the next request', TEST, async () => {
      const c = client({ proxy: resolveProxy(proxy.url), tls: { ca: pki.ca, cert: pki.clientCertPem, key: pki.clientKeyPem } });
      for (let i = 0; i < 2; i++) assert.equal(await bodyHash(await get(c, `${mutual.url}${FILE}`)), sha(content));
      assert.equal(count(await proxy.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${mutual.port}`)), 1);
    });

    test('a proxy that refuses the tunnel (CONNECT to a port it does not allow): ERR_PROXY with its 403', TEST, async () => {
      const err = await failure(get(client({ proxy: resolveProxy(strict.url), tls: { ca: pki.ca } }), `${open.url}${FILE}`));
      assert.deepEqual([err.code, err.phase, err.status], ['ERR_PROXY', 'connect', 403]);
      assert.match(err.message, /refused the tunnel.*HTTP 403.*via proxy 127\.0\.0\.1:\d+/);
    });

    test('proxy credentials on CONNECT: 407 without them, a tunnel with them', TEST, async () => {
      const err = await failure(get(client({ proxy: resolveProxy(guarded.url), tls: { ca: pki.ca } }), `${open.url}${FILE}`));
      assert.deepEqual([err.code, err.status], ['ERR_PROXY', 407]);
      const c = client({ proxy: resolveProxy(guarded.url.replace('//', '//builder:s%65cret@')), tls: { ca: pki.ca } });
      assert.equal(await bodyHash(await get(c, `${open.url}${FILE}`)), sha(content));
    });
  });
});
