import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Association, AssociationResolver } from './association.js';
import { type AssociationIndex, createAssociationIndex } from './association-index.js';
import { parseAssociations } from './parse-associations.js';

/** Default interval between checks of the associations file, milliseconds. */
export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** The pino-compatible logger methods the store uses. */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link createAssociationStore}. */
export interface AssociationStoreOptions {
  /** Path of the associations file (docs/any-cluster.md, "The associations file"); may be a symlink, as in a mounted ConfigMap. */
  readonly file: string;
  readonly clock: Clock;
  readonly metrics: Pick<Metrics, 'associationsReloads'>;
  readonly logger: StoreLogger;
  /** Milliseconds between checks for a changed file. Default {@link DEFAULT_POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number;
  /** Called after a changed, valid file replaced the mapping (not at start). */
  readonly onChange?: (previous: AssociationIndex, next: AssociationIndex) => void;
}

/** The live associations: resolves against the last valid file. */
export interface AssociationStore extends AssociationResolver {
  /** The mapping in force. */
  current(): AssociationIndex;
  /** When the mapping in force was loaded, milliseconds since the epoch. */
  readonly loadedAt: number;
  /** Checks the file now; resolves to true when a new mapping took effect. */
  reload(): Promise<boolean>;
  /** Stops polling. */
  close(): void;
}

/**
 * Loads the associations file, then polls it and swaps in each changed, valid version. Polling reads
 * and hashes the file, following symlinks, because a ConfigMap update swaps the `..data` symlink
 * and `fs.watch` misses that. An invalid or unreadable new file keeps the previous mapping, is logged
 * and counted as `result="error"` once per distinct content. Rejects with `ConfigError` when the
 * file is invalid at start.
 */
export async function createAssociationStore(options: AssociationStoreOptions): Promise<AssociationStore> {
  checkOptions(options);
  const initial = await read(options.file).catch((error: unknown) => {
    options.metrics.associationsReloads.inc({ result: 'error' });
    throw unreadable(options.file, error);
  });
  return startStore(initial, options);
}

function checkOptions(options: AssociationStoreOptions): void {
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (typeof options.file !== 'string' || options.file === '')
    throw new TypeError('"file" must be a non-empty path');
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 10)
    throw new TypeError('"pollIntervalMs" must be an integer of at least 10');
}

function unreadable(file: string, error: unknown): ConfigError {
  return new ConfigError([`cannot read --associations file ${file}: ${describe(error)}`]);
}

function startStore(
  initial: { text: string; hash: string },
  options: AssociationStoreOptions,
): AssociationStore {
  const { file, clock, metrics, logger, onChange } = options;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  let index: AssociationIndex;
  try {
    index = createAssociationIndex(parseAssociations(initial.text));
  } catch (error) {
    metrics.associationsReloads.inc({ result: 'error' });
    if (error instanceof ConfigError)
      throw new ConfigError(error.problems.map((p) => `--associations ${file}: ${p}`));
    throw error;
  }
  metrics.associationsReloads.inc({ result: 'success' });
  logger.info({ file, associations: index.entries.length }, 'associations loaded');
  let hash = initial.hash;
  let failedHash: string | undefined;
  let loadedAt = clock.now();
  let running: Promise<boolean> | undefined;

  async function check(): Promise<boolean> {
    let next: { text: string; hash: string };
    try {
      next = await read(file);
    } catch (error) {
      const marker = `read:${describe(error)}`;
      if (failedHash !== marker) {
        failedHash = marker;
        metrics.associationsReloads.inc({ result: 'error' });
        logger.error(
          { file, reason: describe(error) },
          'associations file unreadable; keeping previous mapping',
        );
      }
      return false;
    }
    if (next.hash === hash || next.hash === failedHash) return false;
    let list: Association[];
    try {
      list = parseAssociations(next.text);
    } catch (error) {
      failedHash = next.hash;
      metrics.associationsReloads.inc({ result: 'error' });
      const problems = error instanceof ConfigError ? error.problems : [describe(error)];
      logger.error({ file, problems }, 'associations file invalid; keeping previous mapping');
      return false;
    }
    const previous = index;
    index = createAssociationIndex(list);
    hash = next.hash;
    failedHash = undefined;
    loadedAt = clock.now();
    metrics.associationsReloads.inc({ result: 'success' });
    logger.info({ file, associations: list.length }, 'associations reloaded');
    onChange?.(previous, index);
    return true;
  }

  function reload(): Promise<boolean> {
    // One check at a time: a slow read must not let an older file win over a newer one.
    running ??= check().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => {
    reload().catch((error: unknown) => logger.error({ err: describe(error) }, 'associations reload failed'));
  }, pollIntervalMs);
  timer.unref();

  return {
    resolve: (namespace, serviceAccount) => index.resolve(namespace, serviceAccount),
    current: () => index,
    get loadedAt() {
      return loadedAt;
    },
    reload,
    close: () => clearInterval(timer),
  };
}

async function read(file: string): Promise<{ text: string; hash: string }> {
  const text = await readFile(file, 'utf8');
  return { text, hash: sha256(text) };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
