/**
 * Signals never leave temporary files: one signal stops the downloads cleanly (exit 1, a line per
 * target); a second one, however soon after, exits 128 + its number, but only once every temporary file
 * is gone. Each case runs several times: the second signal lands at a different point of the unwinding
 * each time (a body being written, a temporary file being created, removed or renamed).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnCli, tempFilesIn, untilDownloading } from './helpers/cli-process.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { HELLO } from './helpers/fixture-files.js';
import { writePackage } from './helpers/rpm-writer.js';

const EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type Stop = keyof typeof EXIT;
const ROUNDS = 3;

describe('rpmfetch get under signals', () => {
  let m: FaultMirror;
  let manifest = '';

  before(async () => {
    m = await new FaultMirror().start();
    // Six targets, four at a time: while some bodies flow, others are still being opened.
    const lines: string[] = [];
    for (let i = 0; i < 6; i++) {
      const path = `slow/${i}/${HELLO.name}`;
      m.files.set(path, HELLO.bytes);
      m.always(path, faults.drip(4000 + 2000 * i));
      lines.push(JSON.stringify({ path, file: `copy-${i}` }));
    }
    manifest = join(await mkdtemp(join(tmpdir(), 'rpmfetch-signals-')), 'm.jsonl');
    await writeFile(manifest, lines.join('\n'));
  });
  after(() => m.close());

  /** Starts a download, sends `signals` (the second `gap` ms after the first) once bytes flow. */
  async function interrupt(signals: Stop[], gap: number) {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-signals-'));
    const run = spawnCli(['get', '--json', '--mirror', m.url, '--dest', dest, '--manifest', manifest]);
    assert.ok(await untilDownloading(dest, run), `the download never started: ${run.stderr()}`);
    for (const [i, signal] of signals.entries()) {
      if (i > 0 && gap > 0) await new Promise((r) => setTimeout(r, gap));
      run.child.kill(signal);
    }
    const exit = await run.exited;
    return { ...exit, dest, stderr: run.stderr(), stdout: run.stdout(), left: await tempFilesIn(dest) };
  }

  for (const stop of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    test(`one ${stop}: the downloads stop cleanly, every target gets its line, exit 1, no temporary file`, async () => {
      const r = await interrupt([stop], 0);
      assert.deepEqual([r.code, r.signal], [1, null], r.stderr);
      assert.deepEqual(r.left, []);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; file: string; error?: { code: string } });
      assert.equal(lines.length, 6, r.stdout);
      assert.ok(lines.some((l) => l.error?.code === 'ERR_ABORTED'));
      assert.match(r.stderr, new RegExp(stop), 'it says why it stopped');
    });
  }

  const doubles: Array<[Stop, Stop, number]> = [
    ['SIGINT', 'SIGINT', 5],
    ['SIGINT', 'SIGINT', 0],
    ['SIGTERM', 'SIGTERM', 5],
    ['SIGINT', 'SIGTERM', 0],
  ];
  for (const [first, second, gap] of doubles) {
    test(`${first}, then ${second} ${gap} ms later: no temporary file, ever; exit 128 + the signal number (or 1 if they arrived as one)`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const r = await interrupt([first, second], gap);
        assert.deepEqual(r.left, [], `round ${round}: ${r.stderr}`);
        assert.equal(r.signal, null, `round ${round}: the process exits on its own terms, not killed by the signal`);
        // Signals sent back to back may reach the process as one (POSIX does not queue them), or, when
        // they differ, in either order; the status says what the process saw.
        const late = /(SIG[A-Z]+) while stopping; removing temporary files/.exec(r.stderr)?.[1] as Stop | undefined;
        if (late === undefined) assert.equal(r.code, 1, `round ${round}: ${r.stderr}`);
        else {
          assert.ok([first, second].includes(late), r.stderr);
          assert.equal(r.code, EXIT[late], `round ${round}: ${r.stderr}`);
        }
      }
    });
  }
});

describe('rpmfetch verify under signals', () => {
  test('SIGINT: the file in hand is finished, the rest are reported not checked (ERR_ABORTED), exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-signals-'));
    const files: string[] = [];
    for (const name of ['one', 'three', 'four']) {
      const p = writePackage({ name });
      files.push(join(dir, p.fileName));
      await writeFile(join(dir, p.fileName), p.bytes);
    }
    // A named pipe holds the verifier on the second file until the test writes to it: the signal
    // arrives while a file is in hand, whatever the machine's speed.
    const fifo = join(dir, 'two-1.0-1.noarch.rpm');
    execFileSync('mkfifo', [fifo]);
    files.splice(1, 0, fifo);
    const run = spawnCli(['verify', '--json', ...files]);
    while (!run.stdout().includes('\n')) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGINT');
    while (!run.stderr().includes('SIGINT')) await new Promise((r) => setTimeout(r, 20));
    // The verifier may judge the pipe and close it before these bytes are all written (EPIPE): either
    // way it has had the file in hand.
    await writeFile(fifo, 'not a package').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
    const { code } = await run.exited;
    assert.equal(code, 1, run.stderr());
    const lines = run.stdout().trim().split('\n').map((l) => JSON.parse(l) as { file: string; ok: boolean; error?: { code: string } });
    const outcome = (l: (typeof lines)[number]) => (l.ok ? 'OK' : l.error?.code === 'ERR_ABORTED' ? 'not checked' : 'checked: bad');
    assert.deepEqual(
      lines.map((l) => [l.file, outcome(l)]),
      [
        [files[0], 'OK'],
        [fifo, 'checked: bad'],
        [files[2], 'not checked'],
        [files[3], 'not checked'],
      ],
    );
  });
});
