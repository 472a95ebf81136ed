/**
 * `npm run demo`: two mirrors started inside this process on 127.0.0.1, serving the real packages in
 * test/fixtures/packages (built by rpmbuild) in a repository layout and in koji's. The first mirror
 * misbehaves the ways real ones do — it cuts a download short, answers 503, serves the wrong package
 * under a name, never answers one request — and the second is healthy. rpmfetch resolves names through
 * the repository metadata, downloads everything with its progress display, and then says what happened
 * to each file. Last, the verifier on its own, on damaged copies. Offline; nothing but Node.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineReporter, TtyProgress, formatBytes, type Reporter } from '../src/cli/progress.js';
import { createDownloader, kojiTarget, verifyFile, type Attempt, type DownloadEvent, type DownloadResult, type Target, type Verdict } from '../src/index.js';
import { FaultMirror, faults } from '../test/helpers/fault-mirror.js';
import { fixturePackages, mirrorTree, type FixturePackage } from '../test/helpers/fixture-repo.js';

const packages = await fixturePackages();
const pkg = (name: string, arch: string) => packages.find((p) => p.name === name && p.arch === arch) as FixturePackage;
const flaky = await new FaultMirror().start();
const healthy = await new FaultMirror().start();
for (const [path, bytes] of mirrorTree(packages)) {
  flaky.files.set(path, bytes);
  healthy.files.set(path, bytes);
}
const hello = pkg('rpmfetch-hello', 'noarch');
const data = pkg('rpmfetch-data', 'noarch');
const helloSrc = pkg('rpmfetch-hello', 'src');
const toolsSrc = pkg('rpmfetch-tools', 'src');
flaky.fault(hello.repoPath, faults.closeEarly(0.4));
flaky.always(data.repoPath, faults.otherBytes(hello.bytes));
flaky.always(helloSrc.kojiPath, faults.noAnswer());
// Last: a 503 with Retry-After rests mirror A for every target, not just this one.
flaky.always(toolsSrc.kojiPath, faults.status(503, '1'));

const names = new Map([
  [flaky.url, 'mirror A'],
  [healthy.url, 'mirror B'],
]);
const short = (mirror: string) => names.get(mirror) ?? mirror;
console.log(`rpmfetch demo: two mirrors on this machine, serving ${packages.length} packages built by rpmbuild
  mirror A  ${flaky.url}  cuts one download short, serves the wrong package under another
                                    name, never answers a third request, answers 503 to a fourth
  mirror B  ${healthy.url}  healthy
`);

const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-demo-'));
const tty = process.stderr.isTTY ? process.stderr : undefined;
const reporter: Reporter = tty ? new TtyProgress(tty, 5) : new LineReporter((l) => console.error(l), false);
const downloader = createDownloader({
  mirrors: [flaky.url, healthy.url],
  dest,
  // Short limits so that the demo's hanging request is noticed in seconds, not the default 30 s.
  timeouts: { stall: 1500, response: 4000 },
  hedge: 1000,
  backoff: { min: 100, max: 500 },
  // One file at a time, and mirror A never rested: every fault is met in the same order on every run
  // (in a real batch a failing mirror is rested and the others take its share).
  concurrency: 1,
  cooldownAfter: 10,
  onEvent: (e: DownloadEvent) => reporter.onEvent(e),
});

let results: Array<{ target: string; result?: DownloadResult; error?: Error & { attempts?: readonly Attempt[] } }> = [];
try {
  console.log('1. By name through the repository metadata, as `rpmfetch get --repo` does, and two source');
  console.log('   packages by koji path with the payloadhash koji recorded:\n');
  const resolution = await downloader.resolve(['rpmfetch-hello', 'rpmfetch-tools', 'rpmfetch-data'], { arch: 'x86_64' });
  const targets: Target[] = [
    ...resolution.targets,
    ...[helloSrc, toolsSrc].map((p) => kojiTarget({ name: p.name, version: p.version, release: p.release, arch: 'src', payloadhash: p.payloadhash })),
  ];
  const batch = await downloader.downloadAll(targets);
  reporter.finish();
  results = batch.items.map((i) => (i.ok ? { target: i.target, result: i.result } : { target: i.target, error: i.error }));
} finally {
  downloader.close();
  await flaky.close();
  await healthy.close();
}

function attemptLine(a: Attempt): string {
  const where = `${short(a.mirror)} #${a.attempt}`;
  const resumed = a.offset > 0 ? `resumed at ${formatBytes(a.offset)}, ` : '';
  return `    ${where.padEnd(12)} ${a.phase.padEnd(8)} ${a.code.padEnd(22)} ${resumed}${a.cause}`;
}

console.log('\n2. What happened to each file (every attempt, in order):\n');
for (const r of results) {
  const name = r.target.split('/').pop();
  console.log(`  ${name}: ${r.result ? `verified, ${r.result.verdict.checks.filter((c) => c.status === 'OK').length} checks OK, from ${short(r.result.mirror)}` : `FAILED ${r.error?.message.split('\n')[0]}`}`);
  for (const a of r.result?.attempts ?? r.error?.attempts ?? []) console.log(attemptLine(a));
}
console.log(`\n  In ${dest}: ${(await readdir(dest)).sort().join(', ')} — verified files only, no temporary files.`);

function line(name: string, v: Verdict): string {
  return v.ok ? `  ok    ${name}  (${v.rpm?.nevra}, ${v.size} bytes)` : `  FAIL  ${name}  ${v.error?.code}: ${v.error?.message}`;
}
const original = hello.bytes;
const flipped = Buffer.from(original);
flipped[flipped.length - 500] = (flipped[flipped.length - 500] as number) ^ 1;
const damaged: Array<[string, Buffer]> = [
  ['cut short (the kojipkgs failure)', original.subarray(0, original.length - 4096)],
  ['one flipped byte in the payload', flipped],
  ['junk after the end', Buffer.concat([original, Buffer.from('<html>proxy error</html>')])],
  ['another package under this name', data.bytes],
];
console.log('\n3. The verifier on its own, on damaged copies of one package:\n');
const work = await mkdtemp(join(tmpdir(), 'rpmfetch-demo-'));
for (const [what, bytes] of damaged) {
  const path = join(work, hello.file);
  await writeFile(path, bytes);
  console.log(line(`${what}:`, await verifyFile(path)));
}
await rm(work, { recursive: true, force: true });
await rm(dest, { recursive: true, force: true });
const ok = results.every((r) => r.result);
console.log(`\n${ok ? 'Every file arrived whole and genuine despite mirror A.' : 'Some files failed (see above).'} Next: README.md, or \`npx tsx src/cli/bin.ts get --help\`.`);
process.exitCode = ok ? 0 : 1;
