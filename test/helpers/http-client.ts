/**
 * Shared parts of the HTTP client's tests: clients closed after the file's tests, a GET with
 * timeouts that never fire on a healthy server, and the TransportError a request ends with.
 */
import assert from 'node:assert/strict';
import { createHash, type Hash } from 'node:crypto';
import { after } from 'node:test';
import { HttpClient, TransportError, type HttpClientOptions, type HttpResponse, type RequestOptions } from '../../src/transport/index.js';

/** Long enough never to fire on a loaded machine when the server is healthy. */
export const SLOW = { connect: 30_000, response: 30_000, idle: 30_000 };
/** Each test's own bound: a hang fails it instead of the whole run. */
export const TEST = { timeout: 60_000 };

const clients: HttpClient[] = [];
after(() => {
  for (const c of clients) c.close();
});

/** A client closed when the test file ends. */
export function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  const c = new HttpClient({ userAgent: 'rpmfetch-test', ...options });
  clients.push(c);
  return c;
}

export function get(c: HttpClient, url: string, options: Partial<RequestOptions> = {}): Promise<HttpResponse> {
  return c.request({ url: new URL(url), timeouts: SLOW, maxRedirects: 5, allowInsecureRedirects: false, ...options });
}

/** The TransportError `p` rejects with. */
export async function failure(p: Promise<unknown>): Promise<TransportError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return e instanceof TransportError;
  });
  return caught as TransportError;
}

export async function readAll(res: HttpResponse): Promise<Buffer> {
  const parts: Buffer[] = [];
  await res.read((chunk) => {
    parts.push(Buffer.from(chunk));
  });
  return Buffer.concat(parts);
}

/** Hex SHA-256 of bytes, or the digest of a running hash. */
export function sha(data: Buffer | Hash): string {
  return (Buffer.isBuffer(data) ? createHash('sha256').update(data) : data).digest('hex');
}
