/**
 * rpm's version ordering (rpmvercmp, rpmio/rpmvercmp.c in rpm 4.18), and the epoch:version-release
 * ordering built on it. Choosing "the latest" package from repository metadata must agree with rpm and
 * dnf, or a builder gets a different package than the one it would install.
 */

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const TILDE = 0x7e;
const CARET = 0x5e;

/**
 * Compares two version (or release) strings as rpm does: alternating numeric and alphabetic segments,
 * numbers by value, letters by ASCII; `~` sorts before anything (1.0~rc1 < 1.0), `^` after the base
 * version but before anything else (1.0 < 1.0^git1 < 1.0.1). Anything not ASCII alphanumeric separates
 * segments. Returns -1, 0 or 1.
 */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : 0);
  const separator = (c: number): boolean => c !== 0 && !isDigit(c) && !isAlpha(c) && c !== TILDE && c !== CARET;
  while (i < a.length || j < b.length) {
    while (separator(at(a, i))) i++;
    while (separator(at(b, j))) j++;
    const x = at(a, i);
    const y = at(b, j);
    if (x === TILDE || y === TILDE) {
      if (x !== TILDE) return 1;
      if (y !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (x === CARET || y === CARET) {
      if (x === 0) return -1;
      if (y === 0) return 1;
      if (x !== CARET) return 1;
      if (y !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (x === 0 || y === 0) break;
    const numeric = isDigit(x);
    const kind = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && kind(a.charCodeAt(ei))) ei++;
    while (ej < b.length && kind(b.charCodeAt(ej))) ej++;
    // A segment of the other kind (here: empty): numbers are newer than letters.
    if (ej === j) return numeric ? 1 : -1;
    let one = a.slice(i, ei);
    let two = b.slice(j, ej);
    if (numeric) {
      one = one.replace(/^0+/, '');
      two = two.replace(/^0+/, '');
      if (one.length !== two.length) return one.length > two.length ? 1 : -1;
    }
    if (one !== two) return one < two ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** An epoch, version and release; a missing epoch is 0, as rpm and dnf treat it. */
export interface Evr {
  /** Epoch; absent or undefined counts as 0. */
  readonly epoch?: number | undefined;
  /** Version, compared by {@link rpmvercmp}. */
  readonly version: string;
  /** Release, compared by {@link rpmvercmp} when the versions are equal. */
  readonly release: string;
}

/** Orders two EVRs: epoch as a number, then version, then release, each by {@link rpmvercmp}. */
export function compareEvr(a: Evr, b: Evr): -1 | 0 | 1 {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}
