/** The RFC 6902 operations the webhook emits. It only ever adds or replaces; it never removes. */
export type JsonPatchOp =
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown };

/** Escapes one JSON Pointer reference token (RFC 6901 §3): `~` → `~0`, then `/` → `~1`. */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Builds a JSON Pointer from unescaped tokens, e.g. `['metadata', 'a/b']` → `/metadata/a~1b`. */
export function pointer(...tokens: readonly (string | number)[]): string {
  return tokens.map((t) => `/${escapePointerToken(String(t))}`).join('');
}
