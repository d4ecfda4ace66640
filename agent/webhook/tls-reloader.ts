import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { checkInteger } from '../checks/option-checks.js';
import type { Log } from '../log/logger.js';
import type { WebhookMetrics } from './webhook-metrics.js';

/** Default interval between checks of the certificate and key files, milliseconds. */
export const DEFAULT_TLS_POLL_INTERVAL_MS = 5000;

/** A certificate chain and its private key, PEM. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 over both files, to notice changes. */
  readonly hash: string;
}

/**
 * Reads the two PEM files and checks that they form a usable pair (`tls.createSecureContext` throws on
 * a key that does not match the certificate). Errors name the files only, never their contents.
 */
export async function readTlsMaterial(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    const reason = (error as { code?: string }).code ?? 'invalid PEM';
    throw new Error(`${certFile} and ${keyFile} are not a valid certificate and key pair (${reason})`);
  }
  const hash = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  return { cert, key, hash };
}

/** Options of {@link createTlsReloader}. */
export interface TlsReloaderOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** The pair in use at start. */
  readonly initial: TlsMaterial;
  /** Installs a new pair, e.g. `server.setSecureContext`: new handshakes use it, open connections stay. */
  readonly apply: (material: TlsMaterial) => void;
  readonly logger: Log;
  readonly metrics: Pick<WebhookMetrics, 'tlsReloads'>;
  /** Milliseconds between checks. Default {@link DEFAULT_TLS_POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number | undefined;
  /** Reads and checks the pair. Default {@link readTlsMaterial}; tests pass one they control. */
  readonly read?: ((certFile: string, keyFile: string) => Promise<TlsMaterial>) | undefined;
}

/** A running reloader. */
export interface TlsReloader {
  /**
   * Checks the files as they are now (after a check already under way, which may have read them
   * before this call); resolves true when a new pair was installed.
   */
  check(): Promise<boolean>;
  /** Stops polling. */
  close(): void;
}

/**
 * Polls the certificate and key by content (not mtime: a Secret volume update swaps a symlink and
 * cert-manager may rewrite identical bytes) and installs each changed, valid pair. A half-written
 * rotation (new certificate, old key) fails the pair check and is retried on the next tick, keeping
 * the previous pair; each distinct bad pair is logged and counted once.
 */
export function createTlsReloader(options: TlsReloaderOptions): TlsReloader {
  const interval = checkInteger('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_TLS_POLL_INTERVAL_MS, 10);
  const { certFile, keyFile, logger, metrics, read = readTlsMaterial } = options;
  let hash = options.initial.hash;
  let lastError: string | undefined;
  let running: Promise<boolean> | undefined;
  let following: Promise<boolean> | undefined;

  async function check(): Promise<boolean> {
    let next: TlsMaterial;
    try {
      next = await read(certFile, keyFile);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== lastError) {
        lastError = reason;
        metrics.tlsReloads.inc({ result: 'error' });
        logger.warn(
          { certFile, keyFile, reason },
          'webhook certificate not reloaded; keeping the previous one',
        );
      }
      return false;
    }
    lastError = undefined;
    if (next.hash === hash) return false;
    options.apply(next);
    hash = next.hash;
    metrics.tlsReloads.inc({ result: 'success' });
    logger.info({ certFile }, 'webhook certificate reloaded');
    return true;
  }

  const timer = setInterval(() => {
    void reload();
  }, interval);
  timer.unref();

  // One check at a time. A call made while one is under way gets the one check that follows it,
  // shared by every call made meanwhile: the check under way may have read the files before the call.
  function reload(): Promise<boolean> {
    if (running === undefined) {
      running = check().finally(() => {
        running = undefined;
      });
      return running;
    }
    const after = () => {
      following = undefined;
      return reload();
    };
    following ??= running.then(after, after);
    return following;
  }
  return { check: reload, close: () => clearInterval(timer) };
}
