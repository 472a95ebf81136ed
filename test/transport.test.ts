/**
 * The HTTP client of src/transport against hostile and broken servers: every fault of the fault
 * mirror, responses that are not plain HTTP/1.x, keep-alive and the stale-connection race, each
 * timeout, aborts at every stage (with no socket left open), credentials across redirects, and a
 * worker thread. Proxies (tinyproxy) and TLS (nginx, openssl) are in transport-proxy-tls.test.ts.
 *
 * Timeouts that must not fire are long (the test's own timeout catches a hang); none of the
 * assertions depends on how fast this machine is.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { resolveProxy } from '../src/transport/proxy.js';
import { TransportError } from '../src/transport/index.js';
import { blackHole, FaultMirror, faults, refusedUrl, type Fault } from './helpers/fault-mirror.js';
import { rawServer } from './helpers/hostile.js';
import { client, failure, get, readAll, sha, SLOW, TEST } from './helpers/http-client.js';
import { reply, scriptedServer, type ScriptedServer } from './helpers/scripted-server.js';
import { tsWorker } from './helpers/worker-launch.js';

/** For the faults that must end in a timeout. */
const SHORT = { connect: 300, response: 300, idle: 300 };

const body = Buffer.alloc(3 * 1024 * 1024 + 17);
for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 11)) & 0xff;

const servers: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function mirror(): Promise<FaultMirror> {
  const m = await new FaultMirror().start();
  m.files.set('f', body);
  servers.push(m);
  return m;
}

async function scripted(answer: Parameters<typeof scriptedServer>[0]): Promise<ScriptedServer> {
  const s = await scriptedServer(answer);
  servers.push(s);
  return s;
}

/** Waits for a condition that an event will make true (the test's timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

describe('against the fault mirror', () => {
  test('a healthy mirror: the whole body, its length, lower-case headers', TEST, async () => {
    const m = await mirror();
    const res = await get(client(), `${m.url}f`);
    assert.deepEqual([res.status, res.statusText, res.length, res.headers['content-type'], res.url.href], [200, 'OK', body.length, 'application/x-rpm', `${m.url}f`]);
    assert.ok((await readAll(res)).equals(body));
  });

  test('Range: 206 with the rest', TEST, async () => {
    const m = await mirror();
    const res = await get(client(), `${m.url}f`, { headers: { range: 'bytes=1000-' } });
    assert.equal(res.status, 206);
    assert.ok((await readAll(res)).equals(body.subarray(1000)));
    assert.equal(m.log[0]?.range, 'bytes=1000-');
  });

  const ends: Array<[string, Fault, string | undefined, string]> = [
    ['accepts and never answers', faults.noAnswer(), 'ERR_RESPONSE_TIMEOUT', 'response'],
    ['sends headers then hangs', faults.headersThenHang(), 'ERR_STALL', 'body'],
    ['stalls mid-body', faults.stallMidBody(0.5), 'ERR_STALL', 'body'],
    ['closes early with Content-Length', faults.closeEarly(0.5), 'ERR_BODY_TRUNCATED', 'body'],
    ['cuts a chunked body off', faults.chunkedCutOff(0.5), 'ERR_BODY_TRUNCATED', 'body'],
    ['resets the connection mid-body', faults.reset(0.3), 'ERR_CONNECTION_RESET', 'body'],
  ];
  for (const [what, fault, code, phase] of ends) {
    test(`${what}: ${code}`, TEST, async () => {
      const m = await mirror();
      m.fault('f', fault);
      const c = client();
      const err = await failure(get(c, `${m.url}f`, { timeouts: { ...SLOW, response: SHORT.response, idle: SHORT.idle } }).then(readAll));
      assert.deepEqual([err.code, err.phase], [code, phase], err.message);
      assert.doesNotMatch(err.message, /undefined/);
      await until(() => c.stats.open === 0);
    });
  }

  test('drips slowly but steadily: whole (the idle timeout is per byte, not per body)', TEST, async () => {
    const m = await mirror();
    m.files.set('small', body.subarray(0, 20_000));
    m.fault('small', faults.drip(100_000));
    const res = await get(client(), `${m.url}small`, { timeouts: { ...SLOW, idle: 2000 } });
    assert.ok((await readAll(res)).equals(body.subarray(0, 20_000)));
  });

  test('closes early without Content-Length: the body ends at the close (only the package can tell)', TEST, async () => {
    const m = await mirror();
    m.fault('f', faults.closeEarlyNoLength(0.5));
    const c = client();
    const res = await get(c, `${m.url}f`);
    assert.equal(res.length, undefined);
    assert.equal((await readAll(res)).length, Math.floor(body.length / 2));
    assert.equal(c.stats.idle, 0, 'a body ended by a close leaves no connection to reuse');
  });

  test('a short body behind a matching short Content-Length is a whole response', TEST, async () => {
    const m = await mirror();
    m.fault('f', faults.lyingLength(3000));
    const res = await get(client(), `${m.url}f`);
    assert.equal((await readAll(res)).length, body.length - 3000);
  });

  test('content faults are the content layer\'s: the bytes come through as served', TEST, async () => {
    const m = await mirror();
    const other = body.subarray(0, 1234);
    m.fault('f', faults.ignoreRange(), faults.wrongContentRange(), faults.flipByte(10), faults.otherBytes(other));
    const c = client();
    const whole = await get(c, `${m.url}f`, { headers: { range: 'bytes=500-' } });
    assert.deepEqual([whole.status, (await readAll(whole)).length], [200, body.length]);
    const wrong = await get(c, `${m.url}f`, { headers: { range: 'bytes=500-' } });
    assert.deepEqual([wrong.status, wrong.headers['content-range'], (await readAll(wrong)).length], [206, `bytes 400-${body.length - 1}/${body.length}`, body.length - 400]);
    const flipped = await readAll(await get(c, `${m.url}f`));
    assert.deepEqual([flipped[10], flipped.subarray(11).equals(body.subarray(11))], [(body[10] as number) ^ 1, true]);
    assert.ok((await readAll(await get(c, `${m.url}f`))).equals(other));
    assert.equal(m.connections, 1);
  });

  test('error statuses with Retry-After are responses, their bodies readable', TEST, async () => {
    const m = await mirror();
    m.fault('f', faults.status(503, '7'), faults.status(429, 'Wed, 21 Oct 2015 07:28:00 GMT'));
    const c = client();
    const first = await get(c, `${m.url}f`);
    assert.deepEqual([first.status, first.headers['retry-after'], (await readAll(first)).toString()], [503, '7', 'status 503\n']);
    const second = await get(c, `${m.url}f`);
    assert.deepEqual([second.status, second.headers['retry-after']], [429, 'Wed, 21 Oct 2015 07:28:00 GMT']);
    second.discard();
    assert.equal(m.connections, 1, 'the connection carried both');
  });

  test('a redirect loop: ERR_REDIRECT_LOOP after maxRedirects redirects', TEST, async () => {
    const m = await mirror();
    m.always('f', faults.redirectLoop());
    const err = await failure(get(client(), `${m.url}f`, { maxRedirects: 3 }));
    assert.deepEqual([err.code, err.phase, err.status], ['ERR_REDIRECT_LOOP', 'response', 302]);
    assert.equal(m.log.length, 4);
    const none = await failure(get(client(), `${m.url}f`, { maxRedirects: 0 }));
    assert.equal(none.code, 'ERR_REDIRECT_LOOP');
  });

  test('a relative redirect is followed; the response says where it ended', TEST, async () => {
    const m = await mirror();
    m.files.set('dir/g', body.subarray(0, 10));
    m.fault('f', faults.redirect('/dir/g', 301));
    const c = client();
    const res = await get(c, `${m.url}f`);
    assert.equal(res.url.href, `${m.url}dir/g`);
    assert.equal((await readAll(res)).length, 10);
    assert.equal(m.connections, 1, 'the redirect reused the connection');
  });

  test('a redirect to another scheme is refused; a 3xx without a usable Location is returned as it is', TEST, async () => {
    const m = await mirror();
    m.fault('f', faults.redirect('ftp://mirror.example/f'), faults.redirect('', 302), (ctx) => ctx.res.writeHead(302, { 'content-length': '0' }).end(), faults.redirect('/x', 300));
    const c = client();
    const err = await failure(get(c, `${m.url}f`));
    assert.deepEqual([err.code, err.status], ['ERR_REDIRECT_REFUSED', 302]);
    assert.match(err.message, /another scheme refused: ftp:/);
    for (const status of [302, 302, 300]) {
      const res = await get(c, `${m.url}f`);
      assert.equal(res.status, status);
      res.discard();
    }
  });
});

describe('responses that are not plain HTTP/1.x: ERR_BAD_RESPONSE at once, never a hang', () => {
  const replies: Array<[string, string | Buffer]> = [
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    ['101 with bytes after it', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\nthen anything at all'],
    ['endless 103 Early Hints', 'HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n'.repeat(50)],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['an HTTP/2 SETTINGS frame', Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])],
    ['no status line', 'hello\r\n\r\n'],
    ['HTTP/0.9 (a body, no head)', '<html>hello</html>'],
    ['huge headers', `HTTP/1.1 200 OK\r\n${'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(1000)}\r\n`],
    ['conflicting Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello'],
    ['gzip Transfer-Encoding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n continued\r\nContent-Length: 0\r\n\r\n'],
  ];
  for (const [what, bytes] of replies) {
    test(what, TEST, async () => {
      const server = await rawServer((s) => s.write(bytes));
      servers.push(server);
      const c = client();
      const err = await failure(get(c, `${server.url}f`));
      assert.deepEqual([err.code, err.phase], ['ERR_BAD_RESPONSE', 'response'], err.message);
      await until(() => c.stats.open === 0);
    });
  }

  test('a chunk size that overflows is refused in the body', TEST, async () => {
    const server = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10000000000000000\r\n'));
    servers.push(server);
    const res = await get(client(), `${server.url}f`);
    const err = await failure(readAll(res));
    assert.deepEqual([err.code, err.phase], ['ERR_BAD_RESPONSE', 'body']);
  });

  test('Content-Length and chunked together: chunked wins and the connection is not reused', TEST, async () => {
    const server = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'));
    servers.push(server);
    const c = client();
    const res = await get(c, `${server.url}f`);
    assert.equal(res.length, undefined);
    assert.equal((await readAll(res)).toString(), 'hello');
    assert.equal(c.stats.idle, 0);
  });
});

describe('keep-alive', () => {
  test('10 sequential requests use one TCP connection', TEST, async () => {
    const m = await mirror();
    const c = client();
    for (let i = 0; i < 10; i++) assert.ok((await readAll(await get(c, `${m.url}f`))).equals(body));
    assert.equal(m.connections, 1);
    assert.deepEqual(c.stats, { idle: 1, open: 1 });
  });

  test('parallel requests take separate connections, all kept afterwards', TEST, async () => {
    const m = await mirror();
    const c = client();
    await Promise.all([1, 2, 3].map(async () => readAll(await get(c, `${m.url}f`))));
    assert.equal(m.connections, 3);
    assert.equal(c.stats.idle, 3);
    await readAll(await get(c, `${m.url}f`));
    assert.equal(m.connections, 3);
  });

  test('no reuse after bytes past the Content-Length end, Connection: close, or HTTP/1.0', TEST, async () => {
    const answers = [reply('abc') + 'JUNK', reply('abc', '200 OK', 'Connection: close\r\n'), 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc', reply('abc')];
    const s = await scripted((req) => req.socket.write(answers[req.connection - 1] ?? reply('late')));
    const c = client();
    for (let i = 0; i < 4; i++) assert.equal((await readAll(await get(c, s.url))).toString(), 'abc');
    assert.equal(s.connections(), 4);
    assert.equal(c.stats.idle, 1, 'only the clean HTTP/1.1 response left its connection for reuse');
  });

  test('an idle connection the server closes leaves the pool', TEST, async () => {
    const s = await scripted((req) => {
      req.socket.write(reply('abc'));
      req.socket.end();
    });
    const c = client();
    await readAll(await get(c, s.url));
    await until(() => c.stats.open === 0);
    assert.equal(c.stats.idle, 0);
  });

  test('an idle connection is closed after the keep-alive timeout', TEST, async () => {
    const s = await scripted((req) => req.socket.write(reply('abc')));
    const c = client({ keepAliveTimeout: 50 });
    await readAll(await get(c, s.url));
    assert.equal(c.stats.idle, 1);
    await until(() => s.open() === 0 && c.stats.open === 0);
  });

  for (const how of ['closes', 'resets'] as const) {
    test(`the stale-connection race: a reused connection the server ${how} as the request arrives is retried once on a new one`, TEST, async () => {
      const s = await scripted((req) => {
        if (req.connection === 1 && req.index === 2) {
          if (how === 'closes') req.socket.destroy();
          else req.socket.resetAndDestroy();
        } else req.socket.write(reply(`connection ${req.connection}`));
      });
      const c = client();
      assert.equal((await readAll(await get(c, s.url))).toString(), 'connection 1');
      assert.equal((await readAll(await get(c, s.url))).toString(), 'connection 2');
      assert.equal(s.connections(), 2);
    });
  }

  test('never retried otherwise: a new connection closed unanswered, or a reused one after response bytes', TEST, async () => {
    const s = await scripted((req) => {
      if (req.connection === 1 && req.index === 1) req.socket.write(reply('first'));
      else if (req.connection === 1) req.socket.end('HTTP/1.1 200 OK\r\n');
      else req.socket.destroy();
    });
    const c = client();
    await readAll(await get(c, s.url));
    const partial = await failure(get(c, s.url));
    assert.deepEqual([partial.code, partial.phase], ['ERR_CONNECTION_RESET', 'response']);
    assert.match(partial.message, /middle of the response head/);
    const fresh = await failure(get(c, s.url));
    assert.equal(fresh.code, 'ERR_CONNECTION_RESET');
    assert.match(fresh.message, /without a response/);
    assert.equal(s.connections(), 2, 'no retry for either');
  });

  test('a response discarded whose whole body came with its head keeps the connection; one discarded mid-body does not', TEST, async () => {
    const m = await mirror();
    const c = client();
    (await get(c, `${m.url}missing`)).discard();
    assert.equal(c.stats.idle, 1);
    const res = await get(c, `${m.url}f`);
    res.discard();
    await until(() => c.stats.open === 0);
    await readAll(await get(c, `${m.url}f`));
    assert.equal(m.connections, 2);
  });
});

describe('timeouts', () => {
  test('connect timeout to a non-routable address', TEST, async (t) => {
    const probe = netConnect(80, '10.255.255.1');
    const answered = await Promise.race([once(probe, 'connect').then(() => true), once(probe, 'error').then(() => true), sleep(500).then(() => false)]);
    probe.destroy();
    if (answered) return t.skip('10.255.255.1 answers at once here (the sandbox routes or refuses it)');
    const err = await failure(get(client(), 'http://10.255.255.1/f', { timeouts: { ...SLOW, connect: 300 } }));
    assert.deepEqual([err.code, err.phase], ['ERR_CONNECT_TIMEOUT', 'connect']);
  });

  test('connect timeout: a TLS handshake that never completes', TEST, async () => {
    const hole = await blackHole();
    servers.push(hole);
    const c = client();
    const err = await failure(get(c, hole.url.replace('http:', 'https:'), { timeouts: { ...SLOW, connect: 300 } }));
    assert.deepEqual([err.code, err.phase], ['ERR_CONNECT_TIMEOUT', 'connect']);
    assert.match(err.message, /TLS handshake/);
    assert.equal(c.stats.open, 0);
  });

  test('connect refused: ERR_CONNECT', TEST, async () => {
    const hole = await blackHole();
    const url = hole.url;
    await hole.close();
    await sleep(10);
    const err = await failure(get(client(), url));
    assert.deepEqual([err.code, err.phase], ['ERR_CONNECT', 'connect']);
    assert.match(err.message, /ECONNREFUSED/);
  });

  test('DNS failure: ERR_CONNECT', TEST, async () => {
    const err = await failure(get(client(), 'http://no-such-host.invalid/f'));
    assert.equal(err.code, 'ERR_CONNECT', err.message);
  });

  test('a consumer holding reading back is not a stall', TEST, async () => {
    const m = await mirror();
    const res = await get(client(), `${m.url}f`, { timeouts: { ...SLOW, idle: 100 } });
    let n = 0;
    let busy = false;
    await res.read(async (chunk) => {
      assert.ok(!busy, 'no chunk while the previous promise is pending');
      n += chunk.length;
      if (n === chunk.length) {
        busy = true;
        await sleep(300);
        busy = false;
      }
    });
    assert.equal(n, body.length);
  });
});

describe('abort: prompt at every stage, with no socket left open', () => {
  const reason = new Error('the job was cancelled');

  test('already aborted: rejected before connecting', TEST, async () => {
    const m = await mirror();
    const err = await failure(get(client(), `${m.url}f`, { signal: AbortSignal.abort(reason) }));
    assert.deepEqual([err.code, err.cause], ['ERR_ABORTED', reason]);
    assert.equal(m.connections, 0);
  });

  test('while connecting (a TLS handshake that never completes)', TEST, async () => {
    const s = await scripted(() => {});
    const ac = new AbortController();
    const c = client();
    const p = get(c, s.url.replace('http:', 'https:'), { signal: ac.signal });
    await until(() => s.open() === 1);
    ac.abort(reason);
    const err = await failure(p);
    assert.deepEqual([err.code, err.phase, err.cause], ['ERR_ABORTED', 'connect', reason]);
    await until(() => s.open() === 0);
    assert.equal(c.stats.open, 0);
  });

  test('while waiting for the response head', TEST, async () => {
    const s = await scripted(() => {});
    const ac = new AbortController();
    const c = client();
    const p = get(c, s.url, { signal: ac.signal });
    await until(() => s.requests.length === 1);
    ac.abort(reason);
    const err = await failure(p);
    assert.deepEqual([err.code, err.phase, err.cause], ['ERR_ABORTED', 'response', reason]);
    await until(() => s.open() === 0 && c.stats.open === 0);
  });

  test('mid-body, and while the consumer holds reading back', TEST, async () => {
    const m = await mirror();
    m.fault('f', faults.stallMidBody(0.5));
    const c = client();
    for (const consumerBusy of [false, true]) {
      const ac = new AbortController();
      const res = await get(c, `${m.url}f`, { signal: ac.signal });
      const err = await failure(
        res.read((chunk) => {
          void chunk;
          ac.abort(reason);
          return consumerBusy ? sleep(50) : undefined;
        }),
      );
      assert.deepEqual([err.code, err.phase, err.cause], ['ERR_ABORTED', 'body', reason]);
      await until(() => c.stats.open === 0);
    }
  });

  test('close() ends requests in flight and every socket', TEST, async () => {
    const s = await scripted(() => {});
    const c = client();
    const p = get(c, s.url);
    await until(() => s.requests.length === 1);
    c.close();
    const err = await failure(p);
    assert.equal(err.code, 'ERR_ABORTED');
    await until(() => s.open() === 0);
    await assert.rejects(get(c, s.url), (e: unknown) => e instanceof TransportError && e.code === 'ERR_ABORTED');
  });
});

describe('credentials and headers', () => {
  const echo = () => scripted((req) => req.socket.write(reply(`${req.header('authorization') ?? '-'}|${req.header('cookie') ?? '-'}`)));

  test('URL credentials are sent decoded as Basic, to that origin only', TEST, async () => {
    const other = await echo();
    const s = await scripted((req) => {
      const path = /^GET (\S+)/.exec(req.head)?.[1];
      if (path === '/same') req.socket.write(reply('', '302 Found', 'Location: /echo\r\n'));
      else if (path === '/away') req.socket.write(reply('', '302 Found', `Location: ${other.url}echo\r\n`));
      else if (path === '/away-with-own') req.socket.write(reply('', '302 Found', `Location: ${other.url.replace('//', '//other:pw@')}echo\r\n`));
      else req.socket.write(reply(req.header('authorization') ?? '-'));
    });
    const c = client();
    const base = s.url.replace('//', '//us%65r:p%40ss@');
    const basic = `Basic ${Buffer.from('user:p@ss').toString('base64')}`;
    assert.equal((await readAll(await get(c, `${base}echo`))).toString(), basic);
    assert.equal((await readAll(await get(c, `${base}same`))).toString(), basic, 'kept on a same-origin redirect');
    assert.equal((await readAll(await get(c, `${base}away`))).toString(), '-|-', 'dropped on a redirect elsewhere');
    assert.equal((await readAll(await get(c, `${base}away-with-own`))).toString(), `Basic ${Buffer.from('other:pw').toString('base64')}|-`);
  });

  test("the caller's headers stay with the first origin, but for Range", TEST, async () => {
    const show = (req: { header(name: string): string | undefined }) => reply(['authorization', 'cookie', 'x-token', 'range'].map((n) => req.header(n) ?? '-').join('|'));
    const other = await scripted((req) => req.socket.write(show(req)));
    const s = await scripted((req) => req.socket.write(/^GET \/away/.test(req.head) ? reply('', '302 Found', `Location: ${other.url}x\r\n`) : show(req)));
    const c = client();
    const headers = { authorization: 'Bearer t', cookie: 'a=b', 'x-token': 'k', range: 'bytes=0-' };
    assert.equal((await readAll(await get(c, `${s.url}here`, { headers }))).toString(), 'Bearer t|a=b|k|bytes=0-');
    assert.equal((await readAll(await get(c, `${s.url}away`, { headers }))).toString(), '-|-|-|bytes=0-');
  });

  test('credentials given apart from the URL: Basic to its origin only; userinfo wins', TEST, async () => {
    const other = await echo();
    const s = await scripted((req) => req.socket.write(/^GET \/away/.test(req.head) ? reply('', '302 Found', `Location: ${other.url}x\r\n`) : reply(req.header('authorization') ?? '-')));
    const c = client();
    const credentials = { username: 'me', password: 'p:w' };
    assert.equal((await readAll(await get(c, `${s.url}here`, { credentials }))).toString(), `Basic ${Buffer.from('me:p:w').toString('base64')}`);
    assert.equal((await readAll(await get(c, `${s.url.replace('//', '//u:v@')}here`, { credentials }))).toString(), `Basic ${Buffer.from('u:v').toString('base64')}`);
    assert.equal((await readAll(await get(c, `${s.url}away`, { credentials }))).toString(), '-|-');
  });

  test('what is sent: identity coding, the user agent, Host; framing headers cannot be set', TEST, async () => {
    const s = await scripted((req) => req.socket.write(reply('x')));
    const c = client();
    await readAll(await get(c, `${s.url}p?q=1`, { headers: { 'X-Extra': 'v' } }));
    const head = s.requests[0]?.head ?? '';
    assert.match(head, /^GET \/p\?q=1 HTTP\/1\.1\r\n/);
    assert.equal(s.requests[0]?.header('accept-encoding'), 'identity');
    assert.equal(s.requests[0]?.header('user-agent'), 'rpmfetch-test');
    assert.equal(s.requests[0]?.header('host'), `127.0.0.1:${s.port}`);
    assert.equal(s.requests[0]?.header('x-extra'), 'v');
    for (const headers of [{ 'Accept-Encoding': 'gzip' }, { 'transfer-encoding': 'chunked' }, { host: 'x' }, { 'x-a': 'v\r\nInjected: 1' }, { 'bad name': 'v' }]) {
      await assert.rejects(get(c, s.url, { headers }), TypeError);
    }
    await assert.rejects(get(c, 'ftp://127.0.0.1/'), TypeError);
  });

  test('repeated response headers are joined', TEST, async () => {
    const s = await scripted((req) => req.socket.write(reply('x', '200 OK', 'X-A: 1\r\nX-A: 2\r\n')));
    const res = await get(client(), s.url);
    assert.equal(res.headers['x-a'], '1, 2');
    res.discard();
  });
});

describe('forward proxies, scripted, dead or silent', () => {
  test('absolute form with Proxy-Authorization, several requests on one kept-alive proxy connection', TEST, async () => {
    const proxy = await scripted((req) => req.socket.write(reply(/^GET (\S+)/.exec(req.head)?.[1] ?? '?')));
    const c = client({ proxy: resolveProxy(proxy.url.replace('//', '//me:p%3Ass@')) });
    for (const path of ['a', 'b?c=d']) assert.equal((await readAll(await get(c, `http://mirror.example:8080/${path}`))).toString(), `http://mirror.example:8080/${path}`);
    assert.equal(proxy.connections(), 1);
    assert.equal(proxy.requests[0]?.header('proxy-authorization'), `Basic ${Buffer.from('me:p:ss').toString('base64')}`);
    assert.equal(proxy.requests[0]?.header('host'), 'mirror.example:8080');
  });

  test('a dead proxy: ERR_PROXY naming it, for http and https', TEST, async () => {
    const dead = await refusedUrl();
    const c = client({ proxy: resolveProxy(dead) });
    for (const url of ['http://mirror.example/f', 'https://mirror.example/f']) {
      const err = await failure(get(c, url));
      assert.deepEqual([err.code, err.phase, err.status], ['ERR_PROXY', 'connect', undefined]);
      assert.match(err.message, new RegExp(`ECONNREFUSED.*via proxy 127\\.0\\.0\\.1:${new URL(dead).port}`));
    }
  });

  test('a proxy that never answers CONNECT: ERR_CONNECT_TIMEOUT naming it', TEST, async () => {
    const hole = await blackHole();
    servers.push(hole);
    const err = await failure(get(client({ proxy: resolveProxy(hole.url) }), 'https://mirror.example/x', { timeouts: { ...SLOW, connect: 300 } }));
    assert.deepEqual([err.code, err.phase], ['ERR_CONNECT_TIMEOUT', 'connect']);
    assert.match(err.message, /via proxy 127\.0\.0\.1:\d+.*CONNECT/);
  });

  test('a CONNECT answer with bytes after it, or not HTTP at all: ERR_PROXY', TEST, async () => {
    for (const answer of ['HTTP/1.1 200 Connection established\r\n\r\nEXTRA', 'SSH-2.0-OpenSSH\r\n']) {
      const proxy = await scripted((req) => req.socket.write(answer));
      const err = await failure(get(client({ proxy: resolveProxy(proxy.url) }), 'https://mirror.example/x'));
      assert.deepEqual([err.code, err.phase], ['ERR_PROXY', 'connect'], err.message);
      assert.match(err.message, /via proxy 127\.0\.0\.1:\d+/);
      assert.match(proxy.requests[0]?.head ?? '', /^CONNECT mirror\.example:443 HTTP\/1\.1\r\nhost: mirror\.example:443\r\n/);
    }
  });
});

describe('bodies', () => {
  test('toReadable: a Node stream of the body', TEST, async () => {
    const m = await mirror();
    const res = await get(client(), `${m.url}f`);
    const hash = createHash('sha256');
    await pipeline(
      res.toReadable(),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          setImmediate(cb);
        },
      }),
    );
    assert.equal(sha(hash), sha(body));
  });

  test('many chunks per read, a consumer busy after each: every byte in order, connections not mixed up', TEST, async () => {
    const payload = (n: number) => body.subarray(n * 1000, n * 1000 + 200_000);
    const chunked = (data: Buffer) => {
      const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')];
      for (let at = 0; at < data.length; at += 777) {
        const piece = data.subarray(at, at + 777);
        parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      return Buffer.concat(parts);
    };
    const s = await scripted((req) => req.socket.write(chunked(payload(req.connection * 10 + req.index))));
    const c = client({ readBufferSize: 16 * 1024 });
    // Both heads first: each body's first bytes wait in their own connection's buffer meanwhile.
    const responses = await Promise.all([get(c, s.url), get(c, s.url)]);
    await sleep(20);
    const bodies = await Promise.all(
      responses.map(async (res) => {
        const parts: Buffer[] = [];
        await res.read(async (chunk) => {
          parts.push(Buffer.from(chunk));
          await new Promise((resolve) => setImmediate(resolve));
        });
        return Buffer.concat(parts);
      }),
    );
    const sent = s.requests.map((req) => payload(req.connection * 10 + req.index));
    assert.deepEqual(new Set(bodies.map((b) => sha(b))), new Set(sent.map((b) => sha(b))));
  });

  test('a consumer that throws ends the exchange with its error', TEST, async () => {
    const m = await mirror();
    const c = client();
    const res = await get(c, `${m.url}f`);
    const mine = new Error('disk full');
    await assert.rejects(
      res.read(() => {
        throw mine;
      }),
      (e) => e === mine,
    );
    await until(() => c.stats.open === 0);
  });

  test('read() twice is refused', TEST, async () => {
    const m = await mirror();
    const res = await get(client(), `${m.url}f`);
    const first = readAll(res);
    await assert.rejects(res.read(() => {}), /already being read/);
    await first;
  });
});

describe('in a worker thread', () => {
  test('downloads from the fault mirror, and idle sockets do not keep the worker alive', TEST, async () => {
    const m = await mirror();
    const worker = tsWorker(new URL('./helpers/transport-worker.ts', import.meta.url), { url: `${m.url}f` });
    const [message] = (await once(worker, 'message')) as [{ statuses: number[]; bytes: number; sha256: string; stats: { idle: number } }];
    assert.deepEqual(message.statuses, [200, 200]);
    assert.equal(message.bytes, body.length * 2);
    assert.equal(message.sha256, sha(body));
    assert.equal(message.stats.idle, 1);
    assert.equal(m.connections, 1);
    const [code] = (await once(worker, 'exit')) as [number];
    assert.equal(code, 0, 'the worker ended on its own, its kept-alive socket unref-ed');
  });
});
