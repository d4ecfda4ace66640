import { describe, expect, it } from 'vitest';
import type { VerifiedToken, VerifyContext } from '../../agent/auth/token-verifier.js';
import { AgentError } from '../../agent/errors.js';
import { createPodBoundVerifier } from '../../agent/pods/pod-bound-verifier.js';
import type { PodChecker } from '../../agent/pods/pod-checker.js';
import { FakeVerifier } from '../fakes/fake-verifier.js';

class RecordingChecker implements PodChecker {
  readonly seen: { token: VerifiedToken; context: VerifyContext }[] = [];
  refuse = false;
  async check(token: VerifiedToken, context: VerifyContext): Promise<void> {
    this.seen.push({ token, context });
    if (this.refuse) throw new AgentError('TokenNotBound');
  }
  notReadyReason(): string | undefined {
    return undefined;
  }
  async close(): Promise<void> {}
}

describe('createPodBoundVerifier', () => {
  it('checks the verified token with the request context and returns it', async () => {
    const checker = new RecordingChecker();
    const verifier = createPodBoundVerifier(new FakeVerifier(), checker);
    const verified = await verifier.verify('good.web.sig', { sourceAddress: '10.0.0.1' });
    expect(verified.identity.podUid).toBe('uid-web');
    expect(checker.seen).toEqual([{ token: verified, context: { sourceAddress: '10.0.0.1' } }]);
  });

  it('passes on the check refusal', async () => {
    const checker = new RecordingChecker();
    checker.refuse = true;
    const verifier = createPodBoundVerifier(new FakeVerifier(), checker);
    await expect(verifier.verify('good.web.sig')).rejects.toMatchObject({ code: 'TokenNotBound' });
  });

  it('never checks a token that failed verification', async () => {
    const checker = new RecordingChecker();
    const verifier = createPodBoundVerifier(new FakeVerifier(), checker);
    await expect(verifier.verify('forged')).rejects.toMatchObject({ code: 'InvalidToken' });
    expect(checker.seen).toHaveLength(0);
  });

  it('is ready when the inner verifier is', () => {
    const inner = new FakeVerifier();
    const verifier = createPodBoundVerifier(inner, new RecordingChecker());
    inner.ready = false;
    expect(verifier.isReady()).toBe(false);
  });
});
