/**
 * `npm run check:package` (CI runs it after the build): the tarball `npm pack` makes is what users get.
 * It must hold dist/, its types, README, LICENSE and package.json only; pass publint and
 * arethetypeswrong (ESM-only profile: CommonJS users reach it through require(esm)); install into an
 * empty project where `import` and `require` both work, the CLI runs and a big package is hashed on
 * the installed package's own worker module, a download runs through its lane module and xz decodes
 * on its decode worker module; and compile in a strict TypeScript consumer, ESM and
 * CommonJS. Not a test file: it needs the build and npm's cache.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers/cli.js';
import { writePackage } from './helpers/rpm-writer.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd: string, args: string[], cwd = ROOT) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const step = (what: string) => console.log(`\n== ${what}`);

const work = await mkdtemp(join(tmpdir(), 'rpmfetch-pack-'));
try {
  step('npm pack: only dist/, README.md, LICENSE, package.json');
  const packed = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', work])) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = join(work, packed[0]?.filename ?? '');
  const paths = packed[0]?.files.map((f) => f.path) ?? [];
  const stray = paths.filter((p) => !p.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(p));
  assert.deepEqual(stray, [], 'files outside dist/, README, LICENSE');
  for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/bin.js', 'README.md', 'LICENSE']) assert.ok(paths.includes(needed), `${needed} is in the tarball`);
  assert.ok(!paths.some((p) => /\.test\.|\/test\/|\/bench\//.test(p)), 'no tests or benchmarks');
  console.log(`${paths.length} files, ok`);

  step('publint --strict');
  console.log(run(process.execPath, [join(ROOT, 'node_modules/publint/src/cli.js'), '--strict', tarball]));

  step('arethetypeswrong (esm-only profile)');
  console.log(run(process.execPath, [join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tarball, '--profile', 'esm-only', '--no-emoji', '--no-color']));

  step('install into an empty project');
  const project = join(work, 'consumer');
  await rm(project, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', project]);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], project);

  step('import and require');
  const esm = run(process.execPath, ['--input-type=module', '-e', "const m = await import('rpmfetch'); console.log(['download','downloadAll','createDownloader','verifyFile','createVerifier','resolvePackages','kojiTarget','Keyring'].filter((k) => typeof m[k] !== 'function').join(',') || 'ok')"], project);
  assert.equal(esm.trim(), 'ok', `missing ESM exports: ${esm}`);
  const cjs = run(process.execPath, ['--input-type=commonjs', '-e', "const m = require('rpmfetch'); console.log(typeof m.download === 'function' && typeof m.verifyFile === 'function' ? 'ok' : 'missing')"], project);
  assert.equal(cjs.trim(), 'ok', 'require(esm) gives the exports');
  console.log('import: ok, require: ok');

  step('the CLI from node_modules/.bin');
  const help = run(join(project, 'node_modules/.bin/rpmfetch'), ['--help'], project);
  assert.match(help, /verify/);
  // The installed layout puts package.json where the CLI looks for its version.
  const { version: ourVersion } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(run(join(project, 'node_modules/.bin/rpmfetch'), ['--version'], project).trim(), ourVersion);
  const verified = run(join(project, 'node_modules/.bin/rpmfetch'), ['verify', '--json', join(ROOT, 'test/fixtures/packages/rpmfetch-hello-1.0-1.noarch.rpm')], project);
  assert.equal((JSON.parse(verified) as { ok: boolean }).ok, true);
  console.log('rpmfetch --help, --version, verify: ok');

  step('a big package hashed on the installed package\'s worker thread');
  const big = join(project, 'big-1.0-1.noarch.rpm');
  await writeFile(big, writePackage({ name: 'big', payload: Buffer.alloc(16 * 1024 * 1024, 5) }).bytes);
  // The default ('auto') offloads a package this big wherever a core is spare; a single core needs `true`.
  const offload = availableParallelism() > 1 ? "'auto'" : 'true';
  const hashed = spawnSync(process.execPath, ['--input-type=module', '-e', `const { verifyFile } = await import('rpmfetch'); console.log((await verifyFile(process.argv[1], { offload: ${offload} })).ok)`, big], {
    cwd: project,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DEBUG: 'rpmfetch:verify', DEBUG_COLORS: 'no' },
  });
  assert.equal(hashed.status, 0, `the verifying process exits by itself: ${hashed.stderr}`);
  assert.equal(hashed.stdout.trim(), 'true');
  const worker = pathToFileURL(join(project, 'node_modules/rpmfetch/dist/workers/hash-worker.js')).href;
  const line = hashed.stderr.split('\n').find((l) => l.includes(`hash worker thread`));
  assert.ok(line?.includes(`(${worker}) computed header+payload:md5`), `MD5 computed by ${worker}: ${line ?? hashed.stderr}`);
  console.log(line?.replace(/^.*?rpmfetch:verify /, ''));

  step("a download through the installed package's lane module");
  const mirrorDir = join(work, 'mirror');
  execFileSync('mkdir', ['-p', mirrorDir, join(project, 'dest')]);
  execFileSync('cp', [join(ROOT, 'test/fixtures/packages/rpmfetch-hello-1.0-1.noarch.rpm'), mirrorDir]);
  const laned = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const { download } = await import('rpmfetch'); const r = await download('rpmfetch-hello-1.0-1.noarch.rpm', { mirrors: [process.argv[1]], dest: 'dest', lanes: 1 }); console.log(r.rpm.nevra)`, pathToFileURL(mirrorDir).href + '/'],
    { cwd: project, encoding: 'utf8', timeout: 60_000, env: { ...process.env, DEBUG: 'rpmfetch:http', DEBUG_COLORS: 'no' } },
  );
  assert.equal(laned.status, 0, `the downloading process exits by itself: ${laned.stderr}`);
  assert.equal(laned.stdout.trim(), 'rpmfetch-hello-1.0-1.noarch');
  const laneModule = pathToFileURL(join(project, 'node_modules/rpmfetch/dist/fetch/lanes/lane-worker.js')).href;
  assert.ok(laned.stderr.includes(`a download lane is up (${laneModule})`), `the lane ran ${laneModule}: ${laned.stderr}`);
  console.log(`downloaded through ${laneModule}: ok`);

  step("xz decoded on the installed package's decode worker module");
  if (spawnSync('xz', ['--version']).status !== 0) console.log('SKIPPED: no xz command to make the input (apt-get install xz-utils)');
  else {
    const text = Buffer.from('<metadata>'.padEnd(3 * 1024 * 1024, 'x') + '</metadata>');
    const xzFile = join(work, 'input.xz');
    await writeFile(xzFile, execFileSync('xz', ['-c'], { input: text }));
    const host = pathToFileURL(join(project, 'node_modules/rpmfetch/dist/repo/decompress-worker.js')).href;
    const decoded = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const { decodeInWorker } = await import(${JSON.stringify(host)}); const { readFileSync } = await import('node:fs'); let n = 0; for await (const c of decodeInWorker([readFileSync(process.argv[1])], 'xz')) n += c.length; console.log(n)`, xzFile],
      { cwd: project, encoding: 'utf8', timeout: 60_000, env: { ...process.env, DEBUG: 'rpmfetch:http', DEBUG_COLORS: 'no' } },
    );
    assert.equal(decoded.status, 0, `the decoding process exits by itself: ${decoded.stderr}`);
    assert.equal(decoded.stdout.trim(), String(text.length));
    const decodeModule = pathToFileURL(join(project, 'node_modules/rpmfetch/dist/repo/decode-worker.js')).href;
    assert.ok(decoded.stderr.includes(`(${decodeModule})`), `decoded by ${decodeModule}: ${decoded.stderr}`);
    console.log(`decoded by ${decodeModule}: ok`);
  }

  step('a strict TypeScript consumer (ESM and CommonJS)');
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }, include: ['*.ts', '*.cts'] }),
  );
  await writeFile(
    join(project, 'consumer.ts'),
    `import { createDownloader, download, DownloadError, Keyring, kojiTarget, verifyFile, type DownloadEvent, type Resolution, type Target, type Verdict } from 'rpmfetch';
const target: Target = { path: 'Packages/b/bash-5.2.26-3.fc40.x86_64.rpm', size: 1, checksum: { type: 'sha256', hex: 'ab' } };
const onEvent = (e: DownloadEvent): void => { if (e.type === 'failover') console.log(e.failed.code, e.next); };
export async function main(): Promise<void> {
  const keys = await Keyring.load(['key.asc']);
  const v: Verdict = await verifyFile('x.rpm', { keys });
  if (!v.ok) console.log(v.error?.code);
  try {
    await download(target, { mirrors: ['https://m/'], dest: '.', timeouts: { stall: 1000 }, proxy: false, tls: { ca: 'pem' }, onEvent });
  } catch (err) {
    if (err instanceof DownloadError) for (const a of err.attempts) console.log(a.mirror, a.code, a.status);
  }
  const d = createDownloader({ mirrors: ['https://m/'] });
  const r: Resolution = await d.resolve(['bash'], { arch: 'x86_64' });
  for (const item of r.items) console.log(item.ok ? item.package.nevra : item.error.code);
  await d.downloadAll([...r.targets, kojiTarget({ name: 'a', version: '1', release: '1', arch: 'src' })]);
  d.close();
}
`,
  );
  await writeFile(join(project, 'consumer-cjs.cts'), `import rpmfetch = require('rpmfetch');\nexport const f: typeof rpmfetch.download = rpmfetch.download;\n`);
  run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], project);
  console.log('tsc --strict (nodenext, exactOptionalPropertyTypes, noUncheckedIndexedAccess): ok');

  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  console.log(`\n${pkg.name}@${pkg.version}: the package is fine`);
} finally {
  await rm(work, { recursive: true, force: true });
}
