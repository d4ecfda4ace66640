import { describe, expect, it } from 'vitest';
import { kubernetesBaseUrl } from '../../agent/kube/in-cluster.js';

describe('kubernetesBaseUrl', () => {
  it.each([
    ['10.96.0.1', '443', 'https://10.96.0.1/'],
    ['10.96.0.1', '6443', 'https://10.96.0.1:6443/'],
    ['fd00::1', '443', 'https://[fd00::1]/'],
  ])('addresses the API server at %s port %s', (host, port, url) => {
    expect(kubernetesBaseUrl(host, port).href).toBe(url);
  });
});
