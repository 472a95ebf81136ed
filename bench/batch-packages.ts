/**
 * A buildroot-like set of packages for bench/batch: `count` subpackages of one spec, built by one
 * rpmbuild run, with sizes spread like a buildroot's (log-normal: many small, a few large), scaled to
 * `totalMiB`. Built once into .bench/packages/ and reused.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { seeded } from '../test/helpers/layout.js';

const run = promisify(execFile);

/** Log-normal sizes with a fixed seed, scaled to the total and clamped to [4 KiB, 40 MiB]. */
export function buildrootSizes(count: number, totalBytes: number, seed = 7): number[] {
  const random = seeded(seed);
  const normal = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const raw = Array.from({ length: count }, () => Math.exp(12.5 + 1.7 * normal()));
  let sizes = raw;
  for (let pass = 0; pass < 20; pass++) {
    const sum = sizes.reduce((a, b) => a + b, 0);
    sizes = sizes.map((s) => Math.min(40 * 1024 * 1024, Math.max(4096, (s * totalBytes) / sum)));
  }
  return sizes.map((s) => Math.round(s));
}

/** Paths of the built packages (built if missing). */
export async function batchPackages(root: string, count: number, totalMiB: number): Promise<string[]> {
  const dir = join(root, '.bench', 'packages', `batch-${count}x-${totalMiB}MiB`);
  mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir).filter((f) => f.endsWith('.rpm'));
  if (existing.length === count) return existing.sort().map((f) => join(dir, f));
  console.error(`building ${count} packages (${totalMiB} MiB in all) with one rpmbuild run…`);
  const sizes = buildrootSizes(count, totalMiB * 1024 * 1024);
  const top = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-build-'));
  const pad = String(count).length;
  const names = sizes.map((_, i) => `rpmfetch-batch-pkg${String(i).padStart(pad, '0')}`);
  const spec = [
    'Name: rpmfetch-batch',
    'Version: 1.0',
    'Release: 1',
    'Summary: rpmfetch batch benchmark',
    'License: MIT',
    'BuildArch: noarch',
    '%description',
    'Benchmark packages.',
    ...names.flatMap((n) => [`%package -n ${n}`, `Summary: ${n}`, `%description -n ${n}`, n]),
    '%install',
    'mkdir -p %{buildroot}/usr/share/rpmfetch-batch',
    ...names.map((n, i) => `head -c ${sizes[i]} /dev/urandom > %{buildroot}/usr/share/rpmfetch-batch/${n}.bin`),
    ...names.flatMap((n) => [`%files -n ${n}`, `/usr/share/rpmfetch-batch/${n}.bin`]),
    '',
  ].join('\n');
  const specFile = join(top, 'batch.spec');
  writeFileSync(specFile, spec);
  await run(
    'rpmbuild',
    ['--define', `_topdir ${top}`, '--define', `_rpmdir ${dir}`, '--define', '_build_id_links none', '--define', '_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm', '--define', '_binary_payload w1.zstdio', '--quiet', '-bb', specFile],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const built = readdirSync(dir).filter((f) => f.endsWith('.rpm'));
  if (built.length !== count) throw new Error(`rpmbuild wrote ${built.length} packages, expected ${count}`);
  if (!existsSync(join(dir, built[0] as string))) throw new Error('missing packages');
  return built.sort().map((f) => join(dir, f));
}
