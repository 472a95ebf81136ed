/** Metalinks and mirrorlists written as MirrorManager writes them, for the tests' own mirrors. */
import { createHash } from 'node:crypto';

export interface MetalinkUrl {
  url: string;
  protocol?: string;
  preference?: number | string;
  location?: string;
}

/** One version of repomd.xml: its bytes give the size and the hashes (only the types asked for). */
export interface MetalinkVersion {
  bytes: Buffer;
  timestamp?: number;
  types?: readonly string[];
  /** Replace the hashes' values (a tampered metalink). */
  hex?: string;
}

function hashes(v: MetalinkVersion, indent: string): string {
  const types = v.types ?? ['md5', 'sha1', 'sha256', 'sha512'];
  return types.map((t) => `${indent}<hash type="${t}">${v.hex ?? createHash(t === 'sha' ? 'sha1' : t).update(v.bytes).digest('hex')}</hash>`).join('\n');
}

export function metalinkXml(current: MetalinkVersion, urls: readonly MetalinkUrl[], alternates: readonly MetalinkVersion[] = []): string {
  const alt = alternates.length === 0 ? '' : `   <mm0:alternates>\n${alternates.map((a) => `    <mm0:alternate>\n     <mm0:timestamp>${a.timestamp ?? 1700000000}</mm0:timestamp>\n     <size>${a.bytes.length}</size>\n     <verification>\n${hashes(a, '      ')}\n     </verification>\n    </mm0:alternate>`).join('\n')}\n   </mm0:alternates>\n`;
  const resources = urls
    .map((u) => `    <url protocol="${u.protocol ?? new URL(u.url).protocol.slice(0, -1)}" type="${u.protocol ?? new URL(u.url).protocol.slice(0, -1)}" location="${u.location ?? 'US'}" preference="${u.preference ?? 100}">${u.url}</url>`)
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" pubdate="Mon, 03 Mar 2025 10:00:00 GMT" generator="mirrormanager" xmlns:mm0="http://fedorahosted.org/mirrormanager">
 <files>
  <file name="repomd.xml">
   <mm0:timestamp>${current.timestamp ?? 1741000000}</mm0:timestamp>
   <size>${current.bytes.length}</size>
   <verification>
${hashes(current, '    ')}
   </verification>
${alt}   <resources maxconnections="1">
${resources}
   </resources>
  </file>
 </files>
</metalink>
`;
}
