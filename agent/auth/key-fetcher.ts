/** What one fetch of a key source gives: the raw key set document, and the issuer when the source names one. */
export interface KeyFetchResult {
  /** Unvalidated JWKS document (the key set validates it). */
  readonly document: unknown;
  /** The issuer from a discovery document, when the source reads one. */
  readonly issuer?: string | undefined;
}

/** Role: reads the current signing keys from somewhere. Rejects on any failure. */
export type KeyFetcher = () => Promise<KeyFetchResult>;
