import type { JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { toPodIdentity } from '../../agent/auth/claims.js';
import { AgentError } from '../../agent/errors.js';

const EXP_MS = 1_790_086_400_000;

function payload(k8s: Record<string, unknown> = {}, extra: JWTPayload = {}): JWTPayload {
  return {
    iss: 'https://issuer.example',
    sub: 'system:serviceaccount:default:app',
    'kubernetes.io': {
      namespace: 'default',
      pod: { name: 'app-0', uid: 'pod-uid' },
      serviceaccount: { name: 'app', uid: 'sa-uid' },
      ...k8s,
    },
    ...extra,
  };
}

describe('toPodIdentity', () => {
  it('maps the kubernetes.io claims to the pod identity', () => {
    expect(toPodIdentity(payload({ node: { name: 'node-a', uid: 'n' } }), EXP_MS)).toEqual({
      issuer: 'https://issuer.example',
      namespace: 'default',
      serviceAccount: 'app',
      serviceAccountUid: 'sa-uid',
      podName: 'app-0',
      podUid: 'pod-uid',
      nodeName: 'node-a',
      tokenExpiresAt: EXP_MS,
    });
  });

  it('accepts a token without a node claim (clusters before 1.30)', () => {
    expect(toPodIdentity(payload(), EXP_MS)).not.toHaveProperty('nodeName');
  });

  it.each<[string, JWTPayload]>([
    ['sub names another service account', payload({}, { sub: 'system:serviceaccount:default:other' })],
    ['sub names another namespace', payload({}, { sub: 'system:serviceaccount:kube-system:app' })],
    ['sub is missing', payload({}, { sub: undefined })],
    ['iss is missing', payload({}, { iss: undefined })],
    ['kubernetes.io is missing', { ...payload(), 'kubernetes.io': undefined }],
    ['kubernetes.io is an array', { ...payload(), 'kubernetes.io': [] }],
    ['namespace is missing', payload({ namespace: undefined })],
    ['namespace is empty', payload({ namespace: '' })],
    ['the pod uid is missing', payload({ pod: { name: 'app-0' } })],
    ['the pod name is missing', payload({ pod: { uid: 'pod-uid' } })],
    ['the pod is not an object', payload({ pod: 'app-0' })],
    ['the service account uid is missing', payload({ serviceaccount: { name: 'app' } })],
    ['the service account name is a number', payload({ serviceaccount: { name: 7, uid: 'sa-uid' } })],
    ['the node claim has no name', payload({ node: { uid: 'n' } })],
    ['a name is over 253 characters', payload({ pod: { name: 'a'.repeat(254), uid: 'pod-uid' } })],
  ])('refuses a token whose %s', (_, claims) => {
    let caught: unknown;
    try {
      toPodIdentity(claims, EXP_MS);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AgentError);
    expect((caught as AgentError).code).toBe('InvalidToken');
  });
});
