import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSigV4Signer } from '../../agent/exchange/sigv4-signer.js';

const REGIONS = ['us-east-1', 'eu-west-3', 'ap-southeast-2'];
const SERVICES = ['eks-auth', 'sts'];

const segment = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.~'.split('')), maxLength: 8 }),
  fc.constantFrom('.', '..', '', 'a b', 'caf\u00e9', '%2F', "it's", '(x)*!', 'clusters'),
);
const path = fc
  .array(segment, { maxLength: 5 })
  .chain((parts) => fc.boolean().map((trailing) => `/${parts.join('/')}${trailing ? '/' : ''}`));
const headerName = fc.constantFrom(
  'content-type',
  'content-length',
  'amz-sdk-invocation-id',
  'x-amz-user-agent',
  'user-agent',
  'connection',
  'x-amzn-trace-id',
  'proxy-authorization',
  'sec-fetch-mode',
  'x-custom',
  'Date',
  'X-Amz-Date',
  'X-Amz-Content-Sha256',
  'Authorization',
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('  two  spaces ', 'tab\there', 'line\r\nbreak', 'application/json'),
);
const request = fc.record({
  method: fc.constantFrom('POST', 'GET', 'PUT'),
  path,
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
  body: fc.oneof(fc.string({ maxLength: 60 }), fc.json()),
});
const credentials = fc.record(
  {
    accessKeyId: fc.constantFrom('AKIAEXAMPLE000000001', 'ASIAEXAMPLE000000002'),
    secretAccessKey: fc.string({ minLength: 1, maxLength: 40 }),
    sessionToken: fc.string({ minLength: 1, maxLength: 30 }),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);
// 2001 to 2100, whole seconds and not: the date scope and the signing-key cache both move.
const date = fc.integer({ min: 978_307_200_000, max: 4_102_444_800_000 }).map((ms) => new Date(ms));

describe('createSigV4Signer against @smithy/signature-v4 (differential)', () => {
  it('writes exactly the headers, Authorization included, that the SDK signer writes for generated requests', async () => {
    const signers = new Map<string, ReturnType<typeof createSigV4Signer>>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...REGIONS),
        fc.constantFrom(...SERVICES),
        request,
        credentials,
        date,
        async (region, service, req, creds, now) => {
          const key = `${region}/${service}`;
          let ours = signers.get(key);
          if (ours === undefined) {
            ours = createSigV4Signer(region, service);
            signers.set(key, ours);
          }
          const smithy = new SignatureV4({
            service,
            region,
            credentials: creds,
            sha256: Hash.bind(null, 'sha256'),
          });
          const expected = await smithy.sign(
            { ...req, protocol: 'https:', hostname: 'example.com', query: {}, headers: { ...req.headers } },
            { signingDate: now },
          );
          expect(ours(req, creds, now)).toEqual(expected.headers);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('signs the agent’s EKS Auth call as the SDK does, across a day boundary with the same keys', async () => {
    const signer = createSigV4Signer('us-east-1', 'eks-auth');
    const creds = { accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 'secret/with+chars' };
    const smithy = new SignatureV4({
      service: 'eks-auth',
      region: 'us-east-1',
      credentials: creds,
      sha256: Hash.bind(null, 'sha256'),
    });
    const req = {
      method: 'POST',
      path: '/clusters/my-cluster/assume-role-for-pod-identity',
      headers: {
        host: 'eks-auth.us-east-1.api.aws',
        'content-type': 'application/json',
        'content-length': '17',
      },
      body: '{"token":"a.b.c"}',
    };
    for (const at of ['2026-11-29T23:59:59.500Z', '2026-11-30T00:00:00.000Z', '2026-11-30T00:00:01.000Z']) {
      const now = new Date(at);
      const expected = await smithy.sign(
        { ...req, protocol: 'https:', hostname: 'h', query: {}, headers: { ...req.headers } },
        { signingDate: now },
      );
      expect(signer(req, creds, now).authorization).toBe(expected.headers.authorization);
    }
  });
});
