/**
 * The HTTP/1.1 client of rpmfetch (see client.ts). The fetch layer uses this module's exports only.
 */
export { HttpClient, type HttpClientOptions, type RequestOptions, type RequestTimeouts } from './client.js';
export { HttpResponse } from './response.js';
export { TransportError, type TransportErrorCode, type TransportPhase } from './errors.js';
export type { ChunkConsumer } from './exchange.js';
export type { TlsConfig } from './tls-context.js';
export { redirectRefusal } from './redirect.js';
export { checkedHeaders, type BasicCredentials } from './request-head.js';
