/**
 * What bench/batch and bench/cache share: the batch's packages with their sizes and SHA-256s (as a
 * manifest gives them), and the librepo script that downloads them as dnf would (download_packages
 * with sha256 and size, dnf's defaults: 30 s timeout, 1000 B/s over 30 s, N in parallel).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { batchPackages } from './batch-packages.js';

export interface BatchEntry {
  name: string;
  size: number;
  sha256: string;
}

/** The batch's files (built once, then reused from .bench/), with what a manifest says of each. */
export async function batchEntries(root: string, count: number, totalMiB: number): Promise<{ files: string[]; entries: BatchEntry[]; totalBytes: number }> {
  const files = await batchPackages(root, count, totalMiB);
  const entries = files.map((f) => {
    const bytes = readFileSync(f);
    return { name: basename(f), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  });
  return { files, entries, totalBytes: entries.reduce((n, e) => n + e.size, 0) };
}

/** Writes a JSON-lines manifest of `entries` to `path`. */
export function writeManifest(path: string, entries: readonly BatchEntry[]): string {
  writeFileSync(path, entries.map((e) => JSON.stringify({ path: e.name, size: e.size, sha256: e.sha256 })).join('\n'));
  return path;
}

/** Writes the librepo script into `dir`; run it as `python3 script URLS_JSON MANIFEST DEST PARALLEL`. */
export function writeLibrepoScript(dir: string): string {
  const script = join(dir, 'librepo-batch.py');
  writeFileSync(
    script,
    `import json, librepo, sys
urls, manifest, dest, parallel = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
h = librepo.Handle()
h.urls = urls
h.repotype = librepo.YUMREPO
# dnf's defaults: timeout 30 s, minrate 1000 B/s over the timeout, max_parallel_downloads 3
h.connecttimeout = 30
h.lowspeedtime = 30
h.lowspeedlimit = 1000
h.maxparalleldownloads = parallel
targets = []
for line in open(manifest):
    t = json.loads(line)
    targets.append(librepo.PackageTarget(t["path"], handle=h, dest=dest + "/", checksum_type=librepo.SHA256, checksum=t["sha256"], expectedsize=t["size"]))
librepo.download_packages(targets)
bad = [t.err for t in targets if t.err]
if bad:
    sys.exit("librepo: %d failed: %s" % (len(bad), bad[0]))
`,
  );
  return script;
}
