"""EC2 rules for instances and EBS volumes, should any appear outside a node group (Groundwork
creates none itself), and the instance-metadata reader the node launch-template rule shares.
"""

from __future__ import annotations

from policy.framework import Resource, resource_rule
from policy.helpers import as_list, first, is_true, number

EC2_INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"


def metadata_issues(options: dict, max_hops: float) -> list[str]:
    issues = []
    if options.get("httpEndpoint") == "disabled":
        return issues
    if options.get("httpTokens") != "required":
        issues.append(
            "metadataOptions.httpTokens is not 'required': IMDSv1 is reachable (SSRF steals node credentials)"
        )
    hops = number(options.get("httpPutResponseHopLimit"))
    if hops is None or hops > max_hops:
        shown = f"{hops:g}" if hops is not None else "unset"
        issues.append(
            f"httpPutResponseHopLimit is {shown}; at most {max_hops:g} keeps pods from reaching "
            "the node's credentials"
        )
    return issues


@resource_rule(
    id="AWS-EC2-001",
    title="EC2 instances require IMDSv2",
    severity="high",
    resource_types=(EC2_INSTANCE,),
    description='Checks `metadataOptions.httpTokens == "required"` and `httpPutResponseHopLimit <= '
    "maxHopLimit` (default 1).",
    rationale="IMDSv1 hands the instance role's credentials to any SSRF.",
    remediation='Set `metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1}`.',
    thresholds={"maxHopLimit": 1},
    tags=("checkov:CKV_AWS_79", "fsbp:EC2.8"),
)
def instance_imdsv2(r: Resource):
    yield from metadata_issues(first(r.get("metadataOptions")), number(r.threshold("maxHopLimit", 1), 1))


@resource_rule(
    id="AWS-EC2-002",
    title="EC2 instances have no public IP",
    severity="high",
    resource_types=(EC2_INSTANCE,),
    description="Checks `associatePublicIpAddress` is not true.",
    rationale="A public IP makes the instance reachable from the internet, bypassing the platform's private "
    "network design.",
    remediation="Launch into a private subnet without `associate_public_ip_address`.",
    tags=("awsguard:ec2-instance-no-public-ip", "checkov:CKV_AWS_88", "fsbp:EC2.9"),
)
def instance_no_public_ip(r: Resource):
    if is_true(r.get("associatePublicIpAddress")):
        yield "associatePublicIpAddress is true"


@resource_rule(
    id="AWS-EC2-003",
    title="EC2 instance volumes are encrypted",
    severity="high",
    resource_types=(EC2_INSTANCE,),
    description="Checks `rootBlockDevice.encrypted` and every `ebsBlockDevices[].encrypted` are true.",
    rationale="Unencrypted volumes leak through snapshots and detached volumes.",
    remediation="Set `encrypted=True` and `kms_key_id` on the root and EBS block devices.",
    tags=("awsguard:encrypted-volumes", "checkov:CKV_AWS_8"),
)
def instance_encrypted_volumes(r: Resource):
    devices = as_list(r.get("rootBlockDevice")) + as_list(r.get("ebsBlockDevices"))
    if not as_list(r.get("rootBlockDevice")):
        yield (
            "rootBlockDevice is unset, so the root volume follows the account default (unencrypted unless "
            "EBS default encryption is on)"
        )
    for device in devices:
        if not is_true(device.get("encrypted")):
            yield f"volume {device.get('deviceName', 'root')} is not encrypted"


@resource_rule(
    id="AWS-EC2-004",
    title="EBS volumes are encrypted with a customer-managed key",
    severity="high",
    resource_types=(EBS_VOLUME,),
    description="Checks `encrypted == true` and `kmsKeyId` set.",
    rationale="Unencrypted volumes and their snapshots are readable by anyone who can attach or share them.",
    remediation="Set `encrypted=True` and `kms_key_id` to the platform KMS key.",
    tags=("checkov:CKV_AWS_3", "fsbp:EC2.3"),
)
def ebs_volume_encrypted(r: Resource):
    if not is_true(r.get("encrypted")):
        yield "encrypted is not true"
    elif not r.get("kmsKeyId"):
        yield "kmsKeyId is unset: the AWS-managed EBS key is used"
