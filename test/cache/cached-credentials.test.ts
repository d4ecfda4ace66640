import { describe, expect, it } from 'vitest';
import { formatExpiration, toCachedCredentials } from '../../agent/cache/cached-credentials.js';
import type { RoleCredentials } from '../../agent/exchange/credential-exchanger.js';

const EPOCH = 1_790_000_000_000;

function credentials(overrides: Partial<RoleCredentials> = {}): RoleCredentials {
  return {
    accessKeyId: 'ASIAEXAMPLE000000000',
    secretAccessKey: 'secret/example+key0000000000000000000000',
    // About the size STS gives for a role session with EKS's session tags.
    sessionToken: 'T'.repeat(1200),
    accountId: '123456789012',
    roleArn: 'arn:aws:iam::123456789012:role/app',
    expiration: EPOCH + 6 * 3_600_000 + 789,
    ...overrides,
  };
}

describe('toCachedCredentials', () => {
  it('answers with the container-credentials JSON and the expiry text it sends', () => {
    const creds = credentials({ secretAccessKey: 'ab/cd+"quoted"\\x'.padEnd(40, '0') });
    const cached = toCachedCredentials(creds);
    expect(JSON.parse(cached.body.toString('utf8'))).toEqual({
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      Token: creds.sessionToken,
      AccountId: creds.accountId,
      Expiration: '2026-09-21T20:13:20Z',
    });
    expect(cached.expirationText).toBe('2026-09-21T20:13:20Z');
  });

  it('keeps the public fields beside the body', () => {
    const creds = credentials();
    expect(toCachedCredentials(creds)).toMatchObject({
      accessKeyId: creds.accessKeyId,
      accountId: creds.accountId,
      roleArn: creds.roleArn,
      expiration: creds.expiration,
    });
  });

  it('holds no secret string of its own: they live only inside the body', () => {
    const creds = credentials();
    const cached = toCachedCredentials(creds);
    const own = Object.values(cached).filter((v) => typeof v === 'string');
    expect(own).not.toContain(creds.sessionToken);
    expect(own).not.toContain(creds.secretAccessKey);
    expect(Object.keys(cached).sort()).toEqual(
      ['accessKeyId', 'accountId', 'body', 'expiration', 'expirationText', 'roleArn'].sort(),
    );
  });

  it('keeps the body in memory of its own size, not in a slice of the shared Buffer pool', () => {
    // A pooled slice would keep a whole 8 KiB slab alive for as long as the credentials are cached.
    const { body } = toCachedCredentials(credentials());
    expect(body.length).toBeLessThan(Buffer.poolSize);
    expect(body.byteOffset).toBe(0);
    expect(body.buffer.byteLength).toBe(body.length);
  });

  it('encodes non-ASCII text in full', () => {
    const { body } = toCachedCredentials(credentials({ accountId: 'ü€' }));
    expect(JSON.parse(body.toString('utf8')).AccountId).toBe('ü€');
  });
});

describe('formatExpiration', () => {
  it.each([
    [EPOCH, '2026-09-21T14:13:20Z'],
    [EPOCH + 999, '2026-09-21T14:13:20Z'],
    [EPOCH + 1_000, '2026-09-21T14:13:21Z'],
  ])('formats %d as whole UTC seconds ending in Z', (epochMs, text) => {
    expect(formatExpiration(epochMs)).toBe(text);
  });
});
