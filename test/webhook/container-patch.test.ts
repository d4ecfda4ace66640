import { describe, expect, it } from 'vitest';
import { containerPatch } from '../../agent/webhook/container-patch.js';
import { TOKEN_MOUNT_PATH } from '../../agent/webhook/injection.js';

const plan = { credentialsUri: 'http://169.254.170.23/v1/credentials', noProxyAppend: false };
const mountOps = (mountPath: string) =>
  containerPatch(
    { name: 'app', volumeMounts: [{ name: 'own', mountPath }] },
    ['spec', 'containers', 0],
    plan,
  ).filter((op) => op.path.includes('volumeMounts'));

describe('containerPatch', () => {
  it.each([
    ['the token path itself', TOKEN_MOUNT_PATH],
    ['a trailing slash', `${TOKEN_MOUNT_PATH}/`],
    ['doubled slashes', '/var/run//secrets/pods.eks.amazonaws.com//serviceaccount'],
    ['a dot segment', '/var/run/secrets/./pods.eks.amazonaws.com/serviceaccount'],
    ['a dot-dot segment', '/var/run/secrets/x/../pods.eks.amazonaws.com/serviceaccount/'],
  ])(
    'leaves a container alone that already mounts something at the token path written with %s',
    (_, path) => {
      expect(mountOps(path)).toEqual([]);
    },
  );

  it('adds the token mount next to a mount at another path', () => {
    expect(mountOps('/var/run/secrets/pods.eks.amazonaws.com/other')).toHaveLength(1);
  });
});
