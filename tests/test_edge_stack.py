"""`groundwork:dns` through the whole program on mocks: dev creates its zone (unprotected, as dev's
profile decides), prod uses an existing one or creates a protected one, and external-dns and
cert-manager's DNS-01 solver are scoped to exactly that zone."""

from __future__ import annotations

import pytest

from policy.analyzer import evaluate
from stacks.preflight.runner import capture_stack
from tests.cluster_helpers import charts, one, role_policy_for

ZONE = "aws:route53/zone:Zone"
CERTIFICATE = "aws:acm/certificate:Certificate"
EXISTING = "Z0EXISTING0ZONE"


def _with_dns(stack: str, dns: dict) -> object:
    return capture_stack(stack, overrides={"groundwork:dns": dns})


@pytest.fixture(scope="module")
def dev_created():
    return _with_dns("dev", {"zoneName": "dev.example.com", "createZone": True})


@pytest.fixture(scope="module")
def prod_existing():
    return _with_dns("prod", {"zoneName": "example.com", "zoneId": EXISTING})


def _created_zone_id(capture) -> str:
    """The id the mock provider gave the one zone this stack created."""
    (zone,) = capture.of_type(ZONE)
    assert capture.outputs["dns_zone_id"].startswith("Z") and zone.custom
    return capture.outputs["dns_zone_id"]


def test_stacks_without_dns_create_no_zone_or_certificate(captured):
    capture = captured("dev")
    assert capture.of_type(ZONE) == [] and capture.of_type(CERTIFICATE) == []
    assert "dns_zone_id" not in capture.outputs


def test_dev_creates_its_zone_unprotected_and_exports_the_delegation(dev_created):
    (zone,) = dev_created.of_type(ZONE)
    assert zone.props["name"] == "dev.example.com" and not zone.protect
    assert len(dev_created.outputs["dns_name_servers"]) == 4
    (certificate,) = dev_created.of_type(CERTIFICATE)
    assert certificate.props["subjectAlternativeNames"] == ["*.dev.example.com"]


def test_prod_protects_a_zone_it_creates():
    capture = _with_dns("prod", {"zoneName": "example.com", "createZone": True})
    assert capture.of_type(ZONE)[0].protect


def test_external_dns_works_in_the_created_zone_only(dev_created):
    zone_id = _created_zone_id(dev_created)
    values = charts(dev_created)["external-dns"].props["values"]
    assert values["domainFilters"] == ["dev.example.com"]
    assert f"--zone-id-filter={zone_id}" in values["extraArgs"]
    document = role_policy_for(dev_created, dev_created.named("dev-addons-external-dns-irsa"))
    change = [s for s in document["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    assert [s["Resource"] for s in change] == [f"arn:aws:route53:::hostedzone/{zone_id}"]


def test_cert_manager_solves_dns01_in_the_created_zone_with_a_role_scoped_to_it(dev_created):
    zone_id = _created_zone_id(dev_created)
    acme = one(dev_created, "kubernetes:cert-manager.io/v1:ClusterIssuer").props["spec"]["acme"]
    solver = acme["solvers"][0]
    assert solver["selector"] == {"dnsZones": ["dev.example.com"]}
    assert solver["dns01"]["route53"]["hostedZoneID"] == zone_id
    document = role_policy_for(dev_created, dev_created.named("dev-addons-cert-manager-irsa"))
    writes = [s for s in document["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    assert [s["Resource"] for s in writes] == [f"arn:aws:route53:::hostedzone/{zone_id}"]


def test_prod_uses_an_existing_zone_by_id_for_records_and_add_ons(prod_existing):
    assert prod_existing.of_type(ZONE) == []
    (record,) = prod_existing.of_type("aws:route53/record:Record")
    assert record.props["zoneId"] == EXISTING
    values = charts(prod_existing)["external-dns"].props["values"]
    assert f"--zone-id-filter={EXISTING}" in values["extraArgs"]


DIGEST = "sha256:" + "4f" * 32


@pytest.fixture(scope="module")
def prod_exposed():
    apps = {
        "api": {
            "image": {"repository": "api", "digest": DIGEST},
            "replicas": {"min": 3},
            "expose": "public",
            "host": "api",
        },
        "web": {
            "image": {"repository": "web", "digest": DIGEST},
            "port": 3000,
            "replicas": {"min": 3},
            "expose": "internal",
        },
    }
    dns = {"zoneName": "example.com", "createZone": True}
    # Exposing apps adds two load balancers and a zone the plan's budget never priced: the stack
    # raises its budget openly, as AWS-COST-001 asks, rather than the gate looking away.
    edge = {
        "monthlyUsd": 60,
        "reason": "the public and internal application load balancers of the exposed apps, and the zone",
    }
    overrides = {
        "groundwork:dns": dns,
        "groundwork:apps": apps,
        "groundwork:budget": {"deltas": {"edge": edge}},
    }
    return capture_stack("prod", overrides=overrides)


def test_prod_with_a_public_and_an_internal_app_passes_prods_gate(prod_exposed):
    report = evaluate(prod_exposed, "prod")
    assert [(f.rule_id, f.resource_name, f.message) for f in report.blocking] == []


def test_prod_albs_keep_deletion_protection_and_the_zone_is_protected(prod_exposed):
    assert prod_exposed.of_type(ZONE)[0].protect
    for ingress in prod_exposed.of_type("kubernetes:networking.k8s.io/v1:Ingress"):
        attributes = ingress.props["metadata"]["annotations"][
            "alb.ingress.kubernetes.io/load-balancer-attributes"
        ]
        assert "deletion_protection.enabled=true" in attributes.split(",")


def test_prod_web_acl_blocks_with_every_group_and_leaves_out_sql_injection_without_postgres(prod_exposed):
    (acl,) = prod_exposed.of_type("aws:wafv2/webAcl:WebAcl")
    modes = {r["name"]: r.get("overrideAction") or r["action"] for r in acl.props["rules"]}
    # api, the one public app, uses no database: no SQL injection group.
    assert modes == {
        "rate-limit": {"block": {}},
        "AWSManagedRulesAmazonIpReputationList": {"none": {}},
        "AWSManagedRulesCommonRuleSet": {"none": {}},
        "AWSManagedRulesKnownBadInputsRuleSet": {"none": {}},
    }


def test_prod_keeps_the_waf_log_and_the_alb_log_bucket_protected(prod_exposed):
    (group,) = [
        g for g in prod_exposed.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name == "prod-waf-logs"
    ]
    assert group.protect and group.props["deletionProtectionEnabled"] is True
    assert group.props["retentionInDays"] == 365
    (bucket,) = [b for b in prod_exposed.of_type("aws:s3/bucket:Bucket") if b.name == "prod-alb-logs"]
    assert bucket.protect


def test_the_load_balancer_controller_gets_exactly_its_documented_policy(prod_exposed):
    from components._lib.addon_policies import load_balancer_controller_policy

    document = role_policy_for(prod_exposed, prod_exposed.named("prod-addons-lb-controller-irsa"))
    assert document == load_balancer_controller_policy("groundwork-prod")
