import { describe, expect, it } from 'vitest';
import { INIT_EXIT } from '../../agent/config/init-exit-codes.js';
import type { InitConfig } from '../../agent/config/parse-config.js';
import { type InitLogger, runInit } from '../../agent/init/run-init.js';
import { FakeIp } from './fake-ip.js';

const CONFIG: InitConfig = {
  command: 'init',
  bindHosts: ['169.254.170.23', 'fd00:ec2::23'],
  interfaceName: 'pod-id-link0',
};

class RecordingLogger implements InitLogger {
  readonly lines: { level: string; obj: object; msg: string }[] = [];
  info(obj: object, msg: string) {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string) {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string) {
    this.lines.push({ level: 'error', obj, msg });
  }
  debug(obj: object, msg: string) {
    this.lines.push({ level: 'debug', obj, msg });
  }
  levels(level: string): number {
    return this.lines.filter((l) => l.level === level).length;
  }
}

function setup(ipv6Off = false) {
  const ip = new FakeIp();
  const logger = new RecordingLogger();
  const deps = { run: ip.run, logger, ipv6Disabled: async () => ipv6Off };
  return { ip, logger, deps };
}

describe('runInit', () => {
  it('creates the dummy interface, adds both addresses with host prefixes and brings it up', async () => {
    const { ip, deps } = setup();
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.ok);
    expect(ip.mutations).toEqual([
      'ip link add pod-id-link0 type dummy',
      'ip addr add 169.254.170.23/32 dev pod-id-link0',
      'ip addr add fd00:ec2::23/128 dev pod-id-link0 nodad',
      'ip link set dev pod-id-link0 up',
    ]);
    const link = ip.links.get('pod-id-link0');
    expect(link?.up).toBe(true);
    expect(link?.kind).toBe('dummy');
  });

  it('changes nothing when run a second time', async () => {
    const { ip, deps } = setup();
    await runInit(CONFIG, deps);
    const before = ip.mutations.length;
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.ok);
    expect(ip.mutations.length).toBe(before);
  });

  it('treats a non-canonical spelling of an existing IPv6 address as already present', async () => {
    const { ip, deps } = setup();
    await runInit(CONFIG, deps);
    const before = ip.mutations.length;
    const config = { ...CONFIG, bindHosts: ['169.254.170.23', 'FD00:0EC2:0::23'] };
    expect(await runInit(config, deps)).toBe(INIT_EXIT.ok);
    expect(ip.mutations.length).toBe(before);
  });

  it('only adds what is missing on an interface left half-done', async () => {
    const { ip, deps } = setup();
    ip.links.set('pod-id-link0', {
      kind: 'dummy',
      up: true,
      addresses: [{ family: 'inet', local: '169.254.170.23', prefixlen: 32 }],
    });
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.ok);
    expect(ip.mutations).toEqual(['ip addr add fd00:ec2::23/128 dev pod-id-link0 nodad']);
  });

  it('skips the IPv6 address with a warning when the node has IPv6 off', async () => {
    const { ip, logger, deps } = setup(true);
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.ok);
    expect(ip.mutations).not.toContain('ip addr add fd00:ec2::23/128 dev pod-id-link0 nodad');
    expect(logger.levels('warn')).toBe(1);
  });

  it.each([
    'RTNETLINK answers: Cannot assign requested address',
    'RTNETLINK answers: Permission denied',
    'Error: ipv6: IPv6 is disabled on this device.',
  ])('skips the IPv6 address with a warning when adding it fails with "%s"', async (error) => {
    const { ip, logger, deps } = setup();
    ip.v6AddError = error;
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.ok);
    expect(ip.links.get('pod-id-link0')?.addresses.map((a) => a.local)).toEqual(['169.254.170.23']);
    expect(ip.links.get('pod-id-link0')?.up).toBe(true);
    expect(logger.levels('warn')).toBe(1);
  });

  it('fails when an IPv6 address is refused for another reason', async () => {
    const { ip, deps } = setup();
    ip.v6AddError = 'Error: something unexpected';
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.failed);
  });

  it('falls back to an ifb interface with a warning when the kernel lacks the dummy driver', async () => {
    const { ip, logger, deps } = setup();
    ip.dummyDriver = false;
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.ok);
    expect(ip.links.get('pod-id-link0')?.kind).toBe('ifb');
    expect(logger.levels('warn')).toBe(1);
  });

  it('exits with the NET_ADMIN code and an error log when it may not change interfaces', async () => {
    const { ip, logger, deps } = setup();
    ip.netAdmin = false;
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.noNetAdmin);
    expect(logger.lines.find((l) => l.level === 'error')?.msg).toMatch(/NET_ADMIN/);
  });

  it('succeeds without NET_ADMIN when nothing needs to change', async () => {
    const { ip, deps } = setup();
    await runInit(CONFIG, deps);
    ip.netAdmin = false;
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.ok);
  });

  it('exits with the iproute2 code when the ip program is missing', async () => {
    const { ip, deps } = setup();
    ip.installed = false;
    expect(await runInit(CONFIG, deps)).toBe(INIT_EXIT.ipMissing);
  });

  it('refuses to touch an existing interface that is not a dummy', async () => {
    const { ip, deps } = setup();
    ip.links.set('eth0', { kind: 'veth', up: true, addresses: [] });
    expect(await runInit({ ...CONFIG, interfaceName: 'eth0' }, deps)).toBe(INIT_EXIT.foreignInterface);
    expect(ip.mutations).toEqual([]);
  });

  it.each([
    ['an interface name over 15 characters', { interfaceName: 'a-very-long-interface' }],
    ['an interface name with a slash', { interfaceName: 'a/b' }],
    ['no addresses', { bindHosts: [] }],
  ])('rejects %s as invalid configuration before running ip', async (_what, patch) => {
    const { ip, deps } = setup();
    expect(await runInit({ ...CONFIG, ...patch }, deps)).toBe(INIT_EXIT.invalidConfig);
    expect(ip.calls).toEqual([]);
  });

  it('returns the failure code instead of throwing when ip prints something unreadable', async () => {
    const logger = new RecordingLogger();
    const run = async () => ({ code: 0, stdout: 'not json', stderr: '' });
    expect(await runInit(CONFIG, { run, logger, ipv6Disabled: async () => false })).toBe(INIT_EXIT.failed);
    expect(logger.levels('error')).toBe(1);
  });
});
