/**
 * The byte-level grammar of HTTP/1.1 heads (RFC 9110 §5, RFC 9112 §4-5) as lookup tables, and the
 * checks built on them. Heads are parsed from the read buffer in place, so everything here works on
 * (bytes, start, end) ranges, never on copies.
 */
import { TransportError, type TransportPhase } from './errors.js';

/** tchar: the characters of a token (header names, codings). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/**
 * field-vchar, SP and HTAB: what a header value, reason phrase or chunk extension may hold. Every other
 * control byte (NUL, a bare CR, DEL, ...) is refused: it is how responses get smuggled past parsers
 * that disagree about them.
 */
const VALUE = new Uint8Array(256).fill(1);
for (let c = 0; c < 0x20; c++) VALUE[c] = 0;
VALUE[0x09] = 1;
VALUE[0x7f] = 0;

export const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** A readable excerpt of hostile bytes for an error message: printable ASCII kept, the rest escaped. */
export function excerpt(bytes: Uint8Array, start: number, end: number, max = 40): string {
  let out = '';
  for (let i = start; i < end && i < start + max; i++) {
    const c = bytes[i] as number;
    out += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return end - start > max ? `${out}...` : out;
}

export function badResponse(phase: TransportPhase, message: string): TransportError {
  return new TransportError('ERR_BAD_RESPONSE', phase, message);
}

/** The end of a line's content: before its LF, and before a CR right ahead of it (CRLF or bare LF). */
export function contentEnd(bytes: Uint8Array, start: number, lf: number): number {
  return lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
}

export function isWhitespace(c: number | undefined): boolean {
  return c === SP || c === HTAB;
}

/** True when every byte in the range may stand in a field value. */
export function allValueBytes(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (VALUE[bytes[i] as number] === 0) return false;
  return true;
}

/** True when the range is one non-empty token. */
export function isToken(bytes: Uint8Array, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (TOKEN[bytes[i] as number] === 0) return false;
  return true;
}

/**
 * One `name: value` line (without its line end) as [lower-case name, value without surrounding
 * whitespace]. Refuses obs-fold (a line starting with whitespace: a continuation some parsers join
 * and others do not), whitespace before the colon, names that are not tokens and control bytes.
 */
export function fieldLine(bytes: Buffer, start: number, end: number, phase: TransportPhase, what: string): [string, string] {
  if (isWhitespace(bytes[start])) throw badResponse(phase, `${what}: a folded line (obs-fold) "${excerpt(bytes, start, end)}"`);
  let colon = start;
  while (colon < end && bytes[colon] !== COLON) colon++;
  if (colon === end || !isToken(bytes, start, colon)) throw badResponse(phase, `${what}: not a "name: value" line: "${excerpt(bytes, start, end)}"`);
  let from = colon + 1;
  let to = end;
  while (from < to && isWhitespace(bytes[from])) from++;
  while (to > from && isWhitespace(bytes[to - 1])) to--;
  if (!allValueBytes(bytes, from, to)) throw badResponse(phase, `${what}: a control byte in the value of "${excerpt(bytes, start, colon)}": "${excerpt(bytes, from, to)}"`);
  return [bytes.toString('latin1', start, colon).toLowerCase(), bytes.toString('latin1', from, to)];
}

/** The comma-separated elements of a list-valued header, trimmed and lower-cased, empty ones dropped. */
export function listElements(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');
}
