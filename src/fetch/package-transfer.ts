/**
 * The Transfer of a package: its body goes through the verifier into a temporary file in the
 * destination directory, resumable from the bytes held, and the file is renamed into place once the
 * verdict passed. A package known bad mid-stream (its headers contradict what was asked, bytes past
 * its end) stops the transfer at once.
 */
import { AttemptFailure } from './attempt-failure.js';
import { PartialFile } from './partial-file.js';
import type { BatchBuffers } from './package-sink.js';
import { StallMonitor } from './stall-monitor.js';
import type { FileIdentity } from './temp-file.js';
import type { ConsumeRun, MirrorRef, OpenedSource, Opener, OpenRequest, Transfer } from './transfer.js';
import type { RpmfetchError } from '../errors.js';
import type { Verdict } from '../rpm/verdict.js';
import type { VerifyOptions } from '../rpm/verifier.js';
import type { ResolvedTimeouts } from './timeouts.js';
import type { HashWorkers } from '../workers/hash-workers.js';
import createDebug from 'debug';

const debugRetry = createDebug('rpmfetch:retry');

/** A verified package in place. */
export interface PackageFetched {
  readonly verdict: Verdict;
  /** Where it is now. */
  readonly file: string;
  /** The file written and verified (absent from a download lane). */
  readonly identity?: FileIdentity | undefined;
}

/** What a package transfer needs besides the bytes. */
export interface PackageTransferOptions {
  readonly dest: string;
  /** File name inside `dest`. */
  readonly fileName: string;
  /** Absolute path the verified file is renamed to. */
  readonly destination: string;
  readonly verify: VerifyOptions;
  /** The caller's expected size, when given (a bound until the package states its own). */
  readonly size: number | undefined;
  readonly timeouts: ResolvedTimeouts;
  readonly opener: Opener;
  readonly buffers: BatchBuffers;
  /** The hash workers the verifier may use (a Downloader's). */
  readonly hashWorkers?: HashWorkers;
}

export class PackageTransfer implements Transfer<PackageFetched> {
  private readonly partial: PartialFile;

  constructor(private readonly options: PackageTransferOptions) {
    this.partial = new PartialFile(options.dest, options.fileName, options.verify, options.buffers, options.hashWorkers);
  }

  /**
   * Bytes a next request may resume after: none until the headers are whole. The lead and the
   * signature header are covered by no digest, so they must come from the response that brings the
   * header they describe; a cut inside them costs at most their few kilobytes.
   */
  held(): number {
    return this.partial.verifier.headersComplete ? this.partial.bytes : 0;
  }

  heldFrom(mirror: MirrorRef): boolean {
    return this.partial.mirrors.has(mirror.id);
  }

  /** Ids of the mirrors the bytes held came from. */
  heldMirrorIds(): number[] {
    return [...this.partial.mirrors];
  }

  expectedTotal(): number | undefined {
    return this.partial.verifier.expectedSize ?? this.options.size;
  }

  resumed(): boolean {
    return this.partial.sources > 1;
  }

  dropHeld(): Promise<void> {
    return this.partial.reset();
  }

  open(req: OpenRequest, mirror: MirrorRef): Promise<OpenedSource> {
    return this.options.opener.open(req, mirror);
  }

  close(): Promise<void> {
    return this.partial.reset();
  }

  async consume(source: OpenedSource, offset: number, run: ConsumeRun): Promise<PackageFetched> {
    if (source.restarted) {
      debugRetry('%s: %s ignored Range, starting again from zero', this.options.fileName, run.mirror.label);
      await this.partial.reset();
    } else if (offset === 0 && this.partial.bytes > 0) {
      await this.partial.reset();
    } else if (offset !== this.partial.bytes) {
      // The held bytes changed while this response was on its way (a hedged twin dropped them).
      throw new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `the response starts at byte ${offset}, ${this.partial.bytes} bytes are held now`);
    }
    const verdict = await this.stream(source, run);
    const identity = await this.partial.commit(this.options.destination).catch((err: unknown) => {
      throw new AttemptFailure('ERR_WRITE_FAILED', 'verify', 'fatal', `cannot move the verified file to ${this.options.destination}: ${(err as Error).message}`);
    });
    return { verdict, file: this.options.destination, identity };
  }

  /** Streams the body into the file and the verifier, watching for stalls, then judges it. */
  private async stream(source: OpenedSource, run: ConsumeRun): Promise<Verdict> {
    const temp = await this.partial.open().catch((err: unknown) => {
      throw new AttemptFailure('ERR_WRITE_FAILED', 'body', 'fatal', `cannot create a temporary file in ${this.options.dest}: ${(err as Error).message}`);
    });
    const verifier = this.partial.verifier;
    const total = (): number | undefined => verifier.expectedSize ?? this.options.size ?? (source.length !== undefined ? this.partial.bytes + source.length : undefined);
    const sink = this.partial.sink(temp, run.mirror, (n) => run.progress(n, this.partial.bytes, total()));
    // What ends the body early: a stall, or the verifier knowing the package is bad.
    let stop: AttemptFailure | Error | undefined;
    const monitor = new StallMonitor(this.options.timeouts.stall, this.options.timeouts.minRate, (err) => {
      stop ??= err;
      source.discard(err);
    }, () => sink.busy);
    const onFailure = (err: RpmfetchError): void => {
      stop ??= new AttemptFailure(err.code, 'verify', 'mirror-done', err.message, { resetPartial: true });
      source.discard(stop);
    };
    verifier.once('failure', onFailure);
    try {
      await source.read((chunk) => {
        if (stop) throw stop;
        monitor.bytes(chunk.length);
        return sink.push(chunk);
      });
      await sink.end();
    } catch (err) {
      await sink.settled();
      if (sink.error) {
        throw new AttemptFailure('ERR_WRITE_FAILED', 'body', 'fatal', `cannot write ${this.partial.bytes} bytes into the temporary file: ${sink.error.message}`, { cause: sink.error });
      }
      throw stop ?? err;
    } finally {
      monitor.stop();
      verifier.off('failure', onFailure);
    }
    const expected = verifier.expectedSize ?? this.options.size;
    if (verifier.failure) {
      const f = verifier.failure;
      throw new AttemptFailure(f.code, 'verify', 'mirror-done', f.message, { resetPartial: true });
    }
    if (!verifier.headersComplete) {
      throw new AttemptFailure('ERR_BODY_TRUNCATED', 'body', 'retry', `the body ended inside the package headers after ${this.partial.bytes} bytes`);
    }
    if (expected !== undefined && this.partial.bytes < expected) {
      throw new AttemptFailure('ERR_BODY_TRUNCATED', 'body', 'retry', `the body ended at ${this.partial.bytes} of the package's ${expected} bytes`);
    }
    verifier.end();
    const verdict = await verifier.verdict();
    if (!verdict.ok) {
      const error = verdict.error;
      throw new AttemptFailure(error?.code ?? 'ERR_INTERNAL', 'verify', 'mirror-done', error?.message ?? 'verification failed', { resetPartial: true });
    }
    return verdict;
  }
}
