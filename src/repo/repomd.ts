/**
 * `repodata/repomd.xml`: the index of a repository's metadata files, each with its location, checksum
 * and size. Only what is needed to fetch the primary file and check it is kept.
 */
import { RpmfetchError } from '../errors.js';
import { checksumAlgorithm } from '../rpm/expectations.js';
import { XmlReader } from './xml-reader.js';

/** One `<data>` entry of repomd.xml. */
export interface RepomdRecord {
  /** `primary`, `filelists`, `primary_zck`, … */
  readonly type: string;
  /** Location relative to the repository base (or to `base`). */
  readonly href: string;
  /** `xml:base` of the location, when the file lives elsewhere. */
  readonly base?: string;
  /** Checksum of the file as stored (compressed). */
  readonly checksum: { readonly type: string; readonly hex: string };
  /** Size of the file as stored, when repomd.xml says. */
  readonly size?: number;
  /** Size after decompression, when repomd.xml says. */
  readonly openSize?: number;
}

/** A parsed repomd.xml. */
export interface Repomd {
  readonly revision?: string;
  readonly records: readonly RepomdRecord[];
}

/** Largest repomd.xml accepted: Fedora's is a few kB; anything near this is not an index. */
export const REPOMD_MAX_BYTES = 4 * 1024 * 1024;

function sizeAttr(text: string | undefined, what: string, reader: XmlReader): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^\d{1,15}$/.test(t)) throw reader.fail(`${what} "${t}" is not a size`);
  return Number(t);
}

/** Parses repomd.xml; throws `ERR_REPO_METADATA` on anything malformed. */
export function parseRepomd(bytes: Uint8Array, what = 'repomd.xml'): Repomd {
  const records: RepomdRecord[] = [];
  let revision: string | undefined;
  const stack: string[] = [];
  let data: { type: string; href?: string; base?: string; checksum?: { type: string; hex: string }; size?: string; openSize?: string } | undefined;
  let text = '';
  let checksumType = '';
  const reader: XmlReader = new XmlReader(what, {
    wantsText: () => true,
    open(name, attributesOf) {
      const attributes = attributesOf();
      stack.push(name);
      text = '';
      if (stack.length === 1 && name !== 'repomd') throw reader.fail(`the root element is <${name}>, not <repomd>`);
      if (stack.length === 2 && name === 'data') data = { type: attributes.type ?? '' };
      if (stack.length === 3 && data) {
        if (name === 'location') {
          if (attributes.href === undefined) throw reader.fail(`<location> of ${data.type} has no href`);
          data.href = attributes.href;
          if (attributes['xml:base'] !== undefined) data.base = attributes['xml:base'];
        } else if (name === 'checksum') {
          checksumType = attributes.type ?? '';
        }
      }
    },
    text(t) {
      text += t;
    },
    close(name) {
      const depth = stack.length;
      stack.pop();
      if (depth === 2 && name === 'revision') revision = text.trim();
      if (depth === 3 && data) {
        if (name === 'checksum') data.checksum = { type: checksumType, hex: text.trim().toLowerCase() };
        else if (name === 'size') data.size = text;
        else if (name === 'open-size') data.openSize = text;
      }
      if (depth === 2 && name === 'data' && data) {
        const d = data;
        data = undefined;
        if (!d.href) throw reader.fail(`<data type="${d.type}"> has no location`);
        if (!d.checksum) throw reader.fail(`<data type="${d.type}"> has no checksum`);
        const algorithm = checksumAlgorithm(d.checksum.type);
        if (!algorithm) throw reader.fail(`<data type="${d.type}"> has a checksum of unknown type "${d.checksum.type}"`);
        if (d.checksum.hex.length !== algorithm.hexLength || !/^[0-9a-f]+$/.test(d.checksum.hex)) throw reader.fail(`<data type="${d.type}"> has a checksum that is not ${algorithm.hexLength} hex digits`);
        const size = sizeAttr(d.size, `size of ${d.type}`, reader);
        const openSize = sizeAttr(d.openSize, `open-size of ${d.type}`, reader);
        records.push({
          type: d.type,
          href: d.href,
          checksum: d.checksum,
          ...(d.base !== undefined && { base: d.base }),
          ...(size !== undefined && { size }),
          ...(openSize !== undefined && { openSize }),
        });
      }
      text = '';
    },
  });
  reader.write(bytes);
  reader.end();
  return { records, ...(revision !== undefined && { revision }) };
}

/** The primary file's record; throws when repomd.xml lists none (or lists it twice). */
export function primaryRecord(repomd: Repomd, what = 'repomd.xml'): RepomdRecord {
  const primary = repomd.records.filter((r) => r.type === 'primary');
  if (primary.length !== 1) throw new RpmfetchError('ERR_REPO_METADATA', `${what} lists ${primary.length === 0 ? 'no' : primary.length} primary file${primary.length === 1 ? '' : 's'}`);
  return primary[0] as RepomdRecord;
}
