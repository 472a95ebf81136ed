/**
 * The hash workers: a compiled TypeScript module run on its own thread, found from the sources under
 * tsx and from a compiled build alike; owned by whoever created them and ended by close(); and a worker
 * that dies never leaves a verdict hanging.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { placeJobs, planLanes, MAIN_THREAD_OVERHEAD, OFFLOAD_MIN_BYTES, WARM_OFFLOAD_MIN_BYTES } from '../src/rpm/hash-placement.js';
import { HashJobRunner, type HashJob } from '../src/workers/hash-job.js';
import { HashWorkers } from '../src/workers/hash-workers.js';
import { verifyFile } from '../src/index.js';
import { ROOT } from './helpers/cli.js';
import { verifyChunked, withTimeout } from './helpers/feed.js';
import { writePackage } from './helpers/rpm-writer.js';

const run = promisify(execFile);

/** A package big enough to be worth offloading: 12 MiB of payload, in 1 MiB writes. */
const big = writePackage({ name: 'big', payload: Buffer.alloc(12 * 1024 * 1024 + 777, 3) });
const mebibytes = Array.from({ length: Math.ceil(big.bytes.length / 2 ** 20) }, (_, i) => i * 2 ** 20);
const md5 = createHash('md5').update(big.header).update(big.payload).digest('hex');

/** A child verifies the big package with offload through `module`'s verifyFile; what it says and which thread hashed. */
async function verifyInChild(module: string, nodeArgs: string[], file: string): Promise<{ verdict: { ok: boolean; digests: Record<string, string> }; threads: Array<{ id: number; url: string; keys: string }> }> {
  const script = 'const { verifyFile } = await import(process.argv[1]); const v = await verifyFile(process.argv[2], { offload: true, fileName: false }); console.log(JSON.stringify(v));';
  // No process.exit in the child and a timeout here: a worker left running would keep it alive.
  const { stdout, stderr } = await run(process.execPath, [...nodeArgs, '--input-type=module', '-e', script, module, file], {
    cwd: ROOT,
    timeout: 60_000,
    env: { ...process.env, DEBUG: 'rpmfetch:verify', DEBUG_COLORS: 'no' },
  });
  const threads = [...stderr.matchAll(/hash worker thread (\d+) \((\S+)\) computed (.*)/g)].map((m) => ({ id: Number(m[1]), url: m[2] as string, keys: m[3] as string }));
  return { verdict: JSON.parse(stdout), threads };
}

describe('the hash worker module', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rpmfetch-workers-'));
    file = join(dir, big.fileName);
    await writeFile(file, big.bytes);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('runs from the TypeScript sources under tsx: a child hashes MD5 on it and exits by itself', async () => {
    const module = pathToFileURL(join(ROOT, 'src/rpm/verify-file.ts')).href;
    const { verdict, threads } = await verifyInChild(module, ['--import', 'tsx'], file);
    assert.equal(verdict.ok, true);
    assert.equal(verdict.digests['header+payload:md5'], md5);
    assert.equal(threads.length, 1, 'one worker session');
    assert.ok((threads[0]?.id ?? 0) > 0, 'not the main thread');
    assert.equal(threads[0]?.url, pathToFileURL(join(ROOT, 'src/workers/hash-worker.ts')).href);
    assert.match(threads[0]?.keys ?? '', /header\+payload:md5/);
  });

  test('verifyFile gives one verdict whether it hashes here or on a worker (reading on its own thread then)', async () => {
    const [inline, offloaded] = await Promise.all([verifyFile(file, { offload: false }), verifyFile(file, { offload: true })]);
    assert.equal(inline.ok, true, inline.error?.message);
    assert.deepEqual(offloaded, inline);
  });

  test('runs from a compiled build without tsx: the worker is hash-worker.js next to the compiled pool', { timeout: 120_000 }, async () => {
    // The build's own settings (tsconfig.build.json), into a directory of its own so that no other
    // build is disturbed; the package's dependencies and "type": "module" as dist/ has them.
    const build = join(dir, 'build');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.build.json'),
        compilerOptions: { rootDir: join(ROOT, 'src'), outDir: build, declaration: false, declarationMap: false, sourceMap: false },
        include: [],
        files: [join(ROOT, 'src/rpm/verify-file.ts'), join(ROOT, 'src/workers/hash-worker.ts')],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: dir });
    const { verdict, threads } = await verifyInChild(pathToFileURL(join(build, 'rpm/verify-file.js')).href, [], file);
    assert.equal(verdict.ok, true);
    assert.equal(verdict.digests['header+payload:md5'], md5);
    assert.equal(threads.length, 1);
    assert.ok((threads[0]?.id ?? 0) > 0);
    assert.equal(threads[0]?.url, pathToFileURL(join(build, 'workers/hash-worker.js')).href);
  });
});

describe('workers that fail or are closed', () => {
  test('a worker that dies mid-stream fails the verdict with ERR_INTERNAL, not a hang', async () => {
    const workers = new HashWorkers({ threads: 1, entry: new URL('./helpers/dying-hash-worker.ts', import.meta.url) });
    try {
      const v = await withTimeout(verifyChunked(big.bytes, mebibytes, { offload: true }, { hashWorkers: workers }), 30_000, 'verdict after the worker died');
      assert.equal(v.ok, false);
      assert.equal(v.error?.code, 'ERR_INTERNAL');
      assert.match(v.error?.message ?? '', /hashing failed: hash worker failed: exited with code 3/);
    } finally {
      await workers.close();
    }
  });

  test('closing the workers under a running verification fails it with ERR_INTERNAL', async () => {
    const workers = new HashWorkers({ threads: 1 });
    const pending = verifyChunked(big.bytes, mebibytes, { offload: true }, { hashWorkers: workers });
    await workers.close();
    const v = await withTimeout(pending, 30_000, 'verdict after close()');
    assert.equal(v.error?.code, 'ERR_INTERNAL');
    assert.match(v.error?.message ?? '', /the hash workers were closed/);
  });

  test('close() ends the threads: a child holding a session open exits once it closes them, and not before', async () => {
    const module = pathToFileURL(join(ROOT, 'src/workers/hash-workers.ts')).href;
    const child = (close: boolean) =>
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `const { HashWorkers } = await import(${JSON.stringify(module)});
           const workers = new HashWorkers({ threads: 1 });
           const session = workers.session([{ key: 'k', algorithm: 'md5', start: 0 }]);
           session.update(new Uint8Array(10), 0);
           ${close ? "await workers.close(); session.finish().catch((e) => console.log(e.code));" : "console.log('holding');"}`,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
    const exited = (p: ReturnType<typeof child>, ms: number) =>
      new Promise<{ code: number | null; out: string } | undefined>((resolve) => {
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => resolve(undefined), ms);
        p.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });
    const holding = child(false);
    assert.equal(await exited(holding, 3000), undefined, 'a session open on a thread keeps the process alive');
    holding.kill();
    const closed = await exited(child(true), 30_000);
    assert.deepEqual(closed, { code: 0, out: 'ERR_INTERNAL\n' });
  });

  test('a HashWorkers starts no more threads than its slots and reuses batch buffers', async () => {
    const workers = new HashWorkers({ threads: 1 });
    try {
      assert.equal(workers.warm, false);
      workers.prewarm();
      assert.equal(workers.warm, true);
      const verdicts = await Promise.all([0, 1, 2].map(() => verifyChunked(big.bytes, mebibytes, { offload: true }, { hashWorkers: workers })));
      assert.ok(verdicts.every((v) => v.ok));
      const buf = workers.take();
      workers.give(buf);
      assert.equal(workers.take(), buf, 'a batch given back is taken again');
    } finally {
      await workers.close();
    }
    assert.equal(workers.warm, false);
  });
});

describe('hash jobs and their placement', () => {
  const jobs: HashJob[] = [
    { key: 'file:sha256', algorithm: 'sha256', start: 0 },
    { key: 'payload:sha256', algorithm: 'sha256', start: 700 },
    { key: 'header+payload:md5', algorithm: 'md5', start: 300 },
    { key: 'signature:0', algorithm: 'sha256', start: 300, prefix: Buffer.from('salt'), suffix: Buffer.from('trailer') },
  ];

  test('the job runner hashes each job from its start, with prefix and suffix, in any chunking', () => {
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const runner = new HashJobRunner(jobs);
    const cuts = [0, 1, 299, 301, 700, 4999, 5000];
    for (let i = 0; i + 1 < cuts.length; i++) runner.update(bytes.subarray(cuts[i], cuts[i + 1]), cuts[i] as number);
    assert.deepEqual(new Map(runner.digests()), new Map([
      ['file:sha256', createHash('sha256').update(bytes).digest('hex')],
      ['payload:sha256', createHash('sha256').update(bytes.subarray(700)).digest('hex')],
      ['header+payload:md5', createHash('md5').update(bytes.subarray(300)).digest('hex')],
      ['signature:0', createHash('sha256').update('salt').update(bytes.subarray(300)).update('trailer').digest('hex')],
    ]));
  });

  test('MD5, the costliest, goes to the worker; the cheaper SHA-256 jobs stay', () => {
    const [main, worker] = planLanes(jobs.slice(1, 3), 2);
    assert.deepEqual(main?.map((j) => j.key), ['payload:sha256']);
    assert.deepEqual(worker?.map((j) => j.key), ['header+payload:md5']);
  });

  test('a download (the main thread also receives and writes): MD5 and one SHA-256 go to the worker, the other SHA-256 stays', () => {
    const [main, worker] = planLanes(jobs.slice(0, 3), 2, MAIN_THREAD_OVERHEAD.network);
    assert.equal(main?.length, 1);
    assert.equal(main?.[0]?.algorithm, 'sha256');
    assert.deepEqual(worker?.map((j) => j.algorithm).sort(), ['md5', 'sha256']);
  });

  test('workers pay from 8 MiB, from 256 KiB once one is up; never with offload false or no spare core', () => {
    const cold = { slots: 1, warm: false };
    const lanes = (bytes: number, offload: boolean | 'auto' = 'auto', workers = cold) => placeJobs(jobs, bytes, offload, workers).length;
    assert.equal(lanes(OFFLOAD_MIN_BYTES - 1), 1);
    assert.equal(lanes(OFFLOAD_MIN_BYTES), 2);
    assert.equal(lanes(WARM_OFFLOAD_MIN_BYTES, 'auto', { slots: 1, warm: true }), 2);
    assert.equal(lanes(WARM_OFFLOAD_MIN_BYTES - 1, 'auto', { slots: 1, warm: true }), 1);
    assert.equal(lanes(2 ** 30, false), 1);
    assert.equal(lanes(2 ** 30, 'auto', { slots: 0, warm: false }), 1);
    assert.equal(lanes(10, true), 2);
  });
});
