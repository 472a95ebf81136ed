/**
 * One build sharing a package store, as a process of its own: `JSON` argument `{ mirror, dest, cache,
 * paths, rounds?, concurrency? }`. Downloads every path through the public API (with `rounds`, that
 * many times, round i into `dest/r<i>`, while a test clears, prunes and verifies the store) and prints
 * one JSON line: how many were placed from the store, downloaded or failed. `startBuild` runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadAll } from '../../src/index.js';

/** What a build printed. */
export interface BuildCounts {
  store: number;
  downloaded: number;
  failed: number;
  errors: string[];
}

/** What a build is given. */
export interface BuildArgs {
  mirror: string;
  dest: string;
  cache: string;
  paths: string[];
  rounds?: number;
  concurrency?: number;
}

/** Starts a build process; `done` resolves with its counts, or rejects when it does not exit 0. */
export function startBuild(args: BuildArgs): { child: ChildProcess; done: Promise<BuildCounts> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<BuildCounts>((resolve, reject) => {
    child.on('exit', (code, signal) => (code === 0 ? resolve(JSON.parse(out) as BuildCounts) : reject(new Error(`build exited ${code ?? signal}`))));
  });
  return { child, done };
}

async function build({ mirror, dest, cache, paths, rounds, concurrency = 4 }: BuildArgs): Promise<BuildCounts> {
  const counts: BuildCounts = { store: 0, downloaded: 0, failed: 0, errors: [] };
  for (let round = 0; round < (rounds ?? 1); round++) {
    const into = rounds === undefined ? dest : join(dest, `r${round}`);
    const batch = await downloadAll(paths, { mirrors: [mirror], dest: into, cache, reuse: false, concurrency, retries: 1, backoff: { min: 10, max: 40 } });
    for (const item of batch.items) {
      if (!item.ok) {
        counts.failed++;
        counts.errors.push(item.error.message);
      } else if (item.result.cached === 'store') counts.store++;
      else counts.downloaded++;
    }
  }
  return counts;
}

// Run as a process (not when imported by a test for startBuild).
if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${JSON.stringify(await build(JSON.parse(process.argv[2] ?? '{}') as BuildArgs))}\n`);
