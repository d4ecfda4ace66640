/**
 * The agent started exactly as docs/configuration.md shows, against the EKS Auth stand-in and moto, driven by
 * real SDK clients.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import { motoProblem } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import {
  awsCliCopy,
  boto3Put,
  botocoreCredentials,
  jsClient,
  type PodEnvironment,
  writeTokenFile,
} from '../../test-support/pod-clients.js';
import { STORY_ISSUER, type Story, startStory } from '../../test-support/story.js';

const NODE = 'story-node';
const motoAvailable = needs(await motoProblem(), 'the agent against EKS Auth and moto');

describe.skipIf(!motoAvailable)('the agent against EKS Auth and moto', () => {
  let story: Story;
  /** Every secret the run handled, scanned for in the logs at the end. */
  const secrets = new Set<string>();

  beforeAll(async () => {
    story = await startStory({ agentArgs: ['--node-name', NODE] });
  }, 120_000);
  afterAll(async () => {
    await story?.stop();
  });

  async function token(
    podName: string,
    extra: { serviceAccount?: string; nowMs?: number } = {},
  ): Promise<string> {
    const t = await story.podToken({ podName, ...extra });
    secrets.add(t);
    return t;
  }

  /** A raw GET (node:http, since fetch drops a custom Host header). */
  function ask(authorization: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = request(
        story.agent.url,
        { headers: { ...(authorization === undefined ? {} : { authorization }), ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 0,
                headers: { 'content-type': String(res.headers['content-type'] ?? '') },
              }),
            ),
          );
        },
      );
      req.on('error', reject).end();
    });
  }

  async function credentialsFor(authorization: string): Promise<Record<string, string>> {
    const response = await ask(authorization);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    secrets.add(body.SecretAccessKey ?? '');
    secrets.add(body.Token ?? '');
    return body;
  }

  const pod = async (podName: string): Promise<PodEnvironment> => ({
    credentialsUri: story.agent.url,
    tokenFile: writeTokenFile(await token(podName)),
  });

  it('gives botocore container-role credentials, and boto3 writes only to the allowed bucket', async () => {
    const env = await pod('s3-access-pod');
    const creds = await botocoreCredentials(env);
    expect(creds.stdout).toMatch(/^container-role ASIA/);
    const allowed = await boto3Put(env, story.moto.endpoint, 'my-bucket', 'my-file', 'Hello World');
    expect(allowed.stdout).toContain('put=ok');
    const denied = await boto3Put(env, story.moto.endpoint, 'other-bucket', 'my-file', 'Hello World');
    expect(denied.stdout).toContain('put=AccessDenied');
  });

  it('lets the AWS CLI v1 copy a file into the allowed bucket and not into another', async () => {
    const env = await pod('cli-pod');
    const allowed = await awsCliCopy(env, story.moto.endpoint, 'my-bucket', 'cli-file', 'Hello World');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('upload:');
    const denied = await awsCliCopy(env, story.moto.endpoint, 'other-bucket', 'cli-file', 'Hello World');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('AccessDenied');
  });

  it('gives the JS SDK credentials through fromHttp, the default chain and an S3Client', async () => {
    const env = await pod('js-pod');
    expect((await jsClient(env, 'fromHttp')).stdout).toMatch(/fromHttp=ASIA\w+ expiration=\d{4}-/);
    expect((await jsClient(env, 'chain')).stdout).toMatch(/chain=ASIA/);
    expect((await jsClient(env, 'put', story.moto.endpoint, 'my-bucket', 'js-file', 'hi')).stdout).toContain(
      'put=ok',
    );
    expect(
      (await jsClient(env, 'put', story.moto.endpoint, 'other-bucket', 'js-file', 'hi')).stdout,
    ).toContain('error=AccessDenied');
  });

  it('serves a repeated and a rotated token of the same pod without another upstream call', async () => {
    const first = await credentialsFor(await token('rotating-pod'));
    const calls = story.eksAuth.calls.total;
    const again = await credentialsFor(await token('rotating-pod'));
    const rotated = await credentialsFor(await token('rotating-pod', { nowMs: Date.now() + 60_000 }));
    expect(story.eksAuth.calls.total).toBe(calls);
    expect(again.AccessKeyId).toBe(first.AccessKeyId);
    expect(rotated.AccessKeyId).toBe(first.AccessKeyId);
  });

  it('makes one upstream call for 20 concurrent first requests of one pod', async () => {
    const t = await token('burst-pod');
    const before = story.eksAuth.calls.total;
    const answers = await Promise.all(Array.from({ length: 20 }, () => credentialsFor(t)));
    expect(story.eksAuth.calls.total - before).toBe(1);
    expect(new Set(answers.map((a) => a.AccessKeyId)).size).toBe(1);
  });

  it('never sends a forged token upstream', async () => {
    const attacker = await createClusterKeys({ kid: 'story-key-1' });
    const forged = await attacker.mintToken({
      issuer: STORY_ISSUER,
      audience: 'pods.eks.amazonaws.com',
      namespace: 'default',
      serviceAccount: 's3-access-sa',
      podName: 'forged-pod',
    });
    secrets.add(forged);
    const before = story.eksAuth.calls.total;
    const response = await ask(forged);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe('InvalidToken');
    expect(story.eksAuth.calls.total).toBe(before);
  });

  it.each<[string, () => Promise<{ auth?: string; headers?: Record<string, string> }>, number, string]>([
    ['no token', async () => ({}), 401, 'MissingToken'],
    ['a Bearer prefix', async () => ({ auth: `Bearer ${await token('p1')}` }), 400, 'MalformedToken'],
    ['not a JWT', async () => ({ auth: 'not-a-jwt' }), 400, 'MalformedToken'],
    [
      'the API-server audience',
      async () => ({
        auth: await story.keys.mintToken({
          issuer: STORY_ISSUER,
          audience: 'https://kubernetes.default.svc',
          namespace: 'default',
          serviceAccount: 's3-access-sa',
          podName: 'p2',
        }),
      }),
      401,
      'InvalidToken',
    ],
    [
      'another issuer',
      async () => ({
        auth: await story.keys.mintToken({
          issuer: 'https://other.example',
          audience: 'pods.eks.amazonaws.com',
          namespace: 'default',
          serviceAccount: 's3-access-sa',
          podName: 'p3',
        }),
      }),
      401,
      'InvalidToken',
    ],
    [
      'an expired token',
      async () => ({ auth: await token('p4', { nowMs: Date.now() - 2 * 86_400_000 }) }),
      401,
      'ExpiredToken',
    ],
    [
      'a token bound to another node',
      async () => ({
        auth: await story.keys.mintToken({
          issuer: STORY_ISSUER,
          audience: 'pods.eks.amazonaws.com',
          namespace: 'default',
          serviceAccount: 's3-access-sa',
          podName: 'p5',
          nodeName: 'other-node',
        }),
      }),
      403,
      'TokenNotBound',
    ],
    [
      'a foreign Host',
      async () => ({ auth: await token('p6'), headers: { host: 'evil.example' } }),
      403,
      'InvalidHost',
    ],
    [
      'a service account without association',
      async () => ({ auth: await token('p7', { serviceAccount: 'no-role-sa' }) }),
      403,
      'AccessDenied',
    ],
  ])('refuses %s', async (_name, make, status, code) => {
    const { auth, headers } = await make();
    if (auth !== undefined) secrets.add(auth);
    const response = await ask(auth, headers);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toMatchObject({ code });
  });

  it('answers other methods with 405 and other paths with a JSON 404', async () => {
    expect((await fetch(story.agent.url, { method: 'POST', body: '' })).status).toBe(405);
    const notFound = await fetch(story.agent.url.replace('/v1/credentials', '/latest/meta-data/'));
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { code: string }).code).toBe('NotFound');
  });

  it('answers 429 when EKS Auth throttles and nothing is cached', async () => {
    story.eksAuth.setFault('throttle');
    try {
      const response = await ask(await token('throttled-pod'));
      expect(response.status).toBe(429);
      expect(((await response.json()) as { code: string }).code).toBe('Throttled');
    } finally {
      story.eksAuth.setFault('none');
    }
  });

  it('keeps serving cached pods when EKS Auth is down, and answers new pods 503 within 5 s', async () => {
    const cached = await token('cached-pod');
    const before = await credentialsFor(cached);
    story.eksAuth.setFault('down');
    try {
      const still = await credentialsFor(await token('cached-pod'));
      expect(still.AccessKeyId).toBe(before.AccessKeyId);
      const started = Date.now();
      const response = await ask(await token('new-pod-while-down'));
      expect(response.status).toBe(503);
      expect(((await response.json()) as { code: string }).code).toBe('UpstreamUnavailable');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      story.eksAuth.setFault('none');
    }
  });

  it('exposes the contract metrics and answers the probes', async () => {
    const text = await story.agent.metrics();
    for (const name of [
      'pod_identity_requests_total',
      'pod_identity_request_duration_seconds',
      'pod_identity_cache_events_total',
      'pod_identity_cache_entries',
      'pod_identity_upstream_requests_total',
      'pod_identity_upstream_request_duration_seconds',
      'pod_identity_token_validations_total',
      'pod_identity_jwks_refreshes_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/pod_identity_requests_total\{code="200"\} [1-9]/);
    expect(text).toMatch(/pod_identity_cache_events_total\{event="hit"\} [1-9]/);
    expect((await fetch(`http://127.0.0.1:${story.agent.probePort}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${story.agent.probePort}/readyz`)).status).toBe(200);
  });

  it('writes no token, secret key or session token in any log line of the run', () => {
    const log = story.agent.lines.join('\n');
    expect(log).toContain('credentials issued');
    for (const secret of secrets) {
      if (secret.length > 0) expect(log).not.toContain(secret);
    }
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await story.agent.stop()).toBe(0);
  });
});
