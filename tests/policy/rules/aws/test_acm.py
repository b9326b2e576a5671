"""policy/rules/aws/acm.py: the rule fires on a broken copy of the stack's certificate (as components.dns
requests it) and stays silent on the original; imported and private-CA certificates are not its business."""

import pytest

from tests.policy._cases import baseline_fired, fired, patched

CERTIFICATE = "aws:acm/certificate:Certificate"
BASELINE = {
    "domainName": "example.com",
    "subjectAlternativeNames": ["*.example.com"],
    "validationMethod": "DNS",
    "keyAlgorithm": "RSA_2048",
}


@pytest.mark.parametrize("method", ["EMAIL", None], ids=["email", "unset"])
def test_rule_fires_on_a_certificate_not_validated_by_dns(method):
    assert "AWS-ACM-001" in fired(CERTIFICATE, patched(BASELINE, {"validationMethod": method}))


def test_rule_is_silent_on_the_dns_validated_certificate():
    assert "AWS-ACM-001" not in baseline_fired(CERTIFICATE, BASELINE)


def test_an_imported_certificate_has_no_validation():
    imported = {"certificateBody": "-----BEGIN CERTIFICATE-----", "privateKey": "k"}
    assert "AWS-ACM-001" not in fired(CERTIFICATE, imported)
