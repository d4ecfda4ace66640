/**
 * A stand-in for a cluster's service-account token signer: one signing key, its public JSON Web Key
 * Set, and a minter of Kubernetes-shaped projected tokens (docs/security.md, threat 1). Used by tests, the demo and the benchmarks, so it depends on jose and node:* only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from 'jose';

/** Signing algorithms a test cluster can use (what Kubernetes API servers sign with). */
export type ClusterKeyAlg = 'RS256' | 'ES256';

/** Options of {@link createClusterKeys}. */
export interface ClusterKeysOptions {
  /** Signing algorithm. Default `RS256` (the API server's default). */
  readonly alg?: ClusterKeyAlg;
  /** Key id put in the JWKS and every token header. Default: a random id. */
  readonly kid?: string;
}

/** The claims of one projected token. Times are epoch seconds unless named `…Ms`. */
export interface TokenClaims {
  readonly issuer: string;
  /** Becomes the `aud` array. */
  readonly audience: string | readonly string[];
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Default: a UUID derived from namespace and name (stable across tokens of the same account). */
  readonly serviceAccountUid?: string;
  readonly podName: string;
  /** Default: a UUID derived from namespace and pod name (stable across token rotations). */
  readonly podUid?: string;
  /** Adds the `kubernetes.io.node` claim (Kubernetes 1.30+). Absent: no node claim. */
  readonly nodeName?: string;
  /** Default: a UUID derived from the node name. */
  readonly nodeUid?: string;
  /** Issued-at, epoch seconds. Default: `now`. */
  readonly iat?: number;
  /** Not-before, epoch seconds. Default: `iat`. */
  readonly nbf?: number;
  /** Expiry, epoch seconds. Default: `iat + lifetimeSeconds`. */
  readonly exp?: number;
  /** Token lifetime in seconds. Default 86400 (what pod identity tokens use). */
  readonly lifetimeSeconds?: number;
  /** Current time in milliseconds since the epoch. Default `Date.now()`. */
  readonly now?: number;
  /** Claims merged last, over the computed ones (for tests of bad tokens, e.g. a foreign `sub`). */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
}

/** A cluster's signing key and what can be done with it. */
export interface ClusterKeys {
  /** Public keys only, each with `kid`, `alg` and `use: sig`. */
  readonly jwks: JSONWebKeySet;
  readonly privateKey: CryptoKey;
  readonly kid: string;
  readonly alg: ClusterKeyAlg;
  /** Signs a projected service-account token with the given claims. */
  mintToken(claims: TokenClaims): Promise<string>;
  /** Signs an arbitrary payload with this key; header fields override `alg`, `kid` and `typ`. */
  signPayload(payload: JWTPayload, header?: Partial<JWTHeaderParameters>): Promise<string>;
  /** Writes the JWKS as `jwks.json` into `dir` (created if missing); resolves to the file path. */
  writeJwksFile(dir: string): Promise<string>;
}

/** Default lifetime of minted tokens in seconds (pod identity tokens use 24 h). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 86_400;

/** A UUID-shaped value derived from `parts`: the same object gets the same uid in every token. */
export function stableUid(...parts: readonly string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Generates a fresh signing key pair and returns its JWKS and token minter. */
export async function createClusterKeys(options: ClusterKeysOptions = {}): Promise<ClusterKeys> {
  const alg = options.alg ?? 'RS256';
  if (alg !== 'RS256' && alg !== 'ES256') throw new Error('"alg" must be RS256 or ES256');
  const kid = options.kid ?? randomUUID().replaceAll('-', '').slice(0, 20);
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const jwks: JSONWebKeySet = { keys: [publicJwk] };

  const signPayload = (payload: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT', ...header }).sign(privateKey);

  const mintToken = (claims: TokenClaims): Promise<string> => {
    const nowSeconds = Math.floor((claims.now ?? Date.now()) / 1000);
    const iat = claims.iat ?? nowSeconds;
    const { namespace, serviceAccount, podName, nodeName } = claims;
    const payload: JWTPayload = {
      aud: typeof claims.audience === 'string' ? [claims.audience] : [...claims.audience],
      exp: claims.exp ?? iat + (claims.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS),
      iat,
      iss: claims.issuer,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace,
        ...(nodeName === undefined
          ? {}
          : { node: { name: nodeName, uid: claims.nodeUid ?? stableUid('node', nodeName) } }),
        pod: { name: podName, uid: claims.podUid ?? stableUid('pod', namespace, podName) },
        serviceaccount: {
          name: serviceAccount,
          uid: claims.serviceAccountUid ?? stableUid('serviceaccount', namespace, serviceAccount),
        },
      },
      nbf: claims.nbf ?? iat,
      sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
      ...claims.extraClaims,
    };
    return signPayload(payload);
  };

  const writeJwksFile = async (dir: string): Promise<string> => {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'jwks.json');
    await writeFile(path, `${JSON.stringify(jwks, null, 2)}\n`);
    return path;
  };

  return { jwks, privateKey, kid, alg, mintToken, signPayload, writeJwksFile };
}
