/**
 * A build placing packages through a store in a loop, while the test clears, prunes and verifies the
 * store: `JSON` argument `{ mirror, dest, cache, paths, rounds }`. Round i goes to `dest/r<i>`. Prints
 * one JSON line: how many were placed from the store, downloaded or failed.
 */
import { join } from 'node:path';
import { downloadAll } from '../../src/index.js';

const { mirror, dest, cache, paths, rounds } = JSON.parse(process.argv[2] ?? '{}') as { mirror: string; dest: string; cache: string; paths: string[]; rounds: number };
const counts = { store: 0, downloaded: 0, failed: 0, errors: [] as string[] };
for (let round = 0; round < rounds; round++) {
  const batch = await downloadAll(paths, { mirrors: [mirror], dest: join(dest, `r${round}`), cache, reuse: false, concurrency: 2, retries: 1, backoff: { min: 10, max: 40 } });
  for (const item of batch.items) {
    if (!item.ok) {
      counts.failed++;
      counts.errors.push(item.error.message);
    } else if (item.result.cached === 'store') counts.store++;
    else counts.downloaded++;
  }
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
