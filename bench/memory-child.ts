/**
 * Child process of the memory benchmark (run with --expose-gc). It loads what the agent's `server`
 * loads for a JWKS file (the app, the real verifier and cache, pino, prom-client) and nothing of the
 * benchmark's own: the parent mints the tokens and sends them over IPC, so no signing key, jose
 * signer or test helper lives here. Each token is served once through the credentials route
 * (`inject`, info-level log to a sink): verifier memo, cache entry, response body and audit-line
 * fragments are all in the figures. The upstream is a stand-in returning fresh credentials at once.
 *
 * Protocol: the parent sends `init`, then `serve` batches, then `sample`; each is answered with one
 * message; `exit` ends the child.
 */
import { randomBytes } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { Registry } from 'prom-client';
import { createApp } from '../agent/app.js';
import { createJwtVerifier } from '../agent/auth/jwt-verifier.js';
import { createKeySet } from '../agent/auth/key-set.js';
import { createCredentialCache } from '../agent/cache/create-credential-cache.js';
import { systemClock } from '../agent/clock.js';
import { parseConfig, type ServerConfig } from '../agent/config/parse-config.js';
import { createLogger } from '../agent/log/logger.js';
import { createMetrics } from '../agent/metrics/metrics.js';

/** What the parent sends. */
export type MemoryRequest =
  | {
      readonly kind: 'init';
      readonly jwks: JSONWebKeySet;
      readonly jwksFile: string;
      readonly issuer: string;
      readonly audience: string;
      readonly maxEntries: number;
      readonly sessionTokenBytes: number;
    }
  | { readonly kind: 'serve'; readonly tokens: readonly string[] }
  | { readonly kind: 'sample' }
  | { readonly kind: 'exit' };

/** Heap and RSS after two full GCs, bytes. */
export interface MemorySample {
  readonly identities: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly rss: number;
  readonly external: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const send = (message: unknown) => process.send?.(message);

type App = ReturnType<typeof createApp>;
let app: App | undefined;
let cache: ReturnType<typeof createCredentialCache> | undefined;

async function init(request: Extract<MemoryRequest, { kind: 'init' }>): Promise<void> {
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
      request.issuer,
      '--jwks-file',
      request.jwksFile,
    ],
    {},
  ) as ServerConfig;
  const metrics = createMetrics(new Registry());
  const keySet = createKeySet({
    fetcher: async () => ({ document: request.jwks }),
    clock: systemClock,
    metrics,
    refreshIntervalMs: 0,
  });
  await keySet.load();
  const verifier = createJwtVerifier({
    keySet,
    issuer: request.issuer,
    audience: request.audience,
    clock: systemClock,
    metrics,
  });
  cache = createCredentialCache({
    exchanger: {
      api: 'AssumeRoleForPodIdentity',
      exchange: async () => ({
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(request.sessionTokenBytes).toString('base64'),
        accountId: '123456789012',
        roleArn: 'arn:aws:iam::123456789012:role/bench-role',
        expiration: Date.now() + 6 * 3600_000,
      }),
    },
    clock: systemClock,
    metrics,
    maxEntries: request.maxEntries,
  });
  // Info level as the agent runs by default: each issuance writes its audit line (to a sink here).
  const logger = createLogger('info', { write: () => undefined });
  app = createApp(config, { verifier, cache, metrics, logger });
  await app.credentials.ready();
}

async function serve(tokens: readonly string[]): Promise<void> {
  const credentials = app?.credentials;
  if (credentials === undefined) throw new Error('serve before init');
  await Promise.all(
    tokens.map(async (token) => {
      const response = await credentials.inject({
        method: 'GET',
        url: '/v1/credentials',
        headers: { host: '127.0.0.1', authorization: token },
      });
      if (response.statusCode !== 200) throw new Error(`the agent answered ${response.statusCode}`);
    }),
  );
}

function sample(): MemorySample {
  gc?.();
  gc?.();
  const { heapUsed, heapTotal, rss, external } = process.memoryUsage();
  return { identities: cache?.size ?? 0, heapUsed, heapTotal, rss, external };
}

process.on('message', (message: MemoryRequest) => {
  const answer = async (): Promise<unknown> => {
    switch (message.kind) {
      case 'init':
        await init(message);
        return sample();
      case 'serve':
        await serve(message.tokens);
        return { served: message.tokens.length };
      case 'sample':
        return sample();
      case 'exit':
        cache?.close();
        process.exit(0);
    }
  };
  answer().then(send, (error: unknown) => {
    process.stderr.write(`memory child: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
});
send({ ready: true });
