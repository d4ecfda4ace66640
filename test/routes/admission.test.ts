import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { VerifiedToken, VerifyContext } from '../../agent/auth/token-verifier.js';
import { AgentError } from '../../agent/errors.js';
import type { PodChecker } from '../../agent/pods/pod-checker.js';
import { createAdmission } from '../../agent/routes/admission.js';
import { MemoVerifier } from '../fakes/memo-verifier.js';

const HOST = '127.0.0.1:8080';

/** A pod check that knows the pods in `live`, refuses those in `gone`, and must ask for the rest. */
class SetPodChecker implements PodChecker {
  readonly live = new Set<string>();
  readonly gone = new Set<string>();
  readonly asked: { podUid: string; context: VerifyContext }[] = [];
  known(verified: VerifiedToken): boolean {
    if (this.gone.has(verified.identity.podUid)) throw new AgentError('TokenNotBound');
    return this.live.has(verified.identity.podUid);
  }
  async check(verified: VerifiedToken, context: VerifyContext): Promise<void> {
    this.asked.push({ podUid: verified.identity.podUid, context });
    if (this.known(verified)) return;
    this.live.add(verified.identity.podUid);
  }
  notReadyReason(): string | undefined {
    return undefined;
  }
  async close(): Promise<void> {}
}

function request(headers: Record<string, string>, remoteAddress = '10.0.0.7'): FastifyRequest {
  const rawHeaders = Object.entries(headers).flat();
  return {
    headers,
    raw: { url: '/v1/credentials', rawHeaders },
    socket: { remoteAddress },
  } as unknown as FastifyRequest;
}
const reply = { header: () => reply } as unknown as FastifyReply;
const get = (token: string) => request({ host: HOST, authorization: token });

describe('createAdmission', () => {
  const build = (podCheck?: PodChecker, admit?: (r: FastifyRequest) => void) => {
    const verifier = new MemoVerifier();
    const isAllowedHost = (host: string | undefined) => host === HOST;
    return { verifier, admission: createAdmission({ isAllowedHost, verifier, podCheck, admit }) };
  };

  it('admits a new token through a promise, and the same token again synchronously', async () => {
    const { verifier, admission } = build();
    const first = admission(get('good.web.sig'), reply);
    expect(first).toBeInstanceOf(Promise);
    expect((await first).identity.podUid).toBe('uid-web');
    const again = admission(get('good.web.sig'), reply);
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as VerifiedToken).identity.podUid).toBe('uid-web');
    expect(verifier.calls).toBe(1);
  });

  it('asks the pod check with the source address until the pod is known, then answers synchronously', async () => {
    const checker = new SetPodChecker();
    const { admission } = build(checker);
    await admission(get('good.web.sig'), reply);
    expect(checker.asked).toEqual([{ podUid: 'uid-web', context: { sourceAddress: '10.0.0.7' } }]);
    expect(admission(get('good.web.sig'), reply)).not.toBeInstanceOf(Promise);
    expect(checker.asked).toHaveLength(1);
  });

  it('never asks the pod check about a token that failed verification', async () => {
    const checker = new SetPodChecker();
    const { admission } = build(checker);
    await expect(admission(get('forged'), reply)).rejects.toMatchObject({ code: 'InvalidToken' });
    expect(checker.asked).toHaveLength(0);
  });

  it('refuses a memoized token of a pod now gone, synchronously', async () => {
    const checker = new SetPodChecker();
    const { admission } = build(checker);
    await admission(get('good.web.sig'), reply);
    checker.gone.add('uid-web');
    expect(() => admission(get('good.web.sig'), reply)).toThrow(
      expect.objectContaining({ code: 'TokenNotBound' }),
    );
  });

  it('runs the request checks and the source limit before any token work, on a repeat as on a first request', async () => {
    let limited = false;
    const { verifier, admission } = build(undefined, () => {
      if (limited) throw new AgentError('Throttled');
    });
    await admission(get('good.web.sig'), reply);
    const refusals: [FastifyRequest, string][] = [
      [request({ host: 'evil.example', authorization: 'good.web.sig' }), 'InvalidHost'],
      [request({ host: HOST, authorization: 'good.web.sig', 'content-length': '5' }), 'PayloadTooLarge'],
    ];
    for (const [req, code] of refusals)
      expect(() => admission(req, reply)).toThrow(expect.objectContaining({ code }));
    limited = true;
    expect(() => admission(get('good.web.sig'), reply)).toThrow(
      expect.objectContaining({ code: 'Throttled' }),
    );
    expect(verifier.calls).toBe(1);
  });

  it('refuses repeated Authorization headers even for a memoized token', async () => {
    const { admission } = build();
    await admission(get('good.web.sig'), reply);
    const twice = {
      headers: { host: HOST, authorization: 'good.web.sig' },
      raw: {
        url: '/v1/credentials',
        rawHeaders: ['Host', HOST, 'Authorization', 'good.web.sig', 'Authorization', 'x'],
      },
      socket: { remoteAddress: '10.0.0.7' },
    } as unknown as FastifyRequest;
    expect(() => admission(twice, reply)).toThrow(expect.objectContaining({ code: 'MalformedToken' }));
  });
});
