/**
 * Every event a download, batch or resolution reports, for progress displays and logs: the fetch
 * layer's (started, progress, retry/failover, failed), the repository layer's (metadata) and the
 * client's own (queued, done, batch); mirror-dropped when `maxMirrorFailures` retires a mirror. Every event names its target (the path as given) so that one
 * listener can follow many downloads.
 */
import type { FailedEvent, MirrorDroppedEvent, ProgressEvent, RetryEvent, StartedEvent } from '../fetch/events.js';
import type { MetadataEvent } from '../repo/metadata-event.js';
import type { DownloadResult } from './result.js';

export type { FailedEvent, MirrorDroppedEvent, ProgressEvent, RetryEvent, StartedEvent } from '../fetch/events.js';
export type { MetadataEvent } from '../repo/metadata-event.js';

/** The target is waiting for a free slot (batches only). */
export interface QueuedEvent {
  /** Discriminant of {@link DownloadEvent}. */
  readonly type: 'queued';
  /** The target's path (or URL) as given. */
  readonly target: string;
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
export type DownloadEvent = QueuedEvent | StartedEvent | ProgressEvent | RetryEvent | DoneEvent | FailedEvent | BatchEvent | MetadataEvent | MirrorDroppedEvent;
