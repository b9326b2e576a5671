"""`groundwork:dns` and the apps' `expose`/`host`/`paths`: good input parses, and bad input names the
stack, the key path, the value and what is allowed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stacks.config import ConfigError, parse_stack_config, read_stack_file
from stacks.config.edge import app_host

ZONE = {"zoneName": "dev.example.com", "createZone": True}


def _dev(dns: dict[str, Any] | None = ZONE) -> dict[str, Any]:
    raw = copy.deepcopy(read_stack_file("dev"))
    if dns is not None:
        raw["groundwork:dns"] = copy.deepcopy(dns)
    return raw


def _app(name: str, **keys: Any) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        raw["groundwork:apps"][name].update(copy.deepcopy(keys))

    return change


def _dns(**keys: Any) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        raw["groundwork:dns"] = {**raw.get("groundwork:dns", {}), **keys}

    return change


def _without_dns(raw: dict) -> None:
    raw.pop("groundwork:dns")
    _app("api", expose="public")(raw)


def _both_on_one_host(raw: dict) -> None:
    _app("api", expose="public", host="shop")(raw)
    _app("web", expose="internal", host="shop.dev.example.com")(raw)


def _addons_zone(raw: dict) -> None:
    raw["groundwork:cluster"] = {
        **raw.get("groundwork:cluster", {}),
        "addons": {"hostedZoneId": "Z0OTHERZONE", "domain": "dev.example.com"},
    }


def _edge(**keys: Any) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        raw["groundwork:edge"] = copy.deepcopy(keys)

    return change


# (case, change to the dev stack file, key path in the message, value as shown, what is allowed)
BAD_INPUTS = [
    ("expose-unknown", _app("api", expose="everyone"), "apps.api.expose", "'everyone'", "'public'"),
    ("public-without-dns", _without_dns, "apps.api.expose", "'public'", "needs groundwork:dns"),
    (
        "host-outside-zone",
        _app("api", expose="public", host="api.other.com"),
        "apps.api.host",
        "'api.other.com'",
        "one label under it",
    ),
    (
        "host-two-levels-down",
        _app("api", expose="public", host="v2.api"),
        "apps.api.host",
        "'v2.api'",
        "*.dev.example.com only",
    ),
    ("host-not-dns", _app("api", expose="public", host="Api_1"), "apps.api.host", "'Api_1'", "DNS name"),
    (
        "host-without-expose",
        _app("api", host="api"),
        "apps.api.host",
        "'api'",
        "no effect while expose is none",
    ),
    ("same-host-and-path", _both_on_one_host, "apps.web.paths", "'/'", "apps.api already serves"),
    (
        "path-not-absolute",
        _app("api", expose="public", paths=["api"]),
        "apps.api.paths",
        "['api']",
        "starting with /",
    ),
    (
        "path-twice",
        _app("api", expose="public", paths=["/a", "/a"]),
        "apps.api.paths",
        "['/a', '/a']",
        "more than once",
    ),
    ("zone-name-not-dns", _dns(zoneName="dev..example.com"), "dns.zoneName", "'dev..example.com'", "labels"),
    ("zone-name-one-label", _dns(zoneName="localhost"), "dns.zoneName", "'localhost'", "two labels"),
    ("zone-name-upper-case", _dns(zoneName="Dev.Example.com"), "dns.zoneName", "'Dev.Example.com'", "lower"),
    (
        "zone-create-and-id",
        _dns(zoneId="Z0123456789ABC"),
        "dns.zoneId",
        "'Z0123456789ABC'",
        "not both",
    ),
    ("zone-neither", _dns(createZone=False), "dns.createZone", "False", "or zoneId to use an existing"),
    (
        "zone-id-malformed",
        _dns(createZone=False, zoneId="zone-1"),
        "dns.zoneId",
        "'zone-1'",
        "hosted zone id",
    ),
    (
        "zone-name-missing",
        lambda raw: raw.update({"groundwork:dns": {"createZone": True}}),
        "dns.zoneName",
        "(missing)",
        "is required",
    ),
    ("addons-other-zone", _addons_zone, "cluster.addons.hostedZoneId", "'Z0OTHERZONE'", "another zone"),
    (
        "waf-rate-too-low",
        _edge(waf={"rateLimit": 5}),
        "edge.waf.rateLimit",
        "5",
        "greater than or equal to 10",
    ),
    (
        "waf-count-unknown-group",
        _edge(waf={"countRuleGroups": ["bots"]}),
        "edge.waf.countRuleGroups.0",
        "'bots'",
        "'ipReputation', 'common', 'knownBadInputs' or 'sqlInjection'",
    ),
    (
        "waf-count-group-twice",
        _edge(waf={"countRuleGroups": ["common", "common"]}),
        "edge.waf.countRuleGroups",
        "['common', 'common']",
        "at most once",
    ),
    (
        "waf-log-retention-not-cloudwatch",
        _edge(waf={"logRetentionDays": 10}),
        "edge.waf.logRetentionDays",
        "10",
        "must be one of 1, 3, 5",
    ),
    (
        "access-log-expiry-zero",
        _edge(accessLogs={"expiryDays": 0}),
        "edge.accessLogs.expiryDays",
        "0",
        "greater than or equal to 1",
    ),
    ("edge-unknown-key", _edge(wafv2={}), "edge.wafv2", "{}", "is not a known key"),
]


def test_the_table_covers_at_least_ten_bad_inputs():
    assert len(BAD_INPUTS) >= 10


@pytest.mark.parametrize(
    ("case", "change", "path", "shown", "allowed"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_edge_input_names_the_stack_key_value_and_what_is_allowed(case, change, path, shown, allowed):
    raw = _dev()
    change(raw)
    with pytest.raises(ConfigError) as raised:
        parse_stack_config("dev", raw)
    lines = [line for line in str(raised.value).splitlines() if f"dev: {path} = " in line]
    assert lines, str(raised.value)
    assert any(shown in line and allowed in line for line in lines), lines


def test_prod_refuses_count_mode():
    raw = copy.deepcopy(read_stack_file("prod"))
    raw["groundwork:dns"] = {"zoneName": "example.com", "createZone": True}
    raw["groundwork:edge"] = {"waf": {"countRuleGroups": ["common"]}}
    with pytest.raises(ConfigError) as raised:
        parse_stack_config("prod", raw)
    assert "prod: edge.waf.countRuleGroups = ['common']: must be empty in prod" in str(raised.value)


def test_staging_may_count():
    raw = copy.deepcopy(read_stack_file("staging"))
    raw["groundwork:dns"] = {"zoneName": "staging.example.com", "createZone": True}
    raw["groundwork:edge"] = {"waf": {"countRuleGroups": ["common"]}}
    assert parse_stack_config("staging", raw).edge.waf.count_rule_groups == ("common",)


def test_local_refuses_a_zone():
    raw = copy.deepcopy(read_stack_file("local"))
    raw["groundwork:dns"] = dict(ZONE)
    with pytest.raises(ConfigError, match=r"local: dns = 'dev.example.com': must be unset in local"):
        parse_stack_config("local", raw)


def test_apps_are_not_exposed_unless_asked():
    config = parse_stack_config("dev", _dev(dns=None))
    assert config.dns is None
    assert {name: app.expose for name, app in config.apps.items()} == {"api": "none", "web": "none"}


def test_a_public_and_an_internal_app_parse_with_their_hosts():
    raw = _dev()
    _app("api", expose="public", host="api", paths=["/v1", "/v2"])(raw)
    _app("web", expose="internal")(raw)
    config = parse_stack_config("dev", raw)
    api, web = config.apps["api"], config.apps["web"]
    assert (api.expose, api.paths, web.expose, web.paths) == ("public", ("/v1", "/v2"), "internal", ("/",))
    assert app_host("api", api, "dev.example.com") == "api.dev.example.com"
    assert app_host("web", web, "dev.example.com") == "web.dev.example.com"


def test_an_existing_zone_by_id_parses():
    config = parse_stack_config("dev", _dev({"zoneName": "dev.example.com", "zoneId": "Z0123456789ABC"}))
    assert config.dns is not None
    assert (config.dns.create_zone, config.dns.zone_id) == (False, "Z0123456789ABC")


@pytest.mark.parametrize(
    ("host", "full"),
    [
        ("@", "dev.example.com"),
        ("dev.example.com", "dev.example.com"),
        ("api.dev.example.com", "api.dev.example.com"),
    ],
)
def test_the_apex_and_full_names_under_the_zone_are_hosts(host, full):
    raw = _dev()
    _app("api", expose="public", host=host)(raw)
    api = parse_stack_config("dev", raw).apps["api"]
    assert app_host("api", api, "dev.example.com") == full


def test_two_apps_share_a_host_on_different_paths():
    raw = _dev()
    _app("api", expose="public", host="shop", paths=["/api"])(raw)
    _app("web", expose="public", host="shop", paths=["/"])(raw)
    assert parse_stack_config("dev", raw).apps["web"].host == "shop"
