/**
 * How a URL is reached: directly, through a forward proxy in absolute form (plain http), or through a
 * CONNECT tunnel (https). Decided per URL by proxyFor (NO_PROXY), so again after every redirect. The
 * route's key names the connections that may serve it: idle ones are reused only on the same key.
 */
import { proxyFor, type ProxyConfig } from './proxy.js';
import { authority } from './request-head.js';

export interface Route {
  /** Pool key: origin, and the proxy (credentials included: they make it another proxy). */
  readonly key: string;
  /** Any URL of the origin (scheme, host, port are what count). */
  readonly origin: URL;
  readonly proxy: URL | undefined;
  /** https through the proxy: TLS end to end with the origin inside a CONNECT tunnel. */
  readonly tunnel: boolean;
  /** For messages: `host:port`, and the proxy it goes through, without credentials. */
  readonly where: string;
}

export function routeFor(url: URL, config: ProxyConfig): Route {
  const proxy = proxyFor(config, url);
  const origin = `${url.protocol}//${authority(url)}`;
  return {
    key: proxy ? `${origin} via ${proxy.href}` : origin,
    origin: url,
    proxy,
    tunnel: proxy !== undefined && url.protocol === 'https:',
    where: `${authority(url)}${proxy ? ` ${viaProxy(proxy)}` : ''}`,
  };
}

/** "via proxy host:port", as every failure that may be the proxy's says. */
export function viaProxy(proxy: URL): string {
  return `via proxy ${authority(proxy)}`;
}
