/**
 * `npm run stand-ins [-- --dir DIR --port PORT]`: what the README's agent command talks to, on one
 * machine, without AWS. Starts the EKS Auth stand-in on 127.0.0.1:PORT (default 9000; cluster `demo`,
 * region `us-east-1`, association `default/s3-access-sa`, credentials it invents), writes the
 * cluster's key set to DIR/keys.json and a pod token for that service account to DIR/pod-token
 * (DIR default `.stand-ins`), prints one line once ready, and on SIGTERM or SIGINT stops and removes DIR.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createClusterKeys } from '../test-support/cluster-keys.js';
import { startEksAuthService } from '../test-support/eks-auth-service.js';
import { NODE_CREDENTIALS } from '../test-support/story.js';

const ISSUER = 'https://issuer.example';
const { values } = parseArgs({
  options: { dir: { type: 'string', default: '.stand-ins' }, port: { type: 'string', default: '9000' } },
});
const dir = resolve(values.dir);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: npm run stand-ins -- [--dir DIR] [--port PORT]\n');
  process.exit(2);
}

const keys = await createClusterKeys({ alg: 'ES256', kid: 'stand-ins' });
const service = await startEksAuthService({
  port,
  jwks: keys.jwks,
  issuer: ISSUER,
  clusterName: 'demo',
  region: 'us-east-1',
  associations: [
    {
      namespace: 'default',
      serviceAccount: 's3-access-sa',
      roleArn: 'arn:aws:iam::123456789012:role/S3AccessRole',
    },
  ],
  nodeCredentials: NODE_CREDENTIALS,
  mint: 'local',
});
await mkdir(dir, { recursive: true });
await keys.writeJwksFile(dir);
const token = await keys.mintToken({
  issuer: ISSUER,
  audience: 'pods.eks.amazonaws.com',
  namespace: 'default',
  serviceAccount: 's3-access-sa',
  podName: 's3-access-pod',
});
await writeFile(join(dir, 'pod-token'), token, { mode: 0o600 });
// The key set is written as jwks.json; the README names keys.json.
await writeFile(join(dir, 'keys.json'), JSON.stringify(keys.jwks));
await rm(join(dir, 'jwks.json'), { force: true });
process.stdout.write(
  `stand-ins ready: EKS Auth ${service.endpoint} (cluster demo, node key ${NODE_CREDENTIALS.accessKeyId}), ` +
    `${join(dir, 'keys.json')}, ${join(dir, 'pod-token')}\n`,
);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await service.stop();
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
