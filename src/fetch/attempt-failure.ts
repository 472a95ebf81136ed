/**
 * Why one attempt failed, and what that means for the next: retry (the same mirror after its backoff,
 * or another), give this mirror up for the target, or stop the whole download.
 */
import type { AttemptPhase } from '../errors.js';

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

/** OpenSSL's certificate verification codes and Node's TLS errors: a retry will not fix them. */
const TLS_CODES = /^(?:EPROTO|ERR_SSL|ERR_TLS|CERT_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED)/;

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

/** Maps a low-level error (got's, Node's, ours) to an attempt failure, knowing whether headers had arrived. */
export function classifyError(err: unknown, responded: boolean): AttemptFailure {
  if (err instanceof AttemptFailure) return err;
  // got wraps the error a request is destroyed with.
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof AttemptFailure) return cause;
  const e = err as { code?: string; name?: string; message?: string; event?: string };
  const message = e.message ?? String(err);
  const bodyOrResponse: AttemptPhase = responded ? 'body' : 'response';
  if (e.code === 'ERR_STALL') return new AttemptFailure('ERR_STALL', 'body', 'retry', message, { cause: err });
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT') {
    switch (e.event) {
      case 'lookup':
      case 'connect':
      case 'secureConnect':
        return new AttemptFailure('ERR_CONNECT_TIMEOUT', 'connect', 'retry', message, { cause: err });
      case 'socket':
        return responded
          ? new AttemptFailure('ERR_STALL', 'body', 'retry', `stalled: no data for the stall timeout (${message})`, { cause: err })
          : new AttemptFailure('ERR_RESPONSE_TIMEOUT', 'response', 'retry', `no response: ${message}`, { cause: err });
      default:
        return new AttemptFailure('ERR_RESPONSE_TIMEOUT', 'response', 'retry', message, { cause: err });
    }
  }
  const tunnel = /^Bad response: (\d{3})$/.exec(message);
  if (tunnel) {
    // The proxy refused the CONNECT tunnel: 403/407 (not allowed, credentials) will not change on a retry.
    const status = Number(tunnel[1]);
    const kind = status === 403 || status === 407 ? 'mirror-done' : 'retry';
    return new AttemptFailure('ERR_PROXY', 'connect', kind, `the proxy refused the tunnel: HTTP ${status}`, { cause: err });
  }
  if (e.name === 'MaxRedirectsError') return new AttemptFailure('ERR_REDIRECT_LOOP', 'response', 'mirror-done', message, { cause: err });
  if (e.code && CONNECT_CODES.has(e.code)) return new AttemptFailure('ERR_CONNECT', 'connect', 'retry', message, { cause: err });
  // got reports a body closed before its end (a chunked body without its last chunk) as an
  // "aborted" ECONNRESET; a real TCP reset says "read ECONNRESET".
  if (e.code === 'ECONNRESET' && responded && /aborted/i.test(message)) {
    return new AttemptFailure('ERR_BODY_TRUNCATED', 'body', 'retry', `the body was cut off: ${message}`, { cause: err });
  }
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return new AttemptFailure('ERR_CONNECTION_RESET', bodyOrResponse, 'retry', message, { cause: err });
  if (e.name === 'ReadError' || e.code === 'ERR_HTTP_CONTENT_LENGTH_MISMATCH' || e.code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new AttemptFailure('ERR_BODY_TRUNCATED', 'body', 'retry', `the body was cut off: ${message}`, { cause: err });
  }
  // llhttp's parse errors: a status line or headers that are not HTTP/1.x (HTTP/0.9, an HTTP/2 preface,
  // garbage). A proxy in a bad state can do this once, so it is retried.
  if (e.code?.startsWith('HPE_')) return new AttemptFailure('ERR_BAD_RESPONSE', 'response', 'retry', `not an HTTP/1.x response: ${message}`, { cause: err });
  if (e.code === 'ENOENT') return new AttemptFailure('ERR_NOT_FOUND', 'response', 'mirror-done', message, { cause: err });
  if (e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'EPERM') return new AttemptFailure('ERR_NOT_READABLE', 'response', 'mirror-done', message, { cause: err });
  if (e.code && TLS_CODES.test(e.code)) {
    return new AttemptFailure('ERR_TLS', 'connect', 'mirror-done', message, { cause: err });
  }
  const detail = e.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
  return new AttemptFailure('ERR_NETWORK', responded ? 'body' : 'connect', 'retry', detail, { cause: err });
}
