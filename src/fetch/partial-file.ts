/**
 * The bytes of one package held so far: a temporary file and the verifier that has seen exactly the
 * same bytes. Resuming appends to both; a restart drops both; success renames the file into place.
 */
import { mkdir } from 'node:fs/promises';
import { MAIN_THREAD_OVERHEAD } from '../rpm/hash-placement.js';
import { RpmVerifier, type VerifyOptions } from '../rpm/verifier.js';
import type { HashWorkers } from '../workers/hash-workers.js';
import { PackageSink, type BatchBuffers } from './package-sink.js';
import { TempFile, type FileIdentity } from './temp-file.js';
import type { MirrorRef } from './transfer.js';

export class PartialFile {
  private temp: TempFile | undefined;
  private verifierValue: RpmVerifier | undefined;
  /** Bytes held: written to the file and fed to the verifier. */
  bytes = 0;
  /** Responses that contributed bytes: above 1 the file was resumed. */
  sources = 0;
  /** Mirrors (by id) that contributed bytes. */
  readonly mirrors = new Set<number>();

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly verifyOptions: VerifyOptions,
    private readonly buffers: BatchBuffers,
    private readonly hashWorkers: HashWorkers | undefined,
  ) {}

  /** The verifier of the bytes held (created on first use). */
  get verifier(): RpmVerifier {
    // The main thread also runs the HTTP client: the planner should give the workers more.
    this.verifierValue ??= new RpmVerifier(this.verifyOptions, { mainThreadOverhead: MAIN_THREAD_OVERHEAD.network, ...(this.hashWorkers && { hashWorkers: this.hashWorkers }) });
    return this.verifierValue;
  }

  /** Opens the temporary file if there is none yet (creating the directory when it is missing). */
  async open(): Promise<TempFile> {
    if (!this.temp) {
      try {
        this.temp = await TempFile.create(this.dir, this.name);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
        await mkdir(this.dir, { recursive: true });
        this.temp = await TempFile.create(this.dir, this.name);
      }
    }
    return this.temp;
  }

  /** A sink that writes each chunk to the file and to the verifier, from the current length on. */
  sink(temp: TempFile, mirror: MirrorRef, onBytes: (n: number) => void): PackageSink {
    this.sources++;
    this.mirrors.add(mirror.id);
    return new PackageSink(temp, this.verifier, this.bytes, this.buffers, (n) => {
      this.bytes += n;
      onBytes(n);
    });
  }

  /** Forgets every byte: the next attempt starts from zero with a fresh file and verifier. */
  async reset(): Promise<void> {
    this.verifierValue?.destroy();
    this.verifierValue = undefined;
    await this.temp?.discard();
    this.temp = undefined;
    this.bytes = 0;
    this.sources = 0;
    this.mirrors.clear();
  }

  /** Renames the file into place (the verdict must have passed); resolves to the file's identity. */
  async commit(destination: string): Promise<FileIdentity | undefined> {
    const identity = await this.temp?.commit(destination);
    this.temp = undefined;
    return identity;
  }
}
