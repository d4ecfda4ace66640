/**
 * Throw-away TLS certificates for tests, made with the `openssl` CLI (no extra package): an EC P-256
 * key and a one-day self-signed certificate for 127.0.0.1 and `localhost`.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate/key pair written to disk. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** SHA-256 fingerprint as Node prints it (`AB:CD:…`), to compare with `getPeerCertificate()`. */
  readonly fingerprint256: string;
}

/** Writes `<prefix>.crt` and `<prefix>.key` in `dir` with subject `CN=<commonName>`. */
export async function makeSelfSignedCert(
  dir: string,
  prefix: string,
  commonName: string,
): Promise<CertFiles> {
  const certFile = join(dir, `${prefix}.crt`);
  const keyFile = join(dir, `${prefix}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  const fingerprint256 = new X509Certificate(await readFile(certFile)).fingerprint256;
  return { certFile, keyFile, fingerprint256 };
}
