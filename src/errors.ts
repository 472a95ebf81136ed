/**
 * Every error rpmfetch raises is an {@link RpmfetchError} with a stable `code`. Scripts and callers
 * branch on `code`; messages are for humans and may change.
 *
 * @packageDocumentation
 */

/**
 * Stable error codes. Verification codes describe why a package was refused; the others describe
 * misuse or I/O trouble around the verifier.
 */
export type ErrorCode =
  /** The bytes ended before the package did: inside the lead or a header, or short of its SIZE tag. */
  | 'ERR_RPM_TRUNCATED'
  /** The lead or a header does not start with rpm's magic bytes (or a header's reserved bytes are not zero). */
  | 'ERR_RPM_BAD_MAGIC'
  /** The lead names a signature type or format version rpm 4.18 refuses. */
  | 'ERR_RPM_LEAD_INVALID'
  /** A header claims more index entries or data than rpm allows; refused before anything is allocated. */
  | 'ERR_RPM_HEADER_TOO_LARGE'
  /** A header's index, data or region tags break rpm's structural rules. */
  | 'ERR_RPM_HEADER_INVALID'
  /** A digest stored in the package does not match the bytes. The message names the digest. */
  | 'ERR_RPM_DIGEST_MISMATCH'
  /** A digest tag is present but malformed (wrong type, count, size or not hex), as rpm reports BAD. */
  | 'ERR_RPM_DIGEST_INVALID'
  /** No valid digest covers the header, or none covers the payload. */
  | 'ERR_RPM_NO_DIGEST'
  /** More bytes arrived than the package's SIZE tag accounts for. */
  | 'ERR_TRAILING_DATA'
  /** The package's SIZE/LONGSIZE/PAYLOADSIZE tag is malformed or inconsistent with the header. */
  | 'ERR_RPM_SIZE_INVALID'
  /** The caller's expected size differs from the bytes received. */
  | 'ERR_SIZE_MISMATCH'
  /** The caller's SRI integrity string or checksum does not match the file. */
  | 'ERR_INTEGRITY_MISMATCH'
  /** The caller's sigmd5 (koji's payloadhash) differs from the package's MD5, or the package has none. */
  | 'ERR_SIGMD5_MISMATCH'
  /** The package inside is not the one the caller's NEVRA or the file name says. */
  | 'ERR_NEVRA_MISMATCH'
  /** With keys given: a signature in the package does not verify, is malformed, or its key is not valid for it. */
  | 'ERR_SIGNATURE_BAD'
  /** With keys given: the package is signed, but by none of them. */
  | 'ERR_SIGNATURE_NOKEY'
  /** With keys given: the package carries no signature at all. */
  | 'ERR_UNSIGNED'
  /** With keys given: signed by one of them, with an algorithm that cannot be checked (and no other valid signature). */
  | 'ERR_SIGNATURE_UNSUPPORTED'
  /** An option passed to rpmfetch is malformed (a bad SRI string, an unknown checksum type, ...). */
  | 'ERR_INVALID_OPTION'
  /** A local file could not be opened or read. */
  | 'ERR_FILE_UNREADABLE'
  /** The operation was aborted through its AbortSignal or the stream was destroyed. */
  | 'ERR_ABORTED'
  /** A hashing worker thread failed; the bytes it was given are lost, so the verdict cannot be trusted. */
  | 'ERR_INTERNAL'
  /** Every attempt on every mirror failed; the error lists them all. */
  | 'ERR_ALL_MIRRORS_FAILED'
  /** The download's total time limit ran out; the error lists the attempts made. */
  | 'ERR_TOTAL_TIMEOUT'
  /** The temporary file or the destination could not be written. */
  | 'ERR_WRITE_FAILED'
  /**
   * Repository metadata (repomd.xml or the primary file) does not parse, is not what repomd.xml says
   * (checksum, size), or lacks what is needed. Appears in attempts; a mirror that served it is not asked again.
   */
  | 'ERR_REPO_METADATA'
  /** No package in the repository matches the query (name, N-V-R.A or NEVRA) for the architectures asked. */
  | 'ERR_NOT_IN_REPO'
  /** The repository places a package where it could escape the destination (absolute, `..`, odd characters). */
  | 'ERR_UNSAFE_LOCATION';

/** Base class of every error rpmfetch raises. */
export class RpmfetchError extends Error {
  /** Stable machine-readable code; see {@link ErrorCode}. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** A plain object for JSON output. */
  toJSON(): {
    /** The error's {@link RpmfetchError.code}. */
    code: ErrorCode;
    /** The error's message. */
    message: string;
  } {
    return { code: this.code, message: this.message };
  }
}

/** The package failed verification. `code` says why; the verdict carries every check. */
export class VerifyError extends RpmfetchError {
  /** The check (see `Check.id`) that failed first, when the failure belongs to one check. */
  readonly check: string | undefined;

  constructor(code: ErrorCode, message: string, check?: string) {
    super(code, message);
    this.check = check;
  }
}

/** Where in an attempt a failure happened. */
export type AttemptPhase = 'connect' | 'response' | 'body' | 'verify';

/** One request to one mirror for one target, successful or not. */
export interface Attempt {
  /** The mirror base URL as configured (for an absolute-URL target, the URL itself). */
  readonly mirror: string;
  /** The URL requested (before redirects). */
  readonly url: string;
  /** Attempt number on this mirror for this target, from 1. */
  readonly attempt: number;
  /** The phase the attempt reached: where it failed, or `verify` for the one that succeeded. */
  readonly phase: AttemptPhase;
  /** `OK` for the successful attempt, else a stable code such as `ERR_STALL`, `ERR_HTTP_STATUS`, `ERR_RPM_TRUNCATED`. */
  readonly code: string;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** Bytes received by this attempt. */
  readonly bytes: number;
  /** Byte offset this attempt started at (above 0 when it resumed with Range). */
  readonly offset: number;
  /** Milliseconds from the request to the outcome. */
  readonly duration: number;
  /** What happened, for humans. */
  readonly cause: string;
  /** Delay the server asked for with Retry-After, in milliseconds. */
  readonly retryAfter?: number;
}

/**
 * A download that did not produce a verified file. `attempts` lists every attempt: mirror, attempt
 * number, phase, code, HTTP status, bytes, duration and cause. Nothing is left at the destination name
 * and no temporary file is left behind.
 */
export class DownloadError extends RpmfetchError {
  /** Every attempt made, in order. */
  readonly attempts: readonly Attempt[];
  /** The target's path or URL. */
  readonly target: string;

  constructor(code: ErrorCode, target: string, summary: string, attempts: readonly Attempt[], options?: { cause?: unknown }) {
    const lines = attempts.map(
      (a) =>
        `  ${a.mirror} #${a.attempt}: ${a.phase} ${a.code}${a.status !== undefined ? ` (HTTP ${a.status})` : ''} after ${a.bytes} bytes` +
        `${a.offset ? ` from offset ${a.offset}` : ''} in ${Math.round(a.duration)} ms: ${a.cause}`,
    );
    super(code, [`${target}: ${summary}`, ...lines].join('\n'), options);
    this.attempts = attempts;
    this.target = target;
  }

  override toJSON(): {
    /** The error's {@link RpmfetchError.code}. */
    code: ErrorCode;
    /** The error's message: the summary, then one line per attempt. */
    message: string;
    /** Every attempt made, in order. */
    attempts: readonly Attempt[];
  } {
    return { code: this.code, message: this.message, attempts: this.attempts };
  }
}

/** A query could not be resolved to a package through repository metadata. */
export class RepoError extends RpmfetchError {
  /** The query as given (a name, N-V-R.A or NEVRA). */
  readonly query: string;

  constructor(code: ErrorCode, query: string, message: string) {
    super(code, message);
    this.query = query;
  }
}

/** An option given to rpmfetch is invalid. Thrown synchronously, before any work starts. */
export class InvalidOptionError extends RpmfetchError {
  constructor(message: string) {
    super('ERR_INVALID_OPTION', message);
  }
}

/** A local file could not be read. `cause` holds the system error. */
export class FileReadError extends RpmfetchError {
  /** The path that could not be read. */
  readonly path: string;

  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ERR_FILE_UNREADABLE', `cannot read ${path}: ${reason}`, { cause });
    this.path = path;
  }
}
