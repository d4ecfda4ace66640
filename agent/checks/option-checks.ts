/**
 * Checks a component's integer option at construction; the message names the option, so a wrong
 * value points at its source. Returns `value`; throws a `TypeError` when it is not a safe integer of at least `min`.
 *
 * @param name the option as callers spell it, quoted in the message (`"maxEntries" must be ...`).
 * @param min the least allowed value. Default 1.
 */
export function checkInteger(name: string, value: number, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw new TypeError(`"${name}" must be ${integerAtLeast(min)}`);
  return value;
}

/**
 * Checks a component's duration option in milliseconds (fractions allowed). Returns `value`; throws a
 * `TypeError` naming the option when it is not a finite number of at least 0.
 */
export function checkMilliseconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(`"${name}" must be a non-negative number of milliseconds`);
  return value;
}

/** Checks an AWS region option (`us-east-1`). Returns `value`; throws a `TypeError` naming `"region"`. */
export function checkRegion(value: string): string {
  if (typeof value !== 'string' || !/^[a-z0-9-]+$/.test(value))
    throw new TypeError('"region" must be an AWS region name such as us-east-1');
  return value;
}

function integerAtLeast(min: number): string {
  if (min === 1) return 'a positive integer';
  if (min === 0) return 'a non-negative integer';
  return `an integer of at least ${min}`;
}
