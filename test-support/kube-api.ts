/**
 * A small Kubernetes API stand-in, kept only for faults a real kube-apiserver cannot be made to
 * produce at an exact moment: a watch closed now, history compacted now (410 Gone), a pod the watch
 * has not delivered yet, and TokenReview answers a real server never gives. Everything else is tested
 * against the real control plane (test-support/control-plane.ts). `node:https` on 127.0.0.1,
 * port 0, with a throw-away self-signed certificate (`@kubernetes/client-node` refuses plain http
 * unless TLS checks are off, and real clusters are HTTPS). Serves list and watch of every resource collection registered with it
 * (cluster-wide and per namespace, `fieldSelector`/`labelSelector` equality, `resourceVersion`,
 * bookmarks, `timeoutSeconds`, 410 Gone for versions older than the kept history), lets tests add,
 * modify and delete objects at run time, takes POST handlers (e.g. TokenReview), records every
 * request, and writes a kubeconfig pointing at itself (for `--kubeconfig`).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnLoopback } from './loopback.js';
import { makeSelfSignedCert } from './self-signed-cert.js';

/** A Kubernetes object as the stand-in stores it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A registered collection: `group` '' is the core API (`/api/v1`). */
export interface ResourceSpec {
  readonly group?: string;
  readonly version?: string;
  /** Plural, e.g. `serviceaccounts`, `pods`. */
  readonly plural: string;
  readonly kind: string;
  /** Default true. */
  readonly namespaced?: boolean;
}

/** Answers a POST (e.g. a TokenReview): returns status and JSON body. */
export type PostHandler = (body: unknown, req: IncomingMessage) => { status: number; body: unknown };

/** One recorded request. */
export interface KubeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
}

/** A running stand-in. */
export interface KubeApi {
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** PEM file of the server's certificate (its own CA). */
  readonly caFile: string;
  /** Bearer token clients must send. */
  readonly token: string;
  readonly requests: KubeRequest[];
  /** Adds or replaces an object (ADDED or MODIFIED event); returns it with its new resourceVersion. */
  apply(plural: string, object: KubeObject): KubeObject;
  /** Deletes an object (DELETED event); false when absent. */
  remove(plural: string, namespace: string | undefined, name: string): boolean;
  /** Answers `POST path` (e.g. `/apis/authentication.k8s.io/v1/tokenreviews`). */
  onPost(path: string, handler: PostHandler): void;
  /** Forgets history up to now: watches resuming from an older version get 410 Gone. */
  compact(): void;
  /** Ends every open watch stream (clients reconnect from their last version). */
  closeWatches(): void;
  /** Number of open watch streams. */
  readonly openWatches: number;
  /** Writes a kubeconfig for this server; returns its path. */
  writeKubeconfig(dir?: string): Promise<string>;
  close(): Promise<void>;
}

interface Collection {
  readonly spec: Required<ResourceSpec>;
  readonly objects: Map<string, KubeObject>;
}
interface Event {
  readonly rv: number;
  readonly plural: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
}
interface Watcher {
  readonly plural: string;
  readonly namespace: string | undefined;
  readonly matches: (o: KubeObject) => boolean;
  readonly res: ServerResponse;
}

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/** Starts the stand-in with `serviceaccounts` and `pods` registered. */
export async function startKubeApi(options: { token?: string } = {}): Promise<KubeApi> {
  const token = options.token ?? 'kube-api-test-token';
  const collections = new Map<string, Collection>();
  const posts = new Map<string, PostHandler>();
  const history: Event[] = [];
  const watchers = new Set<Watcher>();
  const requests: KubeRequest[] = [];
  let rv = 100;
  let oldestRv = rv;
  let uid = 0;

  function register(spec: ResourceSpec): void {
    const full = { group: '', version: 'v1', namespaced: true, ...spec };
    collections.set(spec.plural, { spec: full, objects: new Map() });
  }
  register({ plural: 'serviceaccounts', kind: 'ServiceAccount' });
  register({ plural: 'pods', kind: 'Pod' });

  function collection(plural: string): Collection {
    const found = collections.get(plural);
    if (found === undefined) throw new Error(`resource ${plural} is not registered`);
    return found;
  }
  const apiVersion = (s: Required<ResourceSpec>) => (s.group === '' ? s.version : `${s.group}/${s.version}`);

  function emit(plural: string, type: Event['type'], object: KubeObject): void {
    const event = { rv, plural, type, object: structuredClone(object) };
    history.push(event);
    for (const w of watchers) {
      if (w.plural === plural && inScope(object, w.namespace) && w.matches(object)) send(w.res, event);
    }
  }
  const send = (res: ServerResponse, e: { type: string; object: unknown }) =>
    res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);

  function apply(plural: string, object: KubeObject): KubeObject {
    const c = collection(plural);
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    const existing = c.objects.get(key);
    rv++;
    const stored: KubeObject = structuredClone({
      apiVersion: apiVersion(c.spec),
      kind: c.spec.kind,
      ...object,
      metadata: {
        uid: existing?.metadata.uid ?? `uid-${++uid}`,
        ...object.metadata,
        resourceVersion: String(rv),
      },
    });
    c.objects.set(key, stored);
    emit(plural, existing === undefined ? 'ADDED' : 'MODIFIED', stored);
    return structuredClone(stored);
  }

  function remove(plural: string, namespace: string | undefined, name: string): boolean {
    const c = collection(plural);
    const existing = c.objects.get(keyOf(namespace, name));
    if (existing === undefined) return false;
    c.objects.delete(keyOf(namespace, name));
    rv++;
    emit(plural, 'DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(rv) } });
    return true;
  }

  const dir = await mkdtemp(join(tmpdir(), 'kube-api-'));
  const tls = await makeSelfSignedCert(dir, 'kube-api', 'kube-api');
  const caPem = await readFile(tls.certFile, 'utf8');
  const server = createServer({ cert: caPem, key: await readFile(tls.keyFile) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query,
      authorization: req.headers.authorization,
    });
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized');
    if (req.method === 'POST') {
      const handler = posts.get(url.pathname);
      if (handler === undefined) return status(res, 404, 'NotFound');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'), req);
        json(res, answer.status, answer.body);
      });
      return;
    }
    if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed');
    const route = matchRoute(url.pathname);
    if (route === undefined) return status(res, 404, 'NotFound');
    const c = route.collection;
    const matches = selector(query.fieldSelector, query.labelSelector);
    if (route.name !== undefined) {
      const found = c.objects.get(keyOf(route.namespace, route.name));
      return found === undefined ? status(res, 404, 'NotFound') : json(res, 200, found);
    }
    if (query.watch === 'true' || query.watch === '1')
      return watch(req, res, c, route.namespace, matches, query);
    const items = [...c.objects.values()].filter((o) => inScope(o, route.namespace) && matches(o));
    json(res, 200, {
      apiVersion: apiVersion(c.spec),
      kind: `${c.spec.kind}List`,
      metadata: { resourceVersion: String(rv) },
      items,
    });
  });

  function matchRoute(
    path: string,
  ): { collection: Collection; namespace: string | undefined; name: string | undefined } | undefined {
    for (const c of collections.values()) {
      const base = c.spec.group === '' ? `/api/${c.spec.version}` : `/apis/${c.spec.group}/${c.spec.version}`;
      if (!path.startsWith(`${base}/`)) continue;
      const rest = path.slice(base.length + 1).split('/');
      if (rest[0] === c.spec.plural && rest.length <= 2)
        return { collection: c, namespace: undefined, name: rest[1] };
      if (rest[0] === 'namespaces' && rest[2] === c.spec.plural && rest.length <= 4)
        return { collection: c, namespace: rest[1], name: rest[3] };
    }
    return undefined;
  }

  function watch(
    req: IncomingMessage,
    res: ServerResponse,
    c: Collection,
    namespace: string | undefined,
    matches: (o: KubeObject) => boolean,
    query: Record<string, string>,
  ): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // Clients wait for the headers before they consider the watch open.
    res.flushHeaders();
    const from =
      query.resourceVersion === undefined || query.resourceVersion === ''
        ? undefined
        : Number(query.resourceVersion);
    if (from !== undefined && from < oldestRv) {
      send(res, {
        type: 'ERROR',
        object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 },
      });
      res.end();
      return;
    }
    if (from === undefined) {
      // No version: the current state as ADDED events, as the API server does.
      for (const o of c.objects.values())
        if (inScope(o, namespace) && matches(o)) send(res, { type: 'ADDED', object: o });
    } else {
      for (const e of history) {
        if (e.rv > from && e.plural === c.spec.plural && inScope(e.object, namespace) && matches(e.object))
          send(res, e);
      }
    }
    const watcher: Watcher = { plural: c.spec.plural, namespace, matches, res };
    watchers.add(watcher);
    const bookmarks =
      query.allowWatchBookmarks === 'true'
        ? setInterval(() => {
            send(res, {
              type: 'BOOKMARK',
              object: {
                kind: c.spec.kind,
                apiVersion: apiVersion(c.spec),
                metadata: { resourceVersion: String(rv) },
              },
            });
          }, 1000)
        : undefined;
    const timeout =
      query.timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => res.end(), Number(query.timeoutSeconds) * 1000);
    const done = () => {
      watchers.delete(watcher);
      clearInterval(bookmarks);
      clearTimeout(timeout);
    };
    req.on('close', done);
    res.on('close', done);
  }

  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  const base = `https://127.0.0.1:${port}`;

  return {
    server: base,
    caFile: tls.certFile,
    token,
    requests,
    apply,
    remove,
    onPost: (path, handler) => {
      posts.set(path, handler);
    },
    compact: () => {
      history.length = 0;
      oldestRv = rv;
    },
    closeWatches: () => {
      for (const w of watchers) w.res.end();
      watchers.clear();
    },
    get openWatches() {
      return watchers.size;
    },
    async writeKubeconfig(dir?: string) {
      const folder = dir ?? (await mkdtemp(join(tmpdir(), 'kubeconfig-')));
      const file = join(folder, 'kubeconfig.yaml');
      await writeFile(file, kubeconfigYaml(base, token, caPem));
      return file;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Stop listening, then destroy every socket, including those still in their TLS handshake
        // (closeAllConnections does not see them, and a client re-opening its watch leaves one).
        server.close(() => resolve());
        watchers.clear();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A kubeconfig (JSON is YAML) for `server` with a bearer token, trusting `caPem`. */
function kubeconfigYaml(server: string, token: string, caPem: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: 'test', user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    'current-context': 'test',
  });
}

function inScope(o: KubeObject, namespace: string | undefined): boolean {
  return namespace === undefined || o.metadata.namespace === namespace;
}

/** Equality-only field and label selectors (`a.b=c,d!=e`), enough for the agent's informers. */
function selector(fields: string | undefined, labels: string | undefined): (o: KubeObject) => boolean {
  const parse = (text: string | undefined) =>
    (text ?? '')
      .split(',')
      .filter((t) => t !== '')
      .map((term) => {
        const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
        if (m === null) throw new Error(`unsupported selector ${term}`);
        return { key: m[1] as string, negate: m[2] === '!=', value: m[3] as string };
      });
  const f = parse(fields);
  const l = parse(labels);
  return (o) =>
    f.every((t) => (String(fieldValue(o, t.key) ?? '') === t.value) !== t.negate) &&
    l.every((t) => (o.metadata.labels?.[t.key] === t.value) !== t.negate);
}

function fieldValue(o: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined),
      o,
    );
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
}
