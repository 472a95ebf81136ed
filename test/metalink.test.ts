/**
 * The metalink parser and repomd.xml's check against it, on metalinks written in MirrorManager's
 * format: preference order, protocols dropped, bases, and each way a metalink is refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { MetalinkError, parseMetalink } from '../src/index.js';
import { repomdMismatch } from '../src/repo/repomd-expectation.js';
import { metalinkXml } from './helpers/metalink.js';

const SRC = 'https://mirrors.example/metalink?repo=fedora-41&arch=x86_64';
const repomd = Buffer.from('<repomd>current</repomd>\n');
const older = Buffer.from('<repomd>older</repomd>\n');

function refused(xml: string | Buffer, pattern: RegExp, local = false): void {
  assert.throws(
    () => parseMetalink(Buffer.from(xml), SRC, local),
    (err: unknown) => err instanceof MetalinkError && err.code === 'ERR_METALINK' && err.target === SRC && pattern.test(err.message),
  );
}

describe('metalink parsing', () => {
  test('mirrors by preference (stable among equals), bases without repodata/repomd.xml, rsync and unknown protocols dropped', () => {
    const m = parseMetalink(
      Buffer.from(
        metalinkXml({ bytes: repomd }, [
          { url: 'rsync://r.example/fedora/repodata/repomd.xml', preference: 100 },
          { url: 'http://b.example/fedora/repodata/repomd.xml', preference: 90 },
          { url: 'https://a.example/fedora/repodata/repomd.xml', preference: 100 },
          { url: 'ftp://f.example/fedora/repodata/repomd.xml', preference: 99 },
          { url: 'gopher://g.example/x/repodata/repomd.xml', protocol: 'gopher', preference: 99 },
          { url: 'http://c.example/fedora/repodata/repomd.xml', preference: 90 },
          { url: 'https://d.example/plain/', preference: 95 },
          { url: 'http://e.example/fedora/repodata/repomd.xml', preference: 'many' },
        ]),
      ),
      SRC,
    );
    assert.deepEqual(
      m.mirrors.map((x) => [x.base, x.preference]),
      [
        ['https://a.example/fedora/', 100],
        ['https://d.example/plain/', 95],
        ['http://b.example/fedora/', 90],
        ['http://c.example/fedora/', 90],
        ['http://e.example/fedora/', 0],
      ],
    );
    assert.deepEqual(m.dropped.map((d) => d.reason.split(' ')[0]), ['rsync', 'ftp', 'gopher']);
    assert.equal(m.repomd.size, repomd.length);
    assert.equal(m.repomd.timestamp, 1741000000);
    assert.equal(m.repomd.hashes.sha512, createHash('sha512').update(repomd).digest('hex'));
  });

  test('alternates with their own timestamp, size and hashes', () => {
    const m = parseMetalink(Buffer.from(metalinkXml({ bytes: repomd }, [{ url: 'https://a.example/r/repodata/repomd.xml' }], [{ bytes: older, timestamp: 1740000000, types: ['sha256'] }])), SRC);
    assert.equal(m.alternates.length, 1);
    assert.deepEqual(m.alternates[0], { timestamp: 1740000000, size: older.length, hashes: { sha256: createHash('sha256').update(older).digest('hex') } });
  });

  test('file URLs only from a local metalink', () => {
    const xml = metalinkXml({ bytes: repomd }, [{ url: 'file:///srv/repo/repodata/repomd.xml' }, { url: 'https://a.example/r/repodata/repomd.xml' }]);
    assert.deepEqual(parseMetalink(Buffer.from(xml), SRC).mirrors.map((m) => m.base), ['https://a.example/r/']);
    assert.deepEqual(parseMetalink(Buffer.from(xml), 'file:///etc/metalink.xml', true).mirrors.map((m) => m.base), ['file:///srv/repo/', 'https://a.example/r/']);
  });

  test('refused: empty, rsync-only, HTML, truncated, no repomd.xml entry, no hash, malformed hash, entities', () => {
    refused(metalinkXml({ bytes: repomd }, []), /no http\/https\/file mirror in metalink .*it lists no URL/);
    refused(metalinkXml({ bytes: repomd }, [{ url: 'rsync://r.example/f/repodata/repomd.xml' }, { url: 'ftp://f.example/f/repodata/repomd.xml' }]), /no http\/https\/file mirror in metalink .*rsync is not supported/);
    refused('<!DOCTYPE html>\n<html><body>Service Unavailable</body></html>', /HTML page/);
    refused('<html><head><title>502</title></head></html>', /HTML page/);
    const whole = metalinkXml({ bytes: repomd }, [{ url: 'https://a.example/r/repodata/repomd.xml' }]);
    refused(whole.slice(0, whole.length - 40), /not a well-formed metalink/);
    refused(whole.replace('name="repomd.xml"', 'name="other.xml"'), /no entry for repomd.xml/);
    refused(metalinkXml({ bytes: repomd, types: [] }, [{ url: 'https://a.example/r/repodata/repomd.xml' }]), /no hash of repomd.xml that could be checked/);
    refused(metalinkXml({ bytes: repomd, types: ['crc32'], hex: 'abcd' }, [{ url: 'https://a.example/r/repodata/repomd.xml' }]), /no hash of repomd.xml that could be checked/);
    refused(metalinkXml({ bytes: repomd, types: ['sha256'], hex: 'xyz' }, [{ url: 'https://a.example/r/repodata/repomd.xml' }]), /sha256 hash of repomd.xml is not 64 hex digits/);
    refused(`<!DOCTYPE metalink [<!ENTITY x "y">]>${whole.replace(/^<\?xml[^>]*>\n/, '')}`, /DOCTYPE/);
    refused(whole.replace('https://a.example', 'https://a.example&x;'), /not a well-formed metalink/);
    refused('<repomd/>', /root element is <repomd>/);
    refused(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), /larger than/);
  });
});

describe("repomd.xml against the metalink", () => {
  const expectation = (xml: string) => {
    const m = parseMetalink(Buffer.from(xml), SRC);
    return { source: m.source, versions: [m.repomd, ...m.alternates] };
  };
  const url = [{ url: 'https://a.example/r/repodata/repomd.xml' }];

  test('the current version or an alternate matches; anything else is out of date', () => {
    const e = expectation(metalinkXml({ bytes: repomd }, url, [{ bytes: older }]));
    assert.equal(repomdMismatch(repomd, e), undefined);
    assert.equal(repomdMismatch(older, e), undefined);
    assert.match(repomdMismatch(Buffer.from('<repomd>stale</repomd>\n'), e) ?? '', /out of date against the metalink https:\/\/mirrors.example\/metalink\?repo=fedora-41&arch=x86_64: its sha512 is .* and it matches none of the 1 alternate/);
  });

  test('only the strongest hash counts: a matching md5 does not save a wrong sha256', () => {
    const md5 = createHash('md5').update(repomd).digest('hex');
    const xml = metalinkXml({ bytes: repomd, types: ['md5'] }, url).replace(`<hash type="md5">${md5}</hash>`, `<hash type="md5">${md5}</hash><hash type="sha256">${'0'.repeat(64)}</hash>`);
    assert.match(repomdMismatch(repomd, expectation(xml)) ?? '', /its sha256/);
  });

  test('the stated size is checked too', () => {
    const xml = metalinkXml({ bytes: repomd }, url).replace(`<size>${repomd.length}</size>`, `<size>${repomd.length + 1}</size>`);
    assert.ok(repomdMismatch(repomd, expectation(xml)));
  });
});
