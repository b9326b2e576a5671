"""The Dns component on mocks: a created (protected) or existing zone, one certificate for the apex
and the wildcard, its validation record in the zone, and the validation every user waits on."""

from __future__ import annotations

import pulumi
import pytest

from components.dns import Dns, DnsArgs, DnsSettings
from stacks.preflight.capture import Capture
from tests.conftest import run_component
from tests.data_support import TAGS

ZONE = "aws:route53/zone:Zone"
CERTIFICATE = "aws:acm/certificate:Certificate"
RECORD = "aws:route53/record:Record"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"


def _dns(settings: DnsSettings, protect: bool = True) -> Capture:
    def build() -> None:
        dns = Dns("dev-dns", DnsArgs(settings=settings, protect=protect, tags=TAGS))
        pulumi.export("zone_arn", dns.zone_arn)
        pulumi.export("certificate_arn", dns.certificate_arn)
        pulumi.export("name_servers", dns.name_servers)

    return run_component(build)


@pytest.fixture(scope="module")
def created() -> Capture:
    return _dns(DnsSettings(zone_name="dev.example.com", create_zone=True))


@pytest.fixture(scope="module")
def existing() -> Capture:
    return _dns(DnsSettings(zone_name="dev.example.com", zone_id="Z0123456789ABC"))


def test_a_created_zone_is_public_named_after_the_domain_and_protected(created):
    (zone,) = created.of_type(ZONE)
    assert zone.props["name"] == "dev.example.com"
    assert "vpcs" not in zone.props and zone.props["forceDestroy"] is False
    assert zone.protect


def test_protection_follows_the_args(created):
    unprotected = _dns(DnsSettings(zone_name="dev.example.com", create_zone=True), protect=False)
    assert not unprotected.of_type(ZONE)[0].protect


def test_an_existing_zone_is_used_by_id_and_not_created(existing):
    assert existing.of_type(ZONE) == []
    (record,) = existing.of_type(RECORD)
    assert record.props["zoneId"] == "Z0123456789ABC"
    assert existing.outputs["zone_arn"] == "arn:aws:route53:::hostedzone/Z0123456789ABC"


def test_one_certificate_covers_the_apex_and_the_wildcard_by_dns(created):
    (certificate,) = created.of_type(CERTIFICATE)
    props = certificate.props
    assert (props["domainName"], props["subjectAlternativeNames"]) == (
        "dev.example.com",
        ["*.dev.example.com"],
    )
    assert props["validationMethod"] == "DNS"
    assert props["options"] == {"certificateTransparencyLoggingPreference": "ENABLED"}


def test_the_validation_record_is_acms_cname_in_the_created_zone(created):
    (zone,) = created.of_type(ZONE)
    (record,) = created.of_type(RECORD)
    props = record.props
    assert (
        props["type"] == "CNAME"
        and props["name"].startswith("_")
        and props["name"].endswith(".dev.example.com.")
    )
    assert props["records"][0].endswith(".acm-validations.aws.")
    assert props["zoneId"].startswith("Z") and zone.urn in record.property_dependencies["zoneId"]
    assert created.outputs["zone_arn"] == f"arn:aws:route53:::hostedzone/{props['zoneId']}"


def test_the_certificate_arn_comes_from_the_awaited_validation(created):
    (certificate,) = created.of_type(CERTIFICATE)
    (record,) = created.of_type(RECORD)
    (validation,) = created.of_type(VALIDATION)
    assert validation.props["certificateArn"] == created.outputs["certificate_arn"]
    assert certificate.urn in validation.property_dependencies["certificateArn"]
    assert record.urn in validation.property_dependencies["validationRecordFqdns"]
    assert validation.props["validationRecordFqdns"] == [record.props["name"].rstrip(".")]


def test_the_created_zone_reports_its_name_servers_for_delegation(created, existing):
    assert len(created.outputs["name_servers"]) == 4
    assert existing.outputs["name_servers"] == []


def test_every_child_is_tagged_and_parented(created):
    children = [r for r in created.resources if r.custom and r.type.startswith("aws:")]
    assert {r.type for r in children} == {ZONE, CERTIFICATE, RECORD, VALIDATION}
    (component,) = created.of_type("groundwork:dns:Dns")
    assert all(r.parent == component.urn for r in children)
    for resource in created.of_type(ZONE) + created.of_type(CERTIFICATE):
        assert resource.props["tags"]["component"] == "dns"
