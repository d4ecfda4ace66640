import { describe, expect, it } from 'vitest';
import { parseAssociations } from '../../agent/associations/parse-associations.js';
import { ConfigError } from '../../agent/errors.js';

const ROLE = 'arn:aws:iam::123456789012:role/S3AccessRole';

function problemsOf(text: string): readonly string[] {
  try {
    parseAssociations(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the document to be rejected');
}

function entry(fields: Record<string, unknown>): string {
  return JSON.stringify({
    associations: [
      { namespace: 'ok', serviceAccount: 'ok', roleArn: ROLE },
      { namespace: 'ok', serviceAccount: 'other', roleArn: ROLE },
      { namespace: 'default', serviceAccount: 'app', roleArn: ROLE, ...fields },
    ],
  });
}

describe('parseAssociations', () => {
  it('reads the YAML example of the contract with every optional field', () => {
    const list = parseAssociations(`
associations:
  - namespace: default
    serviceAccount: s3-access-sa
    roleArn: ${ROLE}
    targetRoleArn: arn:aws:iam::210987654321:role/CrossAccountRole
    sessionTags: { team: storage }
    disableSessionTags: false
    sessionPolicy: { Version: "2012-10-17", Statement: [ { Effect: Allow, Action: "s3:*", Resource: "*" } ] }
    durationSeconds: 3600
  - namespace: batch
    serviceAccount: "*"
    roleArn: arn:aws:iam::123456789012:role/BatchRole
`);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({
      namespace: 'default',
      serviceAccount: 's3-access-sa',
      targetRoleArn: 'arn:aws:iam::210987654321:role/CrossAccountRole',
      sessionTags: { team: 'storage' },
      durationSeconds: 3600,
    });
    expect(list[1]).toEqual({
      namespace: 'batch',
      serviceAccount: '*',
      roleArn: 'arn:aws:iam::123456789012:role/BatchRole',
    });
  });

  it('reads JSON', () => {
    const list = parseAssociations(
      JSON.stringify({ associations: [{ namespace: 'a', serviceAccount: 'b', roleArn: ROLE }] }),
    );
    expect(list).toEqual([{ namespace: 'a', serviceAccount: 'b', roleArn: ROLE }]);
  });

  it('accepts an empty list', () => {
    expect(parseAssociations('associations: []')).toEqual([]);
  });

  it.each([
    [{ roleArn: 'arn:aws:iam::123456789012:user/bob' }, 'associations[2].roleArn must be an IAM role ARN'],
    [{ roleArn: undefined }, 'associations[2].roleArn must be an IAM role ARN'],
    [{ targetRoleArn: 'role/x' }, 'associations[2].targetRoleArn must be an IAM role ARN'],
    [{ namespace: 'Default' }, 'associations[2].namespace must be a Kubernetes namespace name'],
    [{ namespace: 7 }, 'associations[2].namespace must be a Kubernetes namespace name'],
    [{ serviceAccount: 'a*' }, 'associations[2].serviceAccount must be a service account name or "*"'],
    [{ durationSeconds: 899 }, 'associations[2].durationSeconds must be an integer from 900 to 43200'],
    [{ durationSeconds: 43_201 }, 'associations[2].durationSeconds must be an integer from 900 to 43200'],
    [{ durationSeconds: '3600' }, 'associations[2].durationSeconds must be an integer from 900 to 43200'],
    [{ disableSessionTags: 'yes' }, 'associations[2].disableSessionTags must be true or false'],
    [
      { sessionPolicy: 'allow all' },
      'associations[2].sessionPolicy must be an IAM policy document (a mapping)',
    ],
    [
      { sessionPolicy: { Statement: 'x'.repeat(2100) } },
      'associations[2].sessionPolicy must be at most 2048 characters as JSON',
    ],
    [{ sessionTags: ['team'] }, 'associations[2].sessionTags must be a mapping of tag keys to string values'],
    [
      { sessionTags: { team: 1 } },
      'associations[2].sessionTags.team must be a string of at most 256 allowed characters',
    ],
    [{ sessionTags: { 'aws:x': 'y' } }, 'associations[2].sessionTags key "aws:x" is not a valid tag key'],
    [
      { sessionTags: { 'Kubernetes-Namespace': 'y' } },
      'associations[2].sessionTags key "Kubernetes-Namespace" is a standard tag the agent sets itself',
    ],
    [
      { sessionTags: { Team: 'a', team: 'b' } },
      'associations[2].sessionTags key "team" is given twice (tag keys ignore case)',
    ],
    [{ roleARN: ROLE }, 'associations[2] has unknown field "roleARN"'],
  ])('rejects %j with "%s"', (fields, problem) => {
    expect(problemsOf(entry(fields))).toContain(problem);
  });

  it.each([
    ['', 'associations file must be a mapping with an "associations" list'],
    ['- a', 'associations file must be a mapping with an "associations" list'],
    ['associations: {}', '"associations" must be a list'],
    ['associations: []\nextra: 1', 'unknown top-level field "extra"'],
    ['associations: [7]', 'associations[0] must be a mapping'],
  ])('rejects the document %j', (text, problem) => {
    expect(problemsOf(text)).toContain(problem);
  });

  it('rejects text that is neither YAML nor JSON', () => {
    expect(problemsOf('associations: [')[0]).toMatch(/^associations file is not valid YAML\/JSON/);
  });

  it('rejects duplicate keys inside an entry', () => {
    expect(problemsOf(`associations:\n  - namespace: a\n    namespace: b\n`)[0]).toMatch(/not valid YAML/);
  });

  it('rejects two entries for the same namespace and service account, naming both', () => {
    const text = JSON.stringify({
      associations: [
        { namespace: 'a', serviceAccount: '*', roleArn: ROLE },
        { namespace: 'a', serviceAccount: 'b', roleArn: ROLE },
        { namespace: 'a', serviceAccount: '*', roleArn: ROLE },
      ],
    });
    expect(problemsOf(text)).toEqual(['associations[2] duplicates associations[0] (a/*)']);
  });

  it('reports every problem of every entry at once', () => {
    const text = JSON.stringify({
      associations: [
        { namespace: 'A', serviceAccount: 'b', roleArn: ROLE },
        { namespace: 'a', serviceAccount: 'b', roleArn: 'nope', color: 'red' },
      ],
    });
    expect(problemsOf(text)).toEqual([
      'associations[0].namespace must be a Kubernetes namespace name',
      'associations[1] has unknown field "color"',
      'associations[1].roleArn must be an IAM role ARN',
    ]);
  });
});
