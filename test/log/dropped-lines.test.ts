import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDroppedLinesReport, DROPPED_LINES_MESSAGE } from '../../agent/log/dropped-lines.js';
import { createMetrics } from '../../agent/metrics/metrics.js';
import { captureLogger } from '../fakes/log-capture.js';

describe('createDroppedLinesReport', () => {
  it('counts every dropped line in the metric and warns about the first drop only', async () => {
    const metrics = createMetrics(new Registry());
    const log = captureLogger('info');
    const report = createDroppedLinesReport(log.logger, metrics.logLinesDropped);
    report(3);
    report(5);
    const counted = await metrics.registry.getSingleMetricAsString('pod_identity_log_lines_dropped_total');
    expect(counted).toMatch(/^pod_identity_log_lines_dropped_total 8$/m);
    expect(log.records()).toEqual([
      expect.objectContaining({
        level: 'warn',
        dropped: 3,
        msg: expect.stringContaining(DROPPED_LINES_MESSAGE),
      }),
    ]);
  });
});
