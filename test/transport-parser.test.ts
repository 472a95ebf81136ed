/**
 * The HTTP/1.x response parser of src/transport on its own: framing, the refusals, every limit at its
 * edge, and properties: the same outcome for any split of the bytes into reads (one byte at a time
 * included), and nothing but a TransportError from arbitrary bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TransportError } from '../src/transport/errors.js';
import { MAX_CHUNK_LINE_BYTES, MAX_HEAD_BYTES, MAX_INTERIM_RESPONSES, MAX_TRAILER_BYTES } from '../src/transport/limits.js';
import { ResponseParser } from '../src/transport/parser.js';

interface Outcome {
  status?: number;
  headers?: Record<string, string>;
  body: string;
  done: boolean;
  reusable?: boolean | undefined;
  length?: number;
  /** Bytes after the end of the response. */
  leftover: number;
  error?: string;
}

/** Feeds `bytes` split at `cuts`, then (unless done) the end of the connection. */
function parse(bytes: Buffer, cuts: readonly number[] = [], eof = true, noBody = false): Outcome {
  const parser = new ResponseParser(noBody);
  const body: Buffer[] = [];
  parser.onBody = (chunk) => {
    body.push(Buffer.from(chunk));
    return false;
  };
  const edges = [...new Set([0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length])].sort((a, b) => a - b);
  const out: Outcome = { body: '', done: false, leftover: 0 };
  try {
    for (let i = 0; i + 1 < edges.length; i++) {
      // Each read is a fresh copy, as the shared read buffer is rewritten between reads.
      const read = Buffer.from(bytes.subarray(edges[i], edges[i + 1]));
      let pos = 0;
      while (pos < read.length && !parser.done) pos = parser.execute(read, pos, read.length);
      out.leftover += read.length - pos;
    }
    if (!parser.done && eof) parser.eof();
  } catch (err) {
    if (!(err instanceof TransportError)) throw err;
    out.error = `${err.code}/${err.phase}`;
  }
  out.body = Buffer.concat(body).toString('latin1');
  out.done = parser.done;
  if (parser.head) {
    out.status = parser.head.status;
    out.headers = { ...parser.head.headers };
    out.reusable = parser.rules?.reusable;
    const framing = parser.rules?.framing;
    if (framing?.kind === 'length') out.length = framing.length;
  }
  return out;
}

const r = (s: string) => Buffer.from(s, 'latin1');
const ok = (text: string, eof = true) => {
  const o = parse(r(text), [], eof);
  assert.equal(o.error, undefined, `unexpected ${o.error} for ${JSON.stringify(text.slice(0, 80))}`);
  return o;
};
const refused = (text: string | Buffer, code = 'ERR_BAD_RESPONSE', eof = true) => {
  const o = parse(typeof text === 'string' ? r(text) : text, [], eof);
  assert.equal(o.error?.split('/')[0], code, `expected ${code} for ${JSON.stringify(String(text).slice(0, 80))}, got ${JSON.stringify(o)}`);
  return o;
};

describe('framing', () => {
  test('Content-Length: the body is exactly that long; the connection is reusable on HTTP/1.1', () => {
    const o = ok('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    assert.deepEqual([o.status, o.body, o.done, o.reusable, o.length, o.leftover], [200, 'hello', true, true, 5, 0]);
  });

  test('bytes past a Content-Length end are never body: they are reported as leftover', () => {
    const o = ok('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello');
    assert.deepEqual([o.body, o.leftover], ['he', 3]);
  });

  test('chunked, with extensions and trailers; bare LF line ends', () => {
    const o = ok('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5;name=value\nhello\n1 ; x\n!\r\n0\r\nX-Trailer: t\r\n\r\n');
    assert.deepEqual([o.body, o.done, o.reusable, o.length], ['hello!', true, true, undefined]);
  });

  test('chunked wins over Content-Length, and the connection is not reused', () => {
    const o = ok('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    assert.deepEqual([o.body, o.done, o.reusable], ['abc', true, false]);
  });

  test('neither: the body ends when the connection closes, and the connection is not reused', () => {
    const o = ok('HTTP/1.1 200 OK\r\n\r\nall of it');
    assert.deepEqual([o.body, o.done, o.reusable], ['all of it', true, false]);
  });

  test('204, 304 and interim 1xx have no body; 100, 102, 103 are skipped', () => {
    assert.deepEqual(ok('HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n', false).body, '');
    assert.equal(ok('HTTP/1.1 304 Not Modified\r\n\r\n', false).done, true);
    const o = ok('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx');
    assert.deepEqual([o.status, o.body, o.headers?.link], [200, 'x', undefined]);
  });

  test('HTTP/1.0 and Connection: close are not reusable; repeated headers are joined', () => {
    assert.equal(ok('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').reusable, false);
    assert.equal(ok('HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n').reusable, false);
    const o = ok('HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a:2\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\nhello');
    assert.deepEqual([o.headers?.['x-a'], o.length], ['1, 2', 5]);
  });

  test('a status line without a reason phrase; a reason with obs-text', () => {
    assert.equal(ok('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n').status, 200);
    assert.equal(ok('HTTP/1.1 404 Nicht gefunden \xe4\r\nContent-Length: 0\r\n\r\n').status, 404);
  });

  test('a body cut short is ERR_BODY_TRUNCATED: Content-Length, chunked without its last chunk, in the trailers', () => {
    refused('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello', 'ERR_BODY_TRUNCATED');
    refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', 'ERR_BODY_TRUNCATED');
    refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', 'ERR_BODY_TRUNCATED');
    refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n', 'ERR_BODY_TRUNCATED');
    refused('', 'ERR_CONNECTION_RESET');
    refused('HTTP/1.1 200 OK\r\nContent-Le', 'ERR_CONNECTION_RESET');
  });
});

describe('refusals: anything that is not plain HTTP/1.0 or 1.1 is ERR_BAD_RESPONSE', () => {
  const cases: Array<[string, string]> = [
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n'],
    ['101 without its head finished', 'HTTP/1.1 101 Switching Protocols\r\n'],
    ['an HTTP/2 server preface (a SETTINGS frame)', '\x00\x00\x12\x04\x00\x00\x00\x00\x00'],
    ['the HTTP/2 client preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['HTTP/0.9: a body without a status line', '<html>hello</html>'],
    ['HTTP/1.2', 'HTTP/1.2 200 OK\r\n\r\n'],
    ['HTTP/2.0 in a status line', 'HTTP/2.0 200 OK\r\n\r\n'],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['status 600', 'HTTP/1.1 600 Nope\r\n\r\n'],
    ['status 099', 'HTTP/1.1 099 Nope\r\n\r\n'],
    ['no space after the status', 'HTTP/1.1 200OK\r\n\r\n'],
    ['a NUL in the reason', 'HTTP/1.1 200 O\x00K\r\n\r\n'],
    ['an empty line first', '\r\nHTTP/1.1 200 OK\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n'],
    ['a NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n'],
    ['a bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n'],
    ['whitespace before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
    ['an empty header name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n'],
    ['a header name that is not a token', 'HTTP/1.1 200 OK\r\nX(A): x\r\n\r\n'],
    ['a line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n'],
    ['conflicting Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['a Content-Length list that disagrees', 'HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n'],
    ['a signed Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello'],
    ['a negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['a hex Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\n'],
    ['an empty Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n'],
    ['Content-Length 2^53', `HTTP/1.1 200 OK\r\nContent-Length: ${2 ** 53}\r\n\r\n`],
    ['Content-Length of 17 digits', 'HTTP/1.1 200 OK\r\nContent-Length: 00000000000000001\r\n\r\n'],
    ['Transfer-Encoding gzip', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'],
    ['Transfer-Encoding gzip, chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'],
    ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['Transfer-Encoding identity', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n'],
    ['Transfer-Encoding in HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['an empty chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n'],
    ['a signed chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n'],
    ['a chunk size that overflows (14 hex digits)', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFF\r\n'],
    ['a chunk size of 17 hex digits, leading zeros', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n0\r\n\r\n'],
    ['whitespace after a chunk size with no extension', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n'],
    ['a control byte in a chunk extension', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n'],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n'],
    ['a folded trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n'],
  ];
  for (const [what, text] of cases) {
    test(what, () => {
      refused(text);
    });
  }

  test('101 is refused at its status line, whatever follows (bytes of another protocol)', () => {
    const o = refused('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello', 'ERR_BAD_RESPONSE', false);
    assert.equal(o.status, undefined);
  });

  test('garbage is refused at its first byte, without waiting for a line end', () => {
    refused('X', 'ERR_BAD_RESPONSE', false);
    assert.equal(parse(r('HTTP/1.1 2'), [], false).error, undefined, 'a valid prefix waits for more');
    refused('HTTP/1.1 2x', 'ERR_BAD_RESPONSE', false);
  });
});

describe('limits, at their edges', () => {
  const headOf = (size: number): string => {
    const start = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ';
    return `${start}${'a'.repeat(size - start.length - 4)}\r\n\r\n`;
  };
  test(`a head of ${MAX_HEAD_BYTES} bytes passes; one byte more is refused`, () => {
    assert.equal(headOf(MAX_HEAD_BYTES).length, MAX_HEAD_BYTES);
    ok(headOf(MAX_HEAD_BYTES));
    refused(headOf(MAX_HEAD_BYTES + 1));
  });

  test('a head line without end is refused once it passes the limit, not at the end of the connection', () => {
    refused(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`, 'ERR_BAD_RESPONSE', false);
    refused(`HTTP/1.1 200 OK${' '.repeat(MAX_HEAD_BYTES)}`, 'ERR_BAD_RESPONSE', false);
  });

  test(`${MAX_INTERIM_RESPONSES} interim responses pass; one more is refused`, () => {
    const hints = (n: number) => 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'.repeat(n) + 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
    ok(hints(MAX_INTERIM_RESPONSES));
    refused(hints(MAX_INTERIM_RESPONSES + 1));
  });

  test(`a chunk-size line of ${MAX_CHUNK_LINE_BYTES} bytes passes; one byte more is refused`, () => {
    const line = (size: number) => `1;x=${'e'.repeat(size - 6)}\r\n`;
    assert.equal(line(MAX_CHUNK_LINE_BYTES).length, MAX_CHUNK_LINE_BYTES);
    const chunked = (l: string) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${l}x\r\n0\r\n\r\n`;
    assert.equal(ok(chunked(line(MAX_CHUNK_LINE_BYTES))).body, 'x');
    refused(chunked(line(MAX_CHUNK_LINE_BYTES + 1)));
  });

  test('13 hex digits of chunk size are accepted', () => {
    const o = parse(r('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n000000000000A\r\n0123456789\r\n0\r\n\r\n'));
    assert.deepEqual([o.error, o.body], [undefined, '0123456789']);
  });

  test(`trailers of ${MAX_TRAILER_BYTES} bytes pass; one byte more is refused`, () => {
    const trailers = (size: number) => `X-T: ${'t'.repeat(size - 9)}\r\n\r\n`;
    assert.equal(trailers(MAX_TRAILER_BYTES).length, MAX_TRAILER_BYTES);
    const chunked = (t: string) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n${t}`;
    ok(chunked(trailers(MAX_TRAILER_BYTES)));
    refused(chunked(trailers(MAX_TRAILER_BYTES + 1)));
  });

  test('Content-Length 2^53 - 1 is a length', () => {
    assert.equal(parse(r(`HTTP/1.1 200 OK\r\nContent-Length: ${2 ** 53 - 1}\r\n\r\n`), [], false).length, 2 ** 53 - 1);
  });

  test('a CONNECT answer has no body whatever its head says', () => {
    const o = parse(r('HTTP/1.1 200 Connection established\r\nTransfer-Encoding: gzip\r\n\r\n'), [], false, true);
    assert.deepEqual([o.error, o.done, o.status], [undefined, true, 200]);
  });
});

/** A valid response: head, then the body framed one of three ways. */
const responses = fc
  .record({
    body: fc.uint8Array({ maxLength: 600 }),
    framing: fc.constantFrom('length', 'chunked', 'close'),
    chunks: fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 8 }),
    ext: fc.boolean(),
    trailers: fc.boolean(),
    lf: fc.boolean(),
    interim: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ body, framing, chunks, ext, trailers, lf, interim }) => {
    const eol = lf ? '\n' : '\r\n';
    let head = `HTTP/1.1 103 Early Hints${eol}Link: </x>${eol}${eol}`.repeat(interim) + `HTTP/1.1 200 OK${eol}Server: test${eol}`;
    const parts: Buffer[] = [];
    if (framing === 'length') head += `Content-Length: ${body.length}${eol}`;
    if (framing === 'chunked') {
      head += `Transfer-Encoding: chunked${eol}`;
      let at = 0;
      for (const size of [...chunks, body.length]) {
        const piece = body.subarray(at, Math.min(body.length, at + size));
        if (piece.length === 0) break;
        parts.push(r(`${piece.length.toString(16)}${ext ? ';e="v"' : ''}\r\n`), Buffer.from(piece), r('\r\n'));
        at += piece.length;
      }
      parts.push(r(`0${eol}${trailers ? `X-Sum: 1${eol}` : ''}${eol}`));
    } else {
      parts.push(Buffer.from(body));
    }
    return { bytes: Buffer.concat([r(`${head}${eol}`), ...parts]), body: Buffer.from(body).toString('latin1') };
  });

const cutsOf = (max: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, max) }), { maxLength: 12 });

describe('properties', () => {
  test('a valid response parses to its body, for any split into reads', () => {
    fc.assert(
      fc.property(responses.chain((resp) => fc.tuple(fc.constant(resp), cutsOf(resp.bytes.length))), ([resp, cuts]) => {
        const whole = parse(resp.bytes);
        assert.equal(whole.error, undefined);
        assert.equal(whole.body, resp.body);
        assert.deepEqual(parse(resp.bytes, cuts), whole);
      }),
      { numRuns: 400 },
    );
  });

  test('one byte at a time gives the same outcome as one read', () => {
    fc.assert(
      fc.property(responses, (resp) => {
        const bytewise = [...resp.bytes.keys()];
        assert.deepEqual(parse(resp.bytes, bytewise), parse(resp.bytes));
      }),
      { numRuns: 150 },
    );
  });

  test('damaged responses: only TransportErrors, the same outcome for any split', () => {
    const damaged = responses.chain((resp) =>
      fc.tuple(
        fc.constant(resp.bytes),
        fc.array(fc.tuple(fc.nat(resp.bytes.length), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 4 }),
        cutsOf(resp.bytes.length + 4),
        fc.boolean(),
      ),
    );
    fc.assert(
      fc.property(damaged, ([bytes, edits, cuts, eof]) => {
        let b = Buffer.from(bytes);
        for (const [at, value, op] of edits) {
          const i = Math.min(at, b.length);
          if (op === 'set' && i < b.length) b[i] = value;
          else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([value]), b.subarray(i)]);
          else if (op === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
        }
        assert.deepEqual(parse(b, cuts, eof), parse(b, [], eof));
      }),
      { numRuns: 1500 },
    );
  });

  test('arbitrary bytes: nothing but a TransportError, and the same for any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cutsOf(300), fc.boolean(), (bytes, cuts, eof) => {
        const b = Buffer.from(bytes);
        assert.deepEqual(parse(b, cuts, eof), parse(b, [], eof));
      }),
      { numRuns: 1500 },
    );
    // Mostly plausible prefixes, so that arbitrary bytes reach the headers and the body too.
    const prefixed = fc.tuple(fc.constantFrom('HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.0 206 P\n'), fc.uint8Array({ maxLength: 300 }));
    fc.assert(
      fc.property(prefixed, cutsOf(400), ([prefix, tail], cuts) => {
        const b = Buffer.concat([r(prefix), tail]);
        assert.deepEqual(parse(b, cuts), parse(b));
      }),
      { numRuns: 1500 },
    );
  });
});
