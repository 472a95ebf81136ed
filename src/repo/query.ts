/**
 * Package queries as dnf reads them: `NAME`, `NAME.ARCH`, `N-V`, `N-V-R`, `N-V-R.A`, with an optional
 * `EPOCH:` before the version. A query is read every way it can be, most specific first (as dnf's
 * NEVRA → NEVR → NEV → NA → NAME order), and the first reading that matches a package wins: `gcc-c++`
 * is not gcc at version "c++", so it falls through to the name.
 */
import { compareEvr } from '../rpm/vercmp.js';
import type { PrimaryEntry } from './primary-parser.js';

/** One way to read a query. */
export interface Reading {
  readonly name: string;
  readonly epoch?: number;
  readonly version?: string;
  readonly release?: string;
  readonly arch?: string;
}

/** Splits `[E:]V` into epoch and version; undefined when the epoch is not a number. */
function epochVersion(text: string): { epoch?: number; version: string } | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return { version: text };
  const e = text.slice(0, colon);
  if (!/^\d{1,10}$/.test(e)) return undefined;
  return { epoch: Number(e), version: text.slice(colon + 1) };
}

/** Every reading of a query, most specific first. */
export function readQuery(query: string): Reading[] {
  const readings: Reading[] = [];
  const dot = query.lastIndexOf('.');
  const withArch = dot > 0 ? { base: query.slice(0, dot), arch: query.slice(dot + 1) } : undefined;
  const nvr = (text: string): Reading | undefined => {
    const r = text.lastIndexOf('-');
    const v = r > 0 ? text.lastIndexOf('-', r - 1) : -1;
    if (v <= 0) return undefined;
    const ev = epochVersion(text.slice(v + 1, r));
    const release = text.slice(r + 1);
    if (!ev || !ev.version || !release) return undefined;
    return { name: text.slice(0, v), ...ev, release };
  };
  const nv = (text: string): Reading | undefined => {
    const v = text.lastIndexOf('-');
    if (v <= 0) return undefined;
    const ev = epochVersion(text.slice(v + 1));
    if (!ev || !ev.version) return undefined;
    return { name: text.slice(0, v), ...ev };
  };
  if (withArch && withArch.arch) {
    const full = nvr(withArch.base);
    if (full) readings.push({ ...full, arch: withArch.arch });
  }
  const plainNvr = nvr(query);
  if (plainNvr) readings.push(plainNvr);
  const plainNv = nv(query);
  if (plainNv) readings.push(plainNv);
  if (withArch && withArch.arch) readings.push({ name: withArch.base, arch: withArch.arch });
  readings.push({ name: query });
  return readings;
}

/** Every name a query could mean: the primary parser keeps packages with these names. */
export function candidateNames(query: string): string[] {
  return [...new Set(readQuery(query).map((r) => r.name))];
}

/** Whether a package matches one reading of a query; `arches` applies when the reading names no arch. */
export function matches(reading: Reading, e: PrimaryEntry, arches: readonly string[]): boolean {
  if (e.name !== reading.name) return false;
  if (reading.arch !== undefined ? e.arch !== reading.arch : !arches.includes(e.arch)) return false;
  if (reading.epoch !== undefined && e.epoch !== reading.epoch) return false;
  if (reading.version !== undefined && e.version !== reading.version) return false;
  if (reading.release !== undefined && e.release !== reading.release) return false;
  return true;
}

/**
 * The package a query means among `entries`: the first reading with any match, and within it the
 * highest epoch:version-release (rpm's order); on a tie the arch listed first in `arches`, then the
 * first in the file. `arches` applies to readings without an arch of their own.
 */
export function choosePackage(query: string, entries: readonly PrimaryEntry[], arches: readonly string[]): PrimaryEntry | undefined {
  for (const reading of readQuery(query)) {
    let best: PrimaryEntry | undefined;
    for (const e of entries) {
      if (matches(reading, e, arches) && (!best || beats(e, best, arches))) best = e;
    }
    if (best) return best;
  }
  return undefined;
}

/**
 * Whether `e`, met after `best` in the file, takes its place: a higher epoch:version-release, or the
 * same with an arch listed earlier.
 */
export function beats(e: PrimaryEntry, best: PrimaryEntry, arches: readonly string[]): boolean {
  const order = compareEvr(e, best);
  return order > 0 || (order === 0 && rank(e.arch, arches) < rank(best.arch, arches));
}

function rank(arch: string, arches: readonly string[]): number {
  const i = arches.indexOf(arch);
  return i < 0 ? arches.length : i;
}
