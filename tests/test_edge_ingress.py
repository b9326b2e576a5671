"""Exposed apps on mocks: dev with a public `api` and an internal `web` gets one Ingress each, joined
to its exposure's shared ALB with the annotations the AWS Load Balancer Controller v3.5.0 documents
(docs/guide/ingress/annotations.md), and NetworkPolicies admitting the ALBs to exactly those apps."""

from __future__ import annotations

import copy
import json

import pytest

from stacks.config import read_stack_file
from stacks.preflight.runner import capture_stack

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
A = "alb.ingress.kubernetes.io/"
DNS = {"zoneName": "dev.example.com", "createZone": True}
# The controller's documented annotation names this program sets, and no other.
DOCUMENTED = {
    f"{A}{name}"
    for name in (
        "group.name",
        "load-balancer-name",
        "scheme",
        "target-type",
        "listen-ports",
        "ssl-redirect",
        "certificate-arn",
        "ssl-policy",
        "subnets",
        "healthcheck-path",
        "load-balancer-attributes",
    )
}
# The public group also names its web ACL (annotations.md#wafv2-acl-arn, Exclusive).
DOCUMENTED_PUBLIC = DOCUMENTED | {f"{A}wafv2-acl-arn"}


def _apps(**exposure: dict) -> dict:
    apps = copy.deepcopy(read_stack_file("dev")["groundwork:apps"])
    for name, keys in exposure.items():
        apps[name].update(keys)
    return apps


@pytest.fixture(scope="module")
def exposed(dev_exposed):
    return dev_exposed


@pytest.fixture(scope="module")
def only_api():
    apps = _apps(api={"expose": "public"})
    return capture_stack("dev", overrides={"groundwork:dns": DNS, "groundwork:apps": apps})


def _ingresses(capture) -> dict[str, dict]:
    return {r.props["metadata"]["name"]: r.props for r in capture.of_type(INGRESS)}


def _annotations(capture, app: str) -> dict[str, str]:
    return _ingresses(capture)[app]["metadata"]["annotations"]


def test_each_exposed_app_gets_one_ingress_in_the_app_namespace(exposed, only_api, captured):
    assert sorted(_ingresses(exposed)) == ["api", "web"]
    assert sorted(_ingresses(only_api)) == ["api"]
    assert _ingresses(captured("dev")) == {}
    assert {spec["metadata"]["namespace"] for spec in _ingresses(exposed).values()} == {"apps"}


def test_only_documented_annotation_names_are_set(exposed):
    assert set(_annotations(exposed, "api")) == DOCUMENTED_PUBLIC
    assert set(_annotations(exposed, "web")) == DOCUMENTED


def test_public_and_internal_apps_join_one_group_per_exposure(exposed):
    api, web = _annotations(exposed, "api"), _annotations(exposed, "web")
    assert (api[f"{A}group.name"], api[f"{A}scheme"]) == ("dev-public", "internet-facing")
    assert (web[f"{A}group.name"], web[f"{A}scheme"]) == ("dev-internal", "internal")


def test_https_only_on_the_validated_certificate_and_the_tls13_policy(exposed):
    (validation,) = exposed.of_type("aws:acm/certificateValidation:CertificateValidation")
    for app in ("api", "web"):
        annotations = _annotations(exposed, app)
        assert json.loads(annotations[f"{A}listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
        assert annotations[f"{A}ssl-redirect"] == "443"
        assert annotations[f"{A}certificate-arn"] == validation.props["certificateArn"]
        assert annotations[f"{A}ssl-policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
        assert annotations[f"{A}target-type"] == "ip"


@pytest.mark.parametrize("app, exposure", [("api", "public"), ("web", "internal")])
def test_the_albs_drop_invalid_headers_log_access_and_follow_the_stacks_protection(exposed, app, exposure):
    attributes = dict(
        item.split("=") for item in _annotations(exposed, app)[f"{A}load-balancer-attributes"].split(",")
    )
    assert attributes == {
        "deletion_protection.enabled": "false",
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": exposed.outputs["alb_access_log_bucket"],
        "access_logs.s3.prefix": exposure,
    }


def test_health_checks_follow_each_apps_health_path(exposed):
    raw = read_stack_file("dev")["groundwork:apps"]
    for app in ("api", "web"):
        expected = raw[app].get("health", {}).get("path", "/healthz")
        assert _annotations(exposed, app)[f"{A}healthcheck-path"] == expected


def test_rules_route_the_host_and_paths_to_the_apps_service(exposed):
    spec = _ingresses(exposed)["api"]["spec"]
    assert spec["ingressClassName"] == "alb"
    (rule,) = spec["rules"]
    assert rule["host"] == "api.dev.example.com"
    assert [(p["path"], p["pathType"]) for p in rule["http"]["paths"]] == [
        ("/v1", "Prefix"),
        ("/v2", "Prefix"),
    ]
    assert [p["backend"] for p in rule["http"]["paths"]] == [
        {"service": {"name": "api", "port": {"number": 8080}}}
    ] * 2
    assert exposed.outputs["app_hosts"] == {
        "api": "https://api.dev.example.com",
        "web": "https://web.dev.example.com",
    }


def test_both_albs_live_in_the_public_subnets(exposed):
    subnets = {_annotations(exposed, app)[f"{A}subnets"] for app in ("api", "web")}
    assert len(subnets) == 1
    (value,) = subnets
    assert value.split(",") == exposed.outputs["public_subnet_ids"]


def test_the_load_balancer_is_admitted_to_exactly_the_exposed_apps(only_api):
    admitted = {
        r.props["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: r.props["spec"]
        for r in only_api.of_type(POLICY)
        if r.name.endswith("-from-load-balancer")
    }
    assert sorted(admitted) == ["api"]
    (rule,) = admitted["api"]["ingress"]
    assert [p["port"] for p in rule["ports"]] == [8080]
    assert [peer["ipBlock"]["cidr"] for peer in rule["from"]] == ["10.10.128.0/21", "10.10.136.0/21"]


WEB_ACL = "aws:wafv2/webAcl:WebAcl"


def _of(capture, name: str, type_prefix: str):
    (resource,) = [r for r in capture.resources if r.name == name and r.type.startswith(type_prefix)]
    return resource


def _one(capture, type_: str):
    (resource,) = capture.of_type(type_)
    return resource


def test_only_the_public_alb_names_the_stacks_web_acl(exposed):
    arn = exposed.outputs["web_acl_arn"]
    assert arn.startswith("arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/dev-waf/")
    assert _annotations(exposed, "api")[f"{A}wafv2-acl-arn"] == arn
    assert f"{A}wafv2-acl-arn" not in _annotations(exposed, "web")


def test_dev_web_acl_rate_limits_then_counts_its_noisy_groups_and_blocks_the_rest(exposed):
    acl = _one(exposed, WEB_ACL).props
    assert (acl["scope"], acl["defaultAction"]) == ("REGIONAL", {"allow": {}})
    rules = [
        (r["priority"], r["name"], r.get("action") or r["overrideAction"], r["statement"])
        for r in acl["rules"]
    ]
    managed = [
        (1, "AWSManagedRulesAmazonIpReputationList", "none"),
        (2, "AWSManagedRulesCommonRuleSet", "count"),
        (3, "AWSManagedRulesKnownBadInputsRuleSet", "none"),
        (4, "AWSManagedRulesSQLiRuleSet", "count"),  # api uses postgres
    ]
    assert rules == [
        (
            0,
            "rate-limit",
            {"block": {}},
            {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP", "evaluationWindowSec": 300}},
        ),
        *[
            (p, n, {mode: {}}, {"managedRuleGroupStatement": {"name": n, "vendorName": "AWS"}})
            for p, n, mode in managed
        ],
    ]
    assert all(r["visibilityConfig"]["cloudwatchMetricsEnabled"] for r in acl["rules"])


def test_the_web_acl_logs_to_its_encrypted_log_group_without_credentials(exposed):
    logging = _one(exposed, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").props
    (group,) = [g for g in exposed.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name == "dev-waf-logs"]
    assert group.props["name"] == "aws-waf-logs-dev-waf"
    assert (group.props["retentionInDays"], group.props["kmsKeyId"]) == (30, exposed.outputs["kms_key_arn"])
    assert logging["resourceArn"] == exposed.outputs["web_acl_arn"]
    assert logging["logDestinationConfigs"] == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-dev-waf"
    ]
    assert logging["redactedFields"] == [
        {"singleHeader": {"name": "authorization"}},
        {"singleHeader": {"name": "cookie"}},
    ]


LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"


def test_the_waf_log_groups_resource_policy_lets_only_this_accounts_log_delivery_write_to_it(exposed):
    policy = _one(exposed, LOG_POLICY).props
    assert policy["policyName"] == "dev-waf-log-delivery"
    assert json.loads(policy["policyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSLogDeliveryWrite20150319",
                "Effect": "Allow",
                "Principal": {"Service": ["delivery.logs.amazonaws.com"]},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [
                    "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-dev-waf:log-stream:*"
                ],
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ["123456789012"]},
                    "ArnLike": {"aws:SourceArn": ["arn:aws:logs:eu-west-1:123456789012:*"]},
                },
            }
        ],
    }


def test_waf_logging_waits_for_the_log_groups_resource_policy(exposed):
    logging = _one(exposed, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert _one(exposed, LOG_POLICY).urn in logging.dependencies


def test_the_web_acl_is_tagged_for_the_controller_that_attaches_it(exposed):
    assert _one(exposed, WEB_ACL).props["tags"]["elbv2.k8s.aws/cluster"] == "groundwork-dev"


def test_the_alb_log_bucket_lets_only_elb_of_the_region_write_under_each_prefix(exposed):
    bucket = exposed.outputs["alb_access_log_bucket"]
    (policy,) = [p for p in exposed.of_type("aws:s3/bucketPolicy:BucketPolicy") if p.name == "dev-alb-logs"]
    arn = f"arn:aws:s3:::{bucket}"
    tls = [arn, f"{arn}/*"]
    assert json.loads(policy.props["policy"])["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": tls,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": tls,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
        {
            "Sid": "AlbAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::156460612806:root"},  # eu-west-1's ELB account
            "Action": "s3:PutObject",
            "Resource": [
                f"{arn}/public/AWSLogs/123456789012/*",
                f"{arn}/internal/AWSLogs/123456789012/*",
            ],
        },
    ]


def test_the_alb_log_bucket_uses_sse_s3_and_expires_logs(exposed):
    sse = _of(exposed, "dev-alb-logs", "aws:s3/bucketServerSideEncryptionConfiguration")
    assert sse.props["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    lifecycle = _of(exposed, "dev-alb-logs", "aws:s3/bucketLifecycleConfiguration")
    assert lifecycle.props["rules"][0]["expiration"] == {"days": 30}


def test_an_app_without_an_http_health_path_is_checked_on_its_first_path():
    from components.edge import AppIngresses, AppIngressesArgs, IngressRoute
    from tests.conftest import run_component

    route = IngressRoute(
        app="tcp",
        exposure="internal",
        host="tcp.dev.example.com",
        paths=("/app", "/x"),
        port=9000,
        health_path=None,
    )
    capture = run_component(
        lambda: AppIngresses(
            "t",
            AppIngressesArgs(
                group_prefix="t", namespace="apps", routes=(route,), certificate_arn="arn:c", subnet_ids=["s"]
            ),
        )
    )
    annotations = _one(capture, INGRESS).props["metadata"]["annotations"]
    assert (annotations[f"{A}healthcheck-path"], annotations[f"{A}success-codes"]) == ("/app", "200-499")


def test_the_ingresses_wait_for_the_log_bucket_and_its_policy(exposed):
    (policy,) = [p for p in exposed.of_type("aws:s3/bucketPolicy:BucketPolicy") if p.name == "dev-alb-logs"]
    (component,) = [r for r in exposed.resources if r.type == "groundwork:edge:AppIngresses"]
    assert policy.urn in component.dependencies  # the engine expands a component to its children


def test_the_web_acl_names_fit_wafs_own_patterns(exposed):
    """WAF refuses a description with an apostrophe or a metric name with a space only at deploy time;
    botocore's service model (pinned) holds the patterns."""
    import re

    import botocore.session

    model = botocore.session.get_session().get_service_model("wafv2")

    def fits(shape: str, value: str) -> bool:
        meta = model.shape_for(shape).metadata
        return meta["min"] <= len(value) <= meta["max"] and re.match(meta["pattern"], value) is not None

    acl = _one(exposed, WEB_ACL).props
    assert fits("EntityName", acl["name"]) and fits("EntityDescription", acl["description"])
    metrics = [
        acl["visibilityConfig"]["metricName"],
        *[r["visibilityConfig"]["metricName"] for r in acl["rules"]],
    ]
    assert all(fits("MetricName", m) for m in metrics) and all(
        fits("EntityName", r["name"]) for r in acl["rules"]
    )
