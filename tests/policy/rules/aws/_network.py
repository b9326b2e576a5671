"""A compliant VPC for the network stack rules (security groups and VPC): `vpc_stack(**extra)` replaces
or adds resources by name (None removes one), so a test breaks exactly one piece."""

SG = "aws:ec2/securityGroup:SecurityGroup"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
VPC = "aws:ec2/vpc:Vpc"


def https_from(cidr: str) -> dict:
    return {
        "protocol": "tcp",
        "fromPort": 443.0,
        "toPort": 443.0,
        "cidrBlocks": [cidr],
        "description": "HTTPS",
    }


def vpc_stack(**extra):
    """A VPC with the pieces the stack rules look for; `extra` replaces or adds resources by name."""
    resources = {
        "vpc": {"type": VPC, "props": {"cidrBlock": "10.0.0.0/16"}},
        "default-sg": {
            "type": "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "props": {"ingress": [], "egress": []},
            "deps": {"vpcId": ["vpc"]},
        },
        "flow-group": {
            "type": "aws:cloudwatch/logGroup:LogGroup",
            "props": {"retentionInDays": 365.0, "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
        },
        "flow-log": {
            "type": "aws:ec2/flowLog:FlowLog",
            "props": {"trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
            "deps": {"vpcId": ["vpc"], "logDestination": ["flow-group"]},
        },
        "s3": {
            "type": ENDPOINT,
            "props": {"serviceName": "com.amazonaws.eu-west-1.s3", "vpcEndpointType": "Gateway"},
            "deps": {"vpcId": ["vpc"]},
        },
        **{
            f"ep-{s}": {
                "type": ENDPOINT,
                "props": {"serviceName": f"com.amazonaws.eu-west-1.{s}", "vpcEndpointType": "Interface"},
                "deps": {"vpcId": ["vpc"]},
            }
            for s in ("ecr.api", "ecr.dkr", "sts", "logs")
        },
        "igw": {"type": "aws:ec2/internetGateway:InternetGateway", "props": {}, "deps": {"vpcId": ["vpc"]}},
        "public-rt": {
            "type": "aws:ec2/routeTable:RouteTable",
            "deps": {"routes": ["igw"]},
            "props": {
                "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}],
                "tags": {"tier": "public"},
            },
        },
        "eip": {"type": "aws:ec2/eip:Eip", "props": {"domain": "vpc"}},
        "nat": {"type": "aws:ec2/natGateway:NatGateway", "props": {}, "deps": {"allocationId": ["eip"]}},
        "db-sg": {"type": SG, "props": {"description": "db", "egress": []}},
        "db": {"type": "aws:rds/instance:Instance", "props": {}, "deps": {"vpcSecurityGroupIds": ["db-sg"]}},
    }
    resources.update(extra)
    return [{"name": name, **spec} for name, spec in resources.items() if spec is not None]
