"""Every values key the program hands a chart exists in that chart version.

`CONFIRMED` (tests/chart_values_confirmed.json) records, for each chart at its pinned version, every
values key path the five stacks set and where the chart's source confirmed it: `values.yaml` (the key
is in the chart's values file), `templates/<file>` (a template reads `.Values.<key>`), or a free-form
ancestor (`values.yaml (free-form X)`: X is an empty map the chart renders whole with toYaml, such as
`securityContext`). A subchart's keys (kube-prometheus-stack's `grafana.*`) were looked up in that
subchart. A key that no chart reads is silently ignored by Helm, which is how a typo loosens a
security context; so a new key fails here until it is confirmed and recorded.

The record was made from the chart sources (`--charts` directory, docs/charts.md); with
GROUNDWORK_CHART_SOURCES pointing at such a directory the last test checks it again.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.preflight.charts import DeclaredChart, declared_charts
from stacks.preflight.runner import capture_stack

CONFIRMED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "chart_values_confirmed.json").read_text()
)
SUBCHARTS = ("grafana", "kube-state-metrics", "prometheus-node-exporter")
STACKS = ("local", "dev", "qa", "staging", "prod")
WITH_ZONE = {
    "groundwork:cluster": {"addons": {"hostedZoneId": "Z0123456789ABCDEFGHIJ", "domain": "prod.example.org"}}
}


def key_paths(values: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths to every leaf (lists and scalars) of a values tree."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from key_paths(value, f"{path}.")
        else:
            yield path


def _lookup(values: Any, parts: list[str]) -> tuple[bool, Any]:
    node = values
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def confirm(root: Path, path: str) -> str | None:
    """Where the chart unpacked at `root` confirms the values key `path`, or None."""
    first, _, rest = path.partition(".")
    target = root / "charts" / first
    if first in SUBCHARTS and rest and (root / "charts").is_dir():
        packed = next((root / "charts").glob(f"{first}-*.tgz"), None)
        if not target.is_dir() and packed is not None:
            with tarfile.open(packed) as archive:
                archive.extractall(root / "charts", filter="data")
        if target.is_dir():
            found = confirm(target, rest)
            return f"charts/{first}/{found}" if found else None
    values = yaml.safe_load((root / "values.yaml").read_text()) or {}
    templates = {
        p.relative_to(root).as_posix(): p.read_text() for p in (root / "templates").rglob("*") if p.is_file()
    }
    parts = path.split(".")
    if _lookup(values, parts)[0]:
        return "values.yaml"
    for name, text in sorted(templates.items()):
        if re.search(rf"\.Values\.{re.escape(path)}\b", text):
            return name
    for cut in range(len(parts) - 1, 0, -1):
        ancestor = ".".join(parts[:cut])
        found, node = _lookup(values, parts[:cut])
        if found and node in ({}, None, []):
            return f"values.yaml (free-form {ancestor})"
        whole = re.compile(rf"(toYaml|with|range [^}}]*:=)\s*\(?\s*\.Values\.{re.escape(ancestor)}\s*[)}}|]")
        for name, text in sorted(templates.items()):
            if whole.search(text):
                return f"{name} (renders {ancestor} whole)"
    return None


def program_charts(captured) -> Iterator[DeclaredChart]:
    """Every Chart the five stacks declare, and prod with a hosted zone (which adds external-dns)."""
    for stack in STACKS:
        yield from declared_charts(captured(stack))
    yield from declared_charts(capture_stack("prod", overrides=WITH_ZONE))


@pytest.fixture(scope="module")
def program_keys(captured) -> dict[tuple[str, str], set[str]]:
    keys: dict[tuple[str, str], set[str]] = {}
    for chart in program_charts(captured):
        keys.setdefault((chart.chart, chart.version), set()).update(key_paths(chart.values))
    return keys


def test_every_chart_version_the_program_pins_has_a_record(program_keys):
    recorded = {(chart, entry["version"]) for chart, entry in CONFIRMED.items()}
    assert set(program_keys) <= recorded, sorted(set(program_keys) - recorded)


def test_every_values_key_the_program_sets_was_confirmed_in_its_chart(program_keys):
    unconfirmed = {
        f"{chart} {version}: {key}"
        for (chart, version), keys in program_keys.items()
        for key in keys
        if not CONFIRMED.get(chart, {}).get("keys", {}).get(key)
    }
    assert not unconfirmed, sorted(unconfirmed)


SOURCES = os.environ.get("GROUNDWORK_CHART_SOURCES")


@pytest.mark.skipif(not SOURCES, reason="set GROUNDWORK_CHART_SOURCES to a --charts directory to recheck")
@pytest.mark.parametrize("chart", sorted(CONFIRMED))
def test_the_record_matches_the_chart_source(chart, tmp_path):
    entry = CONFIRMED[chart]
    with tarfile.open(Path(SOURCES or ".") / f"{chart}-{entry['version']}.tgz") as archive:
        archive.extractall(tmp_path, filter="data")
    root = tmp_path / chart
    assert {key: confirm(root, key) for key in entry["keys"]} == entry["keys"]
