/**
 * The one-pass package verifier: a Writable that takes a package's bytes in any chunking, buffers only
 * the lead and the two headers, hashes the payload as it streams past and, once ended, gives a
 * {@link Verdict}. It knows nothing of where the bytes come from. The work is done by the parts it glues
 * together: the framing (framing.ts), the early checks (early-checks.ts), the hash plan (hash-plan.ts)
 * and its running (package-hashing.ts), and the judge (judge.ts).
 */
import { Writable } from 'node:stream';
import createDebug from 'debug';
import { RpmfetchError, VerifyError } from '../errors.js';
import { collectDigestItems, type DigestItem } from './digest-items.js';
import { digestsSkipped } from './digest-level.js';
import { claimedSizeRefused, limitPassed, mainHeaderRefused, signatureHeaderRefused } from './early-checks.js';
import { PackageFraming, type Piece } from './framing.js';
import { planHashes, type HashPlan } from './hash-plan.js';
import type { Header } from './header.js';
import { failureVerdict, judgePackage, type PartialFacts } from './judge.js';
import { signaturesRefusedEarly } from './judge-signatures.js';
import { readIdentity, type PackageIdentity } from './nevra.js';
import { PackageHashing, type VerifierTuning } from './package-hashing.js';
import { claimsAfterIntro, claimsFromMainHeader, claimsFromSignature, NO_SIZE_CLAIMS, type SizeClaims } from './size-claims.js';
import { judgeAll, judgeBeforePayload, loadSignatureCheck } from './signature-judging.js';
import { collectSignatures, type FoundSignature, type SignatureInfo } from './signatures.js';
import type { Verdict } from './verdict.js';
import { demandsOf, type Demands, type VerifyOptions } from './verify-options.js';

export type { VerifyOptions } from './verify-options.js';
export type { VerifierTuning } from './package-hashing.js';

const debug = createDebug('rpmfetch:verify');

/**
 * A Writable that verifies an RPM package as its bytes stream through. Write the whole file, end it,
 * then await {@link RpmVerifier.verdict}. It never emits `'error'` for a bad package (a bad package is
 * a verdict, not a stream failure); it emits `'failure'` with a {@link VerifyError} as soon as the
 * package is known to be bad, so a downloader can stop early, and keeps accepting bytes after that.
 */
export class RpmVerifier extends Writable {
  private readonly demands: Demands;
  private readonly framing: PackageFraming;
  private readonly hashing: PackageHashing;

  private receivedBytes = 0;
  private failed: VerifyError | undefined;
  private claims: SizeClaims = NO_SIZE_CLAIMS;
  private signature: Header | undefined;
  private found: FoundSignature[] = [];
  private identityValue: PackageIdentity | undefined;
  private items: DigestItem[] = [];
  private skipped: ReadonlySet<DigestItem> = new Set();
  private plan: HashPlan | undefined;
  /** Header-only signatures judged as soon as the main header was read, by index. */
  private judgedEarly: ReadonlyMap<number, Promise<SignatureInfo>> = new Map();

  private readonly result: Promise<Verdict>;
  private settle!: { resolve: (v: Verdict) => void; reject: (e: Error) => void };
  private settled = false;

  /**
   * Validates `options` at once; throws {@link InvalidOptionError} for a malformed expectation.
   * `tuning`: hash workers lent by their owner, and what else the feeding thread does. Callers outside
   * rpmfetch use {@link createVerifier}.
   * @internal
   */
  constructor(options: VerifyOptions = {}, tuning: VerifierTuning = {}) {
    super({ decodeStrings: true });
    this.demands = demandsOf(options);
    this.hashing = new PackageHashing(options.offload ?? 'auto', tuning);
    if (this.demands.keys) void loadSignatureCheck();
    this.framing = new PackageFraming({
      signatureHeader: (signature, headerStart) => this.onSignatureHeader(signature, headerStart),
      mainHeaderIntro: (length, headerStart) => this.onMainHeaderIntro(length, headerStart),
      mainHeader: (main, bytes, headerStart, before) => this.onMainHeader(main, bytes, headerStart, before),
      payload: (bytes, offset) => this.hashing.update(bytes, offset),
      broken: (err) => this.fail(err),
    });
    this.result = new Promise<Verdict>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A verdict nobody asks for must not become an unhandled rejection when the stream is destroyed.
    this.result.catch(() => {});
  }

  /** Resolves with the verdict once the stream has ended; rejects if it was destroyed first. */
  verdict(): Promise<Verdict> {
    return this.result;
  }

  /** Bytes written so far. */
  get received(): number {
    return this.receivedBytes;
  }

  /**
   * The total file length the package's own size tags imply, known once the signature header (v4) or
   * main header (v6) has been read. A download that ends before this is truncated.
   */
  get expectedSize(): number | undefined {
    return this.claims.expected;
  }

  /** True once both headers have been read and the payload is streaming. */
  get headersComplete(): boolean {
    return this.framing.inPayload;
  }

  /** The package's identity, once the main header has been read. */
  get identity(): PackageIdentity | undefined {
    return this.identityValue;
  }

  /** The failure that already decided the verdict, if one did before the end. */
  get failure(): VerifyError | undefined {
    return this.failed;
  }

  /**
   * True once the headers are read and some hashing runs on a worker thread.
   * @internal
   */
  get offloaded(): boolean {
    return this.hashing.offloaded;
  }

  /**
   * Writable plumbing: feeds a chunk to the parser; waits while the hash workers are backlogged.
   * @internal
   */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const offset = this.receivedBytes;
    this.receivedBytes += chunk.length;
    // Known bad now, but hashing goes on so the verdict can still report every digest.
    this.signal(limitPassed(this.receivedBytes, this.framing.inPayload, this.claims, this.demands));
    this.framing.feed(chunk, offset);
    if (this.hashing.backlogged && this.framing.inPayload) {
      this.hashing.drained().then(() => callback(), callback);
    } else {
      callback();
    }
  }

  /**
   * Writable plumbing: once the stream has ended, concludes the checks and resolves the verdict.
   * @internal
   */
  override _final(callback: (error?: Error | null) => void): void {
    this.conclude().then(
      (verdict) => {
        this.settled = true;
        this.settle.resolve(verdict);
        callback();
      },
      (err: Error) => callback(err),
    );
  }

  /**
   * Writable plumbing: stops hashing and rejects the verdict if it is not settled yet.
   * @internal
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.hashing.stop();
    if (!this.settled) {
      this.settled = true;
      this.settle.reject(error ?? new RpmfetchError('ERR_ABORTED', 'verification was aborted before the package ended'));
    }
    callback(error);
  }

  private onSignatureHeader(signature: Header, headerStart: number): void {
    this.signature = signature;
    this.found = collectSignatures(signature);
    this.claims = claimsFromSignature(signature, headerStart);
    this.signal(claimedSizeRefused(this.claims, this.demands) ?? signatureHeaderRefused(signature, this.found.length, this.demands));
    // A big payload is coming: boot a hash worker now, while the main header arrives.
    this.hashing.prewarm(this.claims.expected);
  }

  private onMainHeaderIntro(length: number, headerStart: number): void {
    const claims = claimsAfterIntro(this.claims, headerStart, length);
    if (claims === this.claims) return;
    this.claims = claims;
    this.signal(claimedSizeRefused(claims, this.demands));
  }

  private onMainHeader(main: Header, bytes: Buffer, headerStart: number, before: readonly Piece[]): void {
    const payloadStart = headerStart + bytes.length;
    const identity = readIdentity(main);
    this.identityValue = identity;
    this.items = collectDigestItems(this.signature as Header, main);
    this.skipped = digestsSkipped(this.items, this.demands.digestLevel);
    const checked = this.items.filter((item) => !this.skipped.has(item));
    this.claims = claimsFromMainHeader(this.claims, main, headerStart, payloadStart);
    const keys = this.demands.keys;
    const plan = planHashes({ header: bytes, headerStart, items: checked, fileAlgorithms: this.demands.expect.fileAlgorithms, signatures: keys ? this.found : [] });
    this.plan = plan;
    this.signal(mainHeaderRefused(checked, plan.headerDigests, identity, this.claims, this.demands));
    if (keys && this.found.length > 0) {
      const early = judgeBeforePayload(this.found, plan.signatureDigests, keys);
      this.judgedEarly = early.judged;
      void early.known.then((known) => {
        if (!this.settled) this.signal(signaturesRefusedEarly(known, early.pending));
      });
    }
    // A 'failure' listener may have destroyed the verifier: then nothing is left to hash for.
    if (this.destroyed) return;
    this.hashing.start(plan.jobs, (this.claims.expected ?? this.demands.expect.size ?? 0) - payloadStart, [...before, { bytes, offset: headerStart }]);
    debug('%s: headers read, payload from byte %d, expecting %s bytes', identity.nevra, payloadStart, this.claims.expected ?? 'unknown');
  }

  /** A structural failure: nothing after it can be parsed, so the rest of the bytes are only counted. */
  private fail(err: VerifyError): void {
    this.signal(err);
    this.hashing.stop();
  }

  /** Tells listeners, once, that the package is known to be bad. */
  private signal(err: VerifyError | undefined): void {
    if (!err || this.failed) return;
    this.failed = err;
    debug('verification failed: %s %s', err.code, err.message);
    this.emit('failure', err);
  }

  private partialFacts(): PartialFacts {
    return { received: this.receivedBytes, claims: this.claims, identity: this.identityValue, signatures: this.found.map((s) => s.info) };
  }

  private async conclude(): Promise<Verdict> {
    this.framing.end(this.receivedBytes);
    if (this.framing.failed && this.failed) return failureVerdict(this.failed, this.partialFacts());
    const plan = this.plan as HashPlan;
    let computed: Map<string, string>;
    try {
      computed = await this.hashing.finish();
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      return failureVerdict(new VerifyError('ERR_INTERNAL', `hashing failed: ${cause}`, 'structure'), this.partialFacts());
    }
    const keys = this.demands.keys;
    const signatures = keys ? await judgeAll(this.found, this.judgedEarly, computed, plan.signatureDigests, keys) : this.found.map((s) => s.info);
    // In the plan's order, whichever thread computed each: the verdict must not depend on placement.
    const streamed = plan.jobs.filter((j) => !j.key.startsWith('signature:')).map((j): [string, string] => [j.key, computed.get(j.key) ?? '']);
    const identity = this.identityValue as PackageIdentity;
    const verdict = judgePackage({ received: this.receivedBytes, claims: this.claims, identity, items: this.items, skipped: this.skipped, signatures }, new Map([...plan.headerDigests, ...streamed]), this.demands);
    debug('%s: %s', identity.nevra, verdict.ok ? 'OK' : `${verdict.error?.code} ${verdict.error?.message}`);
    return verdict;
  }
}

/** Creates a verifier. See {@link RpmVerifier}. */
export function createVerifier(options: VerifyOptions = {}): RpmVerifier {
  return new RpmVerifier(options);
}
