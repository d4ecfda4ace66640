import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import type { Association } from './association.js';

/** Shortest session STS grants, seconds. */
export const MIN_DURATION_SECONDS = 900;
/** Longest session a role can be configured for, seconds (the role's MaxSessionDuration may be lower). */
export const MAX_DURATION_SECONDS = 43_200;
/** STS's limit on the inline session policy, characters of its JSON. */
export const MAX_SESSION_POLICY_CHARS = 2048;
/** Custom tags allowed per association: STS takes 50 session tags, the agent sets up to 6 itself. */
export const MAX_CUSTOM_TAGS = 44;
/** Tag keys the agent sets itself (docs/any-cluster.md, "The associations file"); associations may not override them. */
export const STANDARD_TAG_KEYS: readonly string[] = Object.freeze([
  'eks-cluster-name',
  'eks-cluster-arn',
  'kubernetes-namespace',
  'kubernetes-service-account',
  'kubernetes-pod-name',
  'kubernetes-pod-uid',
]);

const FIELDS = new Set([
  'namespace',
  'serviceAccount',
  'roleArn',
  'targetRoleArn',
  'sessionTags',
  'disableSessionTags',
  'sessionPolicy',
  'durationSeconds',
]);
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_ACCOUNT = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** True for an IAM role ARN (any partition, with or without a path). */
export function isRoleArn(text: unknown): text is string {
  return typeof text === 'string' && ROLE_ARN.test(text);
}

/**
 * Parses an associations document (YAML or JSON; JSON is YAML) and validates it against docs/any-cluster.md, "The associations file".
 * Throws one `ConfigError` whose `problems` name each bad entry and field, e.g.
 * `associations[2].roleArn must be an IAM role ARN`. Unknown fields and duplicate
 * namespace + service account pairs are errors.
 */
export function parseAssociations(text: string): Association[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([`associations file is not valid YAML/JSON: ${firstLine(error)}`]);
  }
  const problems: string[] = [];
  if (!isRecord(doc))
    throw new ConfigError(['associations file must be a mapping with an "associations" list']);
  for (const key of Object.keys(doc)) {
    if (key !== 'associations') problems.push(`unknown top-level field "${key}"`);
  }
  const list = doc.associations;
  if (!Array.isArray(list)) {
    problems.push('"associations" must be a list');
    throw new ConfigError(problems);
  }
  const seen = new Map<string, number>();
  const result: Association[] = [];
  list.forEach((entry: unknown, index: number) => {
    const association = validateEntry(entry, `associations[${index}]`, problems);
    if (association === undefined) return;
    const key = `${association.namespace}/${association.serviceAccount}`;
    const first = seen.get(key);
    if (first !== undefined)
      problems.push(`associations[${index}] duplicates associations[${first}] (${key})`);
    else seen.set(key, index);
    result.push(association);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

function validateEntry(entry: unknown, at: string, problems: string[]): Association | undefined {
  if (!isRecord(entry)) {
    problems.push(`${at} must be a mapping`);
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(entry)) {
    if (!FIELDS.has(key)) problems.push(`${at} has unknown field "${key}"`);
  }
  const { namespace, serviceAccount, roleArn, targetRoleArn, sessionTags, disableSessionTags } = entry;
  const { sessionPolicy, durationSeconds } = entry;
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace))
    problems.push(`${at}.namespace must be a Kubernetes namespace name`);
  if (typeof serviceAccount !== 'string' || (serviceAccount !== '*' && !SERVICE_ACCOUNT.test(serviceAccount)))
    problems.push(`${at}.serviceAccount must be a service account name or "*"`);
  if (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn))
    problems.push(`${at}.roleArn must be an IAM role ARN`);
  if (targetRoleArn !== undefined && (typeof targetRoleArn !== 'string' || !ROLE_ARN.test(targetRoleArn)))
    problems.push(`${at}.targetRoleArn must be an IAM role ARN`);
  if (sessionTags !== undefined) validateTags(sessionTags, `${at}.sessionTags`, problems);
  if (disableSessionTags !== undefined && typeof disableSessionTags !== 'boolean')
    problems.push(`${at}.disableSessionTags must be true or false`);
  if (sessionPolicy !== undefined) {
    if (!isRecord(sessionPolicy))
      problems.push(`${at}.sessionPolicy must be an IAM policy document (a mapping)`);
    else if (JSON.stringify(sessionPolicy).length > MAX_SESSION_POLICY_CHARS)
      problems.push(`${at}.sessionPolicy must be at most ${MAX_SESSION_POLICY_CHARS} characters as JSON`);
  }
  if (
    durationSeconds !== undefined &&
    (typeof durationSeconds !== 'number' ||
      !Number.isInteger(durationSeconds) ||
      durationSeconds < MIN_DURATION_SECONDS ||
      durationSeconds > MAX_DURATION_SECONDS)
  )
    problems.push(
      `${at}.durationSeconds must be an integer from ${MIN_DURATION_SECONDS} to ${MAX_DURATION_SECONDS}`,
    );
  if (problems.length > before) return undefined;
  return Object.freeze({
    namespace: namespace as string,
    serviceAccount: serviceAccount as string,
    roleArn: roleArn as string,
    ...(targetRoleArn === undefined ? {} : { targetRoleArn: targetRoleArn as string }),
    ...(sessionTags === undefined ? {} : { sessionTags: Object.freeze({ ...(sessionTags as object) }) }),
    ...(disableSessionTags === undefined ? {} : { disableSessionTags: disableSessionTags as boolean }),
    ...(sessionPolicy === undefined ? {} : { sessionPolicy }),
    ...(durationSeconds === undefined ? {} : { durationSeconds: durationSeconds as number }),
  });
}

function validateTags(tags: unknown, at: string, problems: string[]): void {
  if (!isRecord(tags)) {
    problems.push(`${at} must be a mapping of tag keys to string values`);
    return;
  }
  const keys = Object.keys(tags);
  if (keys.length > MAX_CUSTOM_TAGS) problems.push(`${at} must have at most ${MAX_CUSTOM_TAGS} tags`);
  const lower = new Set<string>();
  for (const key of keys) {
    const value = tags[key];
    // STS compares tag keys case-insensitively, so "Team" and "team" collide.
    const folded = key.toLowerCase();
    if (!TAG_KEY.test(key) || folded.startsWith('aws:'))
      problems.push(`${at} key "${key}" is not a valid tag key`);
    else if (STANDARD_TAG_KEYS.includes(folded))
      problems.push(`${at} key "${key}" is a standard tag the agent sets itself`);
    else if (lower.has(folded)) problems.push(`${at} key "${key}" is given twice (tag keys ignore case)`);
    lower.add(folded);
    if (typeof value !== 'string' || !TAG_VALUE.test(value))
      problems.push(`${at}.${key} must be a string of at most 256 allowed characters`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
