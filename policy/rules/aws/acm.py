"""ACM rules: the certificates a stack requests are DNS-validated."""

from __future__ import annotations

from policy.framework import Resource, resource_rule

CERTIFICATE = "aws:acm/certificate:Certificate"


@resource_rule(
    id="AWS-ACM-001",
    title="ACM certificates are DNS-validated",
    severity="medium",
    resource_types=(CERTIFICATE,),
    description="A certificate ACM issues (`domainName` set; not imported with `certificateBody`, not "
    "from a private CA) has `validationMethod: DNS`.",
    rationale="ACM renews a DNS-validated certificate on its own for as long as the validation record "
    "stays in the zone; an email-validated one waits for someone to click a link sent to the domain's "
    "contacts, and the listener serves an expired certificate when nobody does.",
    remediation="Request the certificate with `validation_method='DNS'` and create its validation record, "
    "as components.dns does.",
)
def certificate_dns_validated(r: Resource):
    if r.has("certificateBody") or r.has("certificateAuthorityArn") or not r.has("domainName"):
        return
    method = r.get("validationMethod")
    if method != "DNS":
        yield f"certificate {r.name} validates by {method!r}; use DNS so ACM renews it unattended"
