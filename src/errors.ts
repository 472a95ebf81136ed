/**
 * Every error rpmfetch raises is an {@link RpmfetchError} with a stable `code`. Scripts and callers
 * branch on `code`; messages are for humans and may change.
 *
 * @packageDocumentation
 */
import type { Verdict } from './rpm/verdict.js';

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
  /** The caller's expected size differs from the bytes received, or from the size the package states. */
  | 'ERR_SIZE_MISMATCH'
  /** The package is (or says it is) longer than the `maxSize` limit. */
  | 'ERR_TOO_LARGE'
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
  /**
   * With keys given: no valid signature by them; one is theirs but its key (or signing subkey) had
   * expired — for a package, by the time it signed; for repomd.xml, by now.
   */
  | 'ERR_KEY_EXPIRED'
  /** With keys given: no valid signature by them; one is theirs but its key (or signing subkey) is revoked. */
  | 'ERR_KEY_REVOKED'
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
  | 'ERR_UNSAFE_LOCATION'
  /**
   * A metalink is unusable: not XML (an HTML page), malformed or cut short, no `repomd.xml` entry, no
   * hash of repomd.xml that could be checked, or no http/https/file mirror left. See {@link MetalinkError}.
   */
  | 'ERR_METALINK'
  /** A mirrorlist is unusable: too large, or no http/https/file URL in it. See {@link MirrorlistError}. */
  | 'ERR_MIRRORLIST'
  /**
   * (In attempts) a mirror's repomd.xml matches neither the repomd.xml a metalink describes nor any of
   * its alternates: the mirror is out of date (or altered), and the next mirror is asked.
   */
  | 'ERR_REPOMD_MISMATCH'
  /**
   * A `.repo` file is malformed (a key before any `[section]`, a line without `=`, an empty or duplicate
   * section, a value dnf would not read), or two files define one repository id. Names the file and line.
   */
  | 'ERR_REPO_FILE'
  /** A variable (`$releasever`, `${name}`, …) in a repository URL has no value; names the variable. */
  | 'ERR_REPO_VARIABLE'
  /**
   * With `cacheOnly` (`--cacheonly`), what was asked for is not in the cache: a repository's metadata
   * (repomd.xml or its primary file) or a package. Nothing was requested from the network.
   */
  | 'ERR_NOT_CACHED';

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

/** A file that was already at a download's destination name when the download failed, left untouched. */
export interface ExistingFile {
  /** Its path. */
  readonly file: string;
  /** What the verifier says of it against the target. */
  readonly verdict: Verdict;
}

/**
 * A download that did not produce a verified file. `attempts` lists every attempt: mirror, attempt
 * number, phase, code, HTTP status, bytes, duration and cause. No temporary file is left behind, and
 * whatever was at the destination name before is still there, unchanged (see {@link existing}).
 */
export class DownloadError extends RpmfetchError {
  /** Every attempt made, in order. */
  readonly attempts: readonly Attempt[];
  /** The target's path or URL. */
  readonly target: string;
  /** The file that was at the destination name before the download and is left as it was, if any. */
  readonly existing: ExistingFile | undefined;

  constructor(code: ErrorCode, target: string, summary: string, attempts: readonly Attempt[], options?: { cause?: unknown; existing?: ExistingFile }) {
    const lines = attempts.map(
      (a) =>
        `  ${a.mirror} #${a.attempt}: ${a.phase} ${a.code}${a.status !== undefined ? ` (HTTP ${a.status})` : ''} after ${a.bytes} bytes` +
        `${a.offset ? ` from offset ${a.offset}` : ''} in ${Math.round(a.duration)} ms: ${a.cause}`,
    );
    const existing = options?.existing;
    if (existing) {
      const error = existing.verdict.error;
      lines.push(`  ${existing.file} was left as it was (${error ? `it does not verify: ${error.code}: ${error.message}` : 'it verifies'})`);
    }
    super(code, [`${target}: ${summary}`, ...lines].join('\n'), options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.attempts = attempts;
    this.target = target;
    this.existing = existing;
  }

  /** The same error, saying that `existing` is left at the destination name. */
  withExisting(existing: ExistingFile): DownloadError {
    const summary = this.message.split('\n')[0]?.slice(this.target.length + 2) ?? '';
    return new DownloadError(this.code, this.target, summary, this.attempts, { cause: this.cause, existing });
  }

  override toJSON(): {
    /** The error's {@link RpmfetchError.code}. */
    code: ErrorCode;
    /** The error's message: the summary, then one line per attempt. */
    message: string;
    /** Every attempt made, in order. */
    attempts: readonly Attempt[];
    /** The file left at the destination name, with whether it verifies and why not. */
    existing?: {
      /** Its path. */
      file: string;
      /** Whether it verifies against the target. */
      ok: boolean;
      /** Why it does not. */
      error?: {
        /** The verdict's error code. */
        code: ErrorCode;
        /** The verdict's error message. */
        message: string;
      };
    };
  } {
    const existing = this.existing;
    return {
      code: this.code,
      message: this.message,
      attempts: this.attempts,
      ...(existing && { existing: { file: existing.file, ok: existing.verdict.ok, ...(existing.verdict.error && { error: { code: existing.verdict.error.code, message: existing.verdict.error.message } }) } }),
    };
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

/**
 * A metalink (MirrorManager's list of a repository's mirrors and of repomd.xml's hashes) that cannot be
 * used. `target` is the metalink's URL (credentials masked); `attempts` lists the requests for it.
 */
export class MetalinkError extends DownloadError {
  constructor(url: string, summary: string, attempts: readonly Attempt[] = [], options?: { cause?: unknown }) {
    super('ERR_METALINK', url, summary, attempts, options);
  }
}

/** A mirrorlist that cannot be used. `target` is its URL (credentials masked); `attempts` lists the requests for it. */
export class MirrorlistError extends DownloadError {
  constructor(url: string, summary: string, attempts: readonly Attempt[] = [], options?: { cause?: unknown }) {
    super('ERR_MIRRORLIST', url, summary, attempts, options);
  }
}

/**
 * With `cacheOnly`, the cache lacks what was asked for (repository metadata or a package), and the
 * network may not be asked. `target` names it; `attempts` is empty.
 */
export class NotCachedError extends DownloadError {
  constructor(target: string, summary: string, options?: { cause?: unknown }) {
    super('ERR_NOT_CACHED', target, summary, [], options);
  }
}

/**
 * A `.repo` file (or the text given to `parseRepoFile`) is malformed, or two files define the same
 * repository id. A usage error: the message names the file and the line, as `FILE:LINE: what`.
 */
export class RepoFileError extends RpmfetchError {
  /** The file, when the text came from one (or was named with the `file` option). */
  readonly file: string | undefined;
  /** The line (from 1) the problem is on, when it is on one. */
  readonly line: number | undefined;

  constructor(message: string, where: { readonly file?: string | undefined; readonly line?: number | undefined } = {}) {
    const place = `${where.file ?? '<repo text>'}${where.line !== undefined ? `:${where.line}` : ''}`;
    super('ERR_REPO_FILE', `${place}: ${message}`);
    this.file = where.file;
    this.line = where.line;
  }
}

/**
 * A repository URL (or path) uses a variable that has no value, or a `${…}` reference dnf would leave
 * as written. rpmfetch never requests a URL with a literal `$releasever` in it: the message names the
 * variable, the repository and the key, and says how to give it a value.
 */
export class RepoVariableError extends RpmfetchError {
  /** The first variable without a value, without its `$` (`releasever`); empty when only `malformed` is. */
  readonly variable: string;
  /** Every variable without a value in the text, in order of appearance. */
  readonly variables: readonly string[];
  /** `${…}` references that are not well formed (`${releasever`), as written. */
  readonly malformed: readonly string[];
  /** The repository id, when the text belongs to a repository. */
  readonly repoId: string | undefined;
  /** The key (`baseurl`, `metalink`, …), when the text is a repository's value. */
  readonly key: string | undefined;
  /** The file the repository came from. */
  readonly file: string | undefined;
  /** The line of the key in that file. */
  readonly line: number | undefined;

  constructor(
    variables: readonly string[],
    text: string,
    where: { readonly repoId?: string | undefined; readonly key?: string | undefined; readonly file?: string | undefined; readonly line?: number | undefined } = {},
    malformed: readonly string[] = [],
  ) {
    const place = where.file !== undefined ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: ` : '';
    const owner = where.repoId !== undefined ? `[${where.repoId}]${where.key !== undefined ? ` ${where.key}` : ''}: ` : where.key !== undefined ? `${where.key}: ` : '';
    const problems: string[] = [];
    if (variables.length > 0) {
      const names = variables.map((v) => `$${v}`).join(', ');
      const how = variables.map((v) => (v === 'releasever' ? '--releasever' : `--setvar ${v}=VALUE`)).join(', ');
      problems.push(
        `${variables.length > 1 ? 'variables' : 'variable'} ${names} ${variables.length > 1 ? 'have' : 'has'} no value ` +
          `(give ${how}, a file in the vars directory, or DNF_VAR_${variables[0]})`,
      );
    }
    if (malformed.length > 0) problems.push(`malformed variable reference ${malformed.map((m) => `"${m}"`).join(', ')} (no closing "}" or an unknown \${name:…} form)`);
    super('ERR_REPO_VARIABLE', `${place}${owner}${problems.join('; ')} in "${text}"`);
    this.variable = variables[0] ?? '';
    this.variables = variables;
    this.malformed = malformed;
    this.repoId = where.repoId;
    this.key = where.key;
    this.file = where.file;
    this.line = where.line;
  }
}
