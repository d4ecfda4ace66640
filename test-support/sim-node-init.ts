/**
 * `pod-identity-agent init` run for real inside the simulated node's namespace, as the DaemonSet's
 * init container runs it on a node.
 */
import { spawn } from 'node:child_process';
import { AGENT_MAIN } from './agent-process.js';
import { inNamespace } from './netns.js';
import { AGENT_IPV4, AGENT_IPV6 } from './sim-pod.js';

/** Runs the real `pod-identity-agent init` in the node namespace, as the DaemonSet's init container does. */
export function runInitIn(ns: string): Promise<string[]> {
  const [program, ...prefix] = inNamespace(ns);
  const child = spawn(
    program as string,
    [...prefix, process.execPath, AGENT_MAIN, 'init', '--bind-hosts', `${AGENT_IPV4},[${AGENT_IPV6}]`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const lines = out.split('\n').filter((l) => l.length > 0);
      if (code === 0) resolve(lines);
      else reject(new Error(`init exited with ${code}:\n${out}`));
    });
  });
}
