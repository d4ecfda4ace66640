/**
 * A small client of the test control plane's API (node:https with a client certificate, JSON only),
 * with the few calls the tests make: objects a kubelet-less cluster needs (Node, Namespace,
 * ServiceAccount, Pod with `nodeName`), TokenRequest, and deletes that do not wait for a kubelet.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';

// biome-ignore lint/suspicious/noExplicitAny: API objects are untyped JSON here.
type Json = any;

/** An API answer that was not 2xx. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${typeof body === 'object' ? (body?.message ?? '') : String(body)}`);
  }
}

/** Credentials of one API user: a client certificate or a bearer token, and the CA to trust. */
export interface ApiUser {
  readonly server: string;
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

/** Options of {@link AdminClient.createPod}. */
export interface PodOptions {
  readonly serviceAccountName: string;
  /** "Scheduled" onto this node (there is no scheduler). */
  readonly nodeName?: string;
  readonly labels?: Record<string, string>;
}

/** A unique lowercase name for test objects: `prefix-<8 hex>`. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Calls the API as one user; every method throws {@link KubeApiError} on a non-2xx answer. */
export class AdminClient {
  constructor(readonly user: ApiUser) {}

  /** `method path` with a JSON body; `contentType` for patches. Resolves status and parsed body. */
  send(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: Json }> {
    const url = new URL(path, this.user.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // The key set is served only as application/jwk-set+json (406 for application/json alone).
    const headers: Record<string, string> = { accept: 'application/json, application/jwk-set+json' };
    if (payload !== undefined) headers['content-type'] = contentType;
    if (this.user.token !== undefined) headers.authorization = `Bearer ${this.user.token}`;
    const { ca, cert, key } = this.user;
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, ca, cert, key, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Json = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like {@link send}, but resolves the body and throws on a non-2xx status. */
  async call(method: string, path: string, body?: unknown, contentType?: string): Promise<Json> {
    const answer = await this.send(method, path, body, contentType);
    if (answer.status < 200 || answer.status > 299)
      throw new KubeApiError(answer.status, answer.body, `${method} ${path}`);
    return answer.body;
  }

  /** Creates a Namespace (a unique name when none is given; namespaces never finish deleting here). */
  async createNamespace(name = uniqueName('ns'), labels: Record<string, string> = {}): Promise<string> {
    await this.call('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });
    return name;
  }

  /** Creates a Node object (nothing runs on it). */
  createNode(name: string): Promise<Json> {
    return this.call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  }

  /** Creates a ServiceAccount. */
  createServiceAccount(
    namespace: string,
    name: string,
    annotations: Record<string, string> = {},
  ): Promise<Json> {
    const body = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, annotations } };
    return this.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, body);
  }

  /** Merge-patches an object at `path` (e.g. a ServiceAccount's annotations). */
  mergePatch(path: string, patch: unknown): Promise<Json> {
    return this.call('PATCH', path, patch, 'application/merge-patch+json');
  }

  /** Creates a Pod with one container that never runs (there is no kubelet). */
  createPod(namespace: string, name: string, options: PodOptions): Promise<Json> {
    const spec = {
      serviceAccountName: options.serviceAccountName,
      automountServiceAccountToken: false,
      ...(options.nodeName === undefined ? {} : { nodeName: options.nodeName }),
      containers: [{ name: 'app', image: 'example.invalid/app:1' }],
    };
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: options.labels ?? {} }, spec };
    return this.call('POST', `/api/v1/namespaces/${namespace}/pods`, body);
  }

  /** Deletes a Pod at once (`gracePeriodSeconds=0`: with no kubelet a graceful delete never ends). */
  deletePod(namespace: string, name: string): Promise<Json> {
    return this.call('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}?gracePeriodSeconds=0`);
  }

  /**
   * Requests a ServiceAccount token (TokenRequest API), bound to `pod` when given. Audience default
   * `pods.eks.amazonaws.com`; lifetime in seconds, default 3600 (the API refuses less than 600).
   */
  async requestToken(
    namespace: string,
    serviceAccount: string,
    options: { pod?: { name: string; uid: string }; audience?: string; expirationSeconds?: number } = {},
  ): Promise<string> {
    const spec = {
      audiences: [options.audience ?? 'pods.eks.amazonaws.com'],
      expirationSeconds: options.expirationSeconds ?? 3600,
      ...(options.pod === undefined
        ? {}
        : { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', ...options.pod } }),
    };
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec };
    const answer = await this.call(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
      body,
    );
    return answer.status.token as string;
  }
}
