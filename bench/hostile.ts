/**
 * What a hostile mirror can cost one package download: bytes it gets to stream, time, and the client's
 * peak RSS, each case in a fresh client process against a server in this one. Not a test (nothing is
 * asserted); the README's "Security" section quotes these figures.
 *
 *   node --import tsx bench/hostile.ts [case…]
 */
import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { FaultMirror, type Fault } from '../test/helpers/fault-mirror.js';
import { endless, rawServer, rewriteSignatureTag, type Meter } from '../test/helpers/hostile.js';
import { int64, writePackage } from '../test/helpers/rpm-writer.js';
import { measure } from './measure.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const NAME = 'rpmfetch-hello-1.0-1.noarch.rpm';
const PATH = `Packages/${NAME}`;
const fixture = readFileSync(join(HERE, '../test/fixtures/packages', NAME));

/** A lead and signature header without SIZE, then a main header intro claiming rpm's maximum, then zeros. */
function hugeHeaderClaim(): Buffer {
  const pkg = writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', digests: { size: false } });
  const head = pkg.bytes.subarray(0, pkg.lead.length + pkg.signature.length + pkg.pad.length);
  const intro = Buffer.alloc(16);
  Buffer.from([0x8e, 0xad, 0xe8, 0x01]).copy(intro);
  intro.writeUInt32BE(1, 8);
  intro.writeUInt32BE(256 * 1024 * 1024 - 64, 12);
  return Buffer.concat([head, intro]);
}

type Case = { kind: 'http'; body: () => Buffer } | { kind: 'raw'; reply: string };
const cases: Record<string, Case> = {
  'size-4gib': { kind: 'http', body: () => rewriteSignatureTag(fixture, 1000, 0xffff_fff0) },
  'longsize-2^50': { kind: 'http', body: () => writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', digests: { size: false }, extraSig: [int64(270, [2 ** 50])] }).bytes },
  'no-size-endless': { kind: 'http', body: () => writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', digests: { size: false } }).bytes },
  'header-256mib-claim': { kind: 'http', body: hugeHeaderClaim },
  'switching-protocols': { kind: 'raw', reply: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n' },
  'endless-103': { kind: 'raw', reply: 'HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n'.repeat(10_000) },
};

async function client(url: string): Promise<void> {
  const { download, DownloadError } = await import('../src/index.js');
  const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-hostile-bench-'));
  const started = performance.now();
  let code = 'OK';
  try {
    await download(PATH, { mirrors: [url], dest, retries: 0, reuse: false, timeouts: { response: 5000 } });
  } catch (err) {
    code = err instanceof DownloadError ? `${err.attempts.map((a) => a.code).join(',')}` : String(err);
  }
  console.log(JSON.stringify({ code, ms: Math.round(performance.now() - started) }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--client') return client(process.argv[3] as string);
  const wanted = process.argv.slice(2);
  console.log('case                  outcome                          streamed     time    peak RSS');
  for (const [name, c] of Object.entries(cases)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    const meter: Meter = { bytes: 0 };
    let url: string;
    let close: () => Promise<void>;
    if (c.kind === 'http') {
      const m = await new FaultMirror().start();
      m.always(PATH, endless(c.body(), meter) as Fault);
      url = m.url;
      close = () => m.close();
    } else {
      const s = await rawServer((socket: Socket) => {
        meter.bytes += c.reply.length;
        socket.write(c.reply);
      });
      url = s.url;
      close = s.close;
    }
    const run = await measure(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--client', url]);
    await close();
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { code?: string; ms?: number };
    const mib = (meter.bytes / 1024 / 1024).toFixed(1);
    console.log(`${name.padEnd(21)} ${String(out.code).padEnd(32)} ${`${mib} MiB`.padStart(9)} ${`${out.ms} ms`.padStart(8)} ${`${run.peakRssMiB.toFixed(0)} MiB`.padStart(10)}`);
  }
}

await main();
