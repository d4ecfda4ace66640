/**
 * `npm run control-plane -- --dir DIR`: builds kube-apiserver and etcd if needed, starts them on
 * loopback, writes DIR/kubeconfig (admin, client certificate), DIR/ca.crt and DIR/issuer, prints one
 * line once /readyz answers, and on SIGTERM or SIGINT stops both and removes what it wrote.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILD_SCRIPT, controlPlaneBinaries } from '../test-support/control-plane/binaries.js';
import { startControlPlane } from '../test-support/control-plane.js';

const { values } = parseArgs({ options: { dir: { type: 'string' } } });
if (values.dir === undefined) {
  process.stderr.write('usage: npm run control-plane -- --dir DIR\n');
  process.exit(2);
}
const dir = resolve(values.dir);
// Build output goes to stderr: stdout carries only the ready line.
const build = spawnSync('bash', [BUILD_SCRIPT], { stdio: ['ignore', 2, 2] });
if (build.status !== 0) {
  process.stderr.write(`${BUILD_SCRIPT} failed (exit ${build.status})\n`);
  process.exit(1);
}
await mkdir(dir, { recursive: true });
const started = Date.now();
const plane = await startControlPlane({ dir: join(dir, 'data') });
const written = { kubeconfig: join(dir, 'kubeconfig'), ca: join(dir, 'ca.crt'), issuer: join(dir, 'issuer') };
await copyFile(plane.kubeconfig, written.kubeconfig);
await copyFile(plane.caFile, written.ca);
await writeFile(written.issuer, plane.issuer);
const bin = controlPlaneBinaries();
process.stdout.write(
  `control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${plane.server} ` +
    `(kube-apiserver ${bin.kubernetesVersion}, etcd ${bin.etcdVersion}), kubeconfig ${written.kubeconfig}\n`,
);

// The two processes are detached and unreferenced: this timer keeps the foreground alive until a signal.
const keepAlive = setInterval(() => {}, 1 << 30);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(keepAlive);
  await plane.stop();
  await Promise.all(Object.values(written).map((file) => rm(file, { force: true })));
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
