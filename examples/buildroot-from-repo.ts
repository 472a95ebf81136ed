/**
 * Example: fill a buildroot cache from repository metadata. Names resolve through the mirrors'
 * repodata/ (newest version for this machine's arch and noarch), then download as one batch sharing
 * connections and mirror health; each file is checked against the size and checksum the repository
 * publishes, and against everything the package says about itself.
 *
 *   node --import tsx examples/buildroot-from-repo.ts --mirror https://mirror-a/fedora/.../os/ \
 *       --mirror https://mirror-b/fedora/.../os/ --dest ./buildroot [--arch x86_64] bash coreutils glibc
 *
 * In your project, import from 'rpmfetch' instead of '../src/index.js'.
 */
import { parseArgs } from 'node:util';
import { createDownloader } from '../src/index.js';

const { values, positionals: names } = parseArgs({
  allowPositionals: true,
  options: { mirror: { type: 'string', multiple: true, default: [] }, dest: { type: 'string', default: '.' }, arch: { type: 'string' }, concurrency: { type: 'string', default: '4' } },
});
if (values.mirror.length === 0 || names.length === 0) {
  console.error('usage: buildroot-from-repo.ts --mirror URL [--mirror URL]... [--dest DIR] [--arch ARCH] NAME...');
  process.exit(2);
}

const downloader = createDownloader({ mirrors: values.mirror, dest: values.dest, concurrency: Number(values.concurrency) });
try {
  const resolution = await downloader.resolve(names, values.arch ? { arch: values.arch } : {});
  console.error(`repository revision ${resolution.revision ?? '?'}: ${resolution.primary.packages} packages listed`);
  for (const item of resolution.items) if (!item.ok) console.error(`  not found: ${item.query} (${item.error.code})`);
  let last = 0;
  const batch = await downloader.downloadAll(resolution.targets, {
    onEvent: (e) => {
      if (e.type === 'batch' && e.elapsed - last > 1000) {
        last = e.elapsed;
        console.error(`  ${e.done + e.failed}/${e.total} files, ${(e.bytes / 1e6).toFixed(1)} MB`);
      }
    },
  });
  for (const item of batch.items) console.log(item.ok ? `ok      ${item.result.file}` : `FAILED  ${item.target}: ${item.error.code}`);
  console.error(`${batch.succeeded} verified, ${batch.failed} failed, ${(batch.bytes / 1e6).toFixed(1)} MB in ${(batch.duration / 1000).toFixed(1)} s`);
  process.exitCode = batch.failed === 0 && resolution.items.every((i) => i.ok) ? 0 : 1;
} finally {
  downloader.close();
}
