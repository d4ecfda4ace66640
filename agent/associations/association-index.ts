import type { Association, AssociationResolver } from './association.js';

/** An immutable lookup table of associations: exact service account beats `*` (docs/any-cluster.md, "The associations file"). */
export interface AssociationIndex extends AssociationResolver {
  /** The associations, in file order. */
  readonly entries: readonly Association[];
}

const WILDCARD = '*';

function keyOf(namespace: string, serviceAccount: string): string {
  return `${namespace}\u0000${serviceAccount}`;
}

/** Builds an {@link AssociationIndex}. Later duplicates are ignored (the parser already rejects them). */
export function createAssociationIndex(list: readonly Association[]): AssociationIndex {
  const byKey = new Map<string, Association>();
  for (const association of list) {
    const key = keyOf(association.namespace, association.serviceAccount);
    if (!byKey.has(key)) byKey.set(key, association);
  }
  return Object.freeze({
    entries: Object.freeze([...list]),
    resolve(namespace: string, serviceAccount: string): Association | undefined {
      return byKey.get(keyOf(namespace, serviceAccount)) ?? byKey.get(keyOf(namespace, WILDCARD));
    },
  });
}

/**
 * Resolvers tried in order; the first that knows the service account wins. Used for
 * `--role-source both`, with the file's resolver first so admin entries beat annotations.
 */
export function combineResolvers(...resolvers: readonly AssociationResolver[]): AssociationResolver {
  return {
    resolve(namespace, serviceAccount) {
      for (const resolver of resolvers) {
        const found = resolver.resolve(namespace, serviceAccount);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}

/**
 * Returns a predicate that is true for the service accounts whose resolved association differs
 * between `previous` and `next` (removed, added, or any field changed). The app drops the cached
 * credentials of those identities so an edit takes effect at once:
 * `cache.drop((identity) => affected(identity.namespace, identity.serviceAccount))`.
 */
export function isAffected(
  previous: AssociationResolver,
  next: AssociationResolver,
): (namespace: string, serviceAccount: string) => boolean {
  return (namespace, serviceAccount) =>
    !sameAssociation(previous.resolve(namespace, serviceAccount), next.resolve(namespace, serviceAccount));
}

/** Deep equality of two associations (key order ignored). */
export function sameAssociation(a: Association | undefined, b: Association | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
