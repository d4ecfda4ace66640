import { describe, expect, it } from 'vitest';
import type { PodIdentity } from '../../agent/auth/token-verifier.js';
import { type CachedCredentials, toCachedCredentials } from '../../agent/cache/cached-credentials.js';
import type { RoleCredentials } from '../../agent/exchange/credential-exchanger.js';
import { type Answer, AUDIT_MESSAGE, createAuditLog, REPEAT_MESSAGE } from '../../agent/log/audit-log.js';
import { captureLogger } from '../fakes/log-capture.js';

const identity: PodIdentity = {
  issuer: 'https://issuer.example',
  namespace: 'team-a',
  serviceAccount: 'writer',
  serviceAccountUid: 'sa-uid',
  // Characters JSON must escape: the line has to stay one valid JSON object.
  podName: 'pod "quoted" \\ back\nslash',
  podUid: '4f5e6d7c-0000-4000-8000-000000000001',
  tokenExpiresAt: 1_700_000_000_000,
};
const role: RoleCredentials = {
  accessKeyId: 'ASIAAUDITEXAMPLE0001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEBYaDHqa0AP1/hSvHJKGZCKwAVZpqbz9Ue0Nbx3Aa7pGqf1tUo2pdZqn+6bQyD7x9YqTqPJVyXM=',
  accountId: '123456789012',
  roleArn: 'arn:aws:iam::123456789012:role/writer',
  expiration: 1_700_003_600_000,
};
const credentials: CachedCredentials = toCachedCredentials(role);
const answer: Answer = { reqId: 'req-7', identity, credentials, outcome: 'miss' };

describe('createAuditLog', () => {
  it("writes one JSON line per issuance: level, the clock's time, identity, request, credentials, outcome", () => {
    const log = captureLogger('info', { now: () => 1_700_000_123_456 });
    createAuditLog(log.logger).answered(answer);
    const expected = {
      level: 'info',
      time: '2023-11-14T22:15:23.456Z',
      service: 'pod-identity-agent',
      namespace: identity.namespace,
      serviceAccount: identity.serviceAccount,
      podName: identity.podName,
      podUid: identity.podUid,
      reqId: answer.reqId,
      roleArn: role.roleArn,
      accessKeyId: role.accessKeyId,
      expiration: '2023-11-14T23:13:20Z',
      cache: 'miss',
      msg: AUDIT_MESSAGE,
    };
    expect(log.lines).toEqual([JSON.stringify(expected)]);
  });

  it('writes a repeat of the same credentials to the same token at debug only', () => {
    const info = captureLogger('info');
    const debug = captureLogger('debug');
    for (const log of [info, debug]) {
      const audit = createAuditLog(log.logger);
      audit.answered(answer);
      audit.answered({ ...answer, reqId: 'req-8', outcome: 'hit' });
      audit.answered({ ...answer, reqId: 'req-9', outcome: 'hit' });
    }
    expect(info.records().map((r) => [r.msg, r.reqId])).toEqual([[AUDIT_MESSAGE, 'req-7']]);
    expect(debug.records().map((r) => [r.msg, r.level, r.reqId, r.cache])).toEqual([
      [AUDIT_MESSAGE, 'info', 'req-7', 'miss'],
      [REPEAT_MESSAGE, 'debug', 'req-8', 'hit'],
      [REPEAT_MESSAGE, 'debug', 'req-9', 'hit'],
    ]);
  });

  it('writes a new issuance for new credentials of the same token (a refresh), even on a hit', () => {
    const log = captureLogger('info');
    const audit = createAuditLog(log.logger);
    audit.answered(answer);
    const refreshed = toCachedCredentials({
      ...role,
      accessKeyId: 'ASIAAUDITEXAMPLE0002',
      expiration: 1_700_007_200_000,
    });
    audit.answered({ ...answer, reqId: 'req-8', credentials: refreshed, outcome: 'hit' });
    expect(log.records().map((r) => [r.accessKeyId, r.expiration, r.cache])).toEqual([
      ['ASIAAUDITEXAMPLE0001', '2023-11-14T23:13:20Z', 'miss'],
      ['ASIAAUDITEXAMPLE0002', '2023-11-15T00:13:20Z', 'hit'],
    ]);
  });

  it('writes a new issuance for the same credentials given to another token (identity)', () => {
    const log = captureLogger('info');
    const audit = createAuditLog(log.logger);
    audit.answered(answer);
    // A kubelet rotation: the same pod's new token, verified into a new identity.
    audit.answered({ ...answer, reqId: 'req-8', identity: { ...identity }, outcome: 'hit' });
    expect(log.records().map((r) => [r.msg, r.reqId])).toEqual([
      [AUDIT_MESSAGE, 'req-7'],
      [AUDIT_MESSAGE, 'req-8'],
    ]);
  });

  it('writes nothing when the level is above info', () => {
    const log = captureLogger('warn');
    createAuditLog(log.logger).answered(answer);
    expect(log.lines).toEqual([]);
  });

  it('never writes the secret key or the session token', () => {
    const log = captureLogger('trace');
    const audit = createAuditLog(log.logger);
    audit.answered(answer);
    audit.answered({ ...answer, outcome: 'hit' });
    expect(log.lines).toHaveLength(2);
    expect(log.lines.join('\n')).not.toContain(role.secretAccessKey);
    expect(log.lines.join('\n')).not.toContain(role.sessionToken);
  });
});
