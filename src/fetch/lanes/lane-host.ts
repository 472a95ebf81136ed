/**
 * What a download lane does, on its own thread: it holds the package transfers the runner begins in it
 * (their connections, temporary files and verifiers) and carries out the runner's requests — open a
 * body, consume it, drop the bytes held — answering each with the outcome and the transfer's state.
 * Nothing of a package's bytes crosses back: only verdicts, progress and failures.
 */
import { Keyring } from '../../rpm/keyring.js';
import { loadSignatureCheck } from '../../rpm/signature-judging.js';
import { HttpClient } from '../../transport/index.js';
import type { TlsConfig } from '../../transport/tls-context.js';
import { HashWorkers } from '../../workers/hash-workers.js';
import { BatchBuffers } from '../package-sink.js';
import { PackageTransfer } from '../package-transfer.js';
import { SourceOpener } from '../source-opener.js';
import { abandonTempFiles } from '../temp-file.js';
import type { OpenedSource } from '../transfer.js';
import { toFailureData } from './failure-data.js';
import type { LaneInit, LaneReply, LaneRequest, TransferSpec, TransferState } from './lane-protocol.js';

export class LaneHost {
  private readonly client: HttpClient;
  private readonly opener: SourceOpener;
  private readonly buffers = new BatchBuffers();
  /** For packages large enough to hash on another core than this lane's. */
  private readonly hashWorkers = new HashWorkers({ offloadWhenWarm: false });
  private readonly transfers = new Map<number, Promise<PackageTransfer>>();
  /** Opened bodies not yet consumed, by request. */
  private readonly sources = new Map<number, OpenedSource>();
  /** One per request, from its open to the end of its consume. */
  private readonly controllers = new Map<number, AbortController>();
  private readonly keyrings = new Map<number, Promise<Keyring>>();

  constructor(
    init: LaneInit,
    private readonly send: (reply: LaneReply) => void,
  ) {
    const proxy = { ...(init.proxy.http && { http: new URL(init.proxy.http) }), ...(init.proxy.https && { https: new URL(init.proxy.https) }), noProxy: init.proxy.noProxy };
    this.client = new HttpClient({ userAgent: init.userAgent, proxy, ...(init.tls && { tls: tlsOf(init.tls) }) });
    this.opener = new SourceOpener(() => this.client, { maxRedirects: init.maxRedirects, allowInsecureRedirects: init.allowInsecureRedirects, ...(init.headers && { headers: init.headers }), ...(init.credentials && { credentials: init.credentials }) });
  }

  handle(m: LaneRequest): void {
    switch (m.op) {
      case 'begin':
        this.transfers.set(m.tid, this.begin(m.spec));
        return;
      case 'open':
        void this.open(m);
        return;
      case 'consume':
        void this.consume(m);
        return;
      case 'abort':
        this.controllers.get(m.rid)?.abort(new Error(m.reason));
        return;
      case 'discard':
        this.sources.get(m.rid)?.discard();
        this.sources.delete(m.rid);
        this.controllers.delete(m.rid);
        return;
      case 'dropHeld':
        void this.call(m.cid, m.tid, (t) => t.dropHeld());
        return;
      case 'close':
        void this.call(m.cid, m.tid, (t) => t.close()).then(() => this.transfers.delete(m.tid));
        return;
      case 'abandon':
        void abandonTempFiles().finally(() => this.send({ op: 'done', cid: m.cid }));
        return;
    }
  }

  /** Ends the lane's connections and hash threads. */
  async shutdown(): Promise<void> {
    this.client.close();
    await this.hashWorkers.close();
  }

  private async begin(spec: TransferSpec): Promise<PackageTransfer> {
    let keys: Keyring | undefined;
    if (spec.keys) {
      let keyring = this.keyrings.get(spec.keys.id);
      if (!keyring) this.keyrings.set(spec.keys.id, (keyring = Keyring.read(spec.keys.bytes ?? [])));
      // The signature checks loaded before the first request: a package that cannot pass is then
      // refused from its headers, not after the megabytes that arrive while a module loads.
      [keys] = await Promise.all([keyring, loadSignatureCheck()]);
    }
    return new PackageTransfer({
      dest: spec.dest,
      fileName: spec.fileName,
      destination: spec.destination,
      verify: { ...spec.verify, ...(keys && { keys }) },
      size: spec.size,
      timeouts: spec.timeouts,
      opener: this.opener,
      buffers: this.buffers,
      hashWorkers: this.hashWorkers,
    });
  }

  private state(t: PackageTransfer): TransferState {
    return { held: t.held(), heldFrom: t.heldMirrorIds(), expectedTotal: t.expectedTotal(), resumed: t.resumed() };
  }

  private async transfer(tid: number): Promise<PackageTransfer> {
    const t = this.transfers.get(tid);
    if (!t) throw new Error(`lane: no transfer ${tid}`);
    return t;
  }

  private async open(m: Extract<LaneRequest, { op: 'open' }>): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(m.rid, controller);
    let t: PackageTransfer | undefined;
    try {
      t = await this.transfer(m.tid);
      const source = await t.open({ url: new URL(m.url), offset: m.offset, expectedTotal: m.expectedTotal, timeouts: m.timeouts, signal: controller.signal, ...(m.revalidate && { revalidate: true }) }, m.mirror);
      if (controller.signal.aborted) {
        source.discard();
        throw controller.signal.reason;
      }
      this.sources.set(m.rid, source);
      this.send({ op: 'opened', rid: m.rid, source: { restarted: source.restarted, url: source.url, ...(source.status !== undefined && { status: source.status }), ...(source.length !== undefined && { length: source.length }) } });
    } catch (err) {
      this.controllers.delete(m.rid);
      this.send({ op: 'failed', rid: m.rid, failure: toFailureData(err, false), state: t ? this.state(t) : EMPTY });
    }
  }

  private async consume(m: Extract<LaneRequest, { op: 'consume' }>): Promise<void> {
    const source = this.sources.get(m.rid);
    this.sources.delete(m.rid);
    const controller = this.controllers.get(m.rid) ?? new AbortController();
    let t: PackageTransfer | undefined;
    try {
      t = await this.transfer(m.tid);
      if (!source) throw new Error(`lane: request ${m.rid} has no opened body`);
      const result = await t.consume(source, m.offset, {
        mirror: m.mirror,
        signal: controller.signal,
        progress: (n, held, total) => this.send({ op: 'progress', rid: m.rid, n, held, total }),
      });
      this.send({ op: 'consumed', rid: m.rid, verdict: result.verdict, file: result.file, ...(result.identity && { identity: result.identity }), state: this.state(t) });
    } catch (err) {
      source?.discard();
      this.send({ op: 'failed', rid: m.rid, failure: toFailureData(err, true), state: t ? this.state(t) : EMPTY });
    } finally {
      this.controllers.delete(m.rid);
    }
  }

  private async call(cid: number, tid: number, action: (t: PackageTransfer) => Promise<void>): Promise<void> {
    const t = await this.transfers.get(tid)?.catch(() => undefined);
    if (t) await action(t).catch(() => {});
    this.send({ op: 'done', cid, ...(t && { state: this.state(t) }) });
  }
}

/** TLS material as it arrives here: Buffers cross a thread as plain Uint8Arrays, which TLS options do not take. */
function tlsOf(tls: TlsConfig): TlsConfig {
  const pem = <T>(v: T): T | Buffer => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
  const ca = tls.ca === undefined ? undefined : typeof tls.ca === 'string' || tls.ca instanceof Uint8Array ? pem(tls.ca) : tls.ca.map(pem);
  return { ...(ca !== undefined && { ca }), ...(tls.cert !== undefined && { cert: pem(tls.cert) }), ...(tls.key !== undefined && { key: pem(tls.key) }) };
}

const EMPTY: TransferState = { held: 0, heldFrom: [], expectedTotal: undefined, resumed: false };
