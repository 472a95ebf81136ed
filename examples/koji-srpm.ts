/**
 * Example: fetch a source package from koji-style mirrors (kojipkgs behind a balancer, an NFS mount of
 * /mnt/koji), checked against the payloadhash koji recorded for it.
 *
 *   node --import tsx examples/koji-srpm.ts --mirror https://kojipkgs.fedoraproject.org/ \
 *       --mirror file:///mnt/koji/ --dest ./srpms bash-5.2.26-3.fc40 [--payloadhash HEX] [--sigkey KEYID]
 *
 * In your project, import from 'rpmfetch' instead of '../src/index.js'.
 */
import { parseArgs } from 'node:util';
import { download, DownloadError, kojiTarget } from '../src/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { mirror: { type: 'string', multiple: true, default: [] }, dest: { type: 'string', default: '.' }, payloadhash: { type: 'string' }, sigkey: { type: 'string' } },
});
const nvr = positionals[0];
const m = nvr ? /^(.+)-([^-]+)-([^-]+)$/.exec(nvr) : null;
if (!m || values.mirror.length === 0) {
  console.error('usage: koji-srpm.ts --mirror URL [--mirror URL]... [--dest DIR] [--payloadhash HEX] [--sigkey KEYID] NAME-VERSION-RELEASE');
  process.exit(2);
}
const [, name, version, release] = m as unknown as [string, string, string, string];

// koji's getRPM gives payloadhash (and size); pass it when you have it: a mirror serving another
// build's bytes under this name is then caught even without a repository checksum.
const target = kojiTarget(
  { name, version, release, arch: 'src', ...(values.payloadhash && { payloadhash: values.payloadhash }) },
  values.sigkey ? { sigkey: values.sigkey } : {},
);
try {
  const r = await download(target, {
    mirrors: values.mirror,
    dest: values.dest,
    onEvent: (e) => {
      if (e.type === 'retry' || e.type === 'failover') console.error(`  ${e.failed.mirror}: ${e.failed.code} (${e.failed.cause}); next: ${e.next}`);
    },
  });
  console.log(`${r.file}  ${r.rpm.name}-${r.rpm.version}-${r.rpm.release}.src  ${r.size} bytes from ${r.mirror}${r.cached ? ' (already there)' : ''}`);
} catch (err) {
  if (!(err instanceof DownloadError)) throw err;
  console.error(err.message); // the summary and every attempt
  process.exit(1);
}
