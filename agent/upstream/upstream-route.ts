import { readFileSync } from 'node:fs';
import type { UpstreamNetwork } from '../config/upstream-env.js';
import type { UpstreamRoute } from './upstream-agents.js';

/**
 * The route of the agent's own upstream calls from its configuration: the proxies and `NO_PROXY`
 * as parsed, and the `AWS_CA_BUNDLE` file's PEM text (read once, at start).
 */
export function upstreamRoute(network: UpstreamNetwork): UpstreamRoute {
  return {
    httpsProxy: network.httpsProxy,
    httpProxy: network.httpProxy,
    noProxy: network.noProxy,
    ca: network.caBundleFile === undefined ? undefined : readFileSync(network.caBundleFile, 'utf8'),
  };
}
