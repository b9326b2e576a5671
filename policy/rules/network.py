"""Network rules: VPC, subnets, route tables, security groups, NACLs, flow logs, endpoints, NAT."""

from policy.framework import Resource, resource_rule

SUBNET = "aws:ec2/subnet:Subnet"


@resource_rule(
    id="AWS-VPC-002", title="Subnets do not assign public IPs on launch", severity="high",
    resource_types=(SUBNET,),
    description="`mapPublicIpOnLaunch` is unset or false on every subnet.",
    rationale="An instance launched into a subnet that maps public IPs is reachable from the internet "
              "whether its owner meant it or not.",
    remediation="Leave `mapPublicIpOnLaunch` false; public load balancers do not need it.",
    tags=("fsbp:EC2.15", "checkov:CKV_AWS_130"),
)
def subnet_no_public_ip(r: Resource):
    if r.get("mapPublicIpOnLaunch") is True:
        yield f"subnet {r.name} sets mapPublicIpOnLaunch=true"
