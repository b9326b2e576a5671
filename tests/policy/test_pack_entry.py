"""`policy/__main__.py` is what `pulumi preview --policy-pack policy` runs: it must build the pack
and serve it over gRPC. Start it exactly as the CLI's `pulumi-analyzer-policy-python` does
(`python -u -m pulumi.policy <engine> <pack dir>`), talk to it over the analyzer protocol, stop it."""

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policy.framework import FRAMEWORK_POLICIES, REGISTRY, load_rules

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "disabled": analyzer_pb2.DISABLED,
}


@contextmanager
def served_pack(environ: dict[str, str] | None = None):
    """The pack's analyzer server, started as the CLI starts it, with the PULUMI_* variables the CLI
    sets for the stack it runs the pack for (`environ`; none: outside any stack)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(POLICY_DIR)],
        cwd=POLICY_DIR,
        env={**env, **(environ or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.poll() is not None else port
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def stack_env(stack: str, config: dict[str, str] | None = None) -> dict[str, str]:
    """What the CLI puts in the pack's environment for `pulumi preview -s <stack>`."""
    return {
        "PULUMI_PROJECT": "groundwork",
        "PULUMI_STACK": stack,
        "PULUMI_DRY_RUN": "true",
        "PULUMI_CONFIG": json.dumps({"aws:region": "eu-west-1", **(config or {})}),
    }


@pytest.fixture(scope="module")
def analyzer():
    """The pack served outside any stack, shared by the module's tests (each configures it fully)."""
    with served_pack() as stub:
        yield stub


@pytest.fixture(scope="module")
def prod_analyzer():
    """The pack served for `pulumi preview -s prod`, shared by the module's tests."""
    with served_pack(stack_env("prod")) as stub:
        yield stub


def test_the_served_pack_lists_every_rule_with_its_metadata(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    load_rules()
    assert info.name == "groundwork"
    assert {p.name for p in info.policies} == set(REGISTRY) | set(FRAMEWORK_POLICIES)
    rule = next(p for p in info.policies if p.name == "AWS-NET-001")
    assert rule.severity == analyzer_pb2.POLICY_SEVERITY_CRITICAL
    assert "environment" in rule.configSchema.properties and "exemptions" in rule.configSchema.properties


def test_the_served_pack_enforces_the_prod_config_file(analyzer):
    config = json.loads((POLICY_DIR / "config" / "prod.json").read_text())
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, entry in config.items():
        if name == "all":
            continue
        props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(
                enforcementLevel=LEVELS[entry["enforcementLevel"]],
                properties=json_format.ParseDict(props, struct_pb2.Struct()),
            )
        )
    analyzer.Configure(request)
    response = analyzer.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="aws:ec2/subnet:Subnet",
            name="s",
            urn="urn:pulumi:prod::groundwork::aws:ec2/subnet:Subnet::s",
            properties=json_format.ParseDict({"mapPublicIpOnLaunch": True}, struct_pb2.Struct()),
        )
    )
    assert [(d.policyName, d.enforcementLevel) for d in response.diagnostics] == [
        ("AWS-NET-007", analyzer_pb2.MANDATORY)
    ]


# --- the gate fails closed: no --policy-pack-config still gets the stack's own levels ---------------


def _apply(result: dict[str, list], config: dict[str, tuple[int | None, dict]]) -> None:
    """The CLI's applyConfig: "all" sets every policy's level, then each entry its level and properties."""
    if "all" in config and config["all"][0] is not None:
        for entry in result.values():
            entry[0] = config["all"][0]
    for name, (level, props) in config.items():
        if name == "all":
            continue
        entry = result.setdefault(name, [None, {}])
        entry[0] = level if level is not None else entry[0]
        entry[1] = {**entry[1], **props}


def cli_configure(stub, file_config: dict | None = None) -> None:
    """Configure the served pack as `pulumi preview --policy-pack policy [--policy-pack-config FILE]`
    does (pkg/resource/analyzer/config.go ReconcilePolicyPackConfig): each policy's schema defaults
    and own level, then the pack's initial config, then the file, if any."""
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    result = {}
    for p in info.policies:
        schema = json_format.MessageToDict(p.configSchema.properties)
        result[p.name] = [p.enforcementLevel, {k: v["default"] for k, v in schema.items() if "default" in v}]
    initial = {
        k: (v.enforcementLevel, json_format.MessageToDict(v.properties))
        for k, v in info.initialConfig.items()
    }
    _apply(result, initial)
    if file_config:
        as_entries = {}
        for name, value in file_config.items():
            value = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
            level = value.pop("enforcementLevel", None)
            as_entries[name] = (LEVELS[level] if level else None, value)
        _apply(result, as_entries)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, props) in result.items():
        assert level is not None, f"{name}: the CLI refuses an entry without an enforcement level"
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(
                enforcementLevel=level, properties=json_format.ParseDict(props, struct_pb2.Struct())
            )
        )
    stub.Configure(request)


def stack_request(capture) -> analyzer_pb2.AnalyzeStackRequest:
    """The AnalyzeStackRequest the engine sends for a preflight capture."""
    from policy.analyzer import Analyzer, WireResource

    builder = Analyzer("prod")
    wire = [WireResource.from_captured(r) for r in capture.resources]
    by_urn = {w.urn: w for w in wire}
    request = analyzer_pb2.AnalyzeStackRequest()
    for w in wire:
        single = builder.request(w, by_urn)
        item = analyzer_pb2.AnalyzerResource(
            type=single.type,
            properties=single.properties,
            urn=single.urn,
            name=single.name,
            options=single.options,
            parent=w.parent or "",
            dependencies=list(w.dependencies),
        )
        for key, urns in w.property_dependencies.items():
            item.propertyDependencies[key].CopyFrom(
                analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
            )
        if single.HasField("provider"):
            item.provider.CopyFrom(single.provider)
        request.resources.append(item)
    return request


@pytest.fixture(scope="module")
def unprotected_prod(captured):
    """prod's database stripped of `protect` and of RDS deletion protection, as the requests the
    engine sends: (the database's AnalyzeRequest, an AnalyzeStackRequest holding it, the database)."""
    from dataclasses import replace

    from policy.analyzer import Analyzer, WireResource
    from stacks.preflight.capture import Capture

    prod = captured("prod")
    db = next(r for r in prod.resources if r.name == "prod-postgres-db")
    assert db.protect and db.inputs["deletionProtection"] is True
    loose = replace(
        db, options={**db.options, "protect": False}, inputs={**db.inputs, "deletionProtection": False}
    )
    # The stack request holds the database and, before it, the first resource tagged with its
    # environment: the verdicts asked about are the database's, and the engine's AnalyzeStack over the
    # whole prod stack is the last test's (it costs seconds per call). STACK-ENV-002 names the first
    # resource that says its environment, so, as in the whole stack, it names that one, not the database.
    first = next(r for r in prod.resources if r is not db and (r.inputs.get("tags") or {}).get("environment"))
    capture = Capture(prod.stack, [first, loose], prod.outputs)
    single = Analyzer("prod").request(WireResource.from_captured(loose), {})
    return single, stack_request(capture), loose


def verdicts(stub, requests) -> set[tuple[str, int]]:
    """(policy, enforcement level) of every diagnostic on the database: its own resource rules and the
    stack rules that name it."""
    single_request, stack, db = requests
    single = stub.Analyze(single_request)
    whole = stub.AnalyzeStack(stack)
    found = {(d.policyName, d.enforcementLevel) for d in single.diagnostics}
    return found | {(d.policyName, d.enforcementLevel) for d in whole.diagnostics if d.urn == db.urn}


UNPROTECTED = {("AWS-RDS-006", analyzer_pb2.MANDATORY), ("STACK-PROT-001", analyzer_pb2.MANDATORY)}


def test_without_a_config_file_prod_gets_its_mandatory_gate(prod_analyzer, unprotected_prod):
    cli_configure(prod_analyzer)
    assert verdicts(prod_analyzer, unprotected_prod) >= UNPROTECTED


def test_outside_any_stack_the_pack_is_judged_as_prod(analyzer, unprotected_prod):
    cli_configure(analyzer)
    assert verdicts(analyzer, unprotected_prod) >= UNPROTECTED


def test_without_a_config_file_dev_gets_dev_levels_not_prods(unprotected_prod):
    with served_pack(stack_env("dev")) as stub:
        cli_configure(stub)
        found = verdicts(stub, unprotected_prod)
    assert not {policy for policy, level in found if level == analyzer_pb2.MANDATORY}


def test_a_config_file_still_overrides_the_initial_config(prod_analyzer, unprotected_prod):
    cli_configure(prod_analyzer, {"AWS-RDS-006": "advisory"})
    found = verdicts(prod_analyzer, unprotected_prod)
    assert ("AWS-RDS-006", analyzer_pb2.ADVISORY) in found and (
        "STACK-PROT-001",
        analyzer_pb2.MANDATORY,
    ) in found


def test_an_old_id_in_the_config_file_configures_the_rule_it_names_now(analyzer):
    cli_configure(analyzer, {"AWS-EC-009": {"enforcementLevel": "mandatory"}})
    response = analyzer.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="aws:elasticache/cluster:Cluster",
            name="cache",
            urn="urn:pulumi:prod::groundwork::aws:elasticache/cluster:Cluster::cache",
            properties=json_format.ParseDict({"engine": "redis", "port": 6379.0}, struct_pb2.Struct()),
        )
    )
    assert ("AWS-ELASTICACHE-009", analyzer_pb2.MANDATORY) in {
        (d.policyName, d.enforcementLevel) for d in response.diagnostics
    }


def test_the_dev_config_file_on_the_prod_stack_still_blocks(prod_analyzer, captured):
    dev_file = json.loads((POLICY_DIR / "config" / "dev.json").read_text())
    cli_configure(prod_analyzer, dev_file)
    whole = prod_analyzer.AnalyzeStack(stack_request(captured("prod")))
    blocking = {d.policyName for d in whole.diagnostics if d.enforcementLevel == analyzer_pb2.MANDATORY}
    assert blocking == {"STACK-ENV-002"}
