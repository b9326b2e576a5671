"""SNS rules: the alarm topics are encrypted and not open to the public."""

from __future__ import annotations

from policy.framework import Resource, resource_rule
from policy.helpers import actions, is_public_principal, policy_document, statements, unconditioned

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"


@resource_rule(
    id="AWS-SNS-001",
    title="SNS topics are encrypted",
    severity="medium",
    resource_types=(TOPIC,),
    description="`kmsMasterKeyId` is set.",
    rationale="Alert topics carry resource names, error text and sometimes data from the alarm; encryption "
    "at rest keeps them under the key policy. None of the other rule sets compared here has an SNS rule.",
    remediation="Create alert topics with `kms_master_key_id` set to the platform KMS key (and grant "
    "CloudWatch use of the key).",
)
def topic_encrypted(r: Resource):
    if not r.has("kmsMasterKeyId"):
        yield f"SNS topic {r.name} is not encrypted"


@resource_rule(
    id="AWS-SNS-002",
    title="SNS topic policies are not public",
    severity="critical",
    resource_types=(TOPIC, TOPIC_POLICY),
    description="No Allow statement in a topic's `policy` (on the Topic or an `aws:sns/topicPolicy`) names "
    'Principal "*" without a Condition.',
    rationale="A public topic lets anyone publish fake alerts into the on-call channel or subscribe to read "
    "them. None of the other rule sets compared here has an SNS rule.",
    remediation="Grant `sns:Publish` to `cloudwatch.amazonaws.com` with an `aws:SourceAccount` condition "
    "instead of a wildcard principal.",
)
def topic_not_public(r: Resource):
    doc = policy_document(r.get("policy"))
    for statement in statements(doc):
        if statement.get("Effect") == "Allow" and is_public_principal(statement) and unconditioned(statement):
            yield f"{r.name} policy allows any principal ({', '.join(actions(statement)) or 'no action'})"
