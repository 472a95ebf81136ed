/**
 * Download lanes: worker threads that each hold whole package transfers — the connection, the
 * temporary file, the verifier and its hashing — so that the per-package work of a batch runs on every
 * core and the thread that runs the attempts only schedules (docs/architecture.md, "Lanes"). A
 * {@link LaneTransfer} is the runner's side of a transfer that lives in a lane; the runner cannot tell
 * it from an in-thread PackageTransfer.
 */
import { Worker } from 'node:worker_threads';
import createDebug from 'debug';
import type { Keyring } from '../../rpm/keyring.js';
import { keyringBytes } from '../../rpm/key-store.js';
import { workerModule, type WorkerEntry } from '../../workers/worker-entry.js';
import { AttemptFailure } from '../attempt-failure.js';
import type { PackageFetched } from '../package-transfer.js';
import { onAbandon, sweepOnExit } from '../temp-file.js';
import type { ConsumeRun, MirrorRef, OpenedSource, OpenRequest, Transfer } from '../transfer.js';
import { fromFailureData } from './failure-data.js';
import type { LaneInit, LaneReply, LaneRequest, SourceData, TransferSpec, TransferState } from './lane-protocol.js';

const debug = createDebug('rpmfetch:http');

/** The lane worker module next to this one, compiled or not (see workers/worker-entry.ts). */
export function laneWorkerEntry(): WorkerEntry {
  return workerModule(new URL('./lane-worker.js', import.meta.url), import.meta.url);
}

/** How long a leaving process waits for its lanes to remove their temporary files. */
const ABANDON_WAIT = 2000;

type Handler = (reply: LaneReply) => void;

/** One lane: its thread, and the replies its callers wait for. */
class Lane {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Handler>();
  /** Transfers begun here and not yet closed. */
  load = 0;
  /** Keyrings whose bytes this lane has been sent, by id. */
  readonly keys = new Set<number>();
  private failure: string | undefined;
  /** Resolves when the lane has booted (or ended). */
  readonly ready: Promise<void>;
  private booted = false;

  constructor(entry: WorkerEntry, init: LaneInit) {
    this.worker = new Worker(entry.url, { name: 'rpmfetch-lane', workerData: init, execArgv: [...entry.execArgv] });
    let booted!: () => void;
    this.ready = new Promise((resolve) => (booted = resolve));
    this.worker.on('message', (reply: LaneReply) => {
      if (reply.op === 'ready') {
        debug('a download lane is up (%s)', entry.url.href);
        this.booted = true;
        booted();
        this.refresh();
        return;
      }
      const id = 'rid' in reply ? reply.rid : reply.cid;
      const key = 'rid' in reply ? id : -id;
      const handler = this.waiting.get(key);
      if (reply.op !== 'progress') this.waiting.delete(key);
      handler?.(reply);
      this.refresh();
    });
    const die = (why: string): void => {
      booted();
      if (this.failure) return;
      this.failure = why;
      debug('a download lane ended: %s', why);
      const state = { held: 0, heldFrom: [], expectedTotal: undefined, resumed: false };
      for (const [key, handler] of this.waiting) {
        const failure = { code: 'ERR_INTERNAL', phase: 'body' as const, kind: 'fatal' as const, message: `the download lane failed: ${why}` };
        handler(key >= 0 ? { op: 'failed', rid: key, failure, state } : { op: 'done', cid: -key });
      }
      this.waiting.clear();
    };
    this.worker.on('error', (err) => die(err.message));
    this.worker.on('exit', (code) => die(`exited with code ${code}`));
  }

  get dead(): boolean {
    return this.failure !== undefined;
  }

  /** Sends a request; `handler` hears its replies (a `rid`'s progress and outcome, or a `cid`'s done). */
  send(m: LaneRequest, handler?: Handler): void {
    if (this.failure) {
      // A lane that has ended answers at once, as it answered what was waiting when it ended.
      const failure = { code: 'ERR_INTERNAL', phase: 'body' as const, kind: 'fatal' as const, message: `the download lane failed: ${this.failure}` };
      const state = { held: 0, heldFrom: [], expectedTotal: undefined, resumed: false };
      if (handler && 'cid' in m) queueMicrotask(() => handler({ op: 'done', cid: m.cid }));
      else if (handler && 'rid' in m) queueMicrotask(() => handler({ op: 'failed', rid: m.rid, failure, state }));
      return;
    }
    if (handler) {
      const key = 'cid' in m ? -m.cid : 'rid' in m ? m.rid : undefined;
      if (key !== undefined) this.waiting.set(key, handler);
    }
    this.worker.postMessage(m);
    this.refresh();
  }

  /**
   * Kept alive while it boots, holds a transfer or a caller waits on it, so that a pending download
   * keeps the process up; an idle lane does not.
   */
  refresh(): void {
    if (!this.booted || this.load > 0 || this.waiting.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  async shutdown(): Promise<void> {
    if (this.failure) return;
    this.failure = 'closed';
    this.worker.postMessage({ op: 'shutdown' });
    // A lane that does not end by itself soon is ended.
    const timer = setTimeout(() => void this.worker.terminate(), 1000);
    await new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    clearTimeout(timer);
  }
}

let nextId = 1;
const keyringIds = new WeakMap<Keyring, number>();

/** A Downloader's lanes: started as transfers need them, at most `count`, each taking the next transfer when least busy. */
export class Lanes {
  private readonly lanes: Lane[] = [];
  private readonly unregister: () => void;

  constructor(
    private readonly count: number,
    private readonly init: LaneInit,
    private readonly entry: WorkerEntry = laneWorkerEntry(),
  ) {
    this.unregister = onAbandon(() => this.abandon());
  }

  /** A transfer held by the least busy lane; `keys` travel to the lane once. */
  transfer(spec: Omit<TransferSpec, 'keys'>, keys: Keyring | undefined): LaneTransfer {
    const lane = this.pick();
    let keysSpec: TransferSpec['keys'];
    if (keys) {
      let id = keyringIds.get(keys);
      if (id === undefined) keyringIds.set(keys, (id = nextId++));
      keysSpec = lane.keys.has(id) ? { id } : { id, bytes: keyringBytes(keys) };
      lane.keys.add(id);
    }
    sweepOnExit(spec.dest);
    return new LaneTransfer(lane, { ...spec, ...(keysSpec && { keys: keysSpec }) });
  }

  /**
   * Starts up to `n` lanes now (all of them by default): a lane takes tens of milliseconds to boot (more
   * under a TypeScript loader), which a batch should spend while its first requests are prepared, not
   * as time its mirrors seem to take to answer.
   */
  prewarm(n = this.count): Promise<void> {
    for (let i = this.lanes.filter((l) => !l.dead).length; i < Math.min(n, this.count); i++) this.lanes.push(new Lane(this.entry, this.init));
    return Promise.all(this.lanes.map((l) => l.ready)).then(() => {});
  }

  /** The process is leaving: every lane removes its temporary files (waited for, briefly). */
  private async abandon(): Promise<void> {
    const lanes = this.lanes.filter((l) => !l.dead);
    const done = lanes.map((lane) => new Promise<void>((resolve) => lane.send({ op: 'abandon', cid: nextId++ }, () => resolve())));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(done), new Promise((resolve) => (timer = setTimeout(resolve, ABANDON_WAIT)))]);
    clearTimeout(timer);
  }

  /** Ends every lane. */
  async close(): Promise<void> {
    this.unregister();
    await Promise.all(this.lanes.splice(0).map((l) => l.shutdown()));
  }

  private pick(): Lane {
    for (let i = this.lanes.length - 1; i >= 0; i--) if (this.lanes[i]?.dead) this.lanes.splice(i, 1);
    let best = this.lanes.reduce<Lane | undefined>((a, l) => (!a || l.load < a.load ? l : a), undefined);
    if (!best || (best.load > 0 && this.lanes.length < this.count)) {
      best = new Lane(this.entry, this.init);
      this.lanes.push(best);
    }
    return best;
  }
}

/** An opened body that stays in its lane: the runner sees its head and may drop it. */
interface LaneSource extends OpenedSource {
  readonly rid: number;
}

/** The runner's side of a package transfer held by a lane. */
export class LaneTransfer implements Transfer<PackageFetched> {
  private readonly tid = nextId++;
  private state: TransferState;

  constructor(
    private readonly lane: Lane,
    spec: TransferSpec,
  ) {
    this.state = { held: 0, heldFrom: [], expectedTotal: spec.size, resumed: false };
    lane.load++;
    lane.send({ op: 'begin', tid: this.tid, spec });
  }

  held(): number {
    return this.state.held;
  }

  heldFrom(mirror: MirrorRef): boolean {
    return this.state.heldFrom.includes(mirror.id);
  }

  expectedTotal(): number | undefined {
    return this.state.expectedTotal;
  }

  resumed(): boolean {
    return this.state.resumed;
  }

  dropHeld(): Promise<void> {
    return this.call('dropHeld');
  }

  ready(): Promise<void> {
    return this.lane.ready;
  }

  async close(): Promise<void> {
    await this.call('close');
    this.lane.load--;
    this.lane.refresh();
  }

  open(req: OpenRequest, mirror: MirrorRef): Promise<OpenedSource> {
    const rid = nextId++;
    const stop = forward(this.lane, rid, req.signal);
    return new Promise<OpenedSource>((resolve, reject) => {
      this.lane.send(
        { op: 'open', tid: this.tid, rid, url: req.url.href, offset: req.offset, expectedTotal: req.expectedTotal, timeouts: req.timeouts, mirror: { id: mirror.id, label: mirror.label }, ...(req.revalidate && { revalidate: true }) },
        (reply) => {
          stop();
          if (reply.op === 'opened') resolve(this.source(rid, reply.source));
          else if (reply.op === 'failed') {
            this.state = reply.state;
            reject(fromFailureData(reply.failure));
          }
        },
      );
    });
  }

  consume(source: OpenedSource, offset: number, run: ConsumeRun): Promise<PackageFetched> {
    const rid = (source as LaneSource).rid;
    const stop = forward(this.lane, rid, run.signal);
    return new Promise<PackageFetched>((resolve, reject) => {
      this.lane.send({ op: 'consume', tid: this.tid, rid, offset, mirror: { id: run.mirror.id, label: run.mirror.label } }, (reply) => {
        if (reply.op === 'progress') {
          run.progress(reply.n, reply.held, reply.total);
          return;
        }
        stop();
        if (reply.op === 'consumed') {
          this.state = reply.state;
          resolve({ verdict: reply.verdict, file: reply.file, identity: reply.identity });
        } else if (reply.op === 'failed') {
          this.state = reply.state;
          reject(fromFailureData(reply.failure));
        }
      });
    });
  }

  private source(rid: number, data: SourceData): LaneSource {
    const lane = this.lane;
    return {
      rid,
      restarted: data.restarted,
      url: data.url,
      ...(data.status !== undefined && { status: data.status }),
      ...(data.length !== undefined && { length: data.length }),
      read: () => Promise.reject(new AttemptFailure('ERR_INTERNAL', 'body', 'fatal', 'a body opened in a download lane is read there')),
      discard: () => lane.send({ op: 'discard', rid }),
    };
  }

  private call(op: 'dropHeld' | 'close'): Promise<void> {
    return new Promise<void>((resolve) => {
      this.lane.send({ op, tid: this.tid, cid: nextId++ }, (reply) => {
        if (reply.op === 'done' && reply.state) this.state = reply.state;
        resolve();
      });
    });
  }
}

/** Forwards an abort of `signal` to the lane's request; returns the function that stops forwarding. */
function forward(lane: Lane, rid: number, signal: AbortSignal): () => void {
  const onAbort = (): void => lane.send({ op: 'abort', rid, reason: signal.reason instanceof Error ? signal.reason.message : 'aborted' });
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
