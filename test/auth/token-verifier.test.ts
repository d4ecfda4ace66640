import { describe, expect, it } from 'vitest';
import { identityKey, type PodIdentity } from '../../agent/auth/token-verifier.js';
import { podIdentity } from '../fakes/fake-verifier.js';

describe('identityKey', () => {
  it('keys an identity by its five verified claims, whichever object carries them', () => {
    const identity = podIdentity();
    expect(identityKey(identity)).toBe(identityKey(identity));
    expect(identityKey({ ...identity })).toBe(identityKey(identity));
    // A new token of the same pod (later expiry) is the same identity.
    expect(identityKey({ ...identity, tokenExpiresAt: identity.tokenExpiresAt + 60_000 })).toBe(
      identityKey(identity),
    );
  });

  it('gives another key when any one of the five claims differs', () => {
    const identity = podIdentity();
    const claims = ['issuer', 'namespace', 'serviceAccount', 'serviceAccountUid', 'podUid'] as const;
    const keys = claims.map((claim) =>
      identityKey({ ...identity, [claim]: `${identity[claim]}x` } as PodIdentity),
    );
    expect(new Set([identityKey(identity), ...keys]).size).toBe(claims.length + 1);
  });
});
