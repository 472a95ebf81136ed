/** The big rpmbuild-built package the benchmarks use, built once into .bench/ and reused. */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rpmbuild, type PayloadKind } from '../test/helpers/rpm-tools.js';

/** Path of a `sizeMiB` package (random content, so compression does not shrink it), built if missing. */
export async function benchPackage(root: string, sizeMiB: number, payload: PayloadKind): Promise<string> {
  const dir = join(root, '.bench', 'packages', `${sizeMiB}MiB-${payload}`);
  mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir).find((f) => f.endsWith('.noarch.rpm'));
  if (existing && existsSync(join(dir, existing))) return join(dir, existing);
  console.error(`building a ${sizeMiB} MiB package (${payload} payload) with rpmbuild…`);
  const built = await rpmbuild(dir, {
    name: 'rpmfetch-bench',
    version: String(sizeMiB),
    release: '1',
    payload,
    level: payload === 'none' ? 0 : 1,
    withSource: false,
    files: { '/opt/rpmfetch-bench/data.bin': sizeMiB * 1024 * 1024 },
  });
  return built.binary;
}
