/**
 * What kubelet does with a (webhook-patched) pod spec, reduced to what an AWS SDK sees: for one
 * container, each projected `serviceAccountToken` volume it mounts becomes a directory holding a
 * freshly minted token (audience and lifetime from the volume), and its literal env values are kept.
 * Mount paths are moved under a temporary directory; env values that point into a mount follow it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mints the token kubelet would request for `audience`, valid `expirationSeconds`. */
export type TokenRequest = (audience: string, expirationSeconds: number) => Promise<string>;

/** A container as the SDK sees it. */
export interface MaterializedContainer {
  /** Literal env values, with paths under mounts rewritten to the temporary directory. */
  readonly env: Readonly<Record<string, string>>;
  /** Container mount path → host directory. */
  readonly mounts: ReadonlyMap<string, string>;
}

// biome-ignore lint/suspicious/noExplicitAny: a pod spec is untyped JSON here.
type Json = any;

/** Materializes `containerName` of `pod` (containers or init containers). */
export async function materializeContainer(
  pod: Json,
  containerName: string,
  requestToken: TokenRequest,
): Promise<MaterializedContainer> {
  const spec = pod.spec ?? {};
  const container = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find(
    (c: Json) => c.name === containerName,
  );
  if (container === undefined) throw new Error(`no container ${containerName}`);
  const root = mkdtempSync(join(tmpdir(), 'kubelet-'));
  const mounts = new Map<string, string>();
  for (const [i, mount] of (container.volumeMounts ?? []).entries()) {
    const volume = (spec.volumes ?? []).find((v: Json) => v.name === mount.name);
    if (volume === undefined) throw new Error(`volume ${mount.name} is mounted but not defined`);
    const dir = join(root, String(i));
    mkdirSync(dir);
    for (const source of volume.projected?.sources ?? []) {
      const sat = source.serviceAccountToken;
      if (sat === undefined) continue;
      // Kubernetes' own rules: expirationSeconds defaults to 3600 and must be at least 600.
      const seconds = sat.expirationSeconds ?? 3600;
      if (seconds < 600) throw new Error('expirationSeconds below 600 is rejected by the API server');
      // kubelet writes the raw token, no trailing newline.
      writeFileSync(join(dir, sat.path), await requestToken(sat.audience, seconds), { mode: 0o600 });
    }
    mounts.set(mount.mountPath, dir);
  }
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (typeof e.value !== 'string') continue;
    let value: string = e.value;
    for (const [path, dir] of mounts)
      if (value.startsWith(`${path}/`)) value = dir + value.slice(path.length);
    env[e.name] = value;
  }
  return { env, mounts };
}
