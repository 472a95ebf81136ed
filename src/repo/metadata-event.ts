/** The event of a repository metadata file that arrived and checked out. */

/** A repository metadata file (repomd.xml, the primary file) arrived and checked out. */
export interface MetadataEvent {
  /** Discriminant of `DownloadEvent`. */
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
  /** Parsed again from the Downloader's memory or the cache's metadata area, without a request. */
  readonly cached?: boolean;
}
