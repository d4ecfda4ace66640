/**
 * A pod flood: many distinct, well-signed tokens for pods that do not exist, sent
 * through the real credentials app with the real JWT verifier and the informer pod check (no pod on
 * the node; TokenReview says no). Counts upstream exchanges and TokenReviews and reports the bounded
 * memo sizes. Shared by the flood test and `bench/pod-flood.ts`.
 */
import { createLocalJWKSet } from 'jose';
import { Registry } from 'prom-client';
import { type Agent, createApp } from '../agent/app.js';
import { createJwtVerifier } from '../agent/auth/jwt-verifier.js';
import { createCredentialCache } from '../agent/cache/create-credential-cache.js';
import type { CredentialCache } from '../agent/cache/credential-cache.js';
import { parseConfig, type ServerConfig } from '../agent/config/parse-config.js';
import type { CredentialExchanger, RoleCredentials } from '../agent/exchange/credential-exchanger.js';
import { createLogger } from '../agent/log/logger.js';
import { createMetrics } from '../agent/metrics/metrics.js';
import { createInformerPodChecker } from '../agent/pods/informer-pod-checker.js';
import type { TokenReviewer } from '../agent/pods/pod-checker.js';
import { createPodStore } from '../agent/pods/pod-store.js';
import { createReviewMemo, type ReviewMemo } from '../agent/pods/review-memo.js';
import { createClusterKeys } from './cluster-keys.js';

const ISSUER = 'https://issuer.flood.example';
const AUDIENCE = 'pods.eks.amazonaws.com';
const HOST = '127.0.0.1:8080';

/** Bounds used by the flood (the agent's defaults are 10,000 each). */
export interface FloodBounds {
  /** Verified tokens memoized by the JWT verifier. */
  readonly verifierMemo: number;
  /** TokenReview answers remembered. */
  readonly reviewMemo: number;
  /** Identities in the credential cache. */
  readonly cacheEntries: number;
}

/** What a flood did. */
export interface FloodResult {
  readonly requests: number;
  /** Answers by HTTP status. */
  readonly statuses: Readonly<Record<number, number>>;
  /** Credential exchanges (EKS Auth or STS calls): must be 0. */
  readonly upstreamCalls: number;
  readonly tokenReviews: number;
  readonly reviewMemoSize: number;
  readonly cacheSize: number;
}

/** A prepared flood: tokens minted, app built. */
export interface Flood {
  /** Sends every token once, `concurrency` at a time. */
  run(concurrency?: number): Promise<FloodResult>;
  close(): Promise<void>;
}

/** Mints `count` tokens of distinct, never-created pods and builds the app that will receive them. */
export async function prepareFlood(count: number, bounds: FloodBounds): Promise<Flood> {
  const keys = await createClusterKeys({ alg: 'ES256', kid: 'flood-key' });
  const now = Date.now();
  const tokens: string[] = [];
  for (let i = 0; i < count; i++)
    tokens.push(
      await keys.mintToken({
        issuer: ISSUER,
        audience: AUDIENCE,
        namespace: 'default',
        serviceAccount: 'app',
        podName: `ghost-${i}`,
        nodeName: 'n1',
        now,
      }),
    );
  const config: ServerConfig = (() => {
    const parsed = parseConfig(
      [
        'server',
        '--bind-hosts',
        '127.0.0.1',
        '--port',
        '8080',
        '--cluster-name',
        'flood',
        '--region',
        'us-east-1',
      ],
      {},
    );
    if (parsed.command !== 'server') throw new Error('expected a server config');
    return parsed;
  })();
  const clock = { now: () => now };
  const metrics = createMetrics(new Registry());
  const logger = createLogger('silent');
  let upstreamCalls = 0;
  const exchanger: CredentialExchanger = {
    api: 'FloodExchange',
    async exchange(): Promise<RoleCredentials> {
      upstreamCalls++;
      throw new Error('a flood token reached the credential service');
    },
  };
  const cache: CredentialCache = createCredentialCache({
    exchanger,
    clock,
    metrics,
    maxEntries: bounds.cacheEntries,
    logger,
  });
  let tokenReviews = 0;
  const reviewer: TokenReviewer = {
    async review() {
      tokenReviews++;
      return { authenticated: false };
    },
  };
  const reviews: ReviewMemo = createReviewMemo({ reviewer, clock, maxEntries: bounds.reviewMemo });
  const checker = createInformerPodChecker({
    store: createPodStore(),
    informer: { isSynced: () => true, stop: async () => {} },
    reviews,
    metrics,
    requirePodIp: false,
  });
  const getKey = createLocalJWKSet(keys.jwks);
  const jwt = createJwtVerifier({
    keySet: { getKey, isLoaded: () => true, issuer: () => ISSUER, generation: () => 1 },
    issuer: ISSUER,
    audience: AUDIENCE,
    clock,
    metrics,
    nodeName: 'n1',
    memoSize: bounds.verifierMemo,
  });
  const agent: Agent = createApp(config, {
    verifier: jwt,
    podCheck: checker,
    cache,
    metrics,
    logger,
  });
  await agent.credentials.ready();

  return {
    async run(concurrency = 16) {
      const statuses: Record<number, number> = {};
      let next = 0;
      const worker = async () => {
        while (next < tokens.length) {
          const token = tokens[next++] as string;
          const res = await agent.credentials.inject({
            method: 'GET',
            url: '/v1/credentials',
            headers: { host: HOST, authorization: token },
          });
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return {
        requests: tokens.length,
        statuses,
        upstreamCalls,
        tokenReviews,
        reviewMemoSize: reviews.size,
        cacheSize: cache.size,
      };
    },
    close: () => agent.close(),
  };
}
