/**
 * The connection agents of a Downloader: keep-alive agents for direct connections, and per proxy the
 * agents that go through it. A plain-http request goes to an HTTP proxy in absolute form (`GET
 * http://host/path`), as proxies expect and as squid allows by default; an https request is tunnelled
 * with CONNECT (hpagent) so that TLS runs end to end with the mirror. Which pair a request uses is decided
 * per URL (NO_PROXY), again after each redirect.
 */
import { Agent as HttpAgent, type AgentOptions, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpsProxyAgent } from 'hpagent';
import { proxyFor, type ProxyConfig } from './proxy.js';

/** The agents got chooses from by scheme. */
export interface AgentPair {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Basic credentials of a proxy URL, for Proxy-Authorization. */
function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
}

/** Sends plain-http requests to a forward proxy in absolute form, over kept-alive proxy connections. */
class ForwardingAgent extends HttpAgent {
  constructor(
    private readonly proxy: URL,
    options: AgentOptions,
  ) {
    super(options);
  }

  /** Node's internal hook between a request and its socket; the request line is not written yet. */
  addRequest(req: ClientRequest, options: { host?: string; port?: number | string; [key: string]: unknown }): void {
    const port = options.port !== undefined && String(options.port) !== '80' ? `:${options.port}` : '';
    req.path = `http://${options.host}${port}${req.path}`;
    const auth = proxyAuthorization(this.proxy);
    if (auth) req.setHeader('proxy-authorization', auth);
    const proxyPort = this.proxy.port || (this.proxy.protocol === 'https:' ? '443' : '80');
    (HttpAgent.prototype as unknown as { addRequest: (r: ClientRequest, o: object) => void }).addRequest.call(this, req, { ...options, host: this.proxy.hostname, port: Number(proxyPort) });
  }
}

export class NetworkAgents {
  private readonly direct: AgentPair = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  private readonly forwarding = new Map<string, HttpAgent>();
  private readonly tunnels = new Map<string, HttpsAgent>();

  constructor(readonly proxy: ProxyConfig) {}

  /** The agents for a request to `url`, and the proxy it goes through (if any). */
  for(url: URL): { agents: AgentPair; proxy: URL | undefined } {
    const proxy = proxyFor(this.proxy, url);
    if (!proxy) return { agents: this.direct, proxy: undefined };
    const key = proxy.href;
    const agents: AgentPair = { ...this.direct };
    if (url.protocol === 'http:') {
      let agent = this.forwarding.get(key);
      if (!agent) this.forwarding.set(key, (agent = new ForwardingAgent(proxy, { keepAlive: true })));
      agents.http = agent;
    } else {
      let agent = this.tunnels.get(key);
      if (!agent) this.tunnels.set(key, (agent = new HttpsProxyAgent({ proxy, keepAlive: true })));
      agents.https = agent;
    }
    return { agents, proxy };
  }

  /** Closes every kept-alive connection. */
  destroy(): void {
    this.direct.http.destroy();
    this.direct.https.destroy();
    for (const a of this.forwarding.values()) a.destroy();
    for (const a of this.tunnels.values()) a.destroy();
  }
}
