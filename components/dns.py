"""The stack's public DNS zone and its one TLS certificate (`groundwork:dns`).

`Dns` creates a Route 53 public hosted zone when the stack asks (`createZone`) or uses an existing one
by id (`zoneId`), and requests one ACM certificate for the zone's apex and its wildcard
(`example.com`, `*.example.com`). One certificate rather than one per host because:

- every exposed app's host is the apex or one label under it (`AppSettings.host`), which the
  wildcard covers, so adding an app never waits for a new certificate to validate;
- the shared load balancer of each exposure then needs one certificate, well under ALB's
  per-listener certificate limit, however many apps join it;
- apex and wildcard validate through the same CNAME record, so one record validates both.

The validation record is created here in the same zone, and `aws.acm.CertificateValidation` waits
until ACM has issued the certificate: `certificate_arn` is the validation's output, so nothing that
uses it (a listener, an Ingress annotation) is created before the certificate is valid.

Query logging is off: Route 53 writes public-zone query logs only to CloudWatch Logs in us-east-1,
which needs a second provider and a log group outside the stack's region, and every resolver's query
is billed as log ingestion; ALB access logs already record every request that reaches an app.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator, model_validator

from components._lib.args import ComponentArgs, SettingError

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


def dns_name_problem(name: str) -> str | None:
    """Why `name` is not a lower-case DNS name of at least two labels, or None when it is one."""
    if name != name.lower():
        return "a DNS name in lower case, e.g. dev.example.com"
    if len(name) > 253 or name.endswith(".") or name.startswith("."):
        return "a DNS name of at most 253 characters without a leading or trailing dot, e.g. dev.example.com"
    labels = name.split(".")
    if len(labels) < 2:
        return "a domain of at least two labels, e.g. dev.example.com"
    if not all(_LABEL.match(label) for label in labels):
        return "labels of letters, digits and -, 1-63 characters, not starting or ending with -"
    return None


class DnsSettings(ComponentArgs):
    """`groundwork:dns`: the stack's domain, and whether its Route 53 zone is created or existing."""

    zone_name: str = Field(
        min_length=3,
        max_length=253,
        description="The stack's domain (dev.example.com); apps' hosts are names under it.",
    )
    create_zone: bool = Field(
        default=False,
        description="Create a Route 53 public hosted zone for zoneName (delegate it from the parent "
        "zone by its name servers, the `dns_name_servers` output). Set this or zoneId.",
    )
    zone_id: str | None = Field(
        default=None, description="An existing public hosted zone for zoneName, e.g. Z0123456789ABCDEFGHIJ."
    )

    @field_validator("zone_name")
    @classmethod
    def _zone_name(cls, value: str) -> str:
        problem = dns_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("zone_id")
    @classmethod
    def _zone_id(cls, value: str | None) -> str | None:
        if value is not None and not HOSTED_ZONE_ID.match(value):
            raise ValueError("a Route 53 hosted zone id: Z and up to 31 upper-case letters and digits")
        return value

    @model_validator(mode="after")
    def _one_zone(self) -> DnsSettings:
        if self.create_zone and self.zone_id is not None:
            raise SettingError(
                "zoneId", self.zone_id, "set either createZone: true or zoneId, not both (one zone per stack)"
            )
        if not self.create_zone and self.zone_id is None:
            raise SettingError(
                "createZone",
                self.create_zone,
                "set createZone: true to create the zone, or zoneId to use an existing one",
            )
        return self


class DnsArgs(ComponentArgs):
    """The settings plus what the stack decides about protection and tags."""

    settings: DnsSettings = Field(description="What the stack file declares.")
    protect: bool = Field(
        default=True, description="Pulumi refuses to delete the created zone (its delegation is public)."
    )
    tags: dict[str, str] = Field(default_factory=dict, description="The stack's tags.")


class Dns(pulumi.ComponentResource):
    """One public zone (created or existing) and one DNS-validated certificate for its apex and wildcard."""

    zone_id: pulumi.Output[str]
    zone_arn: pulumi.Output[str]
    name_servers: pulumi.Output[list[str]]
    certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DnsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:dns:Dns", name, None, opts)
        settings = args.settings
        tags = {**args.tags, "component": "dns"}
        child = pulumi.ResourceOptions(parent=self)
        if settings.create_zone:
            zone = aws.route53.Zone(
                f"{name}-zone",
                name=settings.zone_name,
                comment=f"{settings.zone_name}, managed by Groundwork",
                force_destroy=False,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            self.zone_id = zone.zone_id
            self.name_servers = zone.name_servers
        else:
            self.zone_id = pulumi.Output.from_input(settings.zone_id or "")
            self.name_servers = pulumi.Output.from_input([])
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        self.zone_arn = pulumi.Output.concat("arn:", partition, ":route53:::hostedzone/", self.zone_id)
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=settings.zone_name,
            subject_alternative_names=[f"*.{settings.zone_name}"],
            validation_method="DNS",
            key_algorithm="RSA_2048",
            options=aws.acm.CertificateOptionsArgs(certificate_transparency_logging_preference="ENABLED"),
            tags=tags,
            opts=child,
        )
        # Apex and wildcard share one validation CNAME; the first option names it.
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{name}-certificate-validation",
            zone_id=self.zone_id,
            name=option.apply(lambda o: o.resource_record_name or ""),
            type=option.apply(lambda o: o.resource_record_type or "CNAME"),
            records=[option.apply(lambda o: o.resource_record_value or "")],
            ttl=300,
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=child,
        )
        self.certificate_arn = validation.certificate_arn
        self.register_outputs(
            {
                "zone_id": self.zone_id,
                "zone_arn": self.zone_arn,
                "name_servers": self.name_servers,
                "certificate_arn": self.certificate_arn,
            }
        )
