import type { VerifiedToken } from '../../agent/auth/token-verifier.js';
import { FakeVerifier } from './fake-verifier.js';

/** FakeVerifier with a memo: a token verified once is answered synchronously after. */
export class MemoVerifier extends FakeVerifier {
  readonly memo = new Map<string, VerifiedToken>();
  override async verify(token: string): Promise<VerifiedToken> {
    const verified = await super.verify(token);
    this.memo.set(token, verified);
    return verified;
  }
  memoized(token: string | undefined): VerifiedToken | undefined {
    return token === undefined ? undefined : this.memo.get(token);
  }
}
