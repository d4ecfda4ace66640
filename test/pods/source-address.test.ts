import { describe, expect, it } from 'vitest';
import { isPodAddress, toPodAddress } from '../../agent/pods/source-address.js';

describe('toPodAddress', () => {
  it.each([
    ['10.0.0.7', '10.0.0.7'],
    ['::ffff:10.0.0.7', '10.0.0.7'],
    ['::FFFF:10.0.0.7', '10.0.0.7'],
    ['FD00:EC2::7', 'fd00:ec2::7'],
    ['', undefined],
    [undefined, undefined],
  ])('maps %j to %j', (input, expected) => {
    expect(toPodAddress(input)).toBe(expected);
  });
});

describe('isPodAddress', () => {
  it.each([
    ['::ffff:10.0.0.7', ['10.0.0.7'], true],
    ['10.0.0.7', ['10.0.0.8', '10.0.0.7'], true],
    ['fd00::7', ['10.0.0.7', 'FD00::7'], true],
    ['10.0.0.8', ['10.0.0.7'], false],
    [undefined, ['10.0.0.7'], false],
    ['10.0.0.7', [], false],
  ])('says whether %s is one of %j: %s', (address, ips, expected) => {
    expect(isPodAddress(address, ips)).toBe(expected);
  });
});
