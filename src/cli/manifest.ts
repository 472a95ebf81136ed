/**
 * `--manifest FILE.jsonl`: one target per line, `{"path": "...", "size": 123, "sha256": "hex"}`, with
 * `size`, `sha256`, `integrity` optional (and, additively, `sigmd5`, `nevra`, `file`). Blank lines are
 * skipped; anything else that does not parse is a usage error naming the line.
 */
import { readFile } from 'node:fs/promises';
import { InvalidOptionError } from '../errors.js';
import type { Target } from '../fetch/target.js';

const KNOWN = new Set(['path', 'size', 'sha256', 'integrity', 'sigmd5', 'nevra', 'file']);

/** A manifest line's target and where it came from (`FILE line N`), for messages about it. */
export interface ManifestEntry {
  target: Target;
  where: string;
}

/** Parses manifest text into targets. */
export function parseManifest(text: string, source = 'manifest'): Target[] {
  return parseManifestEntries(text, source).map((e) => e.target);
}

/** Parses manifest text into targets, each with the line it came from. */
export function parseManifestEntries(text: string, source = 'manifest'): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${source} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InvalidOptionError(`${where}: not JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidOptionError(`${where}: expected an object`);
    const o = value as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !KNOWN.has(k));
    if (unknown.length) throw new InvalidOptionError(`${where}: unknown field ${unknown.join(', ')} (known: ${[...KNOWN].join(', ')})`);
    if (typeof o.path !== 'string' || o.path === '') throw new InvalidOptionError(`${where}: "path" must be a non-empty string`);
    const target: Target = { path: o.path };
    if (o.size !== undefined) {
      if (typeof o.size !== 'number') throw new InvalidOptionError(`${where}: "size" must be a number`);
      target.size = o.size;
    }
    for (const key of ['sha256', 'integrity', 'sigmd5', 'nevra', 'file'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'string') throw new InvalidOptionError(`${where}: "${key}" must be a string`);
    }
    if (o.sha256 !== undefined && o.integrity !== undefined) throw new InvalidOptionError(`${where}: give "sha256" or "integrity", not both`);
    if (typeof o.sha256 === 'string') target.checksum = { type: 'sha256', hex: o.sha256 };
    if (typeof o.integrity === 'string') target.integrity = o.integrity;
    if (typeof o.sigmd5 === 'string') target.sigmd5 = o.sigmd5;
    if (typeof o.nevra === 'string') target.nevra = o.nevra;
    if (typeof o.file === 'string') target.file = o.file;
    entries.push({ target, where });
  });
  return entries;
}

/** Reads and parses a manifest file. */
export async function readManifest(path: string): Promise<ManifestEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidOptionError(`cannot read manifest ${path}: ${(err as Error).message}`);
  }
  return parseManifestEntries(text, path);
}
