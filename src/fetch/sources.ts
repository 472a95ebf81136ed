/**
 * Opening the bytes of a target on one mirror: an HTTP(S) response through got, or a file under a
 * file:// base (an NFS-mounted tree). Either way the result is a body stream positioned at the offset
 * asked for, or a classified {@link AttemptFailure}.
 */
import { open } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import createDebug from 'debug';
import got, { type Response } from 'got';
import { AttemptFailure, classifyError } from './attempt-failure.js';
import type { NetworkAgents } from './agents.js';
import { parseRetryAfter } from './backoff.js';
import { redactText, redactUrl } from './redact.js';
import type { TlsOptions } from './options.js';
import type { ResolvedTimeouts } from './timeouts.js';

const debug = createDebug('rpmfetch:http');

/** How to open a source. */
export interface SourceRequest {
  /** Bytes already held: ask for the rest (HTTP Range / file offset). */
  readonly offset: number;
  /** The file's full length if known (the package's SIZE, or the caller's size); checks Content-Range. */
  readonly expectedTotal: number | undefined;
  readonly timeouts: ResolvedTimeouts;
  readonly signal: AbortSignal;
  /** The connection agents of the Downloader (keep-alive, proxies). */
  readonly agents?: NetworkAgents;
  /** Extra CA certificates and a client certificate for https mirrors. */
  readonly tls?: TlsOptions;
  readonly maxRedirects: number;
  /** Follow a redirect from https to http. Off by default: it would hand the download to anyone on the path. */
  readonly allowInsecureRedirects: boolean;
  readonly userAgent: string;
}

/** An open body. */
export interface OpenedSource {
  readonly body: Readable;
  readonly status?: number;
  /** The source starts at byte 0 although an offset was asked (the server ignored Range): restart. */
  readonly restarted: boolean;
  /** Bytes the body will carry, when the source says. */
  readonly length?: number;
  /** URL after redirects, credentials masked (for results and messages only). */
  readonly url: string;
}

/** Why a redirect may not be followed, or undefined when it may. */
export function redirectRefusal(from: URL, to: URL, allowInsecure: boolean): string | undefined {
  if (to.protocol !== 'http:' && to.protocol !== 'https:') return `redirect to another scheme refused: ${to.protocol}`;
  if (from.protocol === 'https:' && to.protocol === 'http:' && !allowInsecure) return `redirect from https to http refused: ${redactUrl(to)}`;
  return undefined;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

function statusFailure(res: Response, req: SourceRequest, refusal: string | undefined): AttemptFailure | undefined {
  const status = res.statusCode;
  const retryAfter = parseRetryAfter(res.headers['retry-after']);
  const details = { status, ...(retryAfter !== undefined && { retryAfter }) };
  const says = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
  if (status === 200) return undefined;
  if (status === 206) {
    const range = CONTENT_RANGE.exec(String(res.headers['content-range'] ?? ''));
    if (req.offset === 0) return new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `${says} to a request without Range`, details);
    if (!range) return new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `${says} with Content-Range "${res.headers['content-range'] ?? ''}"`, details);
    const [start, end, total] = [Number(range[1]), Number(range[2]), range[3] === '*' ? undefined : Number(range[3])];
    if (start !== req.offset || (total !== undefined && end !== total - 1)) {
      return new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `asked for bytes ${req.offset}- and got Content-Range ${res.headers['content-range']}`, details);
    }
    if (total !== undefined && req.expectedTotal !== undefined && total !== req.expectedTotal) {
      return new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `the mirror's file is ${total} bytes, the bytes held say ${req.expectedTotal}`, { ...details, resetPartial: true, heldDisagrees: true });
    }
    return undefined;
  }
  if (status === 404 || status === 410) return new AttemptFailure('ERR_NOT_FOUND', 'response', 'mirror-done', says, details);
  if (status === 416) return new AttemptFailure('ERR_RANGE_NOT_SATISFIABLE', 'response', 'retry', `${says} for bytes ${req.offset}-: the mirror's copy is shorter than the bytes held`, { ...details, resetPartial: true, heldDisagrees: true });
  if (status >= 300 && status < 400) return new AttemptFailure('ERR_REDIRECT_REFUSED', 'response', 'mirror-done', refusal ?? `${says} without a usable Location`, details);
  if (status === 408 || status === 425 || status === 429 || status >= 500) return new AttemptFailure('ERR_HTTP_STATUS', 'response', 'retry', says, details);
  // Other 4xx (401, 403, ...) will not change on a retry.
  return new AttemptFailure('ERR_HTTP_STATUS', 'response', 'mirror-done', says, details);
}

/** Requests `url` (with Range when `offset` > 0) and resolves once an acceptable response has arrived. */
export function openHttp(url: URL, req: SourceRequest): Promise<OpenedSource> {
  let refusal: string | undefined;
  const t = req.timeouts;
  const route = req.agents?.for(url);
  let proxy = route?.proxy;
  const tls = req.tls;
  const stream = got.stream(url, {
    decompress: false,
    http2: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    strictContentLength: true,
    maxRedirects: req.maxRedirects,
    timeout: { lookup: t.connect, connect: t.connect, secureConnect: t.connect, response: t.response, socket: t.stall },
    headers: {
      'user-agent': req.userAgent,
      'accept-encoding': 'identity',
      ...(req.offset > 0 && { range: `bytes=${req.offset}-` }),
    },
    followRedirect: (response) => {
      const from = new URL(response.url);
      const location = response.headers.location;
      refusal = location ? redirectRefusal(from, new URL(location, from), req.allowInsecureRedirects) : 'redirect without Location';
      if (location) debug('%s: %d redirect to %s%s', redactUrl(from), response.statusCode, redactText(location), refusal ? ` (${refusal})` : '');
      return refusal === undefined;
    },
    signal: req.signal,
    ...(route && { agent: route.agents }),
    ...(tls && { https: { ...(tls.ca !== undefined && { certificateAuthority: typeof tls.ca === 'string' || Buffer.isBuffer(tls.ca) ? tls.ca : [...tls.ca] }), ...(tls.cert !== undefined && { certificate: tls.cert }), ...(tls.key !== undefined && { key: tls.key }) } }),
    hooks: {
      // A redirect to another host may cross NO_PROXY's line.
      beforeRedirect: [
        (options) => {
          const next = req.agents?.for(new URL(String(options.url)));
          if (next) {
            options.agent = next.agents;
            proxy = next.proxy;
          }
        },
      ],
    },
  });
  // Errors after the response are for the body's consumer; this keeps one in the gap from crashing.
  stream.on('error', () => {});
  // A 101 answer hands the socket over to another protocol; without a listener Node leaves the request
  // waiting for a response that will never come, beyond every timeout.
  stream.once('request', (request: ClientRequest) => {
    request.once('upgrade', (res: IncomingMessage, socket: Socket) => {
      socket.destroy();
      stream.destroy(new AttemptFailure('ERR_BAD_RESPONSE', 'response', 'mirror-done', `HTTP ${res.statusCode}: the server switched to another protocol (${String(res.headers.upgrade ?? 'unnamed')})`, { status: res.statusCode ?? 101 }));
    });
  });
  debug('GET %s%s%s', redactUrl(url), req.offset ? ` (Range: bytes=${req.offset}-)` : '', proxy ? ` via proxy ${proxy.host}` : '');
  return new Promise((resolve, reject) => {
    const onError = (err: unknown): void => {
      const failure = classifyError(err, false);
      // Say so when the failure may be the proxy's, not the mirror's.
      reject(proxy ? new AttemptFailure(failure.code, failure.phase, failure.kind, `${failure.message} (via proxy ${proxy.host})`, failure.details) : failure);
    };
    stream.once('error', onError);
    stream.once('response', (res: Response) => {
      stream.off('error', onError);
      debug('%s: HTTP %d, %s bytes', redactUrl(res.url), res.statusCode, res.headers['content-length'] ?? 'unknown');
      const failure = statusFailure(res, req, refusal);
      if (failure) {
        stream.destroy();
        reject(failure);
        return;
      }
      const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
      resolve({
        body: stream,
        status: res.statusCode,
        restarted: req.offset > 0 && res.statusCode === 200,
        url: redactUrl(res.url),
        ...(length !== undefined && Number.isFinite(length) && { length }),
      });
    });
  });
}

/** Opens a file under a file:// mirror at `offset`. */
export async function openFile(url: URL, req: SourceRequest): Promise<OpenedSource> {
  let handle;
  try {
    handle = await open(fileURLToPath(url), 'r');
  } catch (err) {
    throw classifyError(err, false);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new AttemptFailure('ERR_NOT_READABLE', 'response', 'mirror-done', `${redactUrl(url)} is not a regular file`);
    if (req.offset > stat.size) {
      throw new AttemptFailure('ERR_RANGE_NOT_SATISFIABLE', 'response', 'retry', `the file is ${stat.size} bytes, shorter than the ${req.offset} already held`, { resetPartial: true, heldDisagrees: true });
    }
    if (req.offset > 0 && req.expectedTotal !== undefined && stat.size !== req.expectedTotal) {
      throw new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `the file is ${stat.size} bytes, the bytes held say ${req.expectedTotal}`, { resetPartial: true, heldDisagrees: true });
    }
    const body = handle.createReadStream({ start: req.offset, highWaterMark: 1024 * 1024, autoClose: true });
    return { body, restarted: false, length: stat.size - req.offset, url: redactUrl(url) };
  } catch (err) {
    await handle.close().catch(() => {});
    throw classifyError(err, false);
  }
}
