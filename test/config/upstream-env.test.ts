import { describe, expect, it } from 'vitest';
import { parseConfig, type ServerConfig } from '../../agent/config/parse-config.js';
import { ConfigError } from '../../agent/errors.js';

const ARGS = [
  'server',
  '--cluster-name=demo',
  '--region=us-west-2',
  '--issuer=https://i.example',
  '--jwks-uri=https://i.example/jwks',
];

function server(env: Record<string, string>, args: readonly string[] = []): ServerConfig {
  return parseConfig([...ARGS, ...args], env) as ServerConfig;
}

describe('the proxy and AWS endpoint variables', () => {
  it('default to direct calls, the regional endpoints and the system roots', () => {
    const config = server({});
    expect(config.endpoint).toBeUndefined();
    expect(config.stsEndpoint).toBeUndefined();
    expect(config.upstream).toEqual({
      httpsProxy: undefined,
      httpProxy: undefined,
      noProxy: [],
      useFipsEndpoint: false,
      caBundleFile: undefined,
    });
  });

  it('read the per-service endpoint first, then AWS_ENDPOINT_URL, and the flags win over both', () => {
    const env = {
      AWS_ENDPOINT_URL: 'https://all.example',
      AWS_ENDPOINT_URL_EKS_AUTH: 'https://eks-auth.example',
    };
    expect(server(env).endpoint?.href).toBe('https://eks-auth.example/');
    expect(server(env).stsEndpoint?.href).toBe('https://all.example/');
    const sts = { ...env, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:5000' };
    expect(server(sts, ['--allow-plain-http']).stsEndpoint?.href).toBe('http://127.0.0.1:5000/');
    expect(server(env, ['--endpoint=https://flag.example']).endpoint?.href).toBe('https://flag.example/');
  });

  it('read both spellings of the proxy variables, upper case first, and a bare host:port', () => {
    const config = server({
      HTTPS_PROXY: 'proxy.internal:3128',
      https_proxy: 'http://ignored:1',
      http_proxy: 'http://proxy.internal:3129',
      no_proxy: ' .svc , 169.254.169.254,LOCALHOST ',
      AWS_USE_FIPS_ENDPOINT: 'TRUE',
      AWS_CA_BUNDLE: '/etc/ssl/corp.pem',
    });
    expect(config.upstream).toEqual({
      httpsProxy: new URL('http://proxy.internal:3128'),
      httpProxy: new URL('http://proxy.internal:3129'),
      noProxy: ['.svc', '169.254.169.254', 'localhost'],
      useFipsEndpoint: true,
      caBundleFile: '/etc/ssl/corp.pem',
    });
  });

  it('refuse bad values naming the variable, together with flag problems', () => {
    let problems: readonly string[] = [];
    try {
      parseConfig([...ARGS, '--port=0'], {
        HTTPS_PROXY: 'socks5://proxy:1080',
        AWS_ENDPOINT_URL_STS: 'not a url',
        AWS_USE_FIPS_ENDPOINT: 'yes',
      });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^--port must not be 0/),
        'HTTPS_PROXY must be an http(s) URL, got "socks5://proxy:1080"',
        'AWS_ENDPOINT_URL_STS must be an http(s) URL, got "not a url"',
        'AWS_USE_FIPS_ENDPOINT must be true or false, got "yes"',
      ]),
    );
  });

  it('refuse an AWS_CA_BUNDLE that cannot be read or holds no certificate, when files are checked', () => {
    const read = (path: string): string => {
      if (path === '/missing.pem') throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return 'not a certificate';
    };
    for (const [file, problem] of [
      ['/missing.pem', 'AWS_CA_BUNDLE /missing.pem cannot be read (ENOENT)'],
      ['/junk.pem', 'AWS_CA_BUNDLE /junk.pem holds no PEM certificate'],
    ]) {
      expect(() => parseConfig(ARGS, { AWS_CA_BUNDLE: file as string }, { readText: read })).toThrow(
        expect.objectContaining({ problems: [problem] }),
      );
    }
  });
});
