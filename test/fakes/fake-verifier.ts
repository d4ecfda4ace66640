import type { PodIdentity, TokenVerifier, VerifiedToken } from '../../agent/auth/token-verifier.js';
import { AgentError } from '../../agent/errors.js';

/** A fixed epoch for tests (lru-cache's tests warn about time 0). */
export const EPOCH = 1_790_000_000_000;

/** An identity with sensible defaults. */
export function podIdentity(overrides: Partial<PodIdentity> = {}): PodIdentity {
  return {
    issuer: 'https://issuer.example',
    namespace: 'default',
    serviceAccount: 's3-access-sa',
    serviceAccountUid: 'sa-uid-1',
    podName: 's3-access-pod',
    podUid: 'pod-uid-1',
    nodeName: 'node-a',
    tokenExpiresAt: EPOCH + 86_400_000,
    ...overrides,
  };
}

/** Verifies tokens of the form `good.<podName>.sig`; anything else is InvalidToken, empty is MissingToken. */
export class FakeVerifier implements TokenVerifier {
  ready = true;
  calls = 0;

  async verify(token: string): Promise<VerifiedToken> {
    this.calls++;
    if (token === '') throw new AgentError('MissingToken');
    const match = /^good\.([\w-]+)\.sig$/.exec(token);
    if (match === null) throw new AgentError('InvalidToken');
    const pod = match[1] ?? '';
    return {
      identity: podIdentity({ podName: pod, podUid: `uid-${pod}` }),
      token,
      tokenHash: `hash-${token}`,
    };
  }

  isReady(): boolean {
    return this.ready;
  }
}
