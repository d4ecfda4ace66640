/**
 * The SDK rules of docs/compatibility.md that only the whole agent can show (real token verification, a real
 * upstream "no association" answer, real lifetimes), against the built agent process, the EKS Auth
 * stand-in and moto on loopback. docs/compatibility.md points here.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoProblem } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { type Story, startStory } from '../../test-support/story.js';

const motoAvailable = needs(await motoProblem(), 'the SDK rules against the agent process');
/** botocore refreshes below 15 minutes left (docs/compatibility.md). */
const BOTOCORE_REFRESH_MS = 15 * 60_000;

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly ms: number;
}

describe.skipIf(!motoAvailable)('the SDK rules against the agent process', { timeout: 60_000 }, () => {
  let story: Story;

  beforeAll(async () => {
    story = await startStory();
  }, 120_000);
  afterAll(async () => {
    await story?.stop();
  });

  /** A GET as the SDKs send it: Authorization only (the JS SDK adds neither User-Agent nor Accept). */
  function ask(authorization: string | undefined): Promise<Answer> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const headers = authorization === undefined ? {} : { authorization };
      request(story.agent.url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type']),
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
      })
        .on('error', reject)
        .end();
    });
  }

  it('hands out credentials with far more than 15 minutes left, Expiration in UTC ending in Z', async () => {
    const answer = await ask(await story.podToken({ podName: 'compat-pod' }));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    const body = JSON.parse(answer.body) as Record<string, string>;
    expect(body.Expiration).toMatch(/Z$/);
    expect(Date.parse(body.Expiration as string) - Date.now()).toBeGreaterThan(BOTOCORE_REFRESH_MS);
    expect(Buffer.byteLength(answer.body)).toBeLessThan(10 * 1024);
  });

  it('answers a cached identity well under the 1 s client timeouts (Java, JS)', async () => {
    const token = await story.podToken({ podName: 'compat-pod' });
    await ask(token);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) times.push((await ask(token)).ms);
    expect(Math.max(...times)).toBeLessThan(500);
  });

  it.each<{ name: string; token: () => Promise<string | undefined>; status: number; code: string }>([
    {
      name: 'no Authorization header (JS fromContainerMetadata)',
      token: async () => undefined,
      status: 401,
      code: 'MissingToken',
    },
    {
      name: 'a Bearer prefix',
      token: async () => `Bearer ${await story.podToken()}`,
      status: 400,
      code: 'MalformedToken',
    },
    {
      // EKS Auth answers 404 ResourceNotFoundException; docs/api.md maps it to 403 AccessDenied.
      name: 'a service account without an association',
      token: () => story.podToken({ serviceAccount: 'no-association-sa', podName: 'compat-other' }),
      status: 403,
      code: 'AccessDenied',
    },
  ])(
    'refuses $name with $status $code, never 404, as application/json {code, message}',
    async ({ token, status, code }) => {
      const answer = await ask(await token());
      expect(answer.status).toBe(status);
      expect(answer.contentType).toBe('application/json');
      expect(JSON.parse(answer.body)).toEqual({ code, message: expect.any(String) });
    },
  );
});
