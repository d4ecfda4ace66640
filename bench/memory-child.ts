/**
 * Child process of the memory benchmark (run with --expose-gc): builds the agent's app with the real
 * verifier over a test key set and the real cache, then fills it with distinct identities through
 * the same calls a request makes (verify, then cache get), and reports heap and RSS after a full GC.
 */
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { createApp } from '../agent/app.js';
import { createJwtVerifier } from '../agent/auth/jwt-verifier.js';
import { createKeySet } from '../agent/auth/key-set.js';
import { createCredentialCache } from '../agent/cache/create-credential-cache.js';
import { systemClock } from '../agent/clock.js';
import { parseConfig, type ServerConfig } from '../agent/config/parse-config.js';
import { createLogger } from '../agent/log/logger.js';
import { createMetrics } from '../agent/metrics/metrics.js';
import { toCredentialsResponse } from '../agent/routes/credentials-body.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, createBenchCluster } from './cluster.js';
import { SESSION_TOKEN_BYTES } from './instant-upstream.js';

const steps = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function sample(identities: number): { identities: number; heapUsed: number; rss: number; external: number } {
  gc?.();
  gc?.();
  const { heapUsed, rss, external } = process.memoryUsage();
  return { identities, heapUsed, rss, external };
}

// ES256 keys: signing 50,000 RS256 tokens would take minutes; ES256 tokens are ~250 bytes shorter.
const cluster = await createBenchCluster('ES256');
const config = parseConfig(
  [
    'server',
    '--bind-hosts',
    '127.0.0.1',
    '--cluster-name',
    'bench',
    '--region',
    'us-east-1',
    '--issuer',
    BENCH_ISSUER,
    '--jwks-file',
    cluster.jwksFile,
  ],
  {},
) as ServerConfig;
const metrics = createMetrics(new Registry());
const keySet = createKeySet({
  fetcher: async () => ({ document: cluster.keys.jwks }),
  clock: systemClock,
  metrics,
  refreshIntervalMs: 0,
});
await keySet.load();
const verifier = createJwtVerifier({
  keySet,
  issuer: BENCH_ISSUER,
  audience: BENCH_AUDIENCE,
  clock: systemClock,
  metrics,
});
const cache = createCredentialCache({
  exchanger: {
    api: 'AssumeRoleForPodIdentity',
    exchange: async () => ({
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(SESSION_TOKEN_BYTES).toString('base64'),
      accountId: '123456789012',
      roleArn: 'arn:aws:iam::123456789012:role/bench-role',
      expiration: Date.now() + 6 * 3600_000,
    }),
  },
  clock: systemClock,
  metrics,
  maxEntries: Math.max(...steps, 1),
});
const app = createApp(config, { verifier, cache, metrics, logger: createLogger('silent') });
await app.credentials.ready();

const samples = [sample(0)];
let filled = 0;
let tokenChars = 0;
for (const target of steps) {
  while (filled < target) {
    const batch = Math.min(200, target - filled);
    const tokens = await Promise.all(
      Array.from({ length: batch }, (_, i) => cluster.token(`mem-pod-${filled + i}`)),
    );
    for (const token of tokens) {
      tokenChars = token.length;
      // Served once, as a request would: the response body is built and kept with the credentials.
      toCredentialsResponse((await cache.get(await verifier.verify(token))).credentials);
    }
    filled += batch;
  }
  samples.push(sample(cache.size));
}
process.send?.({ samples, tokenChars });
cache.close();
await cluster.cleanup();
process.exit(0);
