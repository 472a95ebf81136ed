/**
 * What a package says about its own length. rpm writes it but never checks it; we do, because it is the
 * only thing that tells a whole package from one cut short behind an agreeing Content-Length.
 *
 * v3/v4: signature tag SIZE (1000, INT32) or LONGSIZE (270, INT64) = main header + payload.
 * v6: main-header PAYLOADSIZE (5112, INT64) = stored payload, or PAYLOADSIZEALT (5113) when the payload
 * was swapped for its uncompressed form.
 */
import type { Header } from './header.js';
import { TagType } from './tag-type.js';
import { HeaderTag, SigTag } from './tags.js';

/** A length claim, or why the tag carrying it is unusable. */
export interface SizeClaim {
  readonly value?: number;
  readonly problem?: string;
}

function single(header: Header, tag: number, type: number, name: string): SizeClaim | undefined {
  const entry = header.find(tag);
  if (!entry) return undefined;
  if (entry.type !== type || entry.count !== 1) {
    return { problem: `${name} tag (${tag}) has type ${entry.type} and count ${entry.count}, expected one ${type === TagType.INT64 ? 'INT64' : 'INT32'}` };
  }
  return { value: header.numbers(entry)?.[0] as number };
}

/** SIZE / LONGSIZE from the signature header: the byte count of main header plus payload. */
export function readHeaderPlusPayloadSize(signature: Header): SizeClaim | undefined {
  const size = single(signature, SigTag.SIZE, TagType.INT32, 'SIZE');
  const long = single(signature, SigTag.LONGSIZE, TagType.INT64, 'LONGSIZE');
  if (size?.problem) return size;
  if (long?.problem) return long;
  if (size && long && size.value !== long.value) {
    return { problem: `SIZE (${size.value}) and LONGSIZE (${long.value}) disagree` };
  }
  return size ?? long;
}

/** PAYLOADSIZE and PAYLOADSIZEALT from a v6 main header: the payload lengths the package allows. */
export function readPayloadSizes(main: Header): { values: number[]; problem?: string } | undefined {
  const primary = single(main, HeaderTag.PAYLOADSIZE, TagType.INT64, 'PAYLOADSIZE');
  const alt = single(main, HeaderTag.PAYLOADSIZEALT, TagType.INT64, 'PAYLOADSIZEALT');
  if (!primary && !alt) return undefined;
  const problem = primary?.problem ?? alt?.problem;
  const values = [primary?.value, alt?.value].filter((v): v is number => v !== undefined);
  return problem ? { values, problem } : { values };
}
