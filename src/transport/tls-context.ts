/**
 * The TLS context of a client, built once and shared by all its connections. Extra CA certificates are
 * trusted besides Node's bundled ones: Node's `ca` option *replaces* that list (got passed it straight
 * through), which would break every public mirror as soon as a private one's CA is configured. As with
 * any explicit `ca` in Node, NODE_EXTRA_CA_CERTS does not apply on top of it.
 */
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/** TLS settings for https origins (PEM text or buffers). */
export interface TlsConfig {
  /** CA certificates to trust besides Node's. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Client certificate, for servers that require one; needs `key`. */
  readonly cert?: string | Buffer;
  /** The client certificate's private key. */
  readonly key?: string | Buffer;
}

export function secureContext(tls: TlsConfig | undefined): SecureContext {
  const extra = tls?.ca === undefined ? [] : typeof tls.ca === 'string' || Buffer.isBuffer(tls.ca) ? [tls.ca] : [...tls.ca];
  return createSecureContext({
    ...(extra.length > 0 && { ca: [...rootCertificates, ...extra] }),
    ...(tls?.cert !== undefined && { cert: tls.cert }),
    ...(tls?.key !== undefined && { key: tls.key }),
  });
}
