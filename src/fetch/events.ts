/**
 * Events a download reports while it runs, for progress displays and logs. Every event names its
 * target (the path as given) so that one listener can follow many downloads.
 */
import type { Attempt, DownloadError } from '../errors.js';
import type { DownloadResult } from './result.js';

/** The target is waiting for a free slot (batches only). */
export interface QueuedEvent {
  /** Discriminant of {@link DownloadEvent}. */
  readonly type: 'queued';
  /** The target's path (or URL) as given. */
  readonly target: string;
}

/** A request is about to be made. */
export interface StartedEvent {
  /** Discriminant of {@link DownloadEvent}. */
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
  /** Discriminant of {@link DownloadEvent}. */
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

/** The target is verified and in place. */
export interface DoneEvent {
  /** Discriminant of {@link DownloadEvent}. */
  readonly type: 'done';
  /** The target's path (or URL) as given. */
  readonly target: string;
  /** The verified file, as the download resolves with it. */
  readonly result: DownloadResult;
}

/** The target failed for good. */
export interface FailedEvent {
  /** Discriminant of {@link DownloadEvent}. */
  readonly type: 'failed';
  /** The target's path (or URL) as given; while resolving, the metadata file's path. */
  readonly target: string;
  /** Why it failed, with every attempt made. */
  readonly error: DownloadError;
}

/** A repository metadata file (repomd.xml, the primary file) arrived and checked out. */
export interface MetadataEvent {
  /** Discriminant of {@link DownloadEvent}. */
  readonly type: 'metadata';
  /** The file's path relative to the mirrors (or its URL). */
  readonly target: string;
  /** The mirror that served it, as configured. */
  readonly mirror: string;
  /** The URL it came from, after redirects. */
  readonly url: string;
  /** Bytes received (compressed). */
  readonly size: number;
  /** Packages the file lists (primary files). */
  readonly packages?: number;
  /** Milliseconds from the first request to the parse, retries included. */
  readonly duration: number;
  /** Parsed again from the Downloader's memory, without a request. */
  readonly cached?: boolean;
}

/** Running totals of a batch, after every finished target and a few times per second. */
export interface BatchEvent {
  /** Discriminant of {@link DownloadEvent}. */
  readonly type: 'batch';
  /** Targets in the batch. */
  readonly total: number;
  /** Targets verified and in place so far (cached ones included). */
  readonly done: number;
  /** Targets that failed for good so far. */
  readonly failed: number;
  /** Targets with a request started and not yet done or failed. */
  readonly inFlight: number;
  /** Bytes received so far (finished and in-flight targets). */
  readonly bytes: number;
  /** Sum of the sizes known so far (targets whose size is not yet known are not counted). */
  readonly bytesKnown: number;
  /** Bytes per second over the last seconds. */
  readonly rate: number;
  /** Milliseconds since the batch started. */
  readonly elapsed: number;
}

/** Any event a download, batch or resolution reports; switch on `type`. */
export type DownloadEvent = QueuedEvent | StartedEvent | ProgressEvent | RetryEvent | DoneEvent | FailedEvent | BatchEvent | MetadataEvent;
