/** Fixture packages as the CLI tests use them: a name to serve them under, their bytes and SHA-256. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_DIR } from './fixture-repo.js';

export interface FixtureFile {
  readonly name: string;
  readonly bytes: Buffer;
  readonly sha256: string;
}

function fixture(name: string): FixtureFile {
  const bytes = readFileSync(join(FIXTURE_DIR, name));
  return { name, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A small binary package (30 kB). */
export const HELLO = fixture('rpmfetch-hello-1.0-1.noarch.rpm');
/** A source package twice that size. */
export const TOOLS_SRC = fixture('rpmfetch-tools-2.1-3.fc40.src.rpm');
