import { describe, expect, it } from 'vitest';
import type { Association } from '../../agent/associations/association.js';
import {
  combineResolvers,
  createAssociationIndex,
  isAffected,
} from '../../agent/associations/association-index.js';

const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const a = (namespace: string, serviceAccount: string, name: string, extra: Partial<Association> = {}) => ({
  namespace,
  serviceAccount,
  roleArn: role(name),
  ...extra,
});

describe('createAssociationIndex', () => {
  const index = createAssociationIndex([
    a('batch', '*', 'Batch'),
    a('batch', 'special', 'Special'),
    a('default', 'app', 'App'),
  ]);

  it.each([
    ['batch', 'special', role('Special')],
    ['batch', 'anyone', role('Batch')],
    ['default', 'app', role('App')],
    ['default', 'other', undefined],
    ['other', 'app', undefined],
  ])('resolves %s/%s to %s', (namespace, serviceAccount, expected) => {
    expect(index.resolve(namespace, serviceAccount)?.roleArn).toBe(expected);
  });

  it('does not treat "*" in a request as a wildcard lookup of other accounts', () => {
    expect(createAssociationIndex([a('x', 'y', 'Y')]).resolve('x', '*')).toBeUndefined();
  });
});

describe('combineResolvers', () => {
  it('lets the first resolver that knows the service account win', () => {
    const file = createAssociationIndex([a('ns', 'sa', 'FromFile')]);
    const annotations = createAssociationIndex([a('ns', 'sa', 'FromAnnotation'), a('ns', 'b', 'B')]);
    const both = combineResolvers(file, annotations);
    expect(both.resolve('ns', 'sa')?.roleArn).toBe(role('FromFile'));
    expect(both.resolve('ns', 'b')?.roleArn).toBe(role('B'));
    expect(both.resolve('ns', 'c')).toBeUndefined();
  });
});

describe('isAffected', () => {
  const before = createAssociationIndex([
    a('ns', 'kept', 'Kept', { sessionTags: { a: '1', b: '2' } }),
    a('ns', 'removed', 'Removed'),
    a('ns', 'changed', 'Old'),
    a('wild', '*', 'Wild'),
  ]);
  const after = createAssociationIndex([
    a('ns', 'kept', 'Kept', { sessionTags: { b: '2', a: '1' } }),
    a('ns', 'changed', 'New'),
    a('ns', 'added', 'Added'),
    a('wild', '*', 'Wild'),
    a('wild', 'exact', 'Wild'),
  ]);
  const affected = isAffected(before, after);

  it.each([
    ['ns', 'kept', false],
    ['ns', 'removed', true],
    ['ns', 'changed', true],
    ['ns', 'added', true],
    ['ns', 'never', false],
    ['wild', 'someone', false],
    ['wild', 'exact', true],
  ])('%s/%s affected: %s', (namespace, serviceAccount, expected) => {
    expect(affected(namespace, serviceAccount)).toBe(expected);
  });
});
