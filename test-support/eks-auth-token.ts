/** The EKS Auth stand-in's token check: what EKS verifies before it assumes a role for a pod. */
import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify } from 'jose';

/** The pod a verified token names. */
export interface TokenPod {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podUid: string;
}

/** An EKS Auth error type (answered with 400). */
export interface TokenRejection {
  readonly type: 'InvalidTokenException' | 'ExpiredTokenException';
  readonly message: string;
}

/** Verifies signature, issuer, audience and times (60 s leeway); `now` is milliseconds since the epoch. */
export async function verifyPodToken(
  token: string,
  expected: { jwks: JSONWebKeySet; issuer: string; audience: string; now: number },
): Promise<TokenPod | TokenRejection> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(expected.jwks), {
      issuer: expected.issuer,
      audience: expected.audience,
      algorithms: ['RS256', 'ES256', 'ES384', 'ES512'],
      clockTolerance: 60,
      currentDate: new Date(expected.now),
    });
    const k8s = payload['kubernetes.io'] as
      | { namespace?: unknown; pod?: { name?: unknown; uid?: unknown }; serviceaccount?: { name?: unknown } }
      | undefined;
    const pod = {
      namespace: k8s?.namespace,
      serviceAccount: k8s?.serviceaccount?.name,
      podName: k8s?.pod?.name,
      podUid: k8s?.pod?.uid,
    };
    if (Object.values(pod).some((v) => typeof v !== 'string' || v === ''))
      return { type: 'InvalidTokenException', message: 'The token lacks pod claims.' };
    if (payload.sub !== `system:serviceaccount:${pod.namespace}:${pod.serviceAccount}`)
      return { type: 'InvalidTokenException', message: 'The token subject does not match its claims.' };
    return pod as TokenPod;
  } catch (error) {
    if (error instanceof errors.JWTExpired)
      return { type: 'ExpiredTokenException', message: 'The service account token has expired.' };
    return { type: 'InvalidTokenException', message: 'The service account token is invalid.' };
  }
}
