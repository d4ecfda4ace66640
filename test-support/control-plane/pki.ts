/**
 * Throw-away certificates for a test control plane, made with the `openssl` command (node:crypto
 * cannot issue X.509 certificates): one CA, leaf certificates it signs (the API server's, the admin
 * client's, a webhook's), and RSA service-account signing keys. Everything lives two days.
 */
import { execFile } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its key, as PEM files. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** What a leaf certificate is for. */
export interface LeafOptions {
  /** OpenSSL subject, e.g. `/O=system:masters/CN=admin` (O becomes a Kubernetes group). */
  readonly subject: string;
  /** Subject alternative names, e.g. `['IP:127.0.0.1', 'DNS:localhost']` (servers need one). */
  readonly altNames?: readonly string[];
  readonly usage: 'serverAuth' | 'clientAuth';
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Creates `ca.crt` and `ca.key` in `dir`. */
export async function createCa(dir: string): Promise<CertFiles> {
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  await run('openssl', [
    ...['req', '-x509', ...EC_KEY, '-days', '2', '-subj', '/CN=pod-identity-agent-test-ca'],
    ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', keyFile, '-out', certFile],
  ]);
  return { certFile, keyFile };
}

/** Issues `<name>.crt` and `<name>.key` in `dir`, signed by `ca`. */
export async function issueCert(
  ca: CertFiles,
  dir: string,
  name: string,
  options: LeafOptions,
): Promise<CertFiles> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const lines = ['basicConstraints=critical,CA:FALSE', `extendedKeyUsage=${options.usage}`];
  if (options.altNames !== undefined) lines.push(`subjectAltName=${options.altNames.join(',')}`);
  await writeFile(ext, `${lines.join('\n')}\n`);
  await run('openssl', ['req', '-new', ...EC_KEY, '-subj', options.subject, '-keyout', keyFile, '-out', csr]);
  await run('openssl', [
    ...['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial'],
    ...[`0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`],
    ...['-days', '2', '-extfile', ext, '-out', certFile],
  ]);
  return { certFile, keyFile };
}

/** An RSA service-account signing key pair: `<name>.key` (PKCS#8) and `<name>.pub` (SPKI). */
export interface SigningKeyFiles {
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
}

/** Generates a 2048-bit RSA service-account key pair into `dir` (the API server signs RS256). */
export async function createSigningKey(dir: string, name: string): Promise<SigningKeyFiles> {
  const pair = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const privateKeyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  await writeFile(privateKeyFile, pair.privateKey, { mode: 0o600 });
  await writeFile(publicKeyFile, pair.publicKey);
  return { privateKeyFile, publicKeyFile };
}

/** Reads a PEM file as text. */
export const readPem = (file: string): Promise<string> => readFile(file, 'utf8');
