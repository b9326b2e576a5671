"""`policy/__main__.py` is what `pulumi preview --policy-pack policy` runs: it must build the pack
and serve it over gRPC. Start it exactly as the CLI's `pulumi-analyzer-policy-python` does
(`python -u -m pulumi.policy <engine> <pack dir>`), talk to it over the analyzer protocol, stop it."""

import json
import subprocess
import sys
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


@pytest.fixture(scope="module")
def analyzer():
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(POLICY_DIR)],
        cwd=POLICY_DIR,
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
