import { describe, expect, it } from 'vitest';
import { bindHostProblems, clusterProblems, portProblems } from '../../agent/config/startup-checks.js';

describe('clusterProblems', () => {
  it.each(['us-east-1', 'eu-central-2', 'us-gov-west-1', 'cn-north-1', 'ap-southeast-5', 'eusc-de-east-1'])(
    'accepts the region %s',
    (region) => {
      expect(clusterProblems('demo', region)).toEqual([]);
    },
  );

  it.each(['Oregon', 'us-east', 'us_east_1', 'US-EAST-1'])('refuses the region %s by flag name', (region) => {
    expect(clusterProblems('demo', region)).toEqual([
      expect.stringMatching(/^--region \(POD_IDENTITY_AGENT_REGION/),
    ]);
  });

  it('refuses a cluster name EKS would not accept, and leaves empty values to the flag check', () => {
    expect(clusterProblems('my cluster', '')).toEqual([
      expect.stringMatching(
        /^--cluster-name \(POD_IDENTITY_AGENT_CLUSTER_NAME\) must be an EKS cluster name/,
      ),
    ]);
  });
});

describe('bindHostProblems', () => {
  it.each(['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '::0'])('refuses the wildcard %s', (host) => {
    expect(bindHostProblems(['169.254.170.23', host])).toHaveLength(1);
  });

  it('accepts the link-local pair and loopback', () => {
    expect(bindHostProblems(['169.254.170.23', 'fd00:ec2::23', '127.0.0.1', '::1'])).toEqual([]);
  });
});

describe('portProblems', () => {
  it('lets the webhook use 0 (any free port) everywhere, but not the server its credentials port', () => {
    expect(portProblems({ port: 0, probePort: 0, metricsPort: 0 }, 'webhook')).toEqual([]);
    expect(portProblems({ port: 0, probePort: 2703, metricsPort: 2705 }, 'server')).toHaveLength(1);
  });
});
