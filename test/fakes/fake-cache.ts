import type { PodIdentity, VerifiedToken } from '../../agent/auth/token-verifier.js';
import { type CachedCredentials, toCachedCredentials } from '../../agent/cache/cached-credentials.js';
import type { CacheResult, CredentialCache } from '../../agent/cache/credential-cache.js';
import type { RoleCredentials } from '../../agent/exchange/credential-exchanger.js';
import { EPOCH } from './fake-verifier.js';

/** Credentials with sensible defaults. */
export function roleCredentials(overrides: Partial<RoleCredentials> = {}): RoleCredentials {
  return {
    accessKeyId: 'ASIAEXAMPLEKEY000001',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
    sessionToken: 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789abcdefABCDEF',
    accountId: '123456789012',
    roleArn: 'arn:aws:iam::123456789012:role/S3AccessRole',
    expiration: EPOCH + 6 * 3_600_000,
    ...overrides,
  };
}

/** Answers every identity with `credentials` in their cached form, or throws `failWith`. */
export class FakeCache implements CredentialCache {
  credentials = roleCredentials();
  failWith: Error | undefined;
  outcome: CacheResult['outcome'] = 'hit';
  readonly seen: VerifiedToken[] = [];
  closed = false;

  async get(token: VerifiedToken): Promise<CacheResult> {
    this.seen.push(token);
    if (this.failWith !== undefined) throw this.failWith;
    return { credentials: toCachedCredentials(this.credentials), outcome: this.outcome };
  }

  /** Never a synchronous hit: every request goes through `get`, which records it. */
  hit(_token: VerifiedToken): CachedCredentials | undefined {
    return undefined;
  }

  drop(_predicate: (identity: PodIdentity, credentials: CachedCredentials | undefined) => boolean): number {
    return 0;
  }

  get size(): number {
    return this.seen.length;
  }

  close(): void {
    this.closed = true;
  }
}
