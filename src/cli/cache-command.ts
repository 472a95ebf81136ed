/**
 * `rpmfetch cache ls | verify | prune | clear`: housekeeping of the package store, each safe while
 * builds use it (src/cache/remove-entry.ts, clear.ts). `--json` prints one line per entry or action and
 * a summary line last (`"summary": true`). Exit status: 0, or 1 when `verify` found a bad entry (it is
 * removed), 2 for a usage error (no store named, a malformed size).
 */
import { Command } from 'commander';
import type { StoreEntry } from '../cache/entries.js';
import type { PackageCache } from '../cache/open-cache.js';
import { InvalidOptionError } from '../errors.js';
import { Keyring } from '../rpm/keyring.js';
import type { CliIo } from './io.js';
import { sizeFlag } from './size-flag.js';

interface CacheFlags {
  cache?: string;
  json?: boolean;
  key?: string[];
  cacheMaxSize?: number;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--cache DIR`, else `RPMFETCH_CACHE`; a usage error when neither names one. The store's modules are
 * loaded here, not with the command line: `get` without a store does without them.
 */
async function storeOf(flags: CacheFlags): Promise<PackageCache> {
  const dir = flags.cache ?? process.env['RPMFETCH_CACHE'];
  if (!dir) throw new InvalidOptionError('no package store: give --cache DIR or set RPMFETCH_CACHE');
  const { openCache } = await import('../cache/open-cache.js');
  return openCache(dir);
}

const iso = (ms: number): string => new Date(ms).toISOString();

function entryJson(e: StoreEntry): Record<string, unknown> {
  return { sha256: e.sha256, nevra: e.nevra ?? null, size: e.size, keys: e.keys, stored: iso(e.stored), lastUse: iso(e.lastUse), file: e.file };
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u] as string}`;
}

const label = (e: StoreEntry): string => `${e.nevra ?? '(no index entry)'} ${e.sha256.slice(0, 16)}`;

async function ls(flags: CacheFlags, io: CliIo): Promise<number> {
  const entries = await (await storeOf(flags)).list();
  const bytes = entries.reduce((n, e) => n + e.size, 0);
  for (const e of entries) {
    if (flags.json) io.out(JSON.stringify(entryJson(e)));
    else io.out(`${e.nevra ?? '(no index entry)'}\t${e.size}\t${e.sha256}\t${e.keys.length} keys\tstored ${iso(e.stored)}\tused ${iso(e.lastUse)}`);
  }
  if (flags.json) io.out(JSON.stringify({ summary: true, entries: entries.length, bytes }));
  else io.err(`${entries.length} packages, ${human(bytes)}`);
  return 0;
}

async function verify(flags: CacheFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const keys = flags.key && flags.key.length > 0 ? await Keyring.load(flags.key) : undefined;
  const report = await (await storeOf(flags)).verify({
    ...(keys && { keys }),
    signal,
    onEntry: (r) => {
      if (flags.json) io.out(JSON.stringify({ sha256: r.entry.sha256, nevra: r.entry.nevra ?? null, size: r.entry.size, status: r.status, ...(r.code !== undefined && { code: r.code, message: r.message }) }));
      else if (r.status === 'bad') io.err(`${label(r.entry)}: BAD ${r.code ?? ''} ${r.message ?? ''}; removed`);
    },
  });
  if (flags.json) io.out(JSON.stringify({ summary: true, ...report }));
  else io.err(`${report.checked} packages checked, ${report.bad} bad (removed)${report.gone ? `, ${report.gone} removed meanwhile by another process` : ''}`);
  return report.bad > 0 ? 1 : 0;
}

async function prune(flags: CacheFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  if (flags.cacheMaxSize === undefined) throw new InvalidOptionError('cache prune needs --cache-max-size SIZE');
  const report = await (await storeOf(flags)).prune(flags.cacheMaxSize, signal);
  for (const e of report.removed) {
    if (flags.json) io.out(JSON.stringify({ action: 'removed', ...entryJson(e) }));
    else io.err(`removed ${label(e)} (${human(e.size)}, last used ${iso(e.lastUse)})`);
  }
  const summary = { summary: true, maxSize: report.maxSize, before: report.before, after: report.after, removed: report.removed.length };
  if (flags.json) io.out(JSON.stringify(summary));
  else io.err(`${report.removed.length} packages removed; ${human(report.after)} of at most ${human(report.maxSize)} left`);
  return 0;
}

async function clear(flags: CacheFlags, io: CliIo): Promise<number> {
  const report = await (await storeOf(flags)).clear();
  for (const e of report.removed) if (flags.json) io.out(JSON.stringify({ action: 'removed', ...entryJson(e) }));
  if (flags.json) io.out(JSON.stringify({ summary: true, entries: report.removed.length, bytes: report.bytes }));
  else io.err(`${report.removed.length} packages removed (${human(report.bytes)})`);
  return 0;
}

/** Registers `cache` and its subcommands on the program. */
export function cacheCommand(io: CliIo, done: (code: number) => void, signal: AbortSignal): Command {
  const cache = new Command('cache').description('housekeeping of the package store (--cache DIR or $RPMFETCH_CACHE); safe while builds use it');
  const sub = (name: string, description: string): Command =>
    cache
      .command(name)
      .description(description)
      .option('--cache <dir>', 'the package store (default: $RPMFETCH_CACHE)')
      .option('--json', 'one JSON object per entry or action on stdout, then a summary line');
  sub('ls', 'list the stored packages: nevra, size, sha256, keys, stored time, last use (least recently used first)').action(async (flags: CacheFlags) => done(await ls(flags, io)));
  sub('verify', 'verify every stored package in full and remove the bad ones (exit 1 if any)')
    .option('--key <file.asc>', 'trusted public key file; repeat for several. Packages not validly signed by one of them are bad too', collect, [])
    .action(async (flags: CacheFlags) => done(await verify(flags, io, signal)));
  sub('prune', 'remove least recently used packages until the store is under --cache-max-size')
    .option('--cache-max-size <size>', 'the most bytes the store may keep (k, M, G suffixes, 1024-based)', sizeFlag)
    .action(async (flags: CacheFlags) => done(await prune(flags, io, signal)));
  sub('clear', 'remove every stored package').action(async (flags: CacheFlags) => done(await clear(flags, io)));
  return cache;
}
