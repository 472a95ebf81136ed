/**
 * The one error the HTTP client raises. Its codes are the attempt codes of the fetch layer, so that
 * layer maps them one to one; `phase` says how far the exchange got.
 */
import type { AttemptPhase } from '../errors.js';

export type TransportErrorCode =
  /** Refused, DNS failure, unreachable. */
  | 'ERR_CONNECT'
  /** DNS + TCP + TLS (+ proxy CONNECT) did not finish within the connect timeout. */
  | 'ERR_CONNECT_TIMEOUT'
  /** The final response head did not arrive within the response timeout of the request being sent. */
  | 'ERR_RESPONSE_TIMEOUT'
  /** No byte of the body for the idle timeout. */
  | 'ERR_STALL'
  /** The connection closed before the end its framing promised (Content-Length, last chunk). */
  | 'ERR_BODY_TRUNCATED'
  | 'ERR_CONNECTION_RESET'
  /** Certificate or handshake failure; the message says which. */
  | 'ERR_TLS'
  /** The proxy cannot be reached, or refused the tunnel (`status` then says how). */
  | 'ERR_PROXY'
  /** More redirects than allowed. */
  | 'ERR_REDIRECT_LOOP'
  /** A redirect to another scheme, or from https to http when that is not allowed. */
  | 'ERR_REDIRECT_REFUSED'
  /** Not a plain HTTP/1.0 or 1.1 response, or one outside our limits. */
  | 'ERR_BAD_RESPONSE'
  /** Any other network error; the message carries the system code. */
  | 'ERR_NETWORK'
  /** The caller's AbortSignal fired (its reason is the `cause`), or the response was discarded mid-read. */
  | 'ERR_ABORTED';

/** How far an exchange got: connecting, waiting for the response head, or reading the body. */
export type TransportPhase = Exclude<AttemptPhase, 'verify'>;

export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** The HTTP status involved: a proxy's answer to CONNECT, or the redirect that was refused. */
  readonly status: number | undefined;

  constructor(
    readonly code: TransportErrorCode,
    readonly phase: TransportPhase,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.status = options.status;
  }
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
/** OpenSSL's verification codes and Node's TLS errors. */
const TLS_CODES = /^(?:EPROTO|ERR_SSL|ERR_TLS|CERT_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED)/;

/** The system or library code of an error, if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for the errors of a peer that closed or reset the connection. */
export function isResetError(err: unknown): boolean {
  return RESET_CODES.has(errorCode(err) ?? '');
}

/**
 * A socket's error as a TransportError: `phase` is where the exchange was, `where` names the peer
 * (already redacted) for the message.
 */
export function fromSocketError(err: unknown, phase: TransportPhase, where: string): TransportError {
  if (err instanceof TransportError) return err;
  const code = errorCode(err) ?? 'UNKNOWN';
  const text = err instanceof Error ? err.message : String(err);
  const detail = text.includes(code) ? text : `${code}: ${text}`;
  if (CONNECT_CODES.has(code)) return new TransportError('ERR_CONNECT', 'connect', `cannot connect to ${where}: ${detail}`, { cause: err });
  if (code === 'ETIMEDOUT' && phase === 'connect') return new TransportError('ERR_CONNECT_TIMEOUT', 'connect', `connecting to ${where} timed out: ${detail}`, { cause: err });
  if (TLS_CODES.test(code)) return new TransportError('ERR_TLS', 'connect', `TLS with ${where} failed: ${detail}`, { cause: err });
  if (RESET_CODES.has(code)) return new TransportError('ERR_CONNECTION_RESET', phase, `${where} reset the connection: ${detail}`, { cause: err });
  return new TransportError('ERR_NETWORK', phase, `network error with ${where}: ${detail}`, { cause: err });
}

/** The error of an aborted exchange; the signal's reason is kept as the cause. */
export function abortError(signal: AbortSignal, phase: TransportPhase): TransportError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? `: ${reason.message}` : '';
  return new TransportError('ERR_ABORTED', phase, `aborted${why}`, { cause: reason });
}
