/** Attempt failures across a thread boundary: as plain data, and back. */
import { AttemptFailure, classifyError } from '../attempt-failure.js';
import type { FailureData } from './lane-protocol.js';

/** Any error a transfer threw, as the data of the AttemptFailure it amounts to. */
export function toFailureData(err: unknown, responded: boolean): FailureData {
  const f = classifyError(err, responded);
  const d = f.details;
  return {
    code: f.code,
    phase: f.phase,
    kind: f.kind,
    message: f.message,
    ...(d.status !== undefined && { status: d.status }),
    ...(d.retryAfter !== undefined && { retryAfter: d.retryAfter }),
    ...(d.resetPartial && { resetPartial: true }),
    ...(d.heldDisagrees && { heldDisagrees: true }),
  };
}

/** The AttemptFailure again. */
export function fromFailureData(d: FailureData): AttemptFailure {
  return new AttemptFailure(d.code, d.phase, d.kind, d.message, {
    ...(d.status !== undefined && { status: d.status }),
    ...(d.retryAfter !== undefined && { retryAfter: d.retryAfter }),
    ...(d.resetPartial && { resetPartial: true }),
    ...(d.heldDisagrees && { heldDisagrees: true }),
  });
}
