/**
 * docs/compatibility.md names the SDK versions the end-to-end suite runs; they must be the ones
 * installed or pinned by the clients in test/clients/, so the page cannot claim a run that did not happen.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { needs } from '../../test-support/needs.js';

const doc = readFileSync(new URL('../../docs/compatibility.md', import.meta.url), 'utf8');
const row = (sdk: string) => doc.split('\n').find((line) => line.startsWith(`| ${sdk}`)) ?? '';
const npmVersion = (name: string) =>
  (
    JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;

function python(code: string): string | undefined {
  try {
    return execFileSync('python3', ['-c', code], { encoding: 'utf8', timeout: 20_000 }).trim();
  } catch {
    return undefined;
  }
}

function awsCliVersion(): string | undefined {
  try {
    const out = execFileSync('aws', ['--version'], { encoding: 'utf8', timeout: 20_000 });
    return /aws-cli\/(\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

describe('the compatibility matrix', () => {
  it('names the installed JS SDK v3 version', () => {
    expect(row('JavaScript v3')).toContain(npmVersion('@aws-sdk/credential-providers'));
    expect(row('JavaScript v3')).toContain(npmVersion('@aws-sdk/client-s3'));
  });

  const versions = python('import boto3, botocore; print(boto3.__version__, botocore.__version__)');
  it.skipIf(
    !needs(versions === undefined ? 'python3 with boto3 is not installed' : undefined, 'the boto3 row check'),
  )('names the installed boto3 and botocore versions', () => {
    const [boto3, botocore] = (versions as string).split(' ');
    expect(row('Python boto3')).toContain(`${boto3} / ${botocore}`);
  });

  const cliVersion = awsCliVersion();
  it.skipIf(
    !needs(cliVersion === undefined ? 'the AWS CLI is not installed' : undefined, 'the AWS CLI row check'),
  )('names the installed AWS CLI v1 version', () => {
    expect(row('AWS CLI v1')).toContain(cliVersion as string);
  });

  it('names the pinned Go SDK v2 modules', () => {
    const mod = readFileSync(new URL('../../test/clients/go/go.mod', import.meta.url), 'utf8');
    const pinned = (path: string) => new RegExp(`${path} v(\\S+)`).exec(mod)?.[1];
    expect(row('Go v2')).toContain(`config ${pinned('aws-sdk-go-v2/config')}`);
    expect(row('Go v2')).toContain(`sts ${pinned('aws-sdk-go-v2/service/sts')}`);
    expect(row('Go v2')).toContain(`s3 ${pinned('aws-sdk-go-v2/service/s3')}`);
  });

  it('names the Java SDK v2 BOM version the client pins', () => {
    const pom = readFileSync(new URL('../../test/clients/java/pom.xml', import.meta.url), 'utf8');
    const bom = /<artifactId>bom<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(pom)?.[1];
    expect(bom).toBeDefined();
    expect(row('Java v2')).toContain(bom as string);
  });

  it('names the Rust crates Cargo.lock pins', () => {
    const lock = readFileSync(new URL('../../test/clients/rust/Cargo.lock', import.meta.url), 'utf8');
    const pinned = (name: string) => new RegExp(`name = "${name}"\\nversion = "([^"]+)"`).exec(lock)?.[1];
    expect(row('Rust')).toContain(`aws-config ${pinned('aws-config')}`);
    expect(row('Rust')).toContain(`sts ${pinned('aws-sdk-sts')}`);
    expect(row('Rust')).toContain(`s3 ${pinned('aws-sdk-s3')}`);
  });

  it('carries the proxy note', () => {
    expect(doc).toContain('NO_PROXY=169.254.170.23,[fd00:ec2::23]');
  });
});
