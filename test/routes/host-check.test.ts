import { describe, expect, it } from 'vitest';
import { createHostCheck } from '../../agent/routes/host-check.js';

describe('createHostCheck', () => {
  const isAllowed = createHostCheck(['169.254.170.23', 'fd00:ec2::23'], 80);

  it.each([
    '169.254.170.23',
    '169.254.170.23:80',
    '[fd00:ec2::23]',
    '[fd00:ec2::23]:80',
    'fd00:ec2::23',
    '[FD00:EC2::23]',
    '[fd00:ec2:0:0:0:0:0:23]:80',
  ])('accepts %s', (host) => {
    expect(isAllowed(host)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'localhost',
    'evil.example',
    '169.254.170.23.nip.io',
    '169.254.170.23:8080',
    '169.254.170.2',
    '[fd00:ec2::23]:81',
    '[fd00:ec2::24]',
    '[::1]',
    '169.254.170.23 ',
    '[fd00:ec2::23',
  ])('refuses %s', (host) => {
    expect(isAllowed(host)).toBe(false);
  });
});
