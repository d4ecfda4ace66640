/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver (built by
 * `tools/build-control-plane.sh`) on loopback, with certificates and service-account keys made at
 * start, an https issuer whose OIDC discovery anonymous clients may read, and an admin client.
 * No kubelet, scheduler or controller manager: tests create Nodes, ServiceAccounts and Pods themselves.
 *
 * Most tests share one control plane per test run ({@link sharedControlPlane} in
 * `control-plane/shared.ts`); tests that restart the apiserver or rotate its key start their own.
 *
 * ```ts
 * const plane = await startControlPlane();
 * await plane.admin.createNode('node-a');
 * await plane.restartApiserver({ newSigningKey: true }); // old tokens keep verifying
 * await plane.stop();
 * ```
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient } from './control-plane/admin-client.js';
import { apiserverArgs, issuerOf } from './control-plane/apiserver-args.js';
import { controlPlaneBinaries } from './control-plane/binaries.js';
import {
  type CertFiles,
  createCa,
  createSigningKey,
  issueCert,
  type LeafOptions,
} from './control-plane/pki.js';
import { etcdArgs, logFiles, startDetached, stopProcess, waitForReadyz } from './control-plane/processes.js';
import { freePorts } from './loopback.js';

/** What any test process needs to use a running control plane (plain JSON, shared across processes). */
export interface ControlPlaneInfo {
  /** Data folder: certificates, keys, logs, `kubeconfig`. Removed by `stop()`. */
  readonly dir: string;
  /** `https://127.0.0.1:<port>`; also the service-account issuer. */
  readonly server: string;
  readonly issuer: string;
  readonly caFile: string;
  readonly caKeyFile: string;
  /** Admin (system:masters) client certificate. */
  readonly adminCertFile: string;
  readonly adminKeyFile: string;
  /** Admin kubeconfig (client certificate), for kubectl and `--kubeconfig`. */
  readonly kubeconfig: string;
  readonly etcdPid: number;
  readonly apiserverPid: number;
}

/** A control plane a test can use. */
export interface ControlPlane extends ControlPlaneInfo {
  /** The test CA's certificate (PEM). */
  readonly ca: string;
  readonly admin: AdminClient;
  /** Issues a certificate from the test CA into the data folder (e.g. a webhook's serving certificate). */
  issueCert(name: string, options: LeafOptions): Promise<CertFiles>;
  /** Writes a kubeconfig for a bearer token (e.g. a ServiceAccount's) into `file`; resolves `file`. */
  writeTokenKubeconfig(file: string, token: string): Promise<string>;
}

/** A control plane this test started and controls. */
export interface OwnedControlPlane extends ControlPlane {
  /** Stops the apiserver (SIGKILL: a crash; SIGTERM: a clean stop); etcd keeps running. */
  stopApiserver(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts the apiserver again on the same port and waits for `/readyz`. With `newSigningKey`, a
   * fresh key signs new tokens and every earlier public key keeps verifying.
   */
  startApiserver(options?: { newSigningKey?: boolean }): Promise<void>;
  /** Stops both processes and removes the data folder. */
  stop(): Promise<void>;
}

/** Options of {@link startControlPlane}. */
export interface StartControlPlaneOptions {
  /** Data folder (created). Default a new temporary folder. */
  readonly dir?: string;
  /** Milliseconds to wait for `/readyz`. Default 120000 (a loaded 2-core machine). */
  readonly readyTimeoutMs?: number;
}

/** Starts etcd and kube-apiserver and resolves once `/readyz` answers and discovery is readable. */
export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<OwnedControlPlane> {
  const bin = controlPlaneBinaries();
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'control-plane-')));
  await mkdir(dir, { recursive: true });
  const timeout = options.readyTimeoutMs ?? 120_000;
  const ca = await createCa(dir);
  const serving = await issueCert(ca, dir, 'apiserver', {
    subject: '/CN=kube-apiserver',
    altNames: ['IP:127.0.0.1', 'DNS:localhost'],
    usage: 'serverAuth',
  });
  const adminCert = await issueCert(ca, dir, 'admin', {
    subject: '/O=system:masters/CN=admin',
    usage: 'clientAuth',
  });
  const keys = [await createSigningKey(dir, 'sa-1')];
  const [etcdPort, peerPort, port] = (await freePorts(3)) as [number, number, number];
  const logs = logFiles(dir);
  const etcdPid = startDetached(bin.etcd, etcdArgs(join(dir, 'etcd'), etcdPort, peerPort), logs.etcd);
  const caPem = await readFile(ca.certFile, 'utf8');
  const admin = {
    cert: await readFile(adminCert.certFile, 'utf8'),
    key: await readFile(adminCert.keyFile, 'utf8'),
  };

  let apiserverPid = 0;
  const startApiserver = async (opts: { newSigningKey?: boolean } = {}) => {
    if (opts.newSigningKey) keys.push(await createSigningKey(dir, `sa-${keys.length + 1}`));
    const signing = keys[keys.length - 1] as (typeof keys)[number];
    const args = apiserverArgs({
      ...{ etcdPort, port, caFile: ca.certFile, certFile: serving.certFile, keyFile: serving.keyFile },
      ...{
        signingKeyFile: signing.privateKeyFile,
        publicKeyFiles: keys.map((k) => k.publicKeyFile),
        certDir: dir,
      },
    });
    // A restart keeps the port (the issuer URL names it). While the apiserver was down, another
    // process's outgoing connection may have been given that port as its local one: wait for it.
    for (let attempt = 1; ; attempt++) {
      apiserverPid = startDetached(bin.kubeApiserver, args, logs.apiserver);
      try {
        await waitForReadyz({ port, ca: caPem, ...admin }, apiserverPid, logs.apiserver, timeout);
        return;
      } catch (error) {
        if (attempt >= 20 || !String(error).includes('address already in use')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  const stopApiserver = (signal: NodeJS.Signals = 'SIGTERM') => stopProcess(apiserverPid, signal);
  try {
    await startApiserver();
  } catch (error) {
    await stopApiserver('SIGKILL');
    await stopProcess(etcdPid, 'SIGKILL');
    throw error;
  }
  const info: ControlPlaneInfo = {
    ...{ dir, server: issuerOf(port), issuer: issuerOf(port), caFile: ca.certFile, caKeyFile: ca.keyFile },
    ...{
      adminCertFile: adminCert.certFile,
      adminKeyFile: adminCert.keyFile,
      kubeconfig: join(dir, 'kubeconfig'),
    },
    ...{ etcdPid, apiserverPid },
  };
  const plane = await attachControlPlane(info);
  await writeFile(info.kubeconfig, kubeconfigJson(info.server, caPem, { cert: admin.cert, key: admin.key }));
  // OIDC discovery is bound to service accounts only; clusters that publish it bind anonymous too.
  await plane.admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    ...{
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'oidc-anonymous' },
    },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'system:service-account-issuer-discovery',
    },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:unauthenticated' }],
  });
  return {
    ...plane,
    get apiserverPid() {
      return apiserverPid;
    },
    stopApiserver,
    startApiserver,
    stop: async () => {
      await stopApiserver();
      await stopProcess(etcdPid);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A handle on a control plane started elsewhere (e.g. by another test process). */
export async function attachControlPlane(info: ControlPlaneInfo): Promise<ControlPlane> {
  const ca = await readFile(info.caFile, 'utf8');
  const cert = await readFile(info.adminCertFile, 'utf8');
  const key = await readFile(info.adminKeyFile, 'utf8');
  const caFiles = { certFile: info.caFile, keyFile: info.caKeyFile };
  return {
    ...info,
    ca,
    admin: new AdminClient({ server: info.server, ca, cert, key }),
    issueCert: (name, options) => issueCert(caFiles, info.dir, name, options),
    writeTokenKubeconfig: async (file, token) => {
      await writeFile(file, kubeconfigJson(info.server, ca, { token }), { mode: 0o600 });
      return file;
    },
  };
}

/** A kubeconfig (JSON is YAML) for `server`, trusting `caPem`, as a token or client-certificate user. */
export function kubeconfigJson(
  server: string,
  caPem: string,
  user: { token: string } | { cert: string; key: string },
): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const credentials =
    'token' in user
      ? { token: user.token }
      : { 'client-certificate-data': b64(user.cert), 'client-key-data': b64(user.key) };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: 'test', user: credentials }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    'current-context': 'test',
  });
}
