import { describe, expect, it } from 'vitest';
import { describeKubeError } from '../../agent/kube/keep-watching.js';

const forbidden = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message:
    'pods is forbidden: User "system:serviceaccount:kube-system:pod-identity-agent" cannot list resource "pods"',
  reason: 'Forbidden',
  code: 403,
};

describe('describeKubeError', () => {
  it.each([
    [
      'a list refused by RBAC (body as text)',
      { code: 403, body: JSON.stringify(forbidden) },
      `HTTP 403: ${forbidden.message}`,
    ],
    [
      'a watch refused by RBAC (body parsed)',
      { statusCode: 403, body: forbidden },
      `HTTP 403: ${forbidden.message}`,
    ],
    ['a 403 whose body is not a Status', { code: 403, body: '<html>no</html>' }, 'HTTP 403'],
    [
      'a server error, whose body is not quoted',
      { code: 500, body: JSON.stringify({ ...forbidden, code: 500 }) },
      'HTTP 500',
    ],
    [
      'a connection error',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'ECONNREFUSED',
    ],
  ])('describes %s', (_what, error, text) => {
    expect(describeKubeError(error)).toBe(text);
  });

  it('keeps only the first line of a long Status message, at most 300 characters', () => {
    const body = { ...forbidden, message: `${'x'.repeat(400)}\nsecond line` };
    expect(describeKubeError({ code: 401, body })).toBe(`HTTP 401: ${'x'.repeat(300)}`);
  });
});
