import { describe, expect, it } from 'vitest';
import { AgentError } from '../../agent/errors.js';
import { scrubObject, scrubText, serializeError } from '../../agent/log/redact.js';
import { captureLogger } from '../fakes/log-capture.js';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLWJ5dGVz';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const SESSION = 'FwoGZXIvYXdzEBYaDHqa0AP1/hSvHJKGZCKwAVZpqbz9Ue0Nbx3Aa7pGqf1tUo2pdZqn+6bQyD7x9YqTqPJVyXM=';

describe('scrubText', () => {
  it.each([JWT, SECRET, SESSION])('removes %s', (secret) => {
    expect(scrubText(`before ${secret} after`)).toBe('before [REDACTED] after');
  });

  it('removes a JWT from a text shorter than a secret key', () => {
    const short = 'eyJhbGci.eyJzdWIi.c2ln';
    expect(scrubText(`t=${short}`)).toBe('t=[REDACTED]');
  });

  it('keeps long lower-case Kubernetes names', () => {
    const pod = 'my-application-deployment-7d9f8b6c5d-x2x4z-abcdefghij';
    expect(scrubText(pod)).toBe(pod);
  });
});

describe('scrubObject', () => {
  it('passes an object of safe scalar fields through uncopied, and copies one with any other field', () => {
    const audit = { namespace: 'default', podName: 'p', cache: 'hit', statusCode: 200 };
    expect(scrubObject(audit)).toBe(audit);
    expect(scrubObject({ namespace: 'default', detail: JWT })).toEqual({
      namespace: 'default',
      detail: '[REDACTED]',
    });
    expect(scrubObject({ namespace: { token: 'x' } })).toEqual({ namespace: { token: '[REDACTED]' } });
  });

  it('drops values of secret keys whatever they hold', () => {
    expect(
      scrubObject({ token: 'short', nested: { SecretAccessKey: 'x', sessionToken: 'y' }, ok: 'fine' }),
    ).toEqual({
      token: '[REDACTED]',
      nested: { SecretAccessKey: '[REDACTED]', sessionToken: '[REDACTED]' },
      ok: 'fine',
    });
  });
});

describe('serializeError', () => {
  it('keeps type, code, status and retryable, and scrubs messages down the cause chain', () => {
    const sdkError = Object.assign(new Error(`The security token ${SESSION} is invalid for ${JWT}`), {
      name: 'ExpiredTokenException',
      $metadata: { httpStatusCode: 400, requestId: 'req-1' },
    });
    const error = new AgentError('AccessDenied', { cause: sdkError });
    const out = serializeError(error);
    expect(out).toMatchObject({
      type: 'AgentError',
      code: 'AccessDenied',
      statusCode: 403,
      retryable: false,
    });
    expect(out.cause).toMatchObject({
      type: 'ExpiredTokenException',
      upstreamStatus: 400,
      upstreamRequestId: 'req-1',
    });
    expect(JSON.stringify(out)).not.toContain(SESSION);
    expect(JSON.stringify(out)).not.toContain(JWT);
  });
});

describe('createLogger', () => {
  it('keeps the type, code and scrubbed message of a logged error', () => {
    const { logger, records } = captureLogger();
    logger.error(
      {
        err: new AgentError('UpstreamUnavailable', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }),
      },
      'failed',
    );
    const err = records()[0]?.err as Record<string, unknown>;
    expect(err).toMatchObject({ type: 'AgentError', code: 'UpstreamUnavailable' });
    expect(err.cause).toMatchObject({ message: 'connect ECONNREFUSED 127.0.0.1:9' });
  });

  it('never writes a token or secret, whatever the call site passes, at any level', () => {
    const { logger, lines } = captureLogger('trace');
    logger.trace({ headers: { authorization: JWT } }, 'request');
    logger.debug({ credentials: { SecretAccessKey: SECRET } }, 'got');
    logger.info({ err: new Error(`bad ${SESSION}`) }, `token was ${JWT}`);
    logger.error({ detail: `secret=${SECRET}` }, 'failed');
    expect(lines).toHaveLength(4);
    const all = lines.join('\n');
    for (const secret of [JWT, SECRET, SESSION]) expect(all).not.toContain(secret);
  });
});
