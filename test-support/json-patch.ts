/**
 * A small, strict RFC 6902 applier for tests: `add`, `remove`, `replace` and `test`, with RFC 6901
 * pointer unescaping. Throws on any path that the API server would reject, so a webhook patch that
 * only "works" by accident fails the test.
 */

/** One RFC 6902 operation (the subset tests need). */
export interface PatchOp {
  readonly op: string;
  readonly path: string;
  readonly value?: unknown;
}

/** Applies `ops` to a deep copy of `doc` and returns the copy. */
export function applyJsonPatch<T>(doc: T, ops: readonly PatchOp[]): T {
  let root: unknown = structuredClone(doc);
  for (const op of ops) root = applyOne(root, op);
  return root as T;
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~[^01]|~$/.test(t)) throw new Error(`invalid escape in "${path}"`);
      return t.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

function applyOne(root: unknown, op: PatchOp): unknown {
  const tokens = parsePointer(op.path);
  const value = structuredClone(op.value);
  if (tokens.length === 0) {
    if (op.op === 'add' || op.op === 'replace') return value;
    throw new Error(`unsupported root op ${op.op}`);
  }
  const last = tokens.pop() as string;
  let parent: unknown = root;
  for (const t of tokens) {
    parent = child(parent, t, op.path);
  }
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : arrayIndex(last, op.path);
    const bound = op.op === 'add' ? parent.length : parent.length - 1;
    if (index > bound) throw new Error(`index out of range in "${op.path}"`);
    if (op.op === 'add') parent.splice(index, 0, value);
    else if (op.op === 'remove') parent.splice(index, 1);
    else if (op.op === 'replace') parent[index] = value;
    else if (op.op === 'test') assertEqual(parent[index], value, op.path);
    else throw new Error(`unsupported op ${op.op}`);
    return root;
  }
  if (parent === null || typeof parent !== 'object') throw new Error(`no container at "${op.path}"`);
  const obj = parent as Record<string, unknown>;
  const exists = Object.hasOwn(obj, last);
  if (op.op === 'add') obj[last] = value;
  else if (!exists) throw new Error(`no member at "${op.path}"`);
  else if (op.op === 'remove') delete obj[last];
  else if (op.op === 'replace') obj[last] = value;
  else if (op.op === 'test') assertEqual(obj[last], value, op.path);
  else throw new Error(`unsupported op ${op.op}`);
  return root;
}

function child(parent: unknown, token: string, path: string): unknown {
  if (Array.isArray(parent)) {
    const index = arrayIndex(token, path);
    if (index >= parent.length) throw new Error(`index out of range in "${path}"`);
    return parent[index];
  }
  if (parent !== null && typeof parent === 'object' && Object.hasOwn(parent, token)) {
    return (parent as Record<string, unknown>)[token];
  }
  throw new Error(`path "${path}" does not exist`);
}

function arrayIndex(token: string, path: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new Error(`bad array index in "${path}"`);
  return Number(token);
}

function assertEqual(actual: unknown, expected: unknown, path: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`test failed at "${path}"`);
}
