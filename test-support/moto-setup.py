"""Sets up moto for the tests and the demo: an admin IAM user with an access key, roles allowed on
named buckets only, and the buckets. Reads a JSON spec on stdin, prints a JSON result on stdout.

Every call here is one of moto's unauthenticated set-up actions (INITIAL_NO_AUTH_ACTION_COUNT):
3 for the admin user + 2 per role + 1 per bucket. After them moto enforces SigV4 and IAM, and only
the admin key printed here (or credentials derived from it) is accepted.

Spec: {"endpoint", "region", "adminUser", "roles": [{"name", "buckets": [..], "trustedPrincipals": [..]?}],
       "buckets": [..]}
"""
import json
import sys

import boto3

spec = json.load(sys.stdin)
common = dict(
    endpoint_url=spec["endpoint"],
    region_name=spec.get("region", "us-east-1"),
    # Any key works while moto counts unauthenticated set-up actions.
    aws_access_key_id="AKIASETUPSETUPSETUP0",
    aws_secret_access_key="setup-secret",
)
iam = boto3.client("iam", **common)
s3 = boto3.client("s3", **common)

user = iam.create_user(UserName=spec["adminUser"])["User"]
iam.put_user_policy(
    UserName=spec["adminUser"],
    PolicyName="admin",
    PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    ),
)
key = iam.create_access_key(UserName=spec["adminUser"])["AccessKey"]

roles = {}
for role in spec.get("roles", []):
    # moto matches trust-policy principals by exact ARN (not account root), so the admin is named.
    principals = role.get("trustedPrincipals") or [user["Arn"]]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": principals, "Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
    created = iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    resources = []
    for bucket in role.get("buckets", []):
        resources += [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket"],
                "Resource": resources or ["arn:aws:s3:::none"],
            }
        ],
    }
    iam.put_role_policy(RoleName=role["name"], PolicyName="s3-access", PolicyDocument=json.dumps(policy))
    roles[role["name"]] = created["Arn"]

for bucket in spec.get("buckets", []):
    if common["region_name"] == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        location = {"LocationConstraint": common["region_name"]}
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)

json.dump(
    {
        "adminArn": user["Arn"],
        "accountId": user["Arn"].split(":")[4],
        "accessKeyId": key["AccessKeyId"],
        "secretAccessKey": key["SecretAccessKey"],
        "roles": roles,
    },
    sys.stdout,
)
