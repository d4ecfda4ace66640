/** Where token signing keys come from. */
export type KeySource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'uri'; readonly uri: URL }
  | { readonly kind: 'discovery'; readonly issuer: URL }
  | { readonly kind: 'kubernetes' };
