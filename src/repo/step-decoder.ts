/**
 * Decoding in bounded steps, and how this thread runs it without starving everything else. A decoder
 * that turns one chunk into everything it encodes at once (a few KB into gigabytes) can neither be
 * stopped nor kept to a memory budget; a step decoder does a bounded amount of work per call, and
 * between steps the event loop runs, so that an abort (SIGINT, SIGTERM, an AbortSignal) takes effect
 * at once and the consumer's limits are checked before the next step.
 */

/** A decoder driven one bounded step at a time (the same one runs on this thread or in the decode worker). */
export interface StepDecoder {
  /** Queues compressed input. */
  write(chunk: Uint8Array): void;
  /** No more input will come. */
  end(): void;
  /**
   * Decodes a bounded part of the queued input: the output (perhaps none), or null when the queued
   * input is used up (for good once `end()` was called: the stream was complete). Throws on bad data.
   */
  step(): Uint8Array[] | null;
  /** Input bytes taken by the decoder so far. */
  readonly consumed: number;
}

/** Longest this thread decodes and parses before letting the event loop run. */
const BREATHE_MS = 20;

/** Gives the event loop a turn every {@link BREATHE_MS} of work, and stops the work once aborted. */
export class Pacer {
  private last = performance.now();

  constructor(private readonly signal?: AbortSignal) {}

  /** Yields to the event loop if this thread has worked a while; throws once the signal is aborted. */
  async tick(): Promise<void> {
    if (performance.now() - this.last >= BREATHE_MS) {
      // setImmediate, not a resolved promise: microtasks alone never let signals or timers run.
      await new Promise((resolve) => setImmediate(resolve));
      this.last = performance.now();
    }
    this.signal?.throwIfAborted();
  }
}

/** Runs a step decoder on this thread over `source`, pausing between steps. */
export async function* runSteps(source: AsyncIterable<Uint8Array>, decoder: StepDecoder, pacer: Pacer): AsyncGenerator<Uint8Array> {
  const drain = async function* (): AsyncGenerator<Uint8Array> {
    for (let out = decoder.step(); out !== null; out = decoder.step()) {
      yield* out;
      await pacer.tick();
    }
  };
  for await (const chunk of source) {
    decoder.write(chunk);
    yield* drain();
  }
  decoder.end();
  yield* drain();
}
