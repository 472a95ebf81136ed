/**
 * Forward proxies: which proxy, if any, a request goes through. From the `proxy` option, or else from
 * the environment as curl reads it: `https_proxy` / `HTTPS_PROXY` for https URLs, `http_proxy` /
 * `HTTP_PROXY` for http URLs, `all_proxy` / `ALL_PROXY` for both, and `no_proxy` / `NO_PROXY` for the
 * hosts that are reached directly. Lower case wins where both are set.
 */
import { InvalidOptionError } from '../errors.js';
import { redactText, redactUrl } from './redact.js';

/**
 * The `proxy` option: one proxy URL for every request; per scheme, with the hosts to reach directly
 * (NO_PROXY's syntax); or `false` to ignore the environment and connect directly.
 */
export type ProxyOption =
  | string
  | {
      /** Proxy URL for `http://` requests (a bare `host:port` means `http://host:port`); absent: direct. */
      http?: string;
      /** Proxy URL for `https://` requests (a bare `host:port` means `http://host:port`); absent: direct. */
      https?: string;
      /** Hosts to reach directly, comma- or space-separated, in NO_PROXY's syntax. */
      noProxy?: string;
    }
  | false;

/** A resolved proxy configuration. */
export interface ProxyConfig {
  readonly http?: URL;
  readonly https?: URL;
  /** NO_PROXY entries: `*`, a host (and its subdomains), `.domain`, an IP, each optionally `:port`. */
  readonly noProxy: readonly { host: string; port?: string }[];
}

function proxyUrl(value: string, where: string): URL {
  let url: URL;
  try {
    // curl accepts a bare host:port as http://host:port.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new InvalidOptionError(`${where} "${redactText(value)}" is not a proxy URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidOptionError(`${where} "${redactUrl(url)}": only http:// and https:// proxies are supported`);
  try {
    // The credentials are sent decoded (agents.ts): a malformed escape is the user's to fix now.
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new InvalidOptionError(`${where} "${redactUrl(url)}": the credentials have a malformed percent-escape`);
  }
  return url;
}

function parseNoProxy(value: string | undefined): ProxyConfig['noProxy'] {
  if (!value) return [];
  return value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim().toLowerCase());
      const host = (m?.[1] ?? entry).replace(/^\*?\./, '.');
      return m?.[2] ? { host, port: m[2] } : { host };
    });
}

function env(environment: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = environment[name.toLowerCase()] ?? environment[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The proxy configuration from the option, or the environment when the option is absent. */
export function resolveProxy(option: ProxyOption | undefined, environment: NodeJS.ProcessEnv = process.env): ProxyConfig {
  if (option === false) return { noProxy: [] };
  if (typeof option === 'string') {
    const url = proxyUrl(option, 'proxy');
    return { http: url, https: url, noProxy: [] };
  }
  if (option !== undefined) {
    return {
      ...(option.http !== undefined && { http: proxyUrl(option.http, 'proxy.http') }),
      ...(option.https !== undefined && { https: proxyUrl(option.https, 'proxy.https') }),
      noProxy: parseNoProxy(option.noProxy),
    };
  }
  const all = env(environment, 'all_proxy');
  const http = env(environment, 'http_proxy') ?? all;
  const https = env(environment, 'https_proxy') ?? all;
  return {
    ...(http !== undefined && { http: proxyUrl(http, 'http_proxy') }),
    ...(https !== undefined && { https: proxyUrl(https, 'https_proxy') }),
    noProxy: parseNoProxy(env(environment, 'no_proxy')),
  };
}

/** The proxy for a request to `url`, or undefined to connect directly. */
export function proxyFor(config: ProxyConfig, url: URL): URL | undefined {
  const proxy = url.protocol === 'https:' ? config.https : url.protocol === 'http:' ? config.http : undefined;
  if (!proxy) return undefined;
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const rule of config.noProxy) {
    if (rule.port !== undefined && rule.port !== port) continue;
    if (rule.host === '*') return undefined;
    if (rule.host.startsWith('.') ? host.endsWith(rule.host) || host === rule.host.slice(1) : host === rule.host || host.endsWith(`.${rule.host}`)) return undefined;
  }
  return proxy;
}
