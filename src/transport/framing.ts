/**
 * Where a response body ends (RFC 9112 §6.3), decided from the head alone, and whether the connection
 * may carry another request after it. Anything ambiguous is refused rather than guessed: two parsers
 * that guess differently are how a hostile server slips bytes past one of them.
 */
import { MAX_BODY_LENGTH, MAX_CONTENT_LENGTH_DIGITS } from './limits.js';
import { badResponse, listElements } from './syntax.js';

export type Framing =
  /** No body: 1xx, 204, 304, a CONNECT tunnel. */
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Neither Content-Length nor Transfer-Encoding: the body ends when the server closes. */
  | { readonly kind: 'close' };

export interface BodyRules {
  readonly framing: Framing;
  /** The response allows another request on the connection once its body has been read to the end. */
  readonly reusable: boolean;
}

const NONE: Framing = { kind: 'none' };
const DIGITS = /^[0-9]+$/;

/** Content-Length: digits only, within a safe integer, every repetition the same value. */
function contentLength(value: string): number {
  let length: number | undefined;
  for (const element of value.split(',')) {
    const v = element.trim();
    if (!DIGITS.test(v) || v.length > MAX_CONTENT_LENGTH_DIGITS || Number(v) > MAX_BODY_LENGTH) throw badResponse('response', `Content-Length "${value.slice(0, 60)}" is not a length`);
    if (length !== undefined && Number(v) !== length) throw badResponse('response', `conflicting Content-Length values "${value.slice(0, 60)}"`);
    length = Number(v);
  }
  if (length === undefined) throw badResponse('response', 'an empty Content-Length');
  return length;
}

/**
 * The body rules of a response. `noBody`: the request was one whose response has no body whatever
 * its head says (a CONNECT answered 2xx).
 */
export function bodyRules(version: '1.0' | '1.1', status: number, headers: Readonly<Record<string, string>>, noBody: boolean): BodyRules {
  if (noBody) return { framing: NONE, reusable: false };
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  const length = cl === undefined ? undefined : contentLength(cl);
  let chunked = false;
  if (te !== undefined) {
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (version === '1.0') throw badResponse('response', `Transfer-Encoding "${te.slice(0, 60)}" in an HTTP/1.0 response`);
    const codings = listElements(te);
    // Any other coding would hand us transformed bytes (or bytes whose end we cannot find).
    if (codings.length !== 1 || codings[0] !== 'chunked') throw badResponse('response', `Transfer-Encoding "${te.slice(0, 60)}": only chunked is accepted`);
    chunked = true;
  }
  const close = listElements(headers.connection ?? '').includes('close');
  // RFC 9112 §6.3: a response with both may be an attempt at smuggling; chunked wins, and the
  // connection is not trusted with another request.
  const keepAlive = version === '1.1' && !close && !(chunked && length !== undefined);
  if ((status >= 100 && status < 200) || status === 204 || status === 304) return { framing: NONE, reusable: keepAlive };
  if (chunked) return { framing: { kind: 'chunked' }, reusable: keepAlive };
  if (length !== undefined) return { framing: { kind: 'length', length }, reusable: keepAlive };
  return { framing: { kind: 'close' }, reusable: false };
}
