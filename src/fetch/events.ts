/**
 * The events of fetching one file with failover: a request starts, bytes arrive, an attempt failed and
 * another follows. Every event names its target (the path as given) so that one listener can follow
 * many downloads. The client layer adds its own (queued, done, failed, batch) and the repository layer
 * its `metadata` event; `DownloadEvent` is the union of them all.
 */
import type { Attempt, DownloadError } from '../errors.js';

/** A request is about to be made. */
export interface StartedEvent {
  /** Discriminant of `DownloadEvent`. */
  readonly type: 'started';
  /** The target's path (or URL) as given; while resolving, the metadata file's path. */
  readonly target: string;
  /** The mirror base as configured (for an absolute-URL target, the URL itself). */
  readonly mirror: string;
  /** The URL requested (before redirects). */
  readonly url: string;
  /** Attempt number on this mirror, from 1. */
  readonly attempt: number;
  /** Bytes already held (a resume asks for the rest). */
  readonly offset: number;
  /** A hedged request: the first mirror asked has not answered yet, and this one is asked as well. */
  readonly hedge?: boolean;
}

/** Bytes arrived (at most a few times per second per target). */
export interface ProgressEvent {
  /** Discriminant of `DownloadEvent`. */
  readonly type: 'progress';
  /** The target's path (or URL) as given; while resolving, the metadata file's path. */
  readonly target: string;
  /** The mirror the bytes are coming from, as configured. */
  readonly mirror: string;
  /** Bytes of the file held so far, resumed bytes included. */
  readonly bytes: number;
  /** Full size when known (the package's SIZE tag, the caller's size or Content-Length). */
  readonly total?: number;
  /** Bytes per second over the last second or so. */
  readonly rate: number;
}

/** An attempt failed and another will follow, on the same mirror or, for a failover, another. */
export interface RetryEvent {
  /** `retry`: the next attempt is on the same mirror; `failover`: on another. */
  readonly type: 'retry' | 'failover';
  /** The target's path (or URL) as given; while resolving, the metadata file's path. */
  readonly target: string;
  /** The attempt that failed. */
  readonly failed: Attempt;
  /** The mirror of the next attempt. */
  readonly next: string;
  /** Milliseconds before the next attempt starts. */
  readonly wait: number;
}

/**
 * A mirror reached `maxMirrorFailures` without having served a file: the Downloader asks it for
 * nothing more (requests running finish).
 */
export interface MirrorDroppedEvent {
  /** Discriminant of `DownloadEvent`. */
  readonly type: 'mirror-dropped';
  /** The file whose failed attempt was the last straw (path as given, or a metadata file's path). */
  readonly target: string;
  /** The mirror, as configured, credentials masked. */
  readonly mirror: string;
  /** Failed attempts counted against it. */
  readonly failures: number;
  /** Why, as the final errors of files left without a mirror word it. */
  readonly reason: string;
}

/** What fetching a file reports. */
export type FetchEvent = StartedEvent | ProgressEvent | RetryEvent | MirrorDroppedEvent;

/** A file failed for good: every attempt on every mirror, or an abort. */
export interface FailedEvent {
  /** Discriminant of `DownloadEvent`. */
  readonly type: 'failed';
  /** The target's path (or URL) as given; while resolving, the metadata file's path. */
  readonly target: string;
  /** Why it failed, with every attempt made. */
  readonly error: DownloadError;
}
