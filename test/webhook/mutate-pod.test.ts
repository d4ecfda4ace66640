import { type IPod, Pod } from 'kubernetes-models/v1/Pod';
import { describe, expect, it } from 'vitest';
import { appendNoProxy } from '../../agent/webhook/container-patch.js';
import { checkMutationOptions, mutatePod } from '../../agent/webhook/mutate-pod.js';
import { applyJsonPatch } from '../../test-support/json-patch.js';
import { ENV, MOUNT, MOUNT_PATH, options, pod, resolver, URI, VOLUME } from './fixtures.js';

const IMG = 'public.ecr.aws/aws-cli/aws-cli';

/** [case, pod, namespace, expected pod after the patch]. */
const INJECTED: [string, IPod, string, unknown][] = [
  [
    'a bare pod gets the volume, the mount and both variables',
    pod({ serviceAccountName: 's3-access-sa' }),
    'default',
    pod({
      serviceAccountName: 's3-access-sa',
      containers: [{ name: 'app', image: IMG, volumeMounts: [MOUNT], env: ENV }],
      volumes: [VOLUME],
    }),
  ],
  [
    'a pod without serviceAccountName runs as "default"',
    pod({}),
    'default',
    pod({ containers: [{ name: 'app', image: IMG, volumeMounts: [MOUNT], env: ENV }], volumes: [VOLUME] }),
  ],
  [
    'a "*" entry matches any service account of its namespace',
    pod({ serviceAccountName: 'freshly-created' }),
    'batch',
    pod({
      serviceAccountName: 'freshly-created',
      containers: [{ name: 'app', image: IMG, volumeMounts: [MOUNT], env: ENV }],
      volumes: [VOLUME],
    }),
  ],
  [
    'hostNetwork pods are still injected',
    pod({ serviceAccountName: 's3-access-sa', hostNetwork: true }),
    'default',
    pod({
      serviceAccountName: 's3-access-sa',
      hostNetwork: true,
      containers: [{ name: 'app', image: IMG, volumeMounts: [MOUNT], env: ENV }],
      volumes: [VOLUME],
    }),
  ],
  [
    'containers and init containers each get what they lack, existing items are kept',
    pod({
      serviceAccountName: 's3-access-sa',
      volumes: [{ name: 'data', emptyDir: {} }],
      initContainers: [{ name: 'setup', image: IMG, env: [] }],
      containers: [
        {
          name: 'app',
          image: IMG,
          env: [{ name: 'A', value: '1' }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
        { name: 'own-creds', image: IMG, env: [{ name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: 'x' }] },
        {
          name: 'own-mount',
          image: IMG,
          volumeMounts: [{ name: 'data', mountPath: `${MOUNT_PATH}/` }],
        },
        { name: 'null-arrays', image: IMG, env: null, volumeMounts: null },
      ],
    }),
    'default',
    pod({
      serviceAccountName: 's3-access-sa',
      volumes: [{ name: 'data', emptyDir: {} }, VOLUME],
      initContainers: [{ name: 'setup', image: IMG, env: ENV, volumeMounts: [MOUNT] }],
      containers: [
        {
          name: 'app',
          image: IMG,
          env: [{ name: 'A', value: '1' }, ...ENV],
          volumeMounts: [{ name: 'data', mountPath: '/data' }, MOUNT],
        },
        {
          name: 'own-creds',
          image: IMG,
          env: [{ name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: 'x' }],
          volumeMounts: [MOUNT],
        },
        {
          name: 'own-mount',
          image: IMG,
          volumeMounts: [{ name: 'data', mountPath: `${MOUNT_PATH}/` }],
          env: ENV,
        },
        { name: 'null-arrays', image: IMG, env: ENV, volumeMounts: [MOUNT] },
      ],
    }),
  ],
  [
    'a pod that already has the token volume keeps it and only gains mounts and variables',
    pod({ serviceAccountName: 's3-access-sa', volumes: [VOLUME] }),
    'default',
    pod({
      serviceAccountName: 's3-access-sa',
      volumes: [VOLUME],
      containers: [{ name: 'app', image: IMG, volumeMounts: [MOUNT], env: ENV }],
    }),
  ],
  [
    'containers named in the skip-containers annotation are left alone',
    pod(
      {
        serviceAccountName: 's3-access-sa',
        containers: [
          { name: 'app', image: IMG },
          { name: 'istio-proxy', image: IMG },
        ],
      },
      { annotations: { 'pod-identity.k8s.aws/skip-containers': 'istio-proxy, other' } },
    ),
    'default',
    pod(
      {
        serviceAccountName: 's3-access-sa',
        containers: [
          { name: 'app', image: IMG, volumeMounts: [MOUNT], env: ENV },
          { name: 'istio-proxy', image: IMG },
        ],
        volumes: [VOLUME],
      },
      { annotations: { 'pod-identity.k8s.aws/skip-containers': 'istio-proxy, other' } },
    ),
  ],
];

describe('mutatePod', () => {
  it.each(INJECTED)('%s', (_name, input, namespace, expected) => {
    const mutation = mutatePod(input, namespace, options());
    expect(mutation.result).toBe('injected');
    const output = applyJsonPatch(input, mutation.patch);
    expect(output).toEqual(expected);
    expect(() => new Pod(output).validate()).not.toThrow();
  });

  it.each(INJECTED)('is idempotent: a second admission of "%s" changes nothing', (_name, input, ns) => {
    const once = applyJsonPatch(input, mutatePod(input, ns, options()).patch);
    const again = mutatePod(once, ns, options());
    expect(again).toMatchObject({ result: 'unchanged', reason: 'already-injected' });
    expect(again.patch).toEqual([]);
  });

  it.each([
    [
      'a pod that opts out',
      pod({ serviceAccountName: 's3-access-sa' }, { annotations: { 'pod-identity.k8s.aws/skip': 'true' } }),
      'default',
      'opted-out',
    ],
    [
      "a pod with IRSA's skip label, whatever its value",
      pod(
        { serviceAccountName: 's3-access-sa' },
        { labels: { 'eks.amazonaws.com/skip-pod-identity-webhook': 'false' } },
      ),
      'default',
      'opted-out',
    ],
    [
      "a pod whose every container is named in EKS's skip-containers annotation",
      pod(
        { serviceAccountName: 's3-access-sa' },
        { annotations: { 'eks.amazonaws.com/skip-containers': 'app' } },
      ),
      'default',
      'opted-out',
    ],
    [
      'a service account without association',
      pod({ serviceAccountName: 'nobody' }),
      'default',
      'no-association',
    ],
    ['a "*" entry of another namespace', pod({ serviceAccountName: 'x' }), 'other', 'no-association'],
    [
      'a pod whose every container is skipped',
      pod(
        { serviceAccountName: 's3-access-sa' },
        { annotations: { 'pod-identity.k8s.aws/skip-containers': 'app' } },
      ),
      'default',
      'opted-out',
    ],
  ])('skips %s with an empty patch', (_name, input, namespace, reason) => {
    const mutation = mutatePod(input, namespace, options());
    expect(mutation).toMatchObject({ result: 'skipped', reason });
    expect(mutation.patch).toEqual([]);
  });

  it('does not treat a skip annotation other than "true" as opting out', () => {
    const input = pod(
      { serviceAccountName: 's3-access-sa' },
      { annotations: { 'pod-identity.k8s.aws/skip': 'false' } },
    );
    expect(mutatePod(input, 'default', options()).result).toBe('injected');
  });

  it('asks the resolver with the request namespace and the pod service account', () => {
    const r = resolver();
    mutatePod(pod({ serviceAccountName: 'abc' }), 'team-a', options({ resolver: r }));
    expect(r.calls).toEqual([['team-a', 'abc']]);
  });

  it('uses the configured audience, lifetime and URI', () => {
    const input = pod({ serviceAccountName: 's3-access-sa' });
    const uri = 'http://[fd00:ec2::23]/v1/credentials';
    const out = applyJsonPatch(
      input,
      mutatePod(
        input,
        'default',
        options({
          audience: 'sts.amazonaws.com',
          tokenExpirationSeconds: 3600,
          credentialsUri: new URL(uri),
        }),
      ).patch,
    );
    expect(out.spec?.volumes?.[0]?.projected?.sources?.[0]?.serviceAccountToken).toEqual({
      audience: 'sts.amazonaws.com',
      expirationSeconds: 3600,
      path: 'eks-pod-identity-token',
    });
    expect(out.spec?.containers[0]).toMatchObject({ env: [{ value: uri }, {}, {}] });
  });

  it('adds the region variables EKS adds, in its order, when the region is known', () => {
    const input = pod({ serviceAccountName: 's3-access-sa' });
    const out = applyJsonPatch(input, mutatePod(input, 'default', options({ region: 'eu-west-3' })).patch);
    expect(out.spec?.containers[0]?.env).toEqual([
      ...ENV,
      { name: 'AWS_REGION', value: 'eu-west-3' },
      { name: 'AWS_DEFAULT_REGION', value: 'eu-west-3' },
    ]);
  });

  it('never overwrites a region variable the container sets, and adds none beside envFrom', () => {
    const input = pod({
      serviceAccountName: 's3-access-sa',
      containers: [
        { name: 'a', image: IMG, env: [{ name: 'AWS_REGION', value: 'us-east-2' }] },
        { name: 'b', image: IMG, envFrom: [{ configMapRef: { name: 'aws' } }] },
      ],
    });
    const out = applyJsonPatch(input, mutatePod(input, 'default', options({ region: 'eu-west-3' })).patch);
    expect(out.spec?.containers[0]?.env).toEqual([
      { name: 'AWS_REGION', value: 'us-east-2' },
      ...ENV,
      { name: 'AWS_DEFAULT_REGION', value: 'eu-west-3' },
    ]);
    expect(out.spec?.containers[1]?.env).toEqual(ENV.slice(0, 2));
    expect(mutatePod(out, 'default', options({ region: 'eu-west-3' })).patch).toEqual([]);
  });

  it('appends the link-local addresses to an existing NO_PROXY only when asked', () => {
    const input = pod({
      serviceAccountName: 's3-access-sa',
      containers: [
        {
          name: 'a',
          image: IMG,
          env: [
            { name: 'NO_PROXY', value: 'localhost,.svc' },
            { name: 'no_proxy', value: '169.254.170.23' },
          ],
        },
        {
          name: 'b',
          image: IMG,
          env: [{ name: 'NO_PROXY', valueFrom: { configMapKeyRef: { name: 'p', key: 'k' } } }],
        },
      ],
    });
    const off = applyJsonPatch(input, mutatePod(input, 'default', options()).patch);
    expect(off.spec?.containers[0]?.env?.[0]).toEqual({ name: 'NO_PROXY', value: 'localhost,.svc' });

    const on = applyJsonPatch(input, mutatePod(input, 'default', options({ noProxyAppend: true })).patch);
    expect(on.spec?.containers[0]?.env?.slice(0, 2)).toEqual([
      { name: 'NO_PROXY', value: 'localhost,.svc,169.254.170.23,[fd00:ec2::23]' },
      { name: 'no_proxy', value: '169.254.170.23,[fd00:ec2::23]' },
    ]);
    expect(on.spec?.containers[1]?.env?.[0]).toEqual(input.spec?.containers[1]?.env?.[0]);
    expect(mutatePod(on, 'default', options({ noProxyAppend: true })).patch).toEqual([]);
  });

  it.each([
    ['', '169.254.170.23,[fd00:ec2::23]'],
    ['a, b,', 'a, b,169.254.170.23,[fd00:ec2::23]'],
    ['[fd00:ec2::23] , 169.254.170.23', '[fd00:ec2::23] , 169.254.170.23'],
  ])('appendNoProxy(%j) is %j', (input, expected) => {
    expect(appendNoProxy(input)).toBe(expected);
  });

  it.each([
    [{ resolver: {} }, 'resolver'],
    [{ audience: '' }, 'audience'],
    [{ tokenExpirationSeconds: 599 }, 'tokenExpirationSeconds'],
    [{ credentialsUri: 'not a url' }, 'credentialsUri'],
  ])('rejects bad option %j naming it', (extra, name) => {
    expect(() => checkMutationOptions(options(extra as never))).toThrow(name);
  });

  it('patches are plain RFC 6902 adds and replaces on escaped paths', () => {
    const { patch } = mutatePod(pod({ serviceAccountName: 's3-access-sa' }), 'default', options());
    expect(patch).toEqual([
      { op: 'add', path: '/spec/volumes', value: [VOLUME] },
      { op: 'add', path: '/spec/containers/0/volumeMounts', value: [MOUNT] },
      { op: 'add', path: '/spec/containers/0/env', value: ENV },
    ]);
    expect(URI).toContain('169.254.170.23');
  });
});

describe("the seed's example pod", () => {
  it('gets exactly the volume and mount EKS gives (shared/000 example, step 3)', () => {
    const seedPod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 's3-access-pod' },
      spec: { serviceAccountName: 's3-access-sa', containers: [{ name: 'app', image: 'my-app-image' }] },
    } as IPod;
    const out = applyJsonPatch(seedPod, mutatePod(seedPod, 'default', options()).patch);
    expect(out.spec?.volumes).toEqual([
      {
        name: 'eks-pod-identity-token',
        projected: {
          defaultMode: 420,
          sources: [
            {
              serviceAccountToken: {
                audience: 'pods.eks.amazonaws.com',
                expirationSeconds: 86400,
                path: 'eks-pod-identity-token',
              },
            },
          ],
        },
      },
    ]);
    expect(out.spec?.containers[0]?.volumeMounts).toEqual([
      {
        mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount',
        name: 'eks-pod-identity-token',
        readOnly: true,
      },
    ]);
  });
});
