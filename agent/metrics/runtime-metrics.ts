import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import { packageVersion } from '../package-version.js';

/** Prefix of every series the agent exports. */
export const METRICS_PREFIX = 'pod_identity_';

/**
 * Adds to `registry` what a dashboard needs besides the agent's own series:
 * `pod_identity_build_info{version,node_version}` (always 1) and prom-client's default process and
 * Node.js runtime collectors (CPU, resident memory, heap, event-loop lag, GC, start time) under
 * the `pod_identity_` prefix. Call it once per registry: prom-client refuses a name registered twice.
 */
export function registerRuntimeMetrics(registry: Registry, version: string = packageVersion()): void {
  const buildInfo = new Gauge({
    name: `${METRICS_PREFIX}build_info`,
    help: 'Always 1; the labels say which agent and Node.js versions run.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  buildInfo.set({ version, node_version: process.versions.node }, 1);
  collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });
}
