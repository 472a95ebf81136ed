/**
 * The one-pass package verifier: a Writable that takes a package's bytes in any chunking, buffers only
 * the lead and the two headers, hashes the payload as it streams past and, once ended, gives a
 * {@link Verdict}. It knows nothing of where the bytes come from.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import createDebug from 'debug';
import { InvalidOptionError, RpmfetchError, VerifyError, type ErrorCode } from '../errors.js';
import { collectDigestItems, decideDigests, md5Item, type DigestItem, type DigestStatus } from './digest-items.js';
import { integrityMatches, normalizeExpectations, type Expectations, type NormalizedExpectations } from './expectations.js';
import { HEADER_INTRO_SIZE, Header, parseHeaderIntro } from './header.js';
import { assertLeadMagic, LEAD_SIZE, parseLead } from './lead.js';
import { matchFileName, matchNevra, type PackageIdentity, readIdentity } from './nevra.js';
import type { Keyring } from './keyring.js';
import { gravestProblem, judgeSignature, nodeHashName } from './signature-check.js';
import { keysWithId } from './openpgp-keys.js';
import { collectSignatures, type FoundSignature, type SignatureInfo } from './signatures.js';
import { payloadBound } from './payload-bound.js';
import { readHeaderPlusPayloadSize, readPayloadSizes } from './size-tags.js';
import { StreamHasher, type HashJob, type OffloadMode } from './stream-hasher.js';
import type { Check, Verdict } from './verdict.js';

const debug = createDebug('rpmfetch:verify');

/** Options of {@link createVerifier} and {@link verifyFile}. */
export interface VerifyOptions extends Expectations {
  /**
   * The file name the package is expected to carry (a basename such as `bash-5.2.26-3.fc40.x86_64.rpm`):
   * its N-V-R.A (or N-V-R.src) must match the header. `verifyFile` uses the file's own name unless this
   * is `false`; `createVerifier` checks a name only when one is given.
   */
  fileName?: string | false;
  /**
   * Hash on worker threads: `'auto'` (default) for packages of 8 MiB and more when a spare core exists,
   * `true` always, `false` never.
   */
  offload?: OffloadMode;
  /**
   * Trusted public keys (see {@link Keyring.load}). With keys, signatures are judged: the package must
   * carry at least one valid signature by one of them and no bad one. Without, they are only reported.
   */
  keys?: Keyring;
  /**
   * The most bytes to accept, whatever the package says of itself (`ERR_TOO_LARGE`). Unset for
   * {@link verifyFile} and {@link createVerifier}; downloads default to 16 GiB.
   */
  maxSize?: number;
}

type Phase = 'lead' | 'sig-intro' | 'sig-body' | 'sig-pad' | 'hdr-intro' | 'hdr-body' | 'payload' | 'failed';

const PHASE_NAMES: Record<Phase, string> = {
  lead: 'the lead',
  'sig-intro': 'the signature header intro',
  'sig-body': 'the signature header',
  'sig-pad': 'the padding after the signature header',
  'hdr-intro': 'the main header intro',
  'hdr-body': 'the main header',
  payload: 'the payload',
  failed: 'a failed package',
};

/**
 * Collects exactly `need` bytes. It grows as bytes arrive instead of allocating `need` up front, so a
 * header that claims 200 MiB and sends ten bytes costs ten bytes. It grows fourfold: the copy when it
 * grows holds old and new at once, and the last one is what a header of rpm's largest size costs
 * (1.25x its size, where doubling costs 1.5x); what it holds stays within 4x what arrived.
 */
class Collector {
  private buf: Buffer;
  private length = 0;

  constructor(
    readonly need: number,
    prefix?: Buffer,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(need, Math.max(64 * 1024, prefix?.length ?? 0)));
    if (prefix) {
      prefix.copy(this.buf);
      this.length = prefix.length;
    }
  }

  /** Copies what it still needs from `chunk[pos..]`; returns the number of bytes taken. */
  take(chunk: Uint8Array, pos: number): number {
    const n = Math.min(this.need - this.length, chunk.length - pos);
    if (this.length + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.need, Math.max(this.buf.length * 4, this.length + n)));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.buf.set(chunk.subarray(pos, pos + n), this.length);
    this.length += n;
    return n;
  }

  get done(): boolean {
    return this.length === this.need;
  }

  get received(): number {
    return this.length;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * A Writable that verifies an RPM package as its bytes stream through. Write the whole file, end it,
 * then await {@link RpmVerifier.verdict}. It never emits `'error'` for a bad package (a bad package is
 * a verdict, not a stream failure); it emits `'failure'` with a {@link VerifyError} as soon as the
 * package is known to be bad, so a downloader can stop early, and keeps accepting bytes after that.
 */
export class RpmVerifier extends Writable {
  private readonly expect: NormalizedExpectations;
  private readonly fileName: string | undefined;
  private readonly offload: OffloadMode;
  private readonly maxSize: number | undefined;

  private phase: Phase = 'lead';
  private collector = new Collector(LEAD_SIZE);
  private receivedBytes = 0;
  private failed: VerifyError | undefined;

  private leadBytes: Buffer | undefined;
  private sigBytes: Buffer | undefined;
  private padBytes: Buffer = Buffer.alloc(0);
  private signature: Header | undefined;
  private headerStart = 0;
  private payloadStart = 0;
  private expectedTotal: number | undefined;
  /** Largest length the size tags allow (v6 may allow two); more than this is trailing data. */
  private maxTotal: number | undefined;
  /** Largest length the files the main header lists allow (see payload-bound.ts). */
  private boundTotal: number | undefined;
  private sizeProblem: string | undefined;
  private identityValue: PackageIdentity | undefined;
  private signaturesFound: FoundSignature[] = [];
  private readonly keys: Keyring | undefined;
  /** Digests each signature signs (salt + data + trailer), by signature index; undefined = unavailable. */
  private signatureDigests = new Map<number, Buffer | undefined>();
  /** Header-only signatures judged as soon as the main header was read, by index. */
  private readonly judgedEarly = new Map<number, Promise<SignatureInfo>>();
  private judgedSignatures: SignatureInfo[] | undefined;
  private items: DigestItem[] = [];
  private headerDigests = new Map<string, string>();
  private hasher: StreamHasher | undefined;

  private readonly result: Promise<Verdict>;
  private settle!: { resolve: (v: Verdict) => void; reject: (e: Error) => void };
  private settled = false;

  private readonly mainThreadOverhead: number | undefined;

  /**
   * Validates `options` at once; throws {@link InvalidOptionError} for a malformed expectation.
   * `tuning.mainThreadOverhead` (internal) tells the hash planner how busy the producing thread is.
   */
  constructor(options: VerifyOptions = {}, tuning: { mainThreadOverhead?: number } = {}) {
    super({ decodeStrings: true });
    this.mainThreadOverhead = tuning.mainThreadOverhead;
    this.expect = normalizeExpectations(options);
    this.fileName = typeof options.fileName === 'string' ? options.fileName : undefined;
    this.offload = options.offload ?? 'auto';
    if (options.maxSize !== undefined && !(Number.isSafeInteger(options.maxSize) && options.maxSize > 0)) {
      throw new InvalidOptionError(`maxSize must be a positive integer, got ${options.maxSize}`);
    }
    this.maxSize = options.maxSize;
    this.keys = options.keys && options.keys.size > 0 ? options.keys : undefined;
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
    return this.expectedTotal;
  }

  /** True once both headers have been read and the payload is streaming. */
  get headersComplete(): boolean {
    return this.phase === 'payload';
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
   * Writable plumbing: feeds a chunk to the parser; waits while the hash workers are backlogged.
   * @internal
   */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.consume(chunk);
    const hasher = this.hasher;
    if (hasher?.backlogged && this.phase === 'payload') {
      hasher.drained().then(() => callback(), callback);
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
    this.hasher?.close();
    if (!this.settled) {
      this.settled = true;
      this.settle.reject(error ?? new RpmfetchError('ERR_ABORTED', 'verification was aborted before the package ended'));
    }
    callback(error);
  }

  private consume(chunk: Uint8Array): void {
    const base = this.receivedBytes;
    this.receivedBytes += chunk.length;
    // Known bad now, but hashing goes on so the verdict can still report every digest.
    const over = this.overLimit();
    if (over) this.signal(over);
    let pos = 0;
    while (pos < chunk.length) {
      if (this.phase === 'failed') return;
      if (this.phase === 'payload') {
        this.hasher?.update(pos === 0 ? chunk : chunk.subarray(pos), base + pos);
        return;
      }
      pos += this.collector.take(chunk, pos);
      if (!this.collector.done) {
        // Four bytes tell an RPM from an HTML error page; no need to wait for the other 92.
        if (this.phase === 'lead' && this.collector.received >= 4) this.checkLeadMagic(this.collector.bytes());
        return;
      }
      try {
        this.advance(this.collector.bytes());
      } catch (err) {
        if (!(err instanceof VerifyError)) throw err;
        this.fail(err);
      }
    }
  }

  /**
   * The first limit the bytes received have passed: the caller's size, `maxSize`, the package's size
   * tags, or what the files its main header lists could take.
   */
  private overLimit(): VerifyError | undefined {
    const n = this.receivedBytes;
    const expected = this.expect.size;
    if (expected !== undefined && n > expected) return new VerifyError('ERR_SIZE_MISMATCH', `more than the ${expected} bytes expected`, 'expected-size');
    if (this.maxSize !== undefined && n > this.maxSize) return new VerifyError('ERR_TOO_LARGE', `more than the ${this.maxSize} bytes allowed (maxSize)`, 'max-size');
    // Inside the headers, their own declared lengths bound what is read (see onHeaderIntro).
    if (this.phase !== 'payload') return undefined;
    if (this.maxTotal !== undefined && n > this.maxTotal) return new VerifyError('ERR_TRAILING_DATA', `more bytes than the package's size tags allow (${this.maxTotal})`, 'size');
    if (this.boundTotal !== undefined && n > this.boundTotal) return new VerifyError('ERR_RPM_SIZE_INVALID', `more bytes than the files its main header lists could take (${this.boundTotal})`, 'size');
    return undefined;
  }

  /**
   * What the package says of its own length, against the caller's size and `maxSize`: a mismatch is
   * known before the payload, so a download need not fetch it.
   */
  private checkClaimedSize(): void {
    const total = this.expectedTotal;
    if (this.sizeProblem !== undefined) {
      this.signal(new VerifyError('ERR_RPM_SIZE_INVALID', this.sizeProblem, 'size'));
      return;
    }
    if (total === undefined) return;
    const expected = this.expect.size;
    if (expected !== undefined && total !== expected && this.maxTotal !== expected) {
      this.signal(new VerifyError('ERR_SIZE_MISMATCH', `the package says it is ${total} bytes, ${expected} expected`, 'expected-size'));
    } else if (this.maxSize !== undefined && total > this.maxSize) {
      this.signal(new VerifyError('ERR_TOO_LARGE', `the package says it is ${total} bytes, more than the ${this.maxSize} allowed (maxSize)`, 'max-size'));
    }
  }

  private checkLeadMagic(bytes: Buffer): void {
    try {
      assertLeadMagic(bytes);
    } catch (err) {
      if (!(err instanceof VerifyError)) throw err;
      this.fail(err);
    }
  }

  private next(phase: Phase, need: number, prefix?: Buffer): void {
    this.phase = phase;
    this.collector = new Collector(need, prefix);
  }

  private advance(bytes: Buffer): void {
    switch (this.phase) {
      case 'lead':
        parseLead(bytes);
        this.leadBytes = bytes;
        this.next('sig-intro', HEADER_INTRO_SIZE);
        return;
      case 'sig-intro':
        this.next('sig-body', parseHeaderIntro(bytes, 'signature').length, bytes);
        return;
      case 'sig-body': {
        this.sigBytes = bytes;
        const pad = (8 - (bytes.length % 8)) % 8;
        if (pad > 0) this.next('sig-pad', pad);
        else this.onSignatureHeader();
        return;
      }
      case 'sig-pad':
        // rpm reads the padding but does not look at it; neither do we.
        this.padBytes = bytes;
        this.onSignatureHeader();
        return;
      case 'hdr-intro': {
        const length = parseHeaderIntro(bytes, 'main').length;
        const claim = this.expectedTotal;
        if (claim !== undefined && this.headerStart + length > claim) {
          // SIZE covers the main header too: one that cannot fit is known before it is read.
          this.sizeProblem = `its SIZE tag says ${claim - this.headerStart} bytes of header and payload, but the main header alone is ${length}`;
          this.checkClaimedSize();
        }
        this.next('hdr-body', length, bytes);
        return;
      }
      case 'hdr-body':
        this.onMainHeader(bytes);
        return;
      default:
        return;
    }
  }

  private onSignatureHeader(): void {
    const sigBytes = this.sigBytes as Buffer;
    const signature = Header.parse(sigBytes, 'signature');
    this.signature = signature;
    this.headerStart = LEAD_SIZE + sigBytes.length + this.padBytes.length;
    this.signaturesFound = collectSignatures(signature);
    const claim = readHeaderPlusPayloadSize(signature);
    if (claim?.problem) this.sizeProblem = claim.problem;
    else if (claim?.value !== undefined) {
      this.expectedTotal = this.headerStart + claim.value;
      this.maxTotal = this.expectedTotal;
    }
    this.checkClaimedSize();
    this.checkSignatureHeaderExpectations(signature);
    this.next('hdr-intro', HEADER_INTRO_SIZE);
  }

  /** What the signature header alone decides: koji's sigmd5, and with keys, whether it is signed at all. */
  private checkSignatureHeaderExpectations(signature: Header): void {
    const wanted = this.expect.sigmd5;
    if (wanted !== undefined) {
      const md5 = md5Item(signature).expected;
      if (md5 === undefined) this.signal(new VerifyError('ERR_SIGMD5_MISMATCH', 'the package carries no valid MD5 (tag 1004) to compare with', 'sigmd5'));
      else if (md5 !== wanted) this.signal(new VerifyError('ERR_SIGMD5_MISMATCH', `expected ${wanted} != ${md5}`, 'sigmd5'));
    }
    if (this.keys && this.signaturesFound.length === 0) this.signal(new VerifyError('ERR_UNSIGNED', 'the package is not signed', 'signatures'));
  }

  private onMainHeader(bytes: Buffer): void {
    const main = Header.parse(bytes, 'main');
    this.payloadStart = this.headerStart + bytes.length;
    this.identityValue = readIdentity(main);
    this.items = collectDigestItems(this.signature as Header, main);
    if (this.expectedTotal !== undefined && this.expectedTotal < this.payloadStart) {
      this.sizeProblem = `its SIZE tag says ${this.expectedTotal - this.headerStart} bytes of header and payload, but the main header alone is ${bytes.length}`;
      this.expectedTotal = undefined;
      this.maxTotal = undefined;
    }
    const payloadSizes = readPayloadSizes(main);
    if (payloadSizes?.problem) this.sizeProblem ??= payloadSizes.problem;
    else if (payloadSizes && payloadSizes.values.length > 0 && this.sizeProblem === undefined) {
      const totals = payloadSizes.values.map((v) => this.payloadStart + v);
      this.expectedTotal ??= totals[0];
      this.maxTotal = Math.max(this.maxTotal ?? 0, ...totals);
    }
    this.boundTotal = this.payloadStart + payloadBound(main);
    if (this.sizeProblem === undefined && this.maxTotal !== undefined && this.maxTotal > this.boundTotal) {
      this.sizeProblem = `its size tags say ${this.maxTotal} bytes, more than the ${this.boundTotal} the files its main header lists could take`;
    }

    const jobs: HashJob[] = [];
    const addJob = (key: string, algorithm: string, start: number, extra: Pick<HashJob, 'prefix' | 'suffix'> = {}): void => {
      if (!jobs.some((j) => j.key === key)) jobs.push({ key, algorithm, start, ...extra });
    };
    for (const algorithm of this.expect.fileAlgorithms) addJob(`file:${algorithm}`, algorithm, 0);
    for (const item of this.items) {
      if (!item.present || item.invalid) continue;
      const key = `${item.range}:${item.algorithm}`;
      if (item.range === 'header') {
        if (!this.headerDigests.has(key)) this.headerDigests.set(key, createHash(item.algorithm).update(bytes).digest('hex'));
      } else {
        addJob(key, item.algorithm, item.range === 'payload' ? this.payloadStart : this.headerStart);
      }
    }
    if (this.keys) this.planSignatureDigests(bytes, addJob);
    this.checkMainHeader();
    this.judgeSignaturesEarly();
    const total = this.expectedTotal ?? this.expect.size ?? 0;
    const hasher = new StreamHasher(jobs, total - this.payloadStart, this.offload, this.mainThreadOverhead);
    this.hasher = hasher;
    hasher.update(this.leadBytes as Buffer, 0);
    hasher.update(this.sigBytes as Buffer, LEAD_SIZE);
    hasher.update(this.padBytes, LEAD_SIZE + (this.sigBytes as Buffer).length);
    hasher.update(bytes, this.headerStart);
    this.phase = 'payload';
    debug('%s: headers read, payload from byte %d, expecting %s bytes', this.identityValue.nevra, this.payloadStart, this.expectedTotal ?? 'unknown');
  }

  /**
   * What the main header decides before any payload byte: its digests, the size claims it bounds,
   * and whether it is the package the caller asked for.
   */
  private checkMainHeader(): void {
    const identity = this.identityValue as PackageIdentity;
    for (const item of this.items) {
      if (!item.present) continue;
      const twin = this.items.some((o) => o !== item && o.present && o.group === item.group);
      if (item.invalid !== undefined && !twin) {
        this.signal(new VerifyError('ERR_RPM_DIGEST_INVALID', `${item.label}: ${item.invalid}`, item.id));
      } else if (item.range === 'header' && item.expected !== undefined) {
        const actual = this.headerDigests.get(`header:${item.algorithm}`);
        if (actual !== item.expected) this.signal(new VerifyError('ERR_RPM_DIGEST_MISMATCH', `${item.label}: expected ${item.expected} != ${actual}`, item.id));
      }
    }
    this.checkClaimedSize();
    if (this.expect.nevra !== undefined) {
      const problem = matchNevra(this.expect.nevra, identity);
      if (problem) this.signal(new VerifyError('ERR_NEVRA_MISMATCH', `NEVRA: ${problem}`, 'nevra'));
    }
    if (this.fileName !== undefined) {
      const problem = matchFileName(this.fileName, identity);
      if (problem) this.signal(new VerifyError('ERR_NEVRA_MISMATCH', `File name: ${problem}`, 'file-name'));
    }
  }

  /**
   * What each signature signs: header-only ones the buffered header (hashed now), legacy ones the
   * header and payload (hashed as the payload streams, as a job with the packet's salt and trailer).
   */
  private planSignatureDigests(header: Buffer, addJob: (key: string, algorithm: string, start: number, extra: Pick<HashJob, 'prefix' | 'suffix'>) => void): void {
    this.signaturesFound.forEach((s, i) => {
      if (typeof s.parsed === 'string') return;
      const algorithm = nodeHashName(s.parsed.hashAlgorithm);
      if (!algorithm) {
        this.signatureDigests.set(i, undefined);
      } else if (s.info.range === 'header') {
        this.signatureDigests.set(i, createHash(algorithm).update(s.parsed.prefix).update(header).update(s.parsed.suffix).digest());
      } else {
        addJob(`signature:${i}`, algorithm, this.headerStart, { prefix: s.parsed.prefix, suffix: s.parsed.suffix });
      }
    });
  }

  /** Judges every signature with the keys given; reports them as found when none were. */
  private async judgeSignatures(digests: Map<string, string>): Promise<SignatureInfo[]> {
    if (!this.keys) return this.signaturesFound.map((s) => s.info);
    return Promise.all(
      this.signaturesFound.map((_, i) => {
        const streamed = digests.get(`signature:${i}`);
        return this.judgedEarly.get(i) ?? this.judgeOne(i, streamed !== undefined ? Buffer.from(streamed, 'hex') : this.signatureDigests.get(i));
      }),
    );
  }

  /** One signature judged with the keys, from the digest of what it signs. */
  private async judgeOne(i: number, digest: Buffer | undefined): Promise<SignatureInfo> {
    const s = this.signaturesFound[i] as FoundSignature;
    const j = await judgeSignature(s.packet, s.parsed, digest, this.keys as Keyring).catch((err: unknown) => ({ status: 'BAD' as const, message: `cannot check: ${(err as Error).message}` }));
    const { error: _error, ...info } = s.info;
    return {
      ...info,
      status: j.status,
      ...(j.message !== undefined && { error: j.message }),
      ...('keyFingerprint' in j && j.keyFingerprint !== undefined && { verifiedBy: j.keyFingerprint }),
      ...('keyProblem' in j && j.keyProblem !== undefined && { keyProblem: j.keyProblem }),
    };
  }

  /**
   * With keys, the signatures as far as the headers decide them: header-only ones are judged now
   * (and the judgement kept for the verdict); one over header and payload can still turn out OK only
   * if a given key has its ID. A package that cannot pass is known bad before its payload.
   */
  private judgeSignaturesEarly(): void {
    const keys = this.keys;
    if (!keys || this.signaturesFound.length === 0) return;
    let pending = false;
    const known: Array<Promise<SignatureInfo>> = [];
    this.signaturesFound.forEach((s, i) => {
      if (s.info.range === 'header' && typeof s.parsed !== 'string') {
        const judged = this.judgeOne(i, this.signatureDigests.get(i));
        this.judgedEarly.set(i, judged);
        known.push(judged);
      } else if (typeof s.parsed === 'string') {
        known.push(Promise.resolve({ ...s.info, status: 'BAD' as const, error: s.parsed }));
      } else if (s.parsed.keyId === undefined || keysWithId(keys, s.parsed.keyId).length === 0) {
        known.push(Promise.resolve({ ...s.info, status: 'NOKEY' as const }));
      } else {
        pending = true;
      }
    });
    void Promise.all(known).then((infos) => {
      if (this.settled) return;
      const gravest = gravestProblem(infos);
      const anyOk = infos.some((s) => s.status === 'OK');
      if (gravest && (gravest.code === 'ERR_SIGNATURE_BAD' || (!anyOk && !pending))) {
        const s = gravest.signature;
        this.signal(new VerifyError(gravest.code, `Signatures: ${s.label}: ${s.status}${s.error ? ` (${s.error})` : ''}`, 'signatures'));
      }
    });
  }

  /** A structural failure: nothing after it can be parsed, so the rest of the bytes are only counted. */
  private fail(err: VerifyError): void {
    this.signal(err);
    this.phase = 'failed';
    this.hasher?.close();
    this.hasher = undefined;
  }

  /** Tells listeners, once, that the package is known to be bad. */
  private signal(err: VerifyError): void {
    if (this.failed) return;
    this.failed = err;
    debug('verification failed: %s %s', err.code, err.message);
    this.emit('failure', err);
  }

  private base(): Omit<Verdict, 'ok' | 'checks'> {
    return {
      signatures: this.judgedSignatures ?? this.signaturesFound.map((s) => s.info),
      size: this.receivedBytes,
      digests: {},
      ...(this.identityValue !== undefined && { rpm: this.identityValue }),
      ...(this.expectedTotal !== undefined && { expectedSize: this.expectedTotal }),
    };
  }

  private failureVerdict(err: VerifyError): Verdict {
    const check = err.check ?? 'structure';
    const checks: Check[] = [];
    if (check !== 'structure') checks.push({ id: 'structure', label: 'Package structure', status: 'OK' });
    checks.push({ id: check, label: check === 'structure' ? 'Package structure' : labelFor(check), status: 'BAD', message: err.message });
    return { ...this.base(), ok: false, error: { code: err.code, message: err.message, check }, checks };
  }

  private async conclude(): Promise<Verdict> {
    if (this.phase !== 'payload' && this.phase !== 'failed') {
      const got = this.collector.received;
      this.fail(
        new VerifyError(
          'ERR_RPM_TRUNCATED',
          `the bytes ended inside ${PHASE_NAMES[this.phase]} (${got} of ${this.collector.need} bytes) after ${this.receivedBytes} bytes in all`,
          'structure',
        ),
      );
    }
    if (this.phase === 'failed' && this.failed) return this.failureVerdict(this.failed);
    let computed: Map<string, string>;
    try {
      computed = await (this.hasher as StreamHasher).finish();
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      return this.failureVerdict(new VerifyError('ERR_INTERNAL', `hashing failed: ${cause}`, 'structure'));
    }
    this.judgedSignatures = await this.judgeSignatures(computed);
    return this.judge(new Map([...this.headerDigests, ...[...computed].filter(([k]) => !k.startsWith('signature:'))]));
  }

  /** Builds every check of a package whose structure was whole, and picks the first failure. */
  private judge(digests: Map<string, string>): Verdict {
    const identity = this.identityValue as PackageIdentity;
    const size = this.judgeSize();
    const stored = this.judgeDigests(digests);
    const signatures = this.judgeSignaturePolicy();
    const expected = this.judgeExpectations(digests);
    const fileName = this.judgeFileName(identity);
    const structure: Judged = { check: { id: 'structure', label: 'Package structure', status: 'OK' } };
    // Listed in rpmkeys's order, but a short or overlong file is the news, not the digests it breaks.
    const listed = [structure, ...stored, size, ...signatures, ...expected, fileName];
    const first = [size, ...stored, ...signatures, ...expected, fileName].find((j) => j.code !== undefined);
    const verdict: Verdict = {
      ...this.base(),
      ok: first === undefined,
      checks: listed.map((j) => j.check),
      digests: Object.fromEntries(digests),
      ...(first?.code && {
        error: { code: first.code, message: `${first.check.label}: ${first.check.message ?? first.check.status}`, check: first.check.id },
      }),
    };
    debug('%s: %s', identity.nevra, verdict.ok ? 'OK' : `${verdict.error?.code} ${verdict.error?.message}`);
    return verdict;
  }

  private judgeDigests(digests: Map<string, string>): Judged[] {
    const out: Judged[] = [];
    const actualFor = (item: DigestItem): string | undefined => digests.get(`${item.range}:${item.algorithm}`);
    const decision = decideDigests(this.items, (item): DigestStatus =>
      item.invalid === undefined && item.expected === actualFor(item) ? 'OK' : 'BAD',
    );
    for (const item of this.items) {
      if (!item.present) continue;
      const actual = actualFor(item);
      const common = {
        id: item.id,
        label: item.label,
        ...(item.expected !== undefined && { expected: item.expected }),
        ...(actual !== undefined && { actual }),
      };
      if (decision.superseded.has(item)) {
        out.push({ check: { ...common, status: 'SKIPPED', message: 'did not match, but its ALT twin (uncompressed payload) did, as rpm allows' } });
      } else if (decision.status.get(item) === 'OK') {
        out.push({ check: { ...common, status: 'OK' } });
      } else if (item.invalid) {
        out.push({ code: 'ERR_RPM_DIGEST_INVALID', check: { ...common, status: 'BAD', message: item.invalid } });
      } else {
        out.push({ code: 'ERR_RPM_DIGEST_MISMATCH', check: { ...common, status: 'BAD', message: `expected ${item.expected} != ${actual}` } });
      }
    }
    const label = 'Header and payload covered by digests';
    const missing = [!decision.headerCovered && 'the header', !decision.payloadCovered && 'the payload'].filter(Boolean);
    out.push(
      missing.length === 0
        ? { check: { id: 'digests', label, status: 'OK' } }
        : { code: 'ERR_RPM_NO_DIGEST', check: { id: 'digests', label, status: 'MISSING', message: `no valid digest covers ${missing.join(' or ')}` } },
    );
    return out;
  }

  /**
   * With keys given: at least one signature by a given key verifies, while its key was valid, and none
   * is bad. A signature by a key not given (NOKEY) or by a given key that had expired or was revoked
   * (NOTTRUSTED) is not bad: rpm 6 accepts a package with such a signature next to a valid one (it
   * refuses NOKEY ones; we do not).
   */
  private judgeSignaturePolicy(): Judged[] {
    if (!this.keys) return [];
    const sigs = this.judgedSignatures ?? [];
    const base = { id: 'signatures', label: 'Signatures' };
    const describe = (s: SignatureInfo) => `${s.label}: ${s.status}${s.error ? ` (${s.error})` : ''}`;
    if (sigs.length === 0) return [{ code: 'ERR_UNSIGNED', check: { ...base, status: 'MISSING', message: 'the package is not signed' } }];
    const gravest = gravestProblem(sigs);
    if (gravest?.code === 'ERR_SIGNATURE_BAD') return [{ code: gravest.code, check: { ...base, status: 'BAD', message: describe(gravest.signature) } }];
    const ok = sigs.filter((s) => s.status === 'OK');
    if (ok.length > 0) return [{ check: { ...base, status: 'OK', message: `verified by ${[...new Set(ok.map((s) => s.verifiedBy))].join(', ')}` } }];
    if (gravest && gravest.code !== 'ERR_SIGNATURE_NOKEY') {
      const status = gravest.signature.status === 'NOTTRUSTED' ? 'BAD' : 'MISSING';
      return [{ code: gravest.code, check: { ...base, status, message: describe(gravest.signature) } }];
    }
    const ids = [...new Set(sigs.map((s) => s.keyId).filter(Boolean))].join(', ');
    return [{ code: 'ERR_SIGNATURE_NOKEY', check: { ...base, status: 'MISSING', message: `signed by ${ids || 'unnamed keys'}, none of them given` } }];
  }

  private judgeSize(): Judged {
    const base = { id: 'size', label: 'Package size' };
    const received = this.receivedBytes;
    if (this.sizeProblem) return { code: 'ERR_RPM_SIZE_INVALID', check: { ...base, status: 'BAD', message: this.sizeProblem } };
    if (this.expectedTotal === undefined) {
      if (this.boundTotal !== undefined && received > this.boundTotal) {
        return { code: 'ERR_RPM_SIZE_INVALID', check: { ...base, status: 'BAD', message: `${received} bytes, more than the ${this.boundTotal} the files its main header lists could take` } };
      }
      return { check: { ...base, status: 'MISSING', message: 'the package carries no SIZE, LONGSIZE or PAYLOADSIZE tag' } };
    }
    if (this.boundTotal !== undefined && received > this.boundTotal) {
      return { code: 'ERR_RPM_SIZE_INVALID', check: { ...base, status: 'BAD', message: `${received} bytes, more than the ${this.boundTotal} the files its main header lists could take` } };
    }
    const common = { ...base, expected: String(this.expectedTotal), actual: String(received) };
    if (received === this.expectedTotal || received === this.maxTotal) return { check: { ...common, status: 'OK' } };
    if (received < this.expectedTotal) {
      return { code: 'ERR_RPM_TRUNCATED', check: { ...common, status: 'BAD', message: `${received} of ${this.expectedTotal} bytes: the package is cut short` } };
    }
    return { code: 'ERR_TRAILING_DATA', check: { ...common, status: 'BAD', message: `${received - this.expectedTotal} bytes after the end of the package` } };
  }

  private judgeExpectations(digests: Map<string, string>): Judged[] {
    const e = this.expect;
    const identity = this.identityValue as PackageIdentity;
    const out: Judged[] = [];
    const add = (code: ErrorCode, ok: boolean, check: Omit<Check, 'status'>, message: string): void => {
      out.push(ok ? { check: { ...check, status: 'OK' } } : { code, check: { ...check, status: 'BAD', message } });
    };
    if (e.size !== undefined) {
      add('ERR_SIZE_MISMATCH', this.receivedBytes === e.size,
        { id: 'expected-size', label: 'Expected size', expected: String(e.size), actual: String(this.receivedBytes) },
        `expected ${e.size} bytes, received ${this.receivedBytes}`);
    }
    if (this.maxSize !== undefined) {
      const claimed = Math.max(this.receivedBytes, this.expectedTotal ?? 0);
      add('ERR_TOO_LARGE', claimed <= this.maxSize,
        { id: 'max-size', label: 'Size limit', expected: `<= ${this.maxSize}`, actual: String(claimed) },
        `${claimed} bytes, more than the ${this.maxSize} allowed (maxSize)`);
    }
    if (e.integrity) {
      const actual = digests.get(`file:${e.integrity.algorithm}`) ?? '';
      add('ERR_INTEGRITY_MISMATCH', integrityMatches(e.integrity, actual),
        { id: 'integrity', label: `Integrity (${e.integrity.algorithm})`, expected: e.integrity.text, actual: `${e.integrity.algorithm}-${Buffer.from(actual, 'hex').toString('base64')}` },
        `the file's ${e.integrity.algorithm} does not match ${e.integrity.text}`);
    }
    if (e.checksum) {
      const actual = digests.get(`file:${e.checksum.algorithm}`) ?? '';
      add('ERR_INTEGRITY_MISMATCH', actual === e.checksum.hex,
        { id: 'checksum', label: `Checksum (${e.checksum.type})`, expected: e.checksum.hex, actual },
        `expected ${e.checksum.hex} != ${actual}`);
    }
    if (e.sigmd5 !== undefined) {
      const md5 = this.items.find((i) => i.id === 'md5');
      const check = { id: 'sigmd5', label: 'Signature MD5 (koji payloadhash)', expected: e.sigmd5, ...(md5?.expected !== undefined && { actual: md5.expected }) };
      if (md5?.expected === undefined) {
        out.push({ code: 'ERR_SIGMD5_MISMATCH', check: { ...check, status: 'MISSING', message: 'the package carries no valid MD5 (tag 1004) to compare with' } });
      } else {
        add('ERR_SIGMD5_MISMATCH', md5.expected === e.sigmd5, check, `expected ${e.sigmd5} != ${md5.expected}`);
      }
    }
    if (e.nevra !== undefined) {
      const problem = matchNevra(e.nevra, identity);
      add('ERR_NEVRA_MISMATCH', problem === undefined, { id: 'nevra', label: 'NEVRA', expected: e.nevra, actual: identity.nevra }, problem ?? '');
    }
    return out;
  }

  private judgeFileName(identity: PackageIdentity): Judged {
    const base = { id: 'file-name', label: 'File name' };
    if (this.fileName === undefined) return { check: { ...base, status: 'SKIPPED', message: 'no file name given' } };
    const problem = matchFileName(this.fileName, identity);
    return problem
      ? { code: 'ERR_NEVRA_MISMATCH', check: { ...base, status: 'BAD', actual: this.fileName, message: problem } }
      : { check: { ...base, status: 'OK', actual: this.fileName } };
  }
}

/** A check and, when it failed, the error code it fails the package with. */
interface Judged {
  readonly check: Check;
  readonly code?: ErrorCode;
}

function labelFor(check: string): string {
  return check === 'size' ? 'Package size' : check;
}

/** Creates a verifier. See {@link RpmVerifier}. */
export function createVerifier(options: VerifyOptions = {}): RpmVerifier {
  return new RpmVerifier(options);
}
