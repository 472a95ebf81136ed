/**
 * Worker threads that hash on other cores. Node's hashes are synchronous, so a package carrying MD5
 * (header + payload) and SHA-256 (payload) costs about 1.4 ns + 0.65 ns per byte on one core; running
 * MD5 on a second core brings that down to the slower of the two. The workers are shared by every
 * verifier in the process, created on first use, and keep the process alive only while they hash.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import createDebug from 'debug';
import { RpmfetchError } from '../errors.js';

const debug = createDebug('rpmfetch:verify');

/**
 * Kept as source text (run with `eval: true`) so that it works the same from `dist/`, under tsx and
 * inside bundles, without resolving a second file on disk. Plain JavaScript: it is never compiled.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sessions = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'open') {
    sessions.set(m.sid, m.jobs.map((j) => {
      const hash = createHash(j.algorithm);
      if (j.prefix) hash.update(j.prefix);
      return { key: j.key, start: j.start, suffix: j.suffix, hash };
    }));
  } else if (m.op === 'data') {
    const jobs = sessions.get(m.sid);
    if (jobs) {
      const bytes = new Uint8Array(m.buf, 0, m.len);
      for (const j of jobs) {
        const skip = j.start - m.offset;
        if (skip <= 0) j.hash.update(bytes);
        else if (skip < m.len) j.hash.update(bytes.subarray(skip));
      }
    }
    parentPort.postMessage({ op: 'ack', sid: m.sid, buf: m.buf }, [m.buf]);
  } else if (m.op === 'end') {
    const jobs = sessions.get(m.sid) || [];
    sessions.delete(m.sid);
    parentPort.postMessage({ op: 'digests', sid: m.sid, digests: jobs.map((j) => {
      if (j.suffix) j.hash.update(j.suffix);
      return [j.key, j.hash.digest('hex')];
    }) });
  } else if (m.op === 'close') {
    sessions.delete(m.sid);
  }
});
`;

/**
 * A job a worker runs: hash `prefix`, every byte from absolute offset `start` on, then `suffix`, with
 * `algorithm` (the prefix and suffix are how OpenPGP signatures hash their salt and trailer).
 */
export interface WorkerHashJob {
  readonly key: string;
  readonly algorithm: string;
  readonly start: number;
  readonly prefix?: Uint8Array;
  readonly suffix?: Uint8Array;
}

interface SessionHandlers {
  ack(buf: ArrayBuffer): void;
  digests(entries: Array<[string, string]>): void;
  fail(err: Error): void;
}

type WorkerMessage =
  | { op: 'ack'; sid: number; buf: ArrayBuffer }
  | { op: 'digests'; sid: number; digests: Array<[string, string]> };

class HashWorker {
  private readonly worker: Worker;
  private readonly sessions = new Map<number, SessionHandlers>();
  dead = false;

  constructor() {
    // No inherited execArgv: `--input-type=module` (or a loader) would make the CommonJS source fail.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, name: 'rpmfetch-hash', execArgv: [] });
    this.worker.on('message', (m: WorkerMessage) => {
      const s = this.sessions.get(m.sid);
      if (!s) return;
      if (m.op === 'ack') s.ack(m.buf);
      else {
        this.release(m.sid);
        s.digests(m.digests);
      }
    });
    const die = (err: Error): void => {
      if (this.dead) return;
      this.dead = true;
      debug('hash worker died: %s', err.message);
      const failure = new RpmfetchError('ERR_INTERNAL', `hash worker failed: ${err.message}`, { cause: err });
      for (const s of this.sessions.values()) s.fail(failure);
      this.sessions.clear();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`exited with code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.worker.unref();
  }

  get load(): number {
    return this.sessions.size;
  }

  open(sid: number, jobs: readonly WorkerHashJob[], handlers: SessionHandlers): void {
    // Referenced while any session waits on it, so a pending verdict keeps the process alive.
    if (this.sessions.size === 0) this.worker.ref();
    this.sessions.set(sid, handlers);
    this.worker.postMessage({ op: 'open', sid, jobs });
  }

  send(sid: number, buf: ArrayBuffer, len: number, offset: number): void {
    this.worker.postMessage({ op: 'data', sid, buf, len, offset }, [buf]);
  }

  end(sid: number): void {
    this.worker.postMessage({ op: 'end', sid });
  }

  close(sid: number): void {
    if (!this.sessions.has(sid)) return;
    this.release(sid);
    this.worker.postMessage({ op: 'close', sid });
  }

  private release(sid: number): void {
    this.sessions.delete(sid);
    if (this.sessions.size === 0) this.worker.unref();
  }
}

const workers: HashWorker[] = [];
let nextSession = 1;

/** How many hashing workers the process may run: one fewer than the cores, at most four. */
export function workerSlots(): number {
  return Math.max(0, Math.min(availableParallelism() - 1, 4));
}

/** A worker with the fewest sessions, starting a new one while below {@link workerSlots}. */
function pickWorker(): HashWorker {
  for (let i = workers.length - 1; i >= 0; i--) {
    if (workers[i]?.dead) workers.splice(i, 1);
  }
  let best = workers.reduce<HashWorker | undefined>((a, w) => (!a || w.load < a.load ? w : a), undefined);
  if (!best || (best.load > 0 && workers.length < Math.max(1, workerSlots()))) {
    best = new HashWorker();
    workers.push(best);
  }
  return best;
}

/**
 * Starts the hashing workers ahead of need. A worker takes some 40 ms to boot; started when a caller
 * knows a large package is coming, the boot overlaps the reading of the headers instead of delaying
 * the first hash.
 */
export function prewarmHashWorkers(): void {
  if (workerSlots() > 0 && !workers.some((w) => !w.dead)) workers.push(new HashWorker());
}

/** True while a hashing worker is up: handing it a stream then costs two messages, not a boot. */
export function hashWorkersRunning(): boolean {
  return workers.some((w) => !w.dead);
}

/** Batches a session may have queued in a worker before the producer has to wait. */
const MAX_IN_FLIGHT = 4;
const BATCH_SIZE = 1024 * 1024;
/**
 * Batch buffers handed back by the workers, shared by every session: a batch of small packages would
 * otherwise allocate a fresh megabyte per package and keep the garbage collector busy.
 */
const spareBatches: ArrayBuffer[] = [];
const MAX_SPARE_BATCHES = 16;

function takeBatch(): ArrayBuffer {
  return spareBatches.pop() ?? new ArrayBuffer(BATCH_SIZE);
}

function returnBatch(buf: ArrayBuffer): void {
  if (buf.byteLength === BATCH_SIZE && spareBatches.length < MAX_SPARE_BATCHES) spareBatches.push(buf);
}

/**
 * One stream's jobs on one worker. Bytes are copied into 1 MiB batches that are transferred (not cloned)
 * to the worker and handed back for reuse, so a gigabyte costs one memcpy and a thousand messages.
 */
export class WorkerHashSession {
  private readonly worker: HashWorker;
  private readonly sid = nextSession++;
  private batch: Uint8Array | undefined;
  private batchOffset = 0;
  private batchLength = 0;
  private inFlight = 0;
  private drainWaiters: Array<() => void> = [];
  private failure: Error | undefined;
  private result: Promise<Map<string, string>>;
  private settle!: { resolve: (m: Map<string, string>) => void; reject: (e: Error) => void };

  constructor(jobs: readonly WorkerHashJob[]) {
    this.result = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.result.catch(() => {});
    this.worker = pickWorker();
    this.worker.open(this.sid, jobs, {
      ack: (buf) => {
        this.inFlight--;
        returnBatch(buf);
        this.wake();
      },
      digests: (entries) => this.settle.resolve(new Map(entries)),
      fail: (err) => {
        this.failure = err;
        this.settle.reject(err);
        this.wake();
      },
    });
  }

  /** True while the worker has as much queued as it may; wait with {@link drained}. */
  get backlogged(): boolean {
    return this.inFlight >= MAX_IN_FLIGHT && !this.failure;
  }

  /** Resolves once the worker has room again (or has failed). */
  drained(): Promise<void> {
    if (!this.backlogged) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Queues bytes that start at absolute file offset `offset`; offsets must be contiguous. */
  update(bytes: Uint8Array, offset: number): void {
    if (this.failure) return;
    let pos = 0;
    while (pos < bytes.length) {
      if (!this.batch) {
        this.batch = new Uint8Array(takeBatch());
        this.batchOffset = offset + pos;
        this.batchLength = 0;
      }
      const n = Math.min(bytes.length - pos, this.batch.length - this.batchLength);
      this.batch.set(bytes.subarray(pos, pos + n), this.batchLength);
      this.batchLength += n;
      pos += n;
      if (this.batchLength === this.batch.length) this.flush();
    }
  }

  private flush(): void {
    if (!this.batch || this.batchLength === 0) return;
    this.inFlight++;
    this.worker.send(this.sid, this.batch.buffer as ArrayBuffer, this.batchLength, this.batchOffset);
    this.batch = undefined;
  }

  /** Sends what is left and resolves with each job's hex digest. */
  finish(): Promise<Map<string, string>> {
    if (!this.failure) {
      this.flush();
      this.worker.end(this.sid);
    }
    return this.result;
  }

  /** Drops the session; its digests will never be asked for. */
  close(): void {
    this.worker.close(this.sid);
    if (this.batch) returnBatch(this.batch.buffer as ArrayBuffer);
    this.batch = undefined;
    this.wake();
  }
}
