/**
 * One build sharing a package store: `JSON` argument `{ mirror, dest, cache, paths }`. Downloads every
 * path through the public API and prints one JSON line: how many were placed from the store, downloaded
 * or failed.
 */
import { downloadAll } from '../../src/index.js';

const { mirror, dest, cache, paths } = JSON.parse(process.argv[2] ?? '{}') as { mirror: string; dest: string; cache: string; paths: string[] };
const batch = await downloadAll(paths, { mirrors: [mirror], dest, cache, reuse: false, concurrency: 4, retries: 1, backoff: { min: 10, max: 40 } });
const counts = { store: 0, downloaded: 0, failed: 0, errors: [] as string[] };
for (const item of batch.items) {
  if (!item.ok) {
    counts.failed++;
    counts.errors.push(item.error.message);
  } else if (item.result.cached === 'store') counts.store++;
  else counts.downloaded++;
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
