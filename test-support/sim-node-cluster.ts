/**
 * The run's shared kube-apiserver for a simulated node's tokens (TokenRequest API), when it is built.
 * Without it (outside CI) the node keeps its own simulated kubelet key and this says why.
 */
import { controlPlaneProblem } from './control-plane/binaries.js';
import { sharedControlPlane } from './control-plane/shared.js';
import type { ControlPlane } from './control-plane.js';
import { needs } from './needs.js';

/** The shared control plane, or undefined (simulated tokens) when it cannot run here. */
export async function realClusterForSimNode(what: string): Promise<ControlPlane | undefined> {
  if (!needs(controlPlaneProblem(), `real TokenRequest tokens for ${what} (simulated tokens instead)`))
    return undefined;
  return sharedControlPlane();
}
