import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { INIT_EXIT } from '../config/init-exit-codes.js';
import type { InitConfig } from '../config/parse-config.js';
import type { Log } from '../log/logger.js';
import { fromIpAddrJson, hasAddress, type LinkState } from './link-state.js';
import { type CommandResult, createRunCommand, type RunCommand } from './run-command.js';

/** Pino-compatible logger subset used by init (the shared {@link Log}). */
export type InitLogger = Log;

/** What `runInit` talks to; every member has a real default. */
export interface InitDeps {
  /** Runs `ip`. Default: {@link createRunCommand}. */
  readonly run?: RunCommand;
  /** Default: discards everything (main.ts passes its JSON logger). */
  readonly logger?: InitLogger;
  /** Whether the kernel has IPv6 turned off. Default: reads /proc/sys/net/ipv6/conf/all/disable_ipv6 (missing = off). */
  readonly ipv6Disabled?: () => Promise<boolean>;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** Interface kinds init creates; an existing link of another kind is someone else's device. */
const OWN_KINDS = new Set(['dummy', 'ifb']);
const silent: InitLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Thrown inside runInit to stop with an exit code; never escapes it. */
class InitStop extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    readonly detail: object = {},
  ) {
    super(message);
  }
}

/**
 * Idempotently puts every `--bind-hosts` address (/32 or /128) on the dummy interface `--interface`
 * and brings it up, for the DaemonSet's init container. Needs `CAP_NET_ADMIN` only when something must
 * change. IPv6 addresses are skipped with a warning when the node has IPv6 off (docs/api.md).
 * Never throws: resolves with an {@link INIT_EXIT} code after logging why.
 */
export async function runInit(config: InitConfig, deps: InitDeps = {}): Promise<number> {
  const logger = deps.logger ?? silent;
  const ip = ipRunner(deps.run ?? createRunCommand());
  try {
    const name = config.interfaceName;
    if (!IFNAME.test(name) || name === '.' || name === '..')
      throw new InitStop(
        INIT_EXIT.invalidConfig,
        '--interface must be 1-15 letters, digits, "_", "." or "-"',
      );
    if (config.bindHosts.length === 0)
      throw new InitStop(INIT_EXIT.invalidConfig, '--bind-hosts must name at least one address');
    const changes: string[] = [];
    let state = await ensureLink(ip, name, changes, logger);
    const v6Off = await (deps.ipv6Disabled ?? readIpv6Disabled)();
    for (const host of config.bindHosts) {
      const v6 = isIPv6(host);
      const prefix = v6 ? 128 : 32;
      if (hasAddress(state, host, prefix)) continue;
      if (v6 && v6Off) {
        logger.warn({ address: host }, 'IPv6 is disabled on this node; skipping the IPv6 address');
        continue;
      }
      const args = ['addr', 'add', `${host}/${prefix}`, 'dev', name, ...(v6 ? ['nodad'] : [])];
      const result = await ip(args, { allowed: v6 ? V6_UNAVAILABLE : undefined });
      if (result.code !== 0) {
        logger.warn({ address: host, reason: firstLine(result.stderr) }, 'IPv6 unavailable; skipping');
        continue;
      }
      changes.push(`added ${host}/${prefix}`);
    }
    state = await readLink(ip, name);
    if (!state.up) {
      await ip(['link', 'set', 'dev', name, 'up']);
      changes.push('set up');
    }
    logger.info(
      { interface: name, changes },
      changes.length === 0 ? 'init: nothing to change' : 'init: done',
    );
    return INIT_EXIT.ok;
  } catch (error) {
    if (!(error instanceof InitStop)) {
      logger.error({ err: error }, 'init failed unexpectedly');
      return INIT_EXIT.failed;
    }
    logger.error({ ...error.detail, exitCode: error.exitCode }, error.message);
    return error.exitCode;
  }
}

/** netlink errors that mean "no IPv6 here", not "broken": EADDRNOTAVAIL, EACCES, IPv6 off per device. */
const V6_UNAVAILABLE = /Cannot assign requested address|Permission denied|IPv6 is disabled/i;

type Ip = (args: readonly string[], opts?: { allowed?: RegExp | undefined }) => Promise<CommandResult>;

/** Wraps `run` so that a failing `ip` call becomes an {@link InitStop} with the right exit code. */
function ipRunner(run: RunCommand): Ip {
  return async (args, opts = {}) => {
    const result = await run('ip', args);
    if (result.code === 0) return result;
    const detail = { command: `ip ${args.join(' ')}`, stderr: firstLine(result.stderr) };
    if (result.code === 127 || /ENOENT/.test(result.stderr))
      throw new InitStop(INIT_EXIT.ipMissing, 'the "ip" command (iproute2) is not installed', detail);
    if (/Operation not permitted/i.test(result.stderr))
      throw new InitStop(
        INIT_EXIT.noNetAdmin,
        'not permitted to change network interfaces: the init container needs the NET_ADMIN capability',
        detail,
      );
    if (opts.allowed?.test(result.stderr)) return result;
    throw new InitStop(INIT_EXIT.failed, 'an ip command failed', detail);
  };
}

const MISSING = /does not exist|Cannot find device/i;

async function readLink(ip: Ip, name: string): Promise<LinkState> {
  const result = await ip(['-d', '-j', 'addr', 'show', 'dev', name]);
  return fromIpAddrJson(result.stdout);
}

/** Creates the interface unless it exists; a kernel without the dummy driver gets an ifb device instead. */
async function ensureLink(ip: Ip, name: string, changes: string[], logger: InitLogger): Promise<LinkState> {
  const shown = await ip(['-d', '-j', 'addr', 'show', 'dev', name], { allowed: MISSING });
  if (shown.code === 0) {
    const state = fromIpAddrJson(shown.stdout);
    if (state.kind === undefined || !OWN_KINDS.has(state.kind))
      throw new InitStop(
        INIT_EXIT.foreignInterface,
        `interface ${name} exists and is not a dummy interface`,
        {
          kind: state.kind ?? 'device',
        },
      );
    return state;
  }
  const added = await ip(['link', 'add', name, 'type', 'dummy'], { allowed: /Unknown device type/i });
  if (added.code !== 0) {
    // Some minimal kernels (micro-VMs) ship without CONFIG_DUMMY; ifb is another inert virtual device.
    logger.warn({ interface: name }, 'the kernel has no dummy interface driver; using an ifb interface');
    await ip(['link', 'add', name, 'type', 'ifb']);
  }
  changes.push(`created ${name}`);
  return readLink(ip, name);
}

async function readIpv6Disabled(): Promise<boolean> {
  try {
    return (await readFile('/proc/sys/net/ipv6/conf/all/disable_ipv6', 'utf8')).trim() === '1';
  } catch {
    return true;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
