import { describe, expect, it } from 'vitest';
import type { PodIdentity } from '../../agent/auth/token-verifier.js';
import type { RoleCredentials } from '../../agent/exchange/credential-exchanger.js';
import { AUDIT_MESSAGE, createAuditLog, type Issuance } from '../../agent/log/audit-log.js';
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
const credentials: RoleCredentials = {
  accessKeyId: 'ASIAAUDITEXAMPLE0001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEBYaDHqa0AP1/hSvHJKGZCKwAVZpqbz9Ue0Nbx3Aa7pGqf1tUo2pdZqn+6bQyD7x9YqTqPJVyXM=',
  accountId: '123456789012',
  roleArn: 'arn:aws:iam::123456789012:role/writer',
  expiration: 1_700_003_600_000,
};
const issuance: Issuance = {
  reqId: 'req-7',
  identity,
  credentials,
  expiration: '2023-11-14T23:13:20Z',
  outcome: 'hit',
};

describe('createAuditLog', () => {
  it("writes one JSON line: level, the clock's time, identity, request, credentials, outcome", () => {
    const log = captureLogger('info', { now: () => 1_700_000_123_456 });
    createAuditLog(log.logger).issued(issuance);
    const expected = {
      level: 'info',
      time: '2023-11-14T22:15:23.456Z',
      service: 'pod-identity-agent',
      namespace: identity.namespace,
      serviceAccount: identity.serviceAccount,
      podName: identity.podName,
      podUid: identity.podUid,
      reqId: issuance.reqId,
      roleArn: credentials.roleArn,
      accessKeyId: credentials.accessKeyId,
      expiration: issuance.expiration,
      cache: issuance.outcome,
      msg: AUDIT_MESSAGE,
    };
    expect(log.lines).toEqual([JSON.stringify(expected)]);
  });

  it('writes one line per issuance, each with its own request id and cache outcome', () => {
    const log = captureLogger('info');
    const audit = createAuditLog(log.logger);
    audit.issued(issuance);
    audit.issued({ ...issuance, reqId: 'req-8', outcome: 'miss' });
    expect(log.records().map((r) => [r.reqId, r.cache])).toEqual([
      ['req-7', 'hit'],
      ['req-8', 'miss'],
    ]);
  });

  it('follows new credentials for the same identity (a refresh)', () => {
    const log = captureLogger('info');
    const audit = createAuditLog(log.logger);
    audit.issued(issuance);
    const refreshed = { ...credentials, accessKeyId: 'ASIAAUDITEXAMPLE0002' };
    audit.issued({ ...issuance, credentials: refreshed, expiration: '2023-11-15T00:13:20Z' });
    expect(log.records().map((r) => [r.accessKeyId, r.expiration])).toEqual([
      ['ASIAAUDITEXAMPLE0001', '2023-11-14T23:13:20Z'],
      ['ASIAAUDITEXAMPLE0002', '2023-11-15T00:13:20Z'],
    ]);
  });

  it('writes nothing when the level is above info', () => {
    const log = captureLogger('warn');
    createAuditLog(log.logger).issued(issuance);
    expect(log.lines).toEqual([]);
  });

  it('never writes the secret key or the session token', () => {
    const log = captureLogger('trace');
    createAuditLog(log.logger).issued(issuance);
    expect(log.lines.join('\n')).not.toContain(credentials.secretAccessKey);
    expect(log.lines.join('\n')).not.toContain(credentials.sessionToken);
  });
});
