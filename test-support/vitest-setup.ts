/**
 * Runs before each test file (vitest `setupFiles`): the file's temporary folders all go into one
 * private folder, removed after the file's own `afterAll` hooks, whatever the tests forgot.
 */
import { afterAll } from 'vitest';
import { usePrivateTmpdir } from './private-tmpdir.js';

afterAll(usePrivateTmpdir('pia-test-'));
