import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../agent/metrics/metrics.js';
import { registerRuntimeMetrics } from '../../agent/metrics/runtime-metrics.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Names of the series families in a registry's text output (`# TYPE <name> <type>`). */
async function families(registry: Registry): Promise<Map<string, string>> {
  const text = await registry.metrics();
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

describe('registerRuntimeMetrics', () => {
  it('exports build_info with the package and Node.js versions, set to 1', async () => {
    const registry = new Registry();
    registerRuntimeMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain(
      `pod_identity_build_info{version="${VERSION}",node_version="${process.versions.node}"} 1\n`,
    );
  });

  it('adds the process and runtime collectors under the agent prefix, next to the agent series', async () => {
    const registry = new Registry();
    createMetrics(registry);
    registerRuntimeMetrics(registry, '9.9.9');
    const found = await families(registry);
    for (const name of [
      'pod_identity_process_cpu_seconds_total',
      'pod_identity_process_resident_memory_bytes',
      'pod_identity_process_start_time_seconds',
      'pod_identity_nodejs_heap_size_used_bytes',
      'pod_identity_nodejs_eventloop_lag_p99_seconds',
      'pod_identity_requests_total',
    ])
      expect(found.has(name), name).toBe(true);
    expect([...found.keys()].filter((name) => !name.startsWith('pod_identity_'))).toEqual([]);
    expect(await registry.metrics()).toContain('pod_identity_build_info{version="9.9.9"');
  });

  it("exports every series of prom-client's defaults but the GC durations, so an upgrade that adds one is seen", async () => {
    const ours = new Registry();
    registerRuntimeMetrics(ours, '9.9.9');
    const defaults = new Registry();
    collectDefaultMetrics({ register: defaults, prefix: 'pod_identity_' });
    const expected = [...(await families(defaults))].filter(
      ([name]) => name !== 'pod_identity_nodejs_gc_duration_seconds',
    );
    const found = await families(ours);
    found.delete('pod_identity_build_info');
    expect([...found].sort()).toEqual(expected.sort());
    expect(found.has('pod_identity_nodejs_gc_duration_seconds')).toBe(false);
    // The event-loop delay is sampled: after a busy moment it reads above 0.
    const end = Date.now() + 30;
    while (Date.now() < end);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await ours.metrics()).toMatch(
      /^pod_identity_nodejs_eventloop_lag_max_seconds [1-9]|^pod_identity_nodejs_eventloop_lag_max_seconds 0\.0*[1-9]/m,
    );
  });

  it('keeps every registry separate: two agents in one process do not share series', async () => {
    const first = new Registry();
    const second = new Registry();
    registerRuntimeMetrics(first, '1.0.0');
    registerRuntimeMetrics(second, '2.0.0');
    expect(await first.metrics()).not.toContain('version="2.0.0"');
    expect(await second.metrics()).toContain('version="2.0.0"');
  });
});
