import { Gauge, type Registry } from 'prom-client';
import eventLoopLag from 'prom-client/lib/metrics/eventLoopLag.js';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processHandles from 'prom-client/lib/metrics/processHandles.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processRequests from 'prom-client/lib/metrics/processRequests.js';
import processResources from 'prom-client/lib/metrics/processResources.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import version from 'prom-client/lib/metrics/version.js';
import { packageVersion } from '../package-version.js';

/** Prefix of every series the agent exports. */
export const METRICS_PREFIX = 'pod_identity_';

/**
 * prom-client's default collectors (`collectDefaultMetrics`) but its `gc` one, whose `gc`
 * PerformanceObserver makes Node build an entry and call into JavaScript after every collection:
 * 35–130 µs per scavenge in a loop that only allocates, about 0.7 µs of every cache hit's CPU
 * (docs/performance.md). Event-loop lag still shows the pauses that delay answers.
 */
const COLLECTORS = [
  processCpuTotal,
  processStartTime,
  osMemoryHeap,
  processOpenFileDescriptors,
  processMaxFileDescriptors,
  eventLoopLag,
  processResources,
  processHandles,
  processRequests,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  version,
] as const;

/**
 * Adds to `registry` what a dashboard needs besides the agent's own series:
 * `pod_identity_build_info{version,node_version}` (always 1) and prom-client's default process and
 * Node.js runtime collectors but GC durations ({@link COLLECTORS}: CPU, resident memory, heap,
 * event-loop lag, start time) under the `pod_identity_` prefix. Call it once per registry:
 * prom-client refuses a name registered twice.
 */
export function registerRuntimeMetrics(registry: Registry, version: string = packageVersion()): void {
  const buildInfo = new Gauge({
    name: `${METRICS_PREFIX}build_info`,
    help: 'Always 1; the labels say which agent and Node.js versions run.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  buildInfo.set({ version, node_version: process.versions.node }, 1);
  // The event-loop delay sampled every 10 ms, as `collectDefaultMetrics` does.
  const config = { prefix: METRICS_PREFIX, eventLoopMonitoringPrecision: 10 };
  for (const collector of COLLECTORS) collector(registry, config);
}
