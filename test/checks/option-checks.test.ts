import { describe, expect, it } from 'vitest';
import { checkInteger, checkMilliseconds, checkRegion } from '../../agent/checks/option-checks.js';

describe('checkInteger', () => {
  it.each([
    [5, 1],
    [1, 1],
    [0, 0],
    [10, 10],
  ])('accepts %d when the least allowed value is %d', (value, min) => {
    expect(checkInteger('size', value, min)).toBe(value);
  });

  it.each([
    [0, 1, '"size" must be a positive integer'],
    [1.5, 1, '"size" must be a positive integer'],
    [Number.NaN, 1, '"size" must be a positive integer'],
    [-1, 0, '"size" must be a non-negative integer'],
    [2 ** 53, 0, '"size" must be a non-negative integer'],
    [9, 10, '"size" must be an integer of at least 10'],
  ])('refuses %d (least %d) with a TypeError naming the option', (value, min, message) => {
    expect(() => checkInteger('size', value, min)).toThrow(new TypeError(message));
  });
});

describe('checkMilliseconds', () => {
  it.each([0, 0.5, 1000])('accepts %d', (value) => {
    expect(checkMilliseconds('delayMs', value)).toBe(value);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number])(
    'refuses %s with a TypeError naming the option',
    (value) => {
      expect(() => checkMilliseconds('delayMs', value)).toThrow(
        new TypeError('"delayMs" must be a non-negative number of milliseconds'),
      );
    },
  );
});

describe('checkRegion', () => {
  it.each(['us-east-1', 'eu-central-2', 'us-gov-west-1'])('accepts %s', (region) => {
    expect(checkRegion(region)).toBe(region);
  });

  it.each(['', 'US-EAST-1', 'us east 1', 'us-east-1/../x', undefined as unknown as string])(
    'refuses %j, naming the option',
    (region) => {
      expect(() => checkRegion(region)).toThrow(
        new TypeError('"region" must be an AWS region name such as us-east-1'),
      );
    },
  );
});
