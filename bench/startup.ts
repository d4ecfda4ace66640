import { spawnSync } from 'node:child_process';
import { launchAgent } from './agent-launch.js';
import { agentArgs, createBenchCluster } from './cluster.js';
import { atMost, type Figure, figure, type Scenario } from './report.js';
import { startupRuns } from './settings.js';
import { median } from './stats.js';

const NAME = 'startup';

/**
 * Start-up: spawn of the built agent to its first `/readyz` 200, with a JWKS file and
 * the EKS Auth exchange (no upstream call is made before ready). Median of several runs, with bare
 * `node -e 0` as the floor this machine imposes.
 */
async function run(): Promise<Figure[]> {
  const cluster = await createBenchCluster();
  const args = agentArgs('http://127.0.0.1:9', cluster.jwksFile);
  const times: number[] = [];
  const floors: number[] = [];
  const fastifyFloors: number[] = [];
  try {
    for (let i = 0; i < startupRuns(); i++) {
      const started = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0']);
      floors.push(Number(process.hrtime.bigint() - started) / 1e6);
      const fastifyStarted = process.hrtime.bigint();
      spawnSync(process.execPath, ['--input-type=module', '-e', "await import('fastify')"]);
      fastifyFloors.push(Number(process.hrtime.bigint() - fastifyStarted) / 1e6);
      const agent = await launchAgent({ args });
      times.push(agent.readyMs);
      await agent.stop();
    }
  } finally {
    await cluster.cleanup();
  }
  return [
    figure(NAME, 'spawn to /readyz 200 (median)', median(times), 'ms', atMost(500, ' ms')),
    figure(NAME, 'spawn to /readyz 200 (max)', Math.max(...times), 'ms'),
    figure(NAME, 'bare `node -e 0` (median)', median(floors), 'ms'),
    figure(NAME, 'node importing fastify alone (median)', median(fastifyFloors), 'ms'),
  ];
}

/** Scenario 6 of `npm run bench` (docs/performance.md). */
export const startup: Scenario = { name: NAME, title: 'start-up to ready', run };
