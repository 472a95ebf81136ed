/**
 * The shared corpus of real packages with rpm's own verdicts (../shared/corpus). Tests read it in place
 * and skip with a reason where it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');

/** Why corpus tests cannot run, or undefined. */
export function corpusMissing(): string | undefined {
  return existsSync(join(CORPUS, 'EXPECTED.tsv')) ? undefined : `the shared corpus is not at ${CORPUS}`;
}

/** Rows of an EXPECTED*.tsv table as objects keyed by column name. */
export function readExpected(table: 'EXPECTED.tsv' | 'EXPECTED-rpm6.tsv'): Array<Record<string, string>> {
  const lines = readFileSync(join(CORPUS, table), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const header = (lines.shift() ?? '').split('\t');
  return lines.map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

/**
 * rpm 4.18's verdict with `--nosignature`, derived from its -Kv output without keys: a structural error
 * prints no verdict lines; otherwise every digest line must say OK (signature lines are dropped).
 */
export function nosignatureVerdict(row: Record<string, string>): boolean {
  const lines = (row.Kv_nokeys ?? '-').split(' | ');
  if (row.Kv_nokeys === '-' || lines.length === 0) return false;
  return lines.filter((l) => / digest: /.test(l)).every((l) => l.endsWith(': OK'));
}
