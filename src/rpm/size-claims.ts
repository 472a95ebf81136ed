/**
 * What a package says of its own length as its headers arrive, and the bound its main header sets (see
 * size-tags.ts and payload-bound.ts), as absolute file lengths. Pure: each step returns new claims.
 */
import type { Header } from './header.js';
import { payloadBound } from './payload-bound.js';
import { readHeaderPlusPayloadSize, readPayloadSizes } from './size-tags.js';
import { extend } from '../extend.js';

/** Length claims, all absolute byte counts from the start of the file. */
export interface SizeClaims {
  /** The file length the size tags imply. */
  readonly expected: number | undefined;
  /** The largest length the size tags allow (v6 may allow two); more is trailing data. */
  readonly max: number | undefined;
  /** The largest length the files the main header lists allow. */
  readonly bound: number | undefined;
  /** Why the size tags cannot be believed. */
  readonly problem: string | undefined;
}

/** Nothing claimed yet. */
export const NO_SIZE_CLAIMS: SizeClaims = { expected: undefined, max: undefined, bound: undefined, problem: undefined };

/** SIZE / LONGSIZE from the signature header; the main header starts at `headerStart`. */
export function claimsFromSignature(signature: Header, headerStart: number): SizeClaims {
  const claim = readHeaderPlusPayloadSize(signature);
  if (claim?.problem) return extend(NO_SIZE_CLAIMS, { problem: claim.problem });
  if (claim?.value === undefined) return NO_SIZE_CLAIMS;
  const total = headerStart + claim.value;
  return extend(NO_SIZE_CLAIMS, { expected: total, max: total });
}

/** SIZE covers the main header too: one that cannot fit is known from its intro, before it is read. */
export function claimsAfterIntro(claims: SizeClaims, headerStart: number, headerLength: number): SizeClaims {
  if (claims.expected === undefined || headerStart + headerLength <= claims.expected) return claims;
  return extend(claims, { problem: headerTooLong(claims.expected - headerStart, headerLength) });
}

/** The main header read: a SIZE it outgrew is dropped, v6 PAYLOADSIZE joins in, and its files bound all. */
export function claimsFromMainHeader(claims: SizeClaims, main: Header, headerStart: number, payloadStart: number): SizeClaims {
  let { expected, max, problem } = claims;
  if (expected !== undefined && expected < payloadStart) {
    problem = headerTooLong(expected - headerStart, payloadStart - headerStart);
    expected = undefined;
    max = undefined;
  }
  const payloadSizes = readPayloadSizes(main);
  if (payloadSizes?.problem) problem ??= payloadSizes.problem;
  else if (payloadSizes && payloadSizes.values.length > 0 && problem === undefined) {
    const totals = payloadSizes.values.map((v) => payloadStart + v);
    expected ??= totals[0];
    max = Math.max(max ?? 0, ...totals);
  }
  const bound = payloadStart + payloadBound(main);
  if (problem === undefined && max !== undefined && max > bound) {
    problem = `its size tags say ${max} bytes, more than the ${bound} the files its main header lists could take`;
  }
  return { expected, max, bound, problem };
}

function headerTooLong(claimed: number, headerLength: number): string {
  return `its SIZE tag says ${claimed} bytes of header and payload, but the main header alone is ${headerLength}`;
}
