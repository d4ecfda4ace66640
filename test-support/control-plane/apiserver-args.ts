/**
 * The kube-apiserver command line of a test control plane. Each flag beyond the minimum is there for
 * a reason given beside it; docs/compatibility.md lists what this does not exercise.
 */

/** Files and ports one apiserver start needs. */
export interface ApiserverFiles {
  readonly etcdPort: number;
  readonly port: number;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The key that signs new tokens. */
  readonly signingKeyFile: string;
  /** Every public key whose tokens still verify (the signing key's included). */
  readonly publicKeyFiles: readonly string[];
  /** Scratch folder the apiserver may write to. */
  readonly certDir: string;
}

/** The issuer URL of a control plane on `port`: https, or the OIDC discovery endpoints are not served. */
export const issuerOf = (port: number): string => `https://127.0.0.1:${port}`;

/** The command line. */
export function apiserverArgs(f: ApiserverFiles): string[] {
  const issuer = issuerOf(f.port);
  return [
    `--etcd-servers=http://127.0.0.1:${f.etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${f.port}`,
    // A loopback advertise address makes the `kubernetes` Endpoints reconciler fail forever.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${f.certFile}`,
    `--tls-private-key-file=${f.keyFile}`,
    `--cert-dir=${f.certDir}`,
    // Client certificates signed by the test CA; O=system:masters is the admin.
    `--client-ca-file=${f.caFile}`,
    // RBAC, as in a real cluster (AlwaysAllow would also turn anonymous requests off).
    '--authorization-mode=RBAC',
    // Anonymous requests reach /readyz and, once bound, OIDC discovery.
    '--anonymous-auth=true',
    `--service-account-issuer=${issuer}`,
    // Otherwise derived from the first non-loopback address of the machine.
    `--service-account-jwks-uri=${issuer}/openid/v1/jwks`,
    `--service-account-signing-key-file=${f.signingKeyFile}`,
    ...f.publicKeyFiles.map((file) => `--service-account-key-file=${file}`),
    '--service-cluster-ip-range=10.0.0.0/24',
    '--profiling=false',
    '--v=1',
  ];
}
