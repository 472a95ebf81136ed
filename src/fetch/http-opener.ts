/**
 * Opening a body over HTTP(S) through the transport (src/transport), and what its status means for
 * the attempt: 200, or 206 with exactly the range asked for, opens; everything else is a classified
 * {@link AttemptFailure}.
 */
import type { BasicCredentials, HttpClient, HttpResponse } from '../transport/index.js';
import { redactUrl } from '../transport/redact.js';
import { AttemptFailure, classifyError } from './attempt-failure.js';
import { parseRetryAfter } from './backoff.js';
import type { OpenedSource, OpenRequest } from './transfer.js';

/** How redirects are followed. */
export interface RedirectPolicy {
  readonly maxRedirects: number;
  /** Follow a redirect from https to http. Off by default: it would hand the download to anyone on the path. */
  readonly allowInsecureRedirects: boolean;
}

/** What every request to a mirror carries besides the file asked for. */
export interface RequestPolicy extends RedirectPolicy {
  /** The caller's headers, checked: for the origin of the URL asked for only (the transport drops them on a redirect elsewhere). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Basic credentials for the origin of the URL asked for, when the URL carries none of its own. */
  readonly credentials?: BasicCredentials;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/** Why a response cannot be the body asked for, or undefined when it can. */
export function statusFailure(res: Pick<HttpResponse, 'status' | 'statusText' | 'headers'>, req: Pick<OpenRequest, 'offset' | 'expectedTotal'>): AttemptFailure | undefined {
  const status = res.status;
  const retryAfter = parseRetryAfter(res.headers['retry-after']);
  const details = { status, ...(retryAfter !== undefined && { retryAfter }) };
  const says = `HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (status === 200) return undefined;
  if (status === 206) {
    const contentRange = res.headers['content-range'] ?? '';
    const range = CONTENT_RANGE.exec(contentRange);
    if (req.offset === 0) return new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `${says} to a request without Range`, details);
    if (!range) return new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `${says} with Content-Range "${contentRange}"`, details);
    const [start, end, total] = [Number(range[1]), Number(range[2]), range[3] === '*' ? undefined : Number(range[3])];
    if (start !== req.offset || (total !== undefined && end !== total - 1)) {
      return new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `asked for bytes ${req.offset}- and got Content-Range ${contentRange}`, details);
    }
    if (total !== undefined && req.expectedTotal !== undefined && total !== req.expectedTotal) {
      return new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `the mirror's file is ${total} bytes, the bytes held say ${req.expectedTotal}`, { ...details, resetPartial: true, heldDisagrees: true });
    }
    return undefined;
  }
  if (status === 404 || status === 410) return new AttemptFailure('ERR_NOT_FOUND', 'response', 'mirror-done', says, details);
  if (status === 416) return new AttemptFailure('ERR_RANGE_NOT_SATISFIABLE', 'response', 'retry', `${says} for bytes ${req.offset}-: the mirror's copy is shorter than the bytes held`, { ...details, resetPartial: true, heldDisagrees: true });
  if (status >= 300 && status < 400) return new AttemptFailure('ERR_REDIRECT_REFUSED', 'response', 'mirror-done', `${says} without a usable Location`, details);
  if (status === 408 || status === 425 || status === 429 || status >= 500) return new AttemptFailure('ERR_HTTP_STATUS', 'response', 'retry', says, details);
  // Other 4xx (401, 403, ...) will not change on a retry.
  return new AttemptFailure('ERR_HTTP_STATUS', 'response', 'mirror-done', says, details);
}

/** Requests `req.url` (with Range when there is an offset) and resolves once an acceptable response has arrived. */
export async function openHttp(client: HttpClient, redirects: RequestPolicy, req: OpenRequest): Promise<OpenedSource> {
  let res: HttpResponse;
  let headers = req.offset > 0 ? { ...redirects.headers, range: `bytes=${req.offset}-` } : redirects.headers;
  // A cache on the way may hold the bad copy (squid keeps a body cut short under a matching
  // Content-Length): after one, every cache must go back to the origin (Pragma for HTTP/1.0 caches).
  if (req.revalidate) headers = { ...headers, 'cache-control': 'no-cache', pragma: 'no-cache' };
  try {
    res = await client.request({
      url: req.url,
      ...(headers && { headers }),
      ...(redirects.credentials && { credentials: redirects.credentials }),
      // The transport's idle limit is the stall window's backstop; the rate is watched by the consumer.
      timeouts: { connect: req.timeouts.connect, response: req.timeouts.response, idle: req.timeouts.stall },
      signal: req.signal,
      maxRedirects: redirects.maxRedirects,
      allowInsecureRedirects: redirects.allowInsecureRedirects,
    });
  } catch (err) {
    throw classifyError(err, false);
  }
  const failure = statusFailure(res, req);
  if (failure) {
    res.discard();
    throw failure;
  }
  return {
    status: res.status,
    restarted: req.offset > 0 && res.status === 200,
    url: redactUrl(res.url),
    ...(res.length !== undefined && { length: res.length }),
    read: (onData) => res.read(onData),
    discard: () => res.discard(),
  };
}
