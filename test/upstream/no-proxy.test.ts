import { describe, expect, it } from 'vitest';
import { bypassesProxy } from '../../agent/upstream/no-proxy.js';

describe('bypassesProxy', () => {
  it.each<[string, string, boolean]>([
    ['https://sts.us-west-2.amazonaws.com/', '*', true],
    ['https://sts.us-west-2.amazonaws.com/', 'amazonaws.com', true],
    ['https://sts.us-west-2.amazonaws.com/', '.amazonaws.com', true],
    ['https://sts.us-west-2.amazonaws.com/', '*.amazonaws.com', true],
    ['https://notamazonaws.com/', 'amazonaws.com', false],
    ['https://eks-auth.us-west-2.api.aws/', 'amazonaws.com', false],
    ['http://127.0.0.1:8080/', '127.0.0.1', true],
    ['http://127.0.0.1:8080/', '127.0.0.1:8080', true],
    ['http://127.0.0.1:8080/', '127.0.0.1:9090', false],
    ['https://10.1.2.3/', '10.0.0.0/8', true],
    ['https://11.1.2.3/', '10.0.0.0/8', false],
    ['http://[::1]:8080/', '::1', true],
    ['http://[::1]:8080/', '[::1]:8080', true],
    ['https://kubernetes.default.svc/', 'localhost', false],
  ])('%s with NO_PROXY=%s is direct: %s', (url, entry, direct) => {
    expect(bypassesProxy(new URL(url), [entry])).toBe(direct);
  });

  it('goes through the proxy when NO_PROXY is empty', () => {
    expect(bypassesProxy(new URL('https://sts.amazonaws.com/'), [])).toBe(false);
  });
});
