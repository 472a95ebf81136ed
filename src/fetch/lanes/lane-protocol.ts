/**
 * The messages between the thread that runs the attempts (the runner) and a download lane, the worker
 * thread that holds a package's connection, temporary file and verifier (docs/architecture.md, "Lanes").
 * Everything in them survives structured cloning: URLs travel as strings, keys as OpenPGP bytes, errors
 * as plain data. A transfer's state (bytes held and from where) comes back with every reply that can
 * change it, so the runner reads it synchronously as it does an in-thread transfer's.
 */
import type { AttemptPhase } from '../../errors.js';
import type { Verdict } from '../../rpm/verdict.js';
import type { FileIdentity } from '../temp-file.js';
import type { VerifyOptions } from '../../rpm/verify-options.js';
import type { TlsConfig } from '../../transport/tls-context.js';
import type { FailureKind } from '../attempt-failure.js';
import type { ResolvedTimeouts } from '../timeouts.js';
import type { MirrorRef } from '../transfer.js';

/** What a lane is started with. */
export interface LaneInit {
  readonly userAgent: string;
  readonly proxy: { readonly http?: string; readonly https?: string; readonly noProxy: ReadonlyArray<{ host: string; port?: string }> };
  readonly tls?: TlsConfig;
  readonly maxRedirects: number;
  readonly allowInsecureRedirects: boolean;
  /** The caller's request headers, checked (the `headers` option). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The `username` and `password` options. */
  readonly credentials?: { readonly username: string; readonly password: string };
}

/** A package transfer as a lane runs it. */
export interface TransferSpec {
  readonly dest: string;
  readonly fileName: string;
  readonly destination: string;
  readonly size: number | undefined;
  readonly timeouts: ResolvedTimeouts;
  readonly verify: Omit<VerifyOptions, 'keys'>;
  /** Trusted keys: an id the lane caches them under, and their bytes the first time it sees the id. */
  readonly keys?: { readonly id: number; readonly bytes?: readonly Uint8Array[] };
}

/** A transfer's bytes held, as the runner sees them (see `Transfer`). */
export interface TransferState {
  readonly held: number;
  /** Ids of the mirrors the bytes came from. */
  readonly heldFrom: readonly number[];
  readonly expectedTotal: number | undefined;
  readonly resumed: boolean;
}

/** An AttemptFailure as data. */
export interface FailureData {
  readonly code: string;
  readonly phase: AttemptPhase;
  readonly kind: FailureKind;
  readonly message: string;
  readonly status?: number;
  readonly retryAfter?: number;
  readonly resetPartial?: boolean;
  readonly heldDisagrees?: boolean;
}

/** What an opened body's head said. */
export interface SourceData {
  readonly status?: number;
  readonly restarted: boolean;
  readonly length?: number;
  readonly url: string;
}

/** From the runner to a lane. `tid` names a transfer, `rid` a request, `cid` a call awaiting `done`. */
export type LaneRequest =
  | { readonly op: 'begin'; readonly tid: number; readonly spec: TransferSpec }
  | { readonly op: 'open'; readonly tid: number; readonly rid: number; readonly url: string; readonly offset: number; readonly expectedTotal: number | undefined; readonly timeouts: ResolvedTimeouts; readonly mirror: MirrorRef; readonly revalidate?: boolean }
  | { readonly op: 'consume'; readonly tid: number; readonly rid: number; readonly offset: number; readonly mirror: MirrorRef }
  /** Stops an open or a consume in flight (the runner's signal fired). */
  | { readonly op: 'abort'; readonly rid: number; readonly reason: string }
  /** Drops an opened body that will not be consumed (a lost hedge). */
  | { readonly op: 'discard'; readonly rid: number }
  | { readonly op: 'dropHeld'; readonly tid: number; readonly cid: number }
  | { readonly op: 'close'; readonly tid: number; readonly cid: number }
  /** The process is leaving: remove every temporary file now, refuse new ones. */
  | { readonly op: 'abandon'; readonly cid: number };

/** From a lane to the runner. */
export type LaneReply =
  | { readonly op: 'opened'; readonly rid: number; readonly source: SourceData }
  | { readonly op: 'progress'; readonly rid: number; readonly n: number; readonly held: number; readonly total: number | undefined }
  | { readonly op: 'consumed'; readonly rid: number; readonly verdict: Verdict; readonly file: string; readonly identity?: FileIdentity; readonly state: TransferState }
  | { readonly op: 'failed'; readonly rid: number; readonly failure: FailureData; readonly state: TransferState }
  | { readonly op: 'done'; readonly cid: number; readonly state?: TransferState }
  /** The lane has loaded and takes requests. */
  | { readonly op: 'ready' };
