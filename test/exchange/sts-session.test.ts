import { describe, expect, it } from 'vitest';
import { sessionName } from '../../agent/exchange/sts-session.js';

describe('sessionName', () => {
  it('is eks-<cluster>-<pod>-<random>', () => {
    expect(sessionName('demo', 'app-1', 'abc123')).toBe('eks-demo-app-1-abc123');
  });

  it('cuts the cluster and pod part so the whole fits 64 characters and keeps the random part', () => {
    const name = sessionName('a-very-long-cluster-name', 'p'.repeat(80), 'abcdef012345');
    expect(name).toHaveLength(64);
    expect(name.startsWith('eks-a-very-long-cluster-name-ppp')).toBe(true);
    expect(name.endsWith('-abcdef012345')).toBe(true);
  });

  it.each([
    ['cluster:prod', 'app', 'eks-cluster-prod-app-r'],
    ['démo', 'app', 'eks-d-mo-app-r'],
    ['a b', 'x/y', 'eks-a-b-x-y-r'],
  ])('replaces characters STS refuses: %s / %s', (cluster, pod, expected) => {
    expect(sessionName(cluster, pod, 'r')).toBe(expected);
  });

  it('uses a fresh random part by default, within STS character rules', () => {
    const a = sessionName('demo', 'app');
    const b = sessionName('demo', 'app');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^eks-demo-app-[0-9a-f]{12}$/);
  });
});
