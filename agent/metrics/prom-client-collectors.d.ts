// prom-client's default collectors, one module each (prom-client 15 has no exports map, so they can be
// imported one by one); each registers its series on `registry`, like `collectDefaultMetrics`.
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client';

  const collector: (
    registry: Registry,
    config: { readonly prefix?: string; readonly eventLoopMonitoringPrecision?: number },
  ) => void;
  // biome-ignore lint/style/noDefaultExport: the CommonJS module's one export, seen from ESM as its default
  export default collector;
}
