/**
 * Why one attempt failed, and what that means for the next: retry (the same mirror after its backoff,
 * or another), give this mirror up for the target, or stop the whole download.
 */
import type { AttemptPhase } from '../errors.js';
import { TransportError } from '../transport/errors.js';

/**
 * `retry`: a transient fault (connection refused, timeout, stall, 5xx, 429, cut-off body);
 * `mirror-done`: this mirror will not serve this target (404/410, wrong content, refused redirect);
 * `fatal`: nothing another attempt could fix (the destination cannot be written, aborted).
 */
export type FailureKind = 'retry' | 'mirror-done' | 'fatal';

export class AttemptFailure extends Error {
  constructor(
    readonly code: string,
    readonly phase: AttemptPhase,
    readonly kind: FailureKind,
    message: string,
    readonly details: {
      status?: number;
      retryAfter?: number;
      /** The bytes kept so far cannot be trusted or resumed: start the next attempt from zero. */
      resetPartial?: boolean;
      /**
       * The mirror's copy does not fit the bytes held (another length): which is right is unknown, so
       * the held bytes go and the same attempt asks this mirror for the whole file, at no cost to it.
       */
      heldDisagrees?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
  }
}

/** What each transport code means for the next attempt. */
function transportKind(err: TransportError): FailureKind {
  switch (err.code) {
    case 'ERR_TLS':
    case 'ERR_REDIRECT_LOOP':
    case 'ERR_REDIRECT_REFUSED':
      // A certificate, a redirect policy: a retry on this mirror would meet the same.
      return 'mirror-done';
    case 'ERR_PROXY':
      // The proxy refused the tunnel: 403/407 (not allowed, credentials) will not change on a retry.
      return err.status === 403 || err.status === 407 ? 'mirror-done' : 'retry';
    case 'ERR_BAD_RESPONSE':
      // A server that switches protocols will do so again; a garbled response may be a proxy's hiccup.
      return err.status === 101 ? 'mirror-done' : 'retry';
    default:
      return 'retry';
  }
}

/** Maps a low-level error (the transport's, the file system's, ours) to an attempt failure, knowing whether headers had arrived. */
export function classifyError(err: unknown, responded: boolean): AttemptFailure {
  if (err instanceof AttemptFailure) return err;
  if (err instanceof TransportError) {
    // A proxy that cannot be reached is a connection failure like any other (its message names the
    // proxy); ERR_PROXY is for a proxy that answered and refused.
    const code = err.code === 'ERR_PROXY' && err.status === undefined ? 'ERR_CONNECT' : err.code;
    return new AttemptFailure(code, err.phase, transportKind(err), err.message, { cause: err, ...(err.status !== undefined && { status: err.status }) });
  }
  const e = err as { code?: string; name?: string; message?: string };
  const message = e.message ?? String(err);
  if (e.code === 'ERR_STALL') return new AttemptFailure('ERR_STALL', 'body', 'retry', message, { cause: err });
  if (e.code === 'ENOENT') return new AttemptFailure('ERR_NOT_FOUND', 'response', 'mirror-done', message, { cause: err });
  if (e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'EPERM') return new AttemptFailure('ERR_NOT_READABLE', 'response', 'mirror-done', message, { cause: err });
  const detail = e.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
  return new AttemptFailure('ERR_NETWORK', responded ? 'body' : 'connect', 'retry', detail, { cause: err });
}
