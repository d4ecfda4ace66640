import * as http from 'node:http';
import * as https from 'node:https';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { bypassesProxy } from './no-proxy.js';

/** Where the agent's own upstream calls go: proxies, the hosts that bypass them, trusted CAs. */
export interface UpstreamRoute {
  readonly httpsProxy?: URL | undefined;
  readonly httpProxy?: URL | undefined;
  /** `NO_PROXY` entries (see `bypassesProxy`). */
  readonly noProxy?: readonly string[] | undefined;
  /** PEM text trusted for `https://` upstreams instead of the system roots (`AWS_CA_BUNDLE`). */
  readonly ca?: string | undefined;
}

/** Keep-alive agents for one kind of upstream call, one per route (direct or proxied, http or https). */
export interface UpstreamAgents {
  /** The agent for a request to `url`: through the proxy of its scheme unless `NO_PROXY` matches. */
  agentFor(url: URL): http.Agent;
  /** Whether a request to `url` goes through a proxy (for logs). */
  proxied(url: URL): boolean;
  /** Closes every pooled connection. */
  destroy(): void;
}

/** Options of {@link createUpstreamAgents}. */
export interface UpstreamAgentOptions {
  /** Most sockets per agent. Default Infinity (node's). */
  readonly maxSockets?: number | undefined;
}

/**
 * Builds the agents of `route`, lazily. A proxied request is tunnelled with HTTP CONNECT through the
 * proxy (for `http://` targets too), so the proxy never sees the signed request or its answer; the
 * tunnel is kept alive and reused like a direct connection.
 */
export function createUpstreamAgents(
  route: UpstreamRoute,
  options: UpstreamAgentOptions = {},
): UpstreamAgents {
  const common = {
    keepAlive: true,
    scheduling: 'lifo' as const,
    ...(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets }),
  };
  const tls = route.ca === undefined ? {} : { ca: route.ca };
  const made = new Map<string, http.Agent>();
  const once = (key: string, make: () => http.Agent): http.Agent => {
    let agent = made.get(key);
    if (agent === undefined) {
      agent = make();
      made.set(key, agent);
    }
    return agent;
  };
  const proxyOf = (url: URL): URL | undefined => {
    const proxy = url.protocol === 'https:' ? route.httpsProxy : route.httpProxy;
    return proxy === undefined || bypassesProxy(url, route.noProxy ?? []) ? undefined : proxy;
  };
  return {
    agentFor(url) {
      const secure = url.protocol === 'https:';
      const proxy = proxyOf(url);
      if (proxy === undefined)
        return secure
          ? once('https', () => new https.Agent({ ...common, ...tls }))
          : once('http', () => new http.Agent(common));
      return secure
        ? once(`https via ${proxy.href}`, () => new HttpsProxyAgent({ ...common, ...tls, proxy }))
        : once(`http via ${proxy.href}`, () => new HttpProxyAgent({ ...common, proxy }));
    },
    proxied: (url) => proxyOf(url) !== undefined,
    destroy() {
      for (const agent of made.values()) agent.destroy();
      made.clear();
    },
  };
}
