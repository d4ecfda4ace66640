/** One admin-owned association of namespace + service account to a role (docs/any-cluster.md, "The associations file"). */
export interface Association {
  readonly namespace: string;
  /** A service account name, or `*` for every service account of the namespace. */
  readonly serviceAccount: string;
  readonly roleArn: string;
  /** Optional second role assumed with the first session's credentials (role chaining, 1 h cap). */
  readonly targetRoleArn?: string | undefined;
  /** Custom session tags added to the six standard ones. */
  readonly sessionTags?: Readonly<Record<string, string>> | undefined;
  readonly disableSessionTags?: boolean | undefined;
  /** Inline session policy (an IAM policy document). */
  readonly sessionPolicy?: unknown;
  /** Requested session duration in seconds. */
  readonly durationSeconds?: number | undefined;
}

/** Role: finds the association for a service account; exact names beat `*`, file entries beat annotations. */
export interface AssociationResolver {
  resolve(namespace: string, serviceAccount: string): Association | undefined;
}
