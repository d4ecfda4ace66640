import type { CommandResult, RunCommand } from '../../agent/init/run-command.js';

interface FakeLink {
  kind: string;
  up: boolean;
  addresses: { family: 'inet' | 'inet6'; local: string; prefixlen: number }[];
}

/** A tiny in-memory kernel answering the `ip` commands init uses, recording every call. */
export class FakeIp {
  readonly links = new Map<string, FakeLink>();
  readonly calls: string[] = [];
  netAdmin = true;
  dummyDriver = true;
  installed = true;
  /** Error text for IPv6 `addr add`, or undefined to accept it. */
  v6AddError: string | undefined;

  readonly run: RunCommand = async (cmd, args) => {
    this.calls.push(`${cmd} ${args.join(' ')}`);
    if (!this.installed) return fail('spawn ip ENOENT', 127);
    const [a, b, c, d, e, f] = args;
    if (a === '-d' && b === '-j' && c === 'addr' && d === 'show' && e === 'dev' && f !== undefined) {
      const link = this.links.get(f);
      if (link === undefined) return fail(`Device "${f}" does not exist.`);
      return ok(this.json(f, link));
    }
    if (!this.netAdmin) return fail('RTNETLINK answers: Operation not permitted', 2);
    if (a === 'link' && b === 'add' && c !== undefined && d === 'type' && e !== undefined) {
      if (e === 'dummy' && !this.dummyDriver) return fail('Error: Unknown device type.', 2);
      if (this.links.has(c)) return fail('RTNETLINK answers: File exists', 2);
      this.links.set(c, { kind: e, up: false, addresses: [] });
      return ok('');
    }
    if (a === 'addr' && b === 'add' && c !== undefined && d === 'dev' && e !== undefined) {
      const link = this.links.get(e);
      if (link === undefined) return fail(`Cannot find device "${e}"`);
      const [local = '', prefix = ''] = c.split('/');
      const family = local.includes(':') ? 'inet6' : 'inet';
      if (family === 'inet6' && this.v6AddError !== undefined) return fail(this.v6AddError, 2);
      link.addresses.push({ family, local, prefixlen: Number(prefix) });
      return ok('');
    }
    if (a === 'link' && b === 'set' && c === 'dev' && d !== undefined && e === 'up') {
      const link = this.links.get(d);
      if (link === undefined) return fail(`Cannot find device "${d}"`);
      link.up = true;
      return ok('');
    }
    return fail(`fake ip: unsupported ${args.join(' ')}`);
  };

  /** The calls that would have changed the kernel's state. */
  get mutations(): string[] {
    return this.calls.filter((c) => !c.includes(' show '));
  }

  private json(name: string, link: FakeLink): string {
    return JSON.stringify([
      {
        ifname: name,
        flags: link.up ? ['BROADCAST', 'NOARP', 'UP', 'LOWER_UP'] : ['BROADCAST', 'NOARP'],
        linkinfo: { info_kind: link.kind },
        addr_info: link.addresses,
      },
    ]);
  }
}

function ok(stdout: string): CommandResult {
  return { code: 0, stdout, stderr: '' };
}

function fail(stderr: string, code = 1): CommandResult {
  return { code, stdout: '', stderr };
}
