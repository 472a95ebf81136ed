/** One judged check: the building block of every verdict. */
import type { ErrorCode } from '../errors.js';
import type { Check } from './verdict.js';
import { extend } from '../extend.js';

/** A check and, when it failed, the error code it fails the package with. */
export interface Judged {
  /** The check as the verdict lists it. */
  readonly check: Check;
  /** Set when the check fails the package. */
  readonly code?: ErrorCode;
}

/** A passed or failed check: `ok` decides between `OK` and `BAD` with `message`. */
export function passOrFail(code: ErrorCode, ok: boolean, check: Omit<Check, 'status'>, message: string): Judged {
  return ok ? { check: extend(check, { status: 'OK' }) } : { code, check: extend(check, { status: 'BAD', message }) };
}
