/** The mirrorlist parser: librepo's rule for what counts as a URL, junk lines, bounds, metalink answers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MirrorlistError, parseMirrorlist } from '../src/index.js';
import { isMetalinkBody } from '../src/repo/mirrorlist.js';

const SRC = 'https://mirrors.example/mirrorlist?repo=epel-9&arch=x86_64';

test('URLs in order; comments, blank lines and junk skipped; rsync/ftp dropped; CRLF and tabs trimmed; duplicates once', () => {
  const list = parseMirrorlist(
    Buffer.from(
      [
        '# repo = epel-9 arch = x86_64 country = US',
        '',
        '\thttps://a.example/epel/9/Everything/x86_64/  ',
        'this is not a mirror',
        '<html>',
        'rsync://r.example/epel/9/',
        'ftp://f.example/epel/9/',
        'http://b.example/epel/9/Everything/x86_64\r',
        '   # indented comment',
        'https://a.example/epel/9/Everything/x86_64/',
        'mirror.example/no-scheme/',
      ].join('\n'),
    ),
    SRC,
  );
  assert.deepEqual(list.mirrors, ['https://a.example/epel/9/Everything/x86_64/', 'http://b.example/epel/9/Everything/x86_64/']);
  assert.equal(list.junk, 3);
  assert.deepEqual(list.dropped.map((d) => d.reason.split(' ')[0]), ['rsync', 'ftp']);
});

test('local paths and file URLs only from a local mirrorlist', () => {
  const body = Buffer.from('/srv/mirror/epel/\nfile:///srv/other/\nhttps://a.example/r/\n');
  assert.deepEqual(parseMirrorlist(body, SRC).mirrors, ['https://a.example/r/']);
  assert.deepEqual(parseMirrorlist(body, 'file:///etc/mirrorlist', true).mirrors, ['file:///srv/mirror/epel/', 'file:///srv/other/', 'https://a.example/r/']);
});

test('refused: nothing usable, junk only, not UTF-8, too large', () => {
  const refused = (body: Buffer, pattern: RegExp) =>
    assert.throws(() => parseMirrorlist(body, SRC), (err: unknown) => err instanceof MirrorlistError && err.code === 'ERR_MIRRORLIST' && err.target === SRC && pattern.test(err.message));
  refused(Buffer.from('# nothing here\n\n'), /no http\/https\/file mirror in mirrorlist .*it lists no URL/);
  refused(Buffer.from('<html><body>Not found</body></html>\nhello\n'), /2 lines that are not URLs/);
  refused(Buffer.from('rsync://r.example/x/\n'), /rsync is not supported/);
  refused(Buffer.from([0x68, 0x74, 0xff, 0xfe]), /not UTF-8/);
  refused(Buffer.alloc(4 * 1024 * 1024 + 1, 0x0a), /larger than/);
});

test('a metalink answer is recognised', () => {
  assert.ok(isMetalinkBody(Buffer.from('<?xml version="1.0"?>\n<metalink/>')));
  assert.ok(isMetalinkBody(Buffer.from('\n  <metalink version="3.0">')));
  assert.ok(!isMetalinkBody(Buffer.from('# metalink mirrors\nhttps://a.example/\n')));
});
