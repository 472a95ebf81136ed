/**
 * bench/soak: a long-running agent's life. One Downloader does 20 000 downloads, one after another in
 * batches as an agent's jobs come, from two mirrors of which the first misbehaves now and then (503s,
 * cut bodies, a flipped byte, a stall). Every 1000 downloads it samples its own RSS, heap, open file
 * descriptors and active handles; after warm-up they must stay flat. The mirrors run in a child process
 * so that their sockets and memory do not count.
 *
 *   node --import tsx bench/soak.ts [--downloads 20000] [--batch 50] [--sample 1000]
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { options, table } from './measure.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '../test/fixtures/packages');

async function serve(): Promise<void> {
  const { FaultMirror, faults } = await import('../test/helpers/fault-mirror.js');
  const names = readdirSync(FIXTURES).filter((n) => n.endsWith('.rpm'));
  const bad = await new FaultMirror().start();
  const good = await new FaultMirror().start();
  let n = 0;
  for (const name of names) {
    const body = readFileSync(join(FIXTURES, name));
    good.files.set(name, body);
    bad.files.set(name, body);
    // One request in five on the first mirror goes wrong, in turn: 503, a cut body, a flipped byte, a stall.
    bad.always(name, (ctx) => {
      const k = n++ % 20;
      if (k === 1) faults.status(503, '0')(ctx);
      else if (k === 6) faults.closeEarly(0.5)(ctx);
      else if (k === 11) faults.flipByte()(ctx);
      else if (k === 16) faults.stallMidBody(0.3)(ctx);
      else ctx.serve();
    });
  }
  process.send?.({ bad: bad.url, good: good.url, names });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve();
  const opts = options({ downloads: '20000', batch: '50', sample: '1000' });
  const server = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const { bad, good, names } = await new Promise<{ bad: string; good: string; names: string[] }>((resolve) => server.once('message', (m) => resolve(m as never)));
  const { createDownloader } = await import('../src/index.js');
  const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-soak-'));
  const downloader = createDownloader({ mirrors: [bad, good], dest, reuse: false, hedge: false, retries: 1, backoff: { min: 5, max: 20 }, timeouts: { stall: 300, minRate: 0 }, cooldown: 200 });
  const rows: string[][] = [['downloads', 'RSS', 'heap used', 'open fds', 'active handles', 'failed']];
  const sample = (done: number, failed: number): void => {
    const mem = process.memoryUsage();
    const fds = readdirSync('/proc/self/fd').length;
    const handles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    rows.push([String(done), `${(mem.rss / 2 ** 20).toFixed(0)} MiB`, `${(mem.heapUsed / 2 ** 20).toFixed(1)} MiB`, String(fds), String(handles), String(failed)]);
    console.error(rows.at(-1)?.join('  '));
  };
  const total = Number(opts.downloads);
  const per = Number(opts.batch);
  let done = 0;
  let failed = 0;
  let next = Number(opts.sample);
  const started = performance.now();
  while (done < total) {
    const targets = Array.from({ length: Math.min(per, total - done) }, (_, i) => {
      const name = names[(done + i) % names.length] as string;
      return { path: name, file: `${(done + i) % 200}-${name}`, nevra: name.replace(/\.rpm$/, '') };
    });
    const result = await downloader.downloadAll(targets);
    failed += result.failed;
    done += targets.length;
    if (done >= next) {
      // The files themselves are not the agent's memory: clear them now and then.
      rmSync(dest, { recursive: true, force: true });
      sample(done, failed);
      next += Number(opts.sample);
    }
  }
  downloader.close();
  server.kill();
  console.log(`\nbench/soak: ${total} downloads in ${((performance.now() - started) / 1000).toFixed(1)} s, one Downloader, the first of two mirrors faulty one request in five\n`);
  console.log(table(rows));
}

await main();
