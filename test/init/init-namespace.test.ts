import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { INIT_EXIT } from '../../agent/config/init-exit-codes.js';
import { needs } from '../../test-support/needs.js';

const MAIN = fileURLToPath(new URL('../../dist/agent/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'init-netns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Why network namespaces cannot be used here, or undefined when they can. */
function namespaceProblem(): string | undefined {
  const probe = spawnSync('unshare', ['-rn', 'ip', 'link', 'show', 'lo'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `unshare cannot run: ${probe.error.message}`;
  if (probe.status !== 0) return `unprivileged network namespaces are not permitted: ${probe.stderr.trim()}`;
  return undefined;
}

const HAS_SETPRIV = spawnSync('setpriv', ['--version']).status === 0;

/**
 * One namespace, everything in order: init twice, the interface after each run, then a run without
 * NET_ADMIN, then one with IPv6 turned off. Results land in files in `dir`.
 */
const SCRIPT = `
set -u
init() { node "$MAIN" init "$@" >>"$DIR/log" 2>&1; }
ip link add probe0 type dummy 2>/dev/null && { echo 1 >"$DIR/dummy"; ip link del probe0; }
init --bind-hosts '169.254.170.23,[fd00:ec2::23]'; echo $? >"$DIR/rc1"
ip -d -j addr show dev pod-id-link0 >"$DIR/addr1"
init --bind-hosts '169.254.170.23,[fd00:ec2::23]'; echo $? >"$DIR/rc2"
ip -d -j addr show dev pod-id-link0 >"$DIR/addr2"
if [ "$SETPRIV" = 1 ]; then
  setpriv --bounding-set=-net_admin --inh-caps=-net_admin node "$MAIN" init --interface other0 >>"$DIR/log" 2>&1
  echo $? >"$DIR/rc3"
fi
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
init --interface v4only0 --bind-hosts '169.254.170.23,[fd00:ec2::23]'; echo $? >"$DIR/rc4"
ip -j addr show dev v4only0 >"$DIR/addr4"
`;

interface Addr {
  flags: string[];
  linkinfo?: { info_kind?: string };
  addr_info: { family: string; local: string; prefixlen: number }[];
}

const read = (name: string) => readFileSync(join(dir, name), 'utf8').trim();
const link = (name: string) => (JSON.parse(read(name)) as Addr[])[0] as Addr;
const globalAddresses = (a: Addr) =>
  a.addr_info.filter((i) => !i.local.startsWith('fe80')).map((i) => `${i.local}/${i.prefixlen}`);

const enabled = needs(namespaceProblem(), 'the init tests in a network namespace');
const withSetpriv = needs(
  HAS_SETPRIV ? undefined : 'setpriv is not installed, so the capability cannot be dropped',
  'the init test without NET_ADMIN',
);

describe.skipIf(!enabled)('pod-identity-agent init in a network namespace', () => {
  if (enabled) {
    execFileSync('unshare', ['-rn', 'sh', '-c', SCRIPT], {
      env: { PATH: process.env.PATH, MAIN, DIR: dir, SETPRIV: HAS_SETPRIV ? '1' : '0' },
      timeout: 60_000,
    });
  }

  it('creates the interface with both addresses, up, on the first run', () => {
    expect(Number(read('rc1')), read('log')).toBe(INIT_EXIT.ok);
    const first = link('addr1');
    expect(globalAddresses(first).sort()).toEqual(['169.254.170.23/32', 'fd00:ec2::23/128']);
    expect(first.flags).toContain('UP');
    // A kernel without the dummy driver gets the documented ifb fallback.
    const kind = first.linkinfo?.info_kind;
    expect(kind).toBe(existsSync(join(dir, 'dummy')) ? 'dummy' : 'ifb');
  });

  it('changes nothing on the second run', () => {
    expect(Number(read('rc2'))).toBe(INIT_EXIT.ok);
    expect(link('addr2')).toEqual(link('addr1'));
    expect(read('log')).toContain('init: nothing to change');
  });

  it.skipIf(!withSetpriv)('exits with the NET_ADMIN code and says so when the capability is missing', () => {
    expect(Number(read('rc3'))).toBe(INIT_EXIT.noNetAdmin);
    expect(read('log')).toMatch(/^pod-identity-agent: .*NET_ADMIN.*exitCode=3/m);
  });

  it('skips the IPv6 address with a warning when IPv6 is turned off', () => {
    expect(Number(read('rc4'))).toBe(INIT_EXIT.ok);
    expect(globalAddresses(link('addr4'))).toEqual(['169.254.170.23/32']);
    expect(read('log')).toMatch(/^pod-identity-agent: IPv6 .*address=fd00:ec2::23/m);
  });
});
