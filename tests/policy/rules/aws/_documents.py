"""IAM-style policy documents for the rule tests (IAM, KMS and SNS policies are JSON strings on the
wire)."""

import json


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
